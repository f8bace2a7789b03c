"""The commands of the README: seed-demo, create-user, create-device."""
from __future__ import annotations

from sqlalchemy import func, select

from queue_app.extensions import db
from queue_app.models import Counter, Device, Location, Service, User
from queue_app.services.credentials import hash_token


def _counts(app):
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m))
                     for m in (Location, Counter, Service))


def test_seed_demo_builds_the_demo_city_and_twice_changes_nothing(make_app):
    app = make_app(seed=False)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "location honcho" in first.output
    assert _counts(app) == (2, 4, 8)
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and "nothing to do" in second.output
    assert _counts(app) == (2, 4, 8)


def test_create_user_reads_the_password_twice_from_a_pipe(app, runner):
    result = runner.invoke(args=["create-user", "tanaka", "--role", "admin"],
                           input="correct horse battery\ncorrect horse battery\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "tanaka"))
        assert user.role == "admin" and "correct horse" not in user.password_hash


def test_create_user_refuses_differing_or_short_passwords(app, runner):
    differ = runner.invoke(args=["create-user", "sato"], input="first password1\nsecond password\n")
    short = runner.invoke(args=["create-user", "sato"], input="short\nshort\n")
    assert differ.exit_code != 0 and "differ" in differ.output
    assert short.exit_code != 0 and "10 characters" in short.output
    with app.app_context():
        assert db.session.scalar(select(User.id)) is None


def test_create_device_prints_the_token_once_and_stores_its_hash(app, runner):
    result = runner.invoke(args=["create-device", "lobby-kiosk-1", "--kind", "kiosk", "--location", "honcho"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert len(token) >= 22 and " " not in token
    with app.app_context():
        device = db.session.scalar(select(Device))
        assert device.token_hash == hash_token(token) and device.location.slug == "honcho"
    wrong = runner.invoke(args=["create-device", "x", "--kind", "kiosk", "--location", "nowhere"])
    assert wrong.exit_code != 0 and "unknown location" in wrong.output


def test_demo_accounts_are_created_once_and_refused_in_production(app, runner, monkeypatch, tmp_path):
    # A fresh clone has no instance folder: the command makes it (here a scratch one).
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    first = runner.invoke(args=["demo-accounts"])
    assert first.exit_code == 0, first.output
    assert "demo / demo-password" in first.output
    tokens = (tmp_path / "instance" / "demo-devices.txt").read_text().splitlines()
    assert len(tokens) == 4 and (tmp_path / "instance" / "demo-devices.txt").stat().st_mode & 0o077 == 0
    again = runner.invoke(args=["demo-accounts"])
    assert again.exit_code == 0 and "created" not in again.output
    with app.app_context():
        assert len(db.session.scalars(select(Device)).all()) == 4
    app.config["APP_ENV"] = "production"
    refused = runner.invoke(args=["demo-accounts"])
    assert refused.exit_code != 0 and "not in production" in refused.output
