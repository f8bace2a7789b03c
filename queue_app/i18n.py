"""The resident's language: names, dates and times as a Japanese city hall writes them
(2027年1月14日(木) 9:00), or in the resident's own language. The patterns themselves are
catalogue strings, so each catalogue decides its own format.

Every language the residents' side speaks is one row of ``LANGUAGES``, with the four
spellings it needs in different places:

``code``    what ``?lang=`` carries and the language links (the picker, the manage link).
``locale``  the Babel locale, which is also the catalogue's directory under translations/.
``stored``  the 2-character code kept in ``reservations.language`` and the outbox
            (``String(2)``), which picks the language of the e-mails.
``tag``     the BCP 47 tag for ``<html lang>``, ``lang=""`` and ``Content-Language``.

Easy Japanese (やさしい日本語) is Japanese written for residents still learning it: short
sentences, common words, readings for the kanji. It has no locale of its own in CLDR, so
it is Japanese with the POSIX modifier ``@easy`` (``ja@easy``): ``Locale.parse`` accepts
it, gettext finds its catalogue in translations/ja@easy/ (and would fall back to ja/), and
dates and weekdays come from Japanese, exactly as it should be. Its URL value is
``easy-ja``, it is stored as ``ez`` (no ISO 639-1 code has those letters) and it is
marked up as plain ``ja``: screen readers and axe's html-lang-valid rule need a real
language subtag, and for them it *is* Japanese.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import format_date, format_datetime, get_locale, gettext as _


@dataclass(frozen=True)
class Language:
    code: str
    locale: str
    stored: str
    tag: str
    name: str  # the language's name in itself, for the picker
    speech: str  # the BCP 47 tag a speech synthesis voice is asked for


LANGUAGES: tuple[Language, ...] = (
    Language("ja", "ja", "ja", "ja", "日本語", "ja-JP"),
    Language("easy-ja", "ja@easy", "ez", "ja", "やさしい にほんご", "ja-JP"),
    Language("en", "en", "en", "en", "English", "en-US"),
    Language("zh-Hans", "zh_Hans", "zh", "zh-Hans", "中文（简体）", "zh-CN"),
    Language("ko", "ko", "ko", "ko", "한국어", "ko-KR"),
    Language("vi", "vi", "vi", "vi", "Tiếng Việt", "vi-VN"),
    Language("pt-BR", "pt_BR", "pt", "pt-BR", "Português", "pt-BR"),
)
DEFAULT = LANGUAGES[0]
CODES = tuple(language.code for language in LANGUAGES)
# What reservations.language (and the API's "language") may hold.
STORED_CODES = tuple(language.stored for language in LANGUAGES)

_ALIASES = {"easy": "easy-ja", "ja-easy": "easy-ja", "ja@easy": "easy-ja", "yasashii": "easy-ja",
            "zh-cn": "zh-Hans", "zh-hans-cn": "zh-Hans", "zh-sg": "zh-Hans", "pt-pt": "pt-BR"}
_LOOKUP: dict[str, Language] = {}
for _language in LANGUAGES:
    for _spelling in (_language.code, _language.locale, _language.stored, _language.tag):
        _LOOKUP.setdefault(_spelling.lower().replace("_", "-"), _language)
for _alias, _code in _ALIASES.items():
    _LOOKUP[_alias] = _LOOKUP[_code.lower()]
del _language, _spelling, _alias, _code


def find_language(value: str | None) -> Language | None:
    """The language a ``?lang=`` value, a stored code or a locale names, else None.
    Lenient about case and ``_``/``-``: ``pt_BR``, ``pt-br``, ``pt`` are all Portuguese."""
    if not value or not isinstance(value, str) or len(value) > 20:
        return None
    return _LOOKUP.get(value.strip().lower().replace("_", "-"))


def stored_language_of(stored: str | None) -> Language:
    """The language of a reservation's ``language`` column (Japanese if unknown)."""
    return find_language(stored) or DEFAULT


def language() -> Language:
    """The language of this request (or of ``force_locale``); Japanese outside one."""
    locale = get_locale()
    if locale is None:
        return DEFAULT
    return find_language(str(locale)) or find_language(locale.language) or DEFAULT


def current_language() -> str:
    """The ``?lang=`` value of this request's language: "ja", "easy-ja", "en", "zh-Hans"…"""
    return language().code


def html_lang() -> str:
    """The BCP 47 tag of this request's language, for ``<html lang>``."""
    return language().tag


def stored_language() -> str:
    """The 2-character code a reservation made in this request's language keeps."""
    return language().stored


def localised(obj, field: str = "name") -> str:
    """``obj.name_ja`` in Japanese and Easy Japanese, ``obj.name_en`` in every other
    language (places and procedures have only these two), each falling back to the other."""
    english = getattr(obj, f"{field}_en", "") or ""
    japanese = getattr(obj, f"{field}_ja", "") or ""
    if language().locale.startswith("ja"):
        return japanese or english
    return english or japanese


def day(value: date | datetime) -> str:
    """A date with its weekday: 2027年1月14日(木) / Thu 14 January 2027."""
    if isinstance(value, datetime):
        return format_datetime(value, _("EEE d MMMM y"))
    return format_date(value, _("EEE d MMMM y"))


def month(value: date) -> str:
    """A month heading: 2027年1月 / January 2027."""
    return format_date(value, _("MMMM y"))


def clock_time(value: datetime) -> str:
    """A time of day in Tokyo: 9:00."""
    return format_datetime(value, "H:mm")


def when(value: datetime) -> str:
    """A date and time: 2027年1月14日(木) 9:00."""
    return f"{day(value)} {clock_time(value)}"


def weekday_names() -> list[str]:
    """Monday to Sunday, short (月…日 / Mon…Sun), for calendar headings."""
    # 2027-01-04 is a Monday.
    return [format_date(date(2027, 1, 4 + i), "EEE") for i in range(7)]
