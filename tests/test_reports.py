"""Reports (GET /api/v1/reports/summary, the two CSV exports, /admin/reports): every
figure of the summary checked against a hand-built day whose answers are worked out
below by hand; the groupings by day, hour and procedure; refusals of bad input; the
CSV files as Excel in Japan and Python's csv module read them; who may read them.

Runs on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set: the summary is
SQL, and the two databases compute percentiles in different ways."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from conftest import TEST_DATABASE_URL, book
from queue_app.config import TOKYO
from queue_app.extensions import db
from queue_app.models import (Counter, CounterSession, Location, Reservation, Service, Ticket,
                              TurnedAway)
from queue_app.services import accounts, reports

DAY = date(2027, 1, 13)  # a Wednesday
DAY_BEFORE = date(2027, 1, 12)
PASSWORD = "correct horse battery"
NAME, EMAIL_DOMAIN = "山田 花子", "example.jp"


@pytest.fixture(params=["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else []))
def report_app(request, make_app, clock):
    """The demo city with the hand-built history below, on each database at hand."""
    app = make_app(request.param)
    build_history(app, clock)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def at(day: date, hhmm: str) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TOKYO)


def build_history(app, clock) -> None:
    """The hand-built day, 13 January 2027 at honcho (and one ticket the day before).

    Tickets (issued → called → started → finished, minutes in brackets):
      W-001 reissue    09:00 → 09:10 → 09:11 → 09:26  wait 10, walk 1, service 15
      W-002 reissue    09:05 → 09:25 → 09:27 → 09:37  wait 20, walk 2, service 10
      R-001 pickup     09:50 → 09:55 → 09:56 → 10:21  wait 5,  walk 1, service 25 (crosses 10:00)
      W-003 pin-reset  10:00 → 10:30 → 10:33 → 10:53  wait 30, walk 3, service 20
      W-004 pin-reset  10:10 → 10:50, no-show        wait 40
      W-005 reissue    16:00, cancelled before its call
    Reservations (card pickup, booked the day before): 09:45 came (R-001), 10:00 no-show,
    10:15 cancelled, 13:00 came. Two walk-ins turned away at 16:30 and 16:40.
    Counters: 窓口1 open 08:30-11:00, 窓口2 open 09:00-10:00.
    The day before: W-001 09:00 → 09:06 → 09:07 → 09:19, one walk-in turned away.
    """
    client = app.test_client()
    clock.set(2027, 1, 12, 10, 0)
    codes = {}
    for number, start in enumerate(("09:45", "10:00", "10:15", "13:00")):
        response = book(client, start=at(DAY, start).isoformat(), name=NAME,
                        email=f"resident-{number}@{EMAIL_DOMAIN}", phone=f"080-5555-{number:04d}")
        assert response.status_code == 201, response.get_data(as_text=True)
        codes[start] = response.get_json()
    cancelled = codes["10:15"]
    assert client.delete(f"/api/v1/reservations/{cancelled['code']}?token={cancelled['token']}").status_code == 200

    with app.app_context():
        session = db.session
        honcho = session.scalar(select(Location).where(Location.slug == "honcho"))
        services = {s.slug: s for s in session.scalars(select(Service))}
        counters = {c.name: c for c in session.scalars(select(Counter).where(Counter.location_id == honcho.id))}
        by_code = {r.code: r for r in session.scalars(select(Reservation))}
        came = [by_code[codes["09:45"]["code"]], by_code[codes["13:00"]["code"]]]
        for reservation in came:
            reservation.status = "done"
        by_code[codes["10:00"]["code"]].status = "no_show"

        def ticket(day, number, service, issued, called=None, started=None, finished=None,
                   status="done", reservation=None):
            kind = "reservation" if number.startswith("R") else "walk_in"
            session.add(Ticket(
                id=f"{day:%m%d}{number}".replace("-", "").lower().ljust(32, "0"), location_id=honcho.id,
                service_id=services[service].id, business_date=day, number=number, kind=kind,
                status=status, band=1 if kind == "reservation" else 2, order_at=at(day, issued),
                issued_at=at(day, issued), counter_id=counters["窓口1"].id if called else None,
                called_at=called and at(day, called), started_at=started and at(day, started),
                finished_at=finished and at(day, finished),
                reservation_id=reservation.id if reservation else None))

        ticket(DAY, "W-001", "reissue", "09:00", "09:10", "09:11", "09:26")
        ticket(DAY, "W-002", "reissue", "09:05", "09:25", "09:27", "09:37")
        ticket(DAY, "R-001", "card-pickup", "09:50", "09:55", "09:56", "10:21", reservation=came[0])
        ticket(DAY, "W-003", "pin-reset", "10:00", "10:30", "10:33", "10:53")
        ticket(DAY, "W-004", "pin-reset", "10:10", "10:50", status="no_show")
        ticket(DAY, "W-005", "reissue", "16:00", status="cancelled")
        ticket(DAY_BEFORE, "W-001", "reissue", "09:00", "09:06", "09:07", "09:19")
        for day, moment in ((DAY, "16:30"), (DAY, "16:40"), (DAY_BEFORE, "16:50")):
            session.add(TurnedAway(location_id=honcho.id, service_id=services["reissue"].id,
                                   business_date=day, at=at(day, moment)))
        for name, opened, closed in (("窓口1", "08:30", "11:00"), ("窓口2", "09:00", "10:00")):
            session.add(CounterSession(counter_id=counters[name].id, location_id=honcho.id,
                                       business_date=DAY, opened_at=at(DAY, opened), closed_at=at(DAY, closed)))
        session.commit()
    clock.set(2027, 1, 13, 18, 0)  # the evening of the day: every slot has started


def token_of(app, role: str = "staff") -> dict:
    with app.app_context():
        user = accounts.create_user(db.session, f"{role}-user", PASSWORD, role, app.config["CLOCK"]())
        token = accounts.issue_token(db.session, user, app.config["CLOCK"](), 12)
        db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def summary_of(app, first=DAY, last=DAY, headers=None) -> dict:
    response = app.test_client().get(f"/api/v1/reports/summary?location=honcho&from={first}&to={last}",
                                     headers=headers or token_of(app))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def row(rows: list, key: str, value):
    return next(r for r in rows if r[key] == value)


# ---------------------------------------------------------------- the figures

def test_the_days_figures_match_the_hand_count(report_app):
    summary = summary_of(report_app)
    assert (summary["location"], summary["from"], summary["to"]) == ("honcho", "2027-01-13", "2027-01-13")
    assert summary["tickets"] == {"reservation": 1, "walk_in": 5}
    # Waits 5, 10, 20, 30, 40: the median is the middle one; the 90th percentile lies
    # at rank 0.9 × 4 = 3.6, i.e. 30 + 0.6 × (40 − 30) = 36 (percentile_cont).
    assert summary["wait_minutes"] == {"p50": 20.0, "p90": 36.0}
    # Walks 1, 1, 2, 3: median at rank 1.5 = 1.5; p90 at rank 2.7 = 2 + 0.7 × 1 = 2.7.
    assert summary["walk_minutes"] == {"p50": 1.5, "p90": 2.7}
    # Services 10, 15, 20, 25 (tickets served only): 17.5 and 20 + 0.7 × 5 = 23.5.
    assert summary["service_minutes"] == {"p50": 17.5, "p90": 23.5}
    # Reservations whose time came and were not cancelled: 3, of which 1 no-show.
    assert summary["no_show_rate"] == pytest.approx(0.3333)
    # The calendar offers 32 slots (09:00-16:45) × 2 counters taking reservations = 64
    # seats; 3 are still booked (the cancelled one gave its seat back).
    assert summary["slot_fill_rate"] == pytest.approx(3 / 64, abs=1e-4)
    assert summary["turned_away"] == 2
    # Serving 15 + 10 + 25 + 20 = 70 min = 4,200 s over 2.5 h + 1 h = 12,600 s open.
    assert summary["counter_utilisation"] == pytest.approx(0.3333)


def test_by_hour_splits_serving_and_open_time_at_the_hour(report_app):
    by_hour = summary_of(report_app)["by_hour"]
    nine, ten = row(by_hour, "hour", 9), row(by_hour, "hour", 10)
    # Tickets by the hour they were issued (or checked in).
    assert nine["tickets"] == {"reservation": 1, "walk_in": 2}
    assert ten["tickets"] == {"reservation": 0, "walk_in": 2}
    assert row(by_hour, "hour", 16)["tickets"] == {"reservation": 0, "walk_in": 1}
    assert nine["wait_minutes"] == {"p50": 10.0, "p90": 18.0}  # 5, 10, 20
    assert ten["wait_minutes"] == {"p50": 35.0, "p90": 39.0}  # 30, 40
    # 9-10: serving 15 + 10 + 4 (R-001 until 10:00) = 29 min of 2 counters × 60 min;
    # 10-11: 21 (R-001 from 10:00) + 20 = 41 min of 窓口1's 60 min; 8-9: 30 min open, idle.
    assert nine["counter_utilisation"] == pytest.approx(29 / 120, abs=1e-4)
    assert ten["counter_utilisation"] == pytest.approx(41 / 60, abs=1e-4)
    assert row(by_hour, "hour", 8)["counter_utilisation"] == 0.0
    # Slots: 4 an hour × 2 seats; one booked at 09:45, one at 10:00 (no-show), 10:15 freed.
    assert nine["slot_fill_rate"] == ten["slot_fill_rate"] == 0.125
    assert nine["no_show_rate"] == 0.0 and ten["no_show_rate"] == 1.0
    assert row(by_hour, "hour", 16)["turned_away"] == 2
    assert row(by_hour, "hour", 11)["counter_utilisation"] is None  # nobody open then


def test_by_service_and_by_day(report_app):
    summary = summary_of(report_app, first=DAY_BEFORE, last=DAY)
    by_service = summary["by_service"]
    reissue, pin_reset = row(by_service, "service", "reissue"), row(by_service, "service", "pin-reset")
    assert reissue["tickets"] == {"reservation": 0, "walk_in": 4}
    assert reissue["wait_minutes"] == {"p50": 10.0, "p90": 18.0}  # 6, 10, 20
    assert reissue["service_minutes"] == {"p50": 12.0, "p90": 14.4}  # 10, 12, 15
    assert reissue["turned_away"] == 3
    assert pin_reset["wait_minutes"] == {"p50": 35.0, "p90": 39.0}
    assert row(by_service, "service", "card-pickup")["no_show_rate"] == pytest.approx(0.3333)
    assert reissue["slot_fill_rate"] is None and reissue["counter_utilisation"] is None

    by_day = {d["date"]: d for d in summary["by_day"]}
    assert by_day["2027-01-12"]["tickets"] == {"reservation": 0, "walk_in": 1}
    assert by_day["2027-01-12"]["wait_minutes"] == {"p50": 6.0, "p90": 6.0}
    assert by_day["2027-01-12"]["turned_away"] == 1
    assert by_day["2027-01-12"]["counter_utilisation"] is None  # no counter session recorded
    assert by_day["2027-01-13"]["tickets"] == {"reservation": 1, "walk_in": 5}
    assert by_day["2027-01-13"]["wait_minutes"] == {"p50": 20.0, "p90": 36.0}
    assert summary["tickets"] == {"reservation": 1, "walk_in": 6}
    assert summary["wait_minutes"] == {"p50": 15.0, "p90": 35.0}  # 5, 6, 10, 20, 30, 40
    assert summary["turned_away"] == 3
    # The 12th served 12 minutes but recorded no open time: it does not count.
    assert summary["counter_utilisation"] == pytest.approx(0.3333)
    assert row(summary["by_hour"], "hour", 9)["counter_utilisation"] == pytest.approx(29 / 120, abs=1e-4)


def test_a_day_without_history_has_no_figures_but_offers_its_seats(report_app):
    summary = summary_of(report_app, first=date(2027, 1, 14), last=date(2027, 1, 14))
    assert summary["tickets"] == {"reservation": 0, "walk_in": 0}
    assert summary["wait_minutes"] == {"p50": None, "p90": None}
    assert summary["no_show_rate"] is None and summary["counter_utilisation"] is None
    assert summary["slot_fill_rate"] == 0.0
    assert [d["date"] for d in summary["by_day"]] == ["2027-01-14"]


def test_a_counter_still_open_counts_until_now(report_app, clock):
    with report_app.app_context():
        counter = db.session.scalar(select(Counter).where(Counter.name == "窓口3"))
        db.session.add(CounterSession(counter_id=counter.id, location_id=counter.location_id,
                                      business_date=DAY, opened_at=at(DAY, "16:00")))
        db.session.commit()
    clock.set(2027, 1, 13, 16, 30)
    # 12,600 s closed sessions + 1,800 s of 窓口3 so far; serving still 4,200 s.
    assert summary_of(report_app)["counter_utilisation"] == pytest.approx(4200 / 14400, abs=1e-4)


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("query, field", [
    ("location=honcho&from=2027-01-13&to=2027-01-12", "to"),   # reversed
    ("location=honcho&from=2026-01-01&to=2027-02-05", "to"),   # 401 days
    ("location=nowhere&from=2027-01-12&to=2027-01-13", "location"),
    ("location=honcho&from=2027-13-01&to=2027-01-13", "from"),  # no such month
    ("location=honcho&to=2027-01-13", "from"),
])
def test_bad_ranges_and_places_are_a_clear_422(report_app, query, field):
    response = report_app.test_client().get(f"/api/v1/reports/summary?{query}", headers=token_of(report_app))
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    problem = response.get_json()
    assert problem["code"] == "invalid"
    assert field in problem["errors"], problem
    csv_response = report_app.test_client().get(f"/api/v1/reports/tickets.csv?{query}",
                                                headers=token_of(report_app, "admin"))
    assert csv_response.status_code == 422 and csv_response.get_json()["code"] == "invalid"


def test_the_longest_range_allowed_answers(report_app):
    last = date(2027, 1, 13)
    first = last - timedelta(days=reports.MAX_DAYS - 1)
    summary = summary_of(report_app, first=first, last=last)
    assert summary["tickets"] == {"reservation": 1, "walk_in": 6}


# ---------------------------------------------------------------- who may read

def test_staff_and_admin_may_read_kiosks_and_the_public_may_not(report_app):
    client = report_app.test_client()
    url = "/api/v1/reports/summary?location=honcho&from=2027-01-13&to=2027-01-13"
    assert client.get(url, headers=token_of(report_app, "staff")).status_code == 200
    assert client.get(url, headers=token_of(report_app, "admin")).status_code == 200
    with report_app.app_context():
        _device, kiosk = accounts.create_device(db.session, "kiosk-1", "kiosk", "honcho",
                                                report_app.config["CLOCK"]())
        db.session.commit()
    for path in (url, url.replace("summary", "tickets.csv"), url.replace("summary", "summary.csv")):
        refused = client.get(path, headers={"Authorization": f"Bearer {kiosk}"})
        assert refused.status_code == 403 and refused.get_json()["code"] == "forbidden"
        anonymous = client.get(path)
        assert anonymous.status_code == 401 and anonymous.get_json()["code"] == "unauthorized"
    assert client.get("/admin/reports").status_code == 302  # to the login form


# ---------------------------------------------------------------- CSV

def read_csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def test_the_tickets_csv_in_japanese_has_a_bom_and_nothing_personal(report_app):
    response = report_app.test_client().get(
        "/api/v1/reports/tickets.csv?location=honcho&from=2027-01-12&to=2027-01-13&lang=ja",
        headers=token_of(report_app))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.is_streamed  # a year of tickets is written as it is read
    assert 'filename="tickets-honcho-2027-01-12-2027-01-13.csv"' in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == ["番号", "種別", "手続き", "日付", "発券・受付時刻", "呼出時刻", "応対開始時刻",
                       "応対終了時刻", "状態", "窓口"]
    assert len(rows) == 1 + 7
    by_number = {(r[3], r[0]): r for r in rows[1:]}
    pickup = by_number[("2027-01-13", "R-001")]
    assert pickup == ["R-001", "予約", "マイナンバーカードの受け取り(交付)", "2027-01-13", "2027-01-13 09:50:00",
                      "2027-01-13 09:55:00", "2027-01-13 09:56:00", "2027-01-13 10:21:00", "完了", "窓口1"]
    assert by_number[("2027-01-13", "W-004")][1:2] + by_number[("2027-01-13", "W-004")][8:9] == ["予約なし", "不在"]
    assert by_number[("2027-01-13", "W-005")][5] == ""  # never called
    body = response.get_data(as_text=True)
    # R-001 belongs to a reservation with a name, an e-mail and a phone: none of it leaks.
    assert "山田" not in body and "@" not in body and "5555" not in body


def test_the_tickets_csv_in_english_by_default(report_app):
    response = report_app.test_client().get(
        "/api/v1/reports/tickets.csv?location=honcho&from=2027-01-13&to=2027-01-13",
        headers=token_of(report_app))
    rows = read_csv(response)
    assert rows[0][:4] == ["number", "kind", "procedure", "date"]
    assert ["W-004", "walk_in", "Resetting or unlocking PINs"] == rows[5][:3]
    assert rows[5][8] == "no_show"


def test_the_summary_csv_has_a_row_per_day_then_the_total(report_app):
    response = report_app.test_client().get(
        "/api/v1/reports/summary.csv?location=honcho&from=2027-01-12&to=2027-01-13&lang=ja",
        headers=token_of(report_app))
    assert response.status_code == 200
    rows = read_csv(response)
    assert rows[0][:4] == ["日付", "予約(件)", "予約なし(件)", "待ち時間 中央値(分)"]
    assert rows[0][-1] == "窓口稼働率"
    assert [r[0] for r in rows[1:]] == ["2027-01-12", "2027-01-13", "合計"]
    header = rows[0]
    total = dict(zip(header, rows[-1]))
    assert total["予約(件)"] == "1" and total["予約なし(件)"] == "6"
    assert total["待ち時間 90%値(分)"] == "35.0"
    assert total["受付終了によるお断り(件)"] == "3"
    day = dict(zip(header, rows[2]))
    assert day["窓口稼働率"] == "0.3333"
    assert dict(zip(header, rows[1]))["窓口稼働率"] == ""  # no open time recorded that day


# ---------------------------------------------------------------- the page

def sign_in(client, role: str = "staff") -> None:
    """Through the console's real form (CSRF token and all)."""
    with client.application.app_context():
        accounts.create_user(db.session, f"page-{role}", PASSWORD, role, client.application.config["CLOCK"]())
        db.session.commit()
    form = client.get("/staff/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    response = client.post("/staff/login", data={"csrf_token": csrf, "username": f"page-{role}",
                                                 "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


def test_the_page_shows_the_figures_in_japanese_and_links_japanese_csv(report_app):
    client = report_app.test_client()
    sign_in(client)
    response = client.get("/admin/reports?location=honcho&from=2027-01-13&to=2027-01-13")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "業務統計" in page and "窓口稼働率" in page and "予約の無断キャンセル率" in page
    assert re.search(r'id="summary-table".*?36\.0', page, re.S)  # the wait's p90
    assert "/api/v1/reports/tickets.csv?location=honcho&amp;from=2027-01-13&amp;to=2027-01-13&amp;lang=ja" in page
    # The page's session reads the CSV too (the link works from the page).
    csv_response = client.get("/api/v1/reports/tickets.csv?location=honcho&from=2027-01-13&to=2027-01-13&lang=ja")
    assert csv_response.status_code == 200 and read_csv(csv_response)[0][0] == "番号"
    english = client.get("/admin/reports?location=honcho&from=2027-01-13&to=2027-01-13&lang=en")
    assert "Counter utilisation" in english.get_data(as_text=True)


def test_the_page_refuses_a_reversed_range_with_a_message(report_app):
    client = report_app.test_client()
    sign_in(client, "admin")
    response = client.get("/admin/reports?location=honcho&from=2027-01-13&to=2027-01-01")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "終了日が開始日より前になっています。" in page
    assert 'id="chart-days"' not in page
