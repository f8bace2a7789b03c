"""Guards for what the system must never hold (DOMAIN.md): the 12-digit My Number."""
from __future__ import annotations

import re
import unicodedata

# Digits, possibly separated by spaces or dashes as people write numbers down.
_DIGIT_RUN = re.compile(r"\d(?:[\s\-‐‑–—ー－]*\d)*")
_NOT_DIGIT = re.compile(r"\D")


def contains_my_number(value) -> bool:
    """True when ``value`` (a string, or any nesting of lists and dicts) holds a run of
    exactly twelve digits: the length of a My Number. Full-width digits count too.
    A run after "+" is an international phone number (+81 90-1234-5678), not one."""
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value)
        return any(len(_NOT_DIGIT.sub("", m.group())) == 12
                   for m in _DIGIT_RUN.finditer(text)
                   if not text[:m.start()].rstrip().endswith("+"))
    if isinstance(value, dict):
        return any(contains_my_number(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_my_number(v) for v in value)
    return False
