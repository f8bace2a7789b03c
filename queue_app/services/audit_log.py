"""Reading the audit log for the back office: filter by who, what, where and when;
a page at a time for the screen, or every entry, streamed, for the CSV.

The log holds no personal data (services/audit.py), so nothing is removed here: the
entries are shown as they were written, with the names of the staff users, devices
and places the ids stand for.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import func, or_, select

from ..models import AuditEntry, Device, Location, User
from . import calendar
from .errors import Invalid
from .places import could_be_slug

PER_PAGE = 50
MAX_PER_PAGE = 200

# How the back office words the actions (the CSV with lang=ja, the page in Japanese).
ACTIONS_JA = {
    "closure.create": "閉庁の登録", "closure.reopen": "閉庁の取消(再開)",
    "reservation.book": "予約", "reservation.cancel": "予約の取消",
    "reservation.no_show": "予約の不来", "ticket.issue": "発券", "ticket.check_in": "予約の受付",
    "ticket.call": "呼出", "ticket.recall": "再呼出", "ticket.start": "応対開始",
    "ticket.complete": "応対完了", "ticket.no_show": "不在", "ticket.cancel": "受付の取消",
    "ticket.transfer": "転送", "ticket.prioritise": "優先", "ticket.undo": "操作の取り消し",
    "counter.open": "窓口の開設", "counter.close": "窓口の休止", "location.usual_day": "通常の配置の変更",
    "location.create": "窓口拠点の追加", "location.update": "窓口拠点の変更",
    "counter.create": "窓口の追加", "counter.update": "窓口の変更",
    "service.create": "手続きの追加", "service.update": "手続きの変更",
    "user.create": "職員アカウントの作成", "user.disable": "職員アカウントの停止",
    "user.enable": "職員アカウントの再開", "user.reset_password": "パスワードの再設定",
    "user.change_password": "パスワードの変更",
    "device.create": "端末の発行", "device.revoke": "端末の無効化",
    "calendar.hours": "開庁時間の変更", "calendar.capacity": "予約枠の定員の変更",
    "calendar.window_add": "休日・延長窓口の追加", "calendar.window_remove": "休日・延長窓口の削除",
    "waitlist.join": "キャンセル待ちの登録", "waitlist.leave": "キャンセル待ちの取消",
    "waitlist.offer": "キャンセル待ちへの枠の確保", "waitlist.expired": "確保した枠の期限切れ",
    "waitlist.declined": "確保した枠の辞退", "waitlist.released": "確保した枠の解放",
    "waitlist.book": "キャンセル待ちからの予約",
    "waitlist.purge": "キャンセル待ちの個人情報の削除",
    "outreach.submit": "出張申請の受付", "outreach.schedule": "出張日時の決定",
    "outreach.decline": "出張申請のお断り", "outreach.done": "出張受付の完了",
}


@dataclass(frozen=True)
class Filters:
    """What to show: every field optional. ``who`` is an actor as the log writes it
    (``user:3``, ``device:2``, ``job:no_shows``, ``resident``), a user's name or a
    device's name; ``action`` an action (``ticket.call``) or its family (``ticket``)."""

    who: str | None = None
    action: str | None = None
    location: str | None = None
    first: date | None = None
    last: date | None = None


@dataclass(frozen=True)
class Row:
    """One entry with the names its ids stand for."""

    entry: AuditEntry
    who: str | None  # the user's or device's name, when the actor is one
    location: str | None  # the place's slug


def _actors(session, who: str) -> list[str]:
    """The actor values ``who`` may stand for: itself, and the user or device so named."""
    actors = [who]
    user_id = session.scalar(select(User.id).where(User.username == who))
    if user_id is not None:
        actors.append(f"user:{user_id}")
    device_id = session.scalar(select(Device.id).where(Device.name == who))
    if device_id is not None:
        actors.append(f"device:{device_id}")
    return actors


def _query(session, filters: Filters):
    conditions = []
    if filters.who:
        conditions.append(AuditEntry.actor.in_(_actors(session, filters.who.strip())))
    if filters.action:
        action = filters.action.strip().rstrip(".")
        conditions.append(or_(AuditEntry.action == action, AuditEntry.action.startswith(f"{action}.")))
    if filters.location:
        location_id = (session.scalar(select(Location.id).where(Location.slug == filters.location))
                       if could_be_slug(filters.location) else None)
        if location_id is None:
            raise Invalid("Some fields are not valid: location",
                          errors={"location": [f"No place called {filters.location!r}."]})
        conditions.append(AuditEntry.location_id == location_id)
    if filters.first and filters.last and filters.last < filters.first:
        raise Invalid("Some fields are not valid: to",
                      errors={"to": ["The last day is before the first day."]})
    if filters.first:
        conditions.append(AuditEntry.at >= calendar.at(filters.first, time(0)))
    if filters.last:
        conditions.append(AuditEntry.at < calendar.at(filters.last + timedelta(days=1), time(0)))
    return conditions


def _rows(session, statement):
    users = {f"user:{i}": name for i, name in session.execute(select(User.id, User.username))}
    devices = {f"device:{i}": name for i, name in session.execute(select(Device.id, Device.name))}
    slugs = dict(session.execute(select(Location.id, Location.slug)).all())
    for entry in statement:
        yield Row(entry, users.get(entry.actor) or devices.get(entry.actor),
                  slugs.get(entry.location_id))


def get_page(session, filters: Filters, page: int = 1, per_page: int = PER_PAGE) -> dict:
    """``{"entries": [Row…], "page", "per_page", "total", "pages"}``, newest first."""
    conditions = _query(session, filters)
    total = session.scalar(select(func.count()).select_from(AuditEntry).where(*conditions))
    entries = session.scalars(select(AuditEntry).where(*conditions)
                              .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                              .offset((page - 1) * per_page).limit(per_page)).all()
    return {"entries": list(_rows(session, entries)), "page": page, "per_page": per_page,
            "total": total, "pages": max((total + per_page - 1) // per_page, 1)}


def iter_rows(session, filters: Filters, batch: int = 1000):
    """Every matching entry, oldest first, read ``batch`` rows at a time (the CSV). The
    filters are checked now (``Invalid`` before anything is streamed); the rows are read
    as the returned iterator is consumed."""
    conditions = _query(session, filters)

    def rows():
        statement = session.scalars(select(AuditEntry).where(*conditions)
                                    .order_by(AuditEntry.at, AuditEntry.id)
                                    .execution_options(yield_per=batch))
        yield from _rows(session, statement)

    return rows()
