"""The city hall queue application: ``create_app`` builds it, and nothing else lives here."""
from __future__ import annotations

from flask import Flask

from .config import load_config
from .resilience import QueueApp, init_resilience


def create_app(config: dict | None = None) -> Flask:
    """Build the app. Keys in ``config`` override the environment and the defaults."""
    app = QueueApp(__name__, instance_relative_config=True)
    app.config.update(load_config(app.instance_path, config))
    app.json.ensure_ascii = False  # Japanese stays readable in JSON answers

    from . import cli, events, models, screening, security  # noqa: F401  (models registers the tables)
    from .api import init_api
    from .extensions import api, babel, csrf, db, limiter, login_manager, migrate
    from .realtime import init_realtime
    from .services import rules_cache

    screening.install_converters(app)  # before any route is registered
    security.init_proxy(app)
    db.init_app(app)
    init_resilience(app)
    rules_cache.init_app(app)
    migrate.init_app(app, db, directory=_migrations_dir())
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=security.select_locale)
    api.init_app(app)
    init_api(app, api, csrf)
    security.init_security(app)
    screening.init_screening(app)
    init_realtime(app)
    from .ops import init_ops  # /healthz, /readyz, /metrics
    init_ops(app)
    _register_pages(app)
    from .admin import init_admin  # the back office: /admin/reports
    init_admin(app)
    cli.init_cli(app)
    if app.config["SCHEDULER_ENABLED"]:
        from .jobs import start_scheduler
        start_scheduler(app)
    return app


def _register_pages(app: Flask) -> None:
    from .web import init_web

    init_web(app)


def _migrations_dir() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parent.parent / "migrations")
