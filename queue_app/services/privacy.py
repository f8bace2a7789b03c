"""Guards for what the system must never hold (DOMAIN.md): the 12-digit My Number.

``my_number_fields`` is the one rule, used by every way in: the JSON bodies of every
request (``screening.py``), every resident form (``web/forms.py``) and the booking
service itself. It reads a number the way people write one down: full-width digits,
grouped by spaces, dashes, dots, slashes, underscores, commas or middle dots, mixed,
with or without a leading "+". The one exception is the ``phone`` field, where a number
in international form ("+81 90-1234-5678": "+" and a country code) is a phone number.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

MY_NUMBER_DIGITS = 12

# What people put between groups of digits, after NFKC has turned full-width forms
# (－ ． ／ ＿ ， ＋ and the ideographic space) into ASCII. Not ":" (times of day).
_SEPARATOR = r"[\s\-‐‑‒–—―−ー.,/_・、+()\[\]|]"
# A run of digits, its groups joined by at most three separator characters ("1234 / 5678").
_DIGIT_RUN = re.compile(rf"\d(?:{_SEPARATOR}{{0,3}}\d)*")
_DIGIT_GROUP = re.compile(r"\d+")
# Groups shorter than this never take part in a My Number found inside a longer run: it
# is written 4-4-4 (or 3-3-3-3, 6-6, 12), while dates and phone numbers end in 2-digit groups.
_MIN_GROUP = 3
PHONE_FIELD = "phone"


def _run_holds_my_number(run: str, international: bool = False) -> bool:
    groups = [len(g) for g in _DIGIT_GROUP.findall(run)]
    if international:
        # "+81 90-1234-5678": the country code and the number are a phone number; only
        # a My Number written after it ("… / 1234 5678 9012") is looked for.
        groups = groups[1:]
    elif sum(groups) == MY_NUMBER_DIGITS:
        return True
    # Inside a longer run ("090-1234-5678 1234-5678-9012"): consecutive groups of three
    # digits or more that add up to twelve.
    for first in range(len(groups)):
        total = 0
        for size in groups[first:]:
            if size < _MIN_GROUP:
                break
            total += size
            if total >= MY_NUMBER_DIGITS:
                break
        if total == MY_NUMBER_DIGITS:
            return True
    return False


def contains_my_number(text, *, phone: bool = False) -> bool:
    """True when ``text`` holds a My Number in any common notation. With ``phone`` a
    number in international form (a run starting with "+") is a phone number instead."""
    if not isinstance(text, str):
        return False
    text = unicodedata.normalize("NFKC", text)
    for match in _DIGIT_RUN.finditer(text):
        international = phone and text[:match.start()].rstrip().endswith("+")
        if _run_holds_my_number(match.group(), international):
            return True
    return False


def my_number_fields(value, path: str = "") -> list[str]:
    """The fields of ``value`` (a string, or any nesting of dicts and lists, as a JSON
    body is) that hold a My Number, named by their path (``name``, ``candidates.1.note``).
    Keys are screened too: a My Number is refused wherever it is typed."""
    if isinstance(value, str):
        is_phone = path.rsplit(".", 1)[-1] == PHONE_FIELD
        return [path or "body"] if contains_my_number(value, phone=is_phone) else []
    found: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if contains_my_number(str(key)):
                found.append(child)
            found.extend(my_number_fields(item, child))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found.extend(my_number_fields(item, f"{path}.{index}" if path else str(index)))
    return found
