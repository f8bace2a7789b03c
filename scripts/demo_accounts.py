"""Demo-only accounts: a staff user with a known password and one kiosk and display
per place, their tokens written to instance/demo-devices.txt. Never for production."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from queue_app import create_app
from queue_app.extensions import db
from queue_app.models import Device, Location, User
from queue_app.services import accounts

app = create_app({"SCHEDULER_ENABLED": False})
with app.app_context():
    now = app.config["CLOCK"]()
    if db.session.scalar(select(User).where(User.username == "demo")) is None:
        accounts.create_user(db.session, "demo", "demo-password", "admin", now)
        print("created demo user: demo / demo-password")
    lines = []
    for location in db.session.scalars(select(Location)):
        for kind in accounts.DEVICE_KINDS:
            name = f"demo-{kind}-{location.slug}"
            if db.session.scalar(select(Device).where(Device.name == name)) is None:
                _, token = accounts.create_device(db.session, name, kind, location.slug, now)
                lines.append(f"{name} {token}")
    db.session.commit()
    if lines:
        path = Path(app.instance_path) / "demo-devices.txt"
        with path.open("a") as out:
            out.write("\n".join(lines) + "\n")
        print(f"demo device tokens written to {path}")
