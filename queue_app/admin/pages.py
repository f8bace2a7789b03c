"""What every back-office page shares: its language (Japanese, or English for everyone
else: a back-office page has two, kept in each module's ``JA`` word table rather than
the residents' catalogues), its ``t()`` and the administrators-only gate."""
from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import abort, redirect, request, url_for
from flask_login import current_user

from .. import i18n


def page_locale() -> str:
    """Japanese (and Easy Japanese) readers get Japanese, everyone else English."""
    return "ja" if i18n.language().locale.startswith("ja") else "en"


def translator(words: Mapping[str, str], locale: str) -> Callable[..., str]:
    """``t(text, **values)`` for a page: the Japanese of ``text`` from ``words`` (the
    module's ``JA``), or ``text`` itself in English."""
    def t(text: str, **values) -> str:
        chosen = words.get(text, text) if locale == "ja" else text
        return chosen % values if values else chosen

    return t


def admin_or_refuse():
    """None for a signed-in administrator; else a redirect to sign in, or 403 for staff."""
    if not current_user.is_authenticated:
        return redirect(url_for("staff.login", next=request.full_path.rstrip("?")))
    if current_user.role != "admin" or not current_user.is_active:
        abort(403)
    return None
