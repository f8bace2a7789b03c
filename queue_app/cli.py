"""Commands: ``flask --app wsgi seed-demo | create-user | create-device``."""
from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .extensions import db
from .services import accounts
from .services.errors import DomainError
from . import clock



def _fail(error: DomainError):
    db.session.rollback()
    raise click.ClickException(error.detail)


@click.command("seed-demo")
@with_appcontext
@click.option("--history", "weeks", type=click.IntRange(0, 104), default=0, show_default=True,
              help="Also fill this many past weeks with plausible tickets (seeded; days that "
                   "already have history are left alone).")
def seed_demo_command(weeks):
    """Create the demo city (both places, counters, procedures, calendar); idempotent."""
    from .demo_data import seed_demo

    created = seed_demo(db.session)
    db.session.commit()
    click.echo("created: " + ", ".join(created) if created else "nothing to do: the demo city is there")
    if weeks:
        from .demo_history import seed_history

        added = seed_history(db.session, weeks, clock.now())
        db.session.commit()
        click.echo(f"history: {added['days']} days added ({added['tickets']} tickets, "
                   f"{added['reservations']} reservations, {added['turned_away']} turned away); "
                   f"{added['skipped_days']} days already had history")


@click.command("create-user")
@with_appcontext
@click.argument("name")
@click.option("--role", type=click.Choice(accounts.ROLES), default="staff", show_default=True)
def create_user_command(name, role):
    """Create a staff user; asks for the password twice (or reads two lines piped in)."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        lines = sys.stdin.read().splitlines()
        if not lines:
            raise click.ClickException("no password on standard input")
        if len(lines) > 1 and lines[1] and lines[0] != lines[1]:
            raise click.ClickException("the two passwords differ")
        password = lines[0]
    try:
        user = accounts.create_user(db.session, name, password, role, clock.now())
    except DomainError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"created {user.role} user {user.username}")


@click.command("create-device")
@with_appcontext
@click.argument("name")
@click.option("--kind", type=click.Choice(accounts.DEVICE_KINDS), required=True)
@click.option("--location", "location_slug", required=True, help="the place's slug, e.g. honcho")
def create_device_command(name, kind, location_slug):
    """Register a kiosk or display; prints its token once, alone on the last line."""
    try:
        device, token = accounts.create_device(db.session, name, kind, location_slug, clock.now())
    except DomainError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"created {device.kind} {device.name} at {location_slug}; its token (shown once):")
    click.echo(token)


@click.command("demo-accounts")
@with_appcontext
def demo_accounts_command():
    """Demo only: user demo/demo-password and a kiosk and display per place, their tokens
    appended to instance/demo-devices.txt. Refused when APP_ENV=production."""
    from pathlib import Path

    from sqlalchemy import select

    from .models import Device, Location, User

    if current_app.config["APP_ENV"] == "production":
        raise click.ClickException("demo accounts have a known password: not in production")
    now = clock.now()
    if db.session.scalar(select(User).where(User.username == "demo")) is None:
        accounts.create_user(db.session, "demo", "demo-password", "admin", now)
        click.echo("created demo user: demo / demo-password")
    lines = []
    for location in db.session.scalars(select(Location).order_by(Location.id)):
        for kind in accounts.DEVICE_KINDS:
            name = f"demo-{kind}-{location.slug}"
            if db.session.scalar(select(Device).where(Device.name == name)) is None:
                _, token = accounts.create_device(db.session, name, kind, location.slug, now)
                lines.append(f"{name} {token}")
    db.session.commit()
    if lines:
        path = Path(current_app.instance_path) / "demo-devices.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as out:
            out.write("\n".join(lines) + "\n")
        path.chmod(0o600)
        click.echo(f"demo device tokens written to {path}")


@click.command("demo-time")
@click.option("--location", default="honcho", show_default=True)
@with_appcontext
def demo_time_command(location: str):
    """Print when the demo should stand so the counters are open: nothing while they
    are open now, else half an hour into the next day they open (for CLOCK_START)."""
    from datetime import timedelta

    from .services import calendar, places
    from .services.errors import UnknownPlace

    try:
        location = places.get_location(db.session, location)
    except UnknownPlace as error:
        raise click.ClickException(error.detail) from None
    now = clock.now()
    today = calendar.today(now)
    for offset in range(0, 60):
        plan = calendar.get_day(db.session, location, today + timedelta(days=offset))
        for window in plan.windows:
            if window.reservation_only:
                continue  # a walk-in, a call and a check-in all need an ordinary day
            if window.starts <= now < window.ends - timedelta(minutes=30):
                return  # open now, with time to try everything
            if now < window.starts:
                click.echo((window.starts + timedelta(minutes=30)).isoformat())
                return
    raise click.ClickException(f"{location.slug} opens on no day in the next 60")


def init_cli(app: Flask) -> None:
    from .cli_staffing import staffing_advice_command  # SimPy and the simulator: loaded with the CLI only
    from .jobs import scheduler_command

    for command in (seed_demo_command, create_user_command, create_device_command, demo_accounts_command,
                    demo_time_command, staffing_advice_command, scheduler_command):
        app.cli.add_command(command)
