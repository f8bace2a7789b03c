"""The Alembic revisions build the whole schema, and agree with the models."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from queue_app import create_app
from queue_app.extensions import db

from conftest import _drop_postgres, _postgres_database

ROOT = Path(__file__).resolve().parents[1]


def _empty_app(backend, tmp_path, clock):
    url = _postgres_database() if backend == "postgresql" else f"sqlite:///{tmp_path / 'empty.db'}"
    return url, create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "CLOCK": clock})


def test_upgrade_builds_everything_and_autogenerate_finds_nothing_left(backend, tmp_path, clock):
    url, app = _empty_app(backend, tmp_path, clock)
    try:
        with app.app_context():
            upgrade()
            tables = set(inspect(db.engine).get_table_names())
            assert set(db.metadata.tables) <= tables
            with db.engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                                 "compare_server_default": False})
                assert compare_metadata(context, db.metadata) == []
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            db.engine.dispose()
    finally:
        if backend == "postgresql":
            _drop_postgres(url)


def test_the_db_upgrade_command_on_an_empty_database(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "SCHEDULER_ENABLED": "false",
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for command in (["db", "upgrade"], ["seed-demo"], ["db", "check"]):
        result = subprocess.run(flask + command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
    assert "No new upgrade operations detected" in result.stdout + result.stderr
