"""The application factory, its settings and the SQLite set-up."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from queue_app import create_app
from queue_app.config import ConfigError
from queue_app.extensions import db


def test_config_overrides_everything(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "sqlite:////nonexistent/from-env.db")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("/x.db")
    assert app.config["SCHEDULER_ENABLED"] is False  # off under TESTING
    assert app.config["RATELIMIT_ENABLED"] is True


def test_database_url_from_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@db.example/queue")
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/queue"


def test_a_plain_postgresql_url_means_psycopg_3(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example/queue")
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/queue"


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL"])
def test_production_refuses_to_start_without_its_settings(monkeypatch, missing):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@db/queue")
    monkeypatch.delenv(missing)
    with pytest.raises(ConfigError, match=missing):
        create_app({"SCHEDULER_ENABLED": False})


def test_a_bad_number_in_the_environment_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("BOOKING_HORIZON_DAYS", "thirty")
    with pytest.raises(ConfigError, match="BOOKING_HORIZON_DAYS"):
        create_app({"TESTING": True})


def test_sqlite_runs_in_wal_with_foreign_keys_and_a_busy_timeout(app):
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_the_clock_must_be_callable():
    with pytest.raises(ConfigError):
        create_app({"TESTING": True, "CLOCK": "now"})


def test_unknown_api_paths_answer_problem_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    response = client.put("/api/v1/locations")
    assert response.status_code == 405 and response.get_json()["code"] == "method_not_allowed"


def test_database_errors_never_carry_personal_values(app):
    from sqlalchemy.exc import IntegrityError

    from queue_app.models import Location

    with app.app_context():
        db.session.add(Location(slug="honcho", name_ja="山田 花子", name_en="x"))
        with pytest.raises(IntegrityError) as caught:
            db.session.flush()
        db.session.rollback()
    assert "山田" not in str(caught.value)
