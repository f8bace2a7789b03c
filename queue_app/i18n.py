"""The resident's language: names, dates and times as a Japanese city hall writes them
(2027年1月14日(木) 9:00), or in English. The patterns themselves are catalogue strings,
so the Japanese catalogue decides the Japanese format."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import format_date, format_datetime, get_locale, gettext as _

LANGUAGES = ("ja", "en")


def current_language() -> str:
    """"ja" or "en": the locale of this request (or of ``force_locale``)."""
    locale = get_locale()
    language = locale.language if locale is not None else "ja"
    return language if language in LANGUAGES else "ja"


def localised(obj, field: str = "name") -> str:
    """``obj.name_en`` in English, ``obj.name_ja`` otherwise (places and procedures)."""
    english = getattr(obj, f"{field}_en", "") or ""
    japanese = getattr(obj, f"{field}_ja", "") or ""
    return (english or japanese) if current_language() == "en" else (japanese or english)


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
