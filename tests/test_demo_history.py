"""``seed-demo --history WEEKS``: plausible past weeks for the demo, the same every time
(seeded), never doubled by a second run, and nothing personal made up."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from queue_app.extensions import db
from queue_app.models import (CounterSession, Location, Reservation, Slot, Ticket, TicketNumberCounter,
                              TurnedAway)
from queue_app.services import reports

TABLES = (Ticket, Reservation, Slot, CounterSession, TurnedAway, TicketNumberCounter)


def counts(app) -> dict:
    with app.app_context():
        return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) for model in TABLES}


def fingerprint(app) -> list[tuple]:
    """The history without its random ids and codes."""
    with app.app_context():
        return [tuple(row) for row in db.session.execute(
            select(Ticket.location_id, Ticket.business_date, Ticket.number, Ticket.kind, Ticket.status,
                   Ticket.service_id, Ticket.issued_at, Ticket.called_at, Ticket.started_at, Ticket.finished_at)
            .order_by(Ticket.location_id, Ticket.business_date, Ticket.number))]


def seed(app, weeks: int):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--history", str(weeks)])
    assert result.exit_code == 0, result.output
    return result.output


def test_running_it_twice_does_not_double_the_history(app):
    first = seed(app, 2)
    before = counts(app)
    assert before["tickets"] > 100 and before["reservations"] > 50 and before["counter_sessions"] > 10
    second = seed(app, 2)
    assert counts(app) == before
    assert "nothing to do" in second and "history: 0 days added" in second
    assert "days already had history" in first


def test_the_same_seed_gives_the_same_history_and_a_longer_one_adds_older_weeks(make_app):
    one, two = make_app(), make_app()
    seed(one, 3)
    seed(two, 1)
    seed(two, 3)  # the last week is there already: only the two before it are added
    assert fingerprint(one) == fingerprint(two)
    assert counts(one) == counts(two)


def test_only_open_days_before_today_and_nothing_personal(app, clock):
    seed(app, 2)  # 29 Dec 2026 - 11 Jan 2027 (today is Tuesday 12 January 2027)
    with app.app_context():
        session = db.session
        days = set(session.scalars(select(Ticket.business_date).distinct()))
        # The New Year closure (to 3 Jan), weekends and Coming of Age Day (11 Jan) are
        # closed; the 2nd Sunday (10 Jan) opens the holiday window at honcho only.
        assert days == {date(2027, 1, d) for d in (4, 5, 6, 7, 8, 10)}
        awara = session.scalar(select(Location.id).where(Location.slug == "awara"))
        sunday = session.scalars(select(Ticket.kind).where(Ticket.business_date == date(2027, 1, 10))).all()
        assert sunday and set(sunday) == {"reservation"}  # reservation only (完全予約制)
        assert not session.scalar(select(func.count()).select_from(Ticket).where(
            Ticket.location_id == awara, Ticket.business_date == date(2027, 1, 10)))
        assert session.scalar(select(func.count()).select_from(Reservation).where(
            (Reservation.name.is_not(None)) | (Reservation.email.is_not(None))
            | (Reservation.phone.is_not(None)))) == 0
        # Every reservation that came has its ticket, and the slots count what is booked.
        came = session.scalar(select(func.count()).select_from(Reservation).where(Reservation.status == "done"))
        assert came == session.scalar(select(func.count()).select_from(Ticket).where(Ticket.kind == "reservation"))
        booked = session.scalar(select(func.sum(Slot.booked)))
        assert booked == session.scalar(select(func.count()).select_from(Reservation).where(
            Reservation.status != "cancelled"))


def test_the_reports_show_plausible_figures(app, clock):
    seed(app, 8)
    with app.app_context():
        period = reports.get_period(db.session, "honcho", date(2026, 11, 17), date(2027, 1, 11))
        summary = reports.get_summary(db.session, period, clock())
    tickets = summary["tickets"]
    assert 1000 < tickets["reservation"] + tickets["walk_in"] < 4000
    assert 2 <= summary["wait_minutes"]["p50"] <= 20
    assert summary["wait_minutes"]["p50"] + 5 <= summary["wait_minutes"]["p90"] <= 90
    assert 10 <= summary["service_minutes"]["p50"] <= 16  # about 15 minutes a procedure (DOMAIN.md)
    assert 0.03 <= summary["no_show_rate"] <= 0.15
    assert 0.2 <= summary["slot_fill_rate"] <= 0.8
    assert 0.3 <= summary["counter_utilisation"] <= 0.9
    # Fewer residents come over lunch than in the mid-morning peak.
    by_hour = {row["hour"]: row for row in summary["by_hour"]}
    assert by_hour[10]["tickets"]["walk_in"] > by_hour[12]["tickets"]["walk_in"]
    # Mondays are busier than the other weekdays (DOMAIN.md).
    by_weekday: dict[int, list[int]] = {}
    for day in summary["by_day"]:
        by_weekday.setdefault(day["date"].weekday(), []).append(sum(day["tickets"].values()))
    average = {weekday: sum(v) / len(v) for weekday, v in by_weekday.items() if weekday < 5}
    assert average[0] > max(average[d] for d in (1, 2, 3))


def test_a_day_with_real_tickets_is_left_alone(app, client, clock):
    clock.set(2027, 1, 8, 10, 0)  # a Friday: a resident takes a real ticket
    with app.app_context():
        from queue_app.services import accounts

        user = accounts.create_user(db.session, "clerk", "correct horse battery", "staff", clock())
        token = accounts.issue_token(db.session, user, clock(), 12)
        db.session.commit()
    response = client.post("/api/v1/tickets", json={"location": "awara", "service": "pin-reset"},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.get_data(as_text=True)
    clock.set(2027, 1, 12, 10, 0)
    seed(app, 1)
    with app.app_context():
        awara = db.session.scalar(select(Location.id).where(Location.slug == "awara"))
        numbers = db.session.scalars(select(Ticket.number).where(
            Ticket.location_id == awara, Ticket.business_date == date(2027, 1, 8))).all()
        assert numbers == [response.get_json()["number"]]
        assert db.session.scalar(select(func.count()).select_from(Ticket).where(
            Ticket.business_date == date(2027, 1, 8))) > 10  # honcho's day was filled
