"""The request's unit of work, and what happens when the database goes away under it.

**One unit of work per request.** Routes and services never commit: ``QueueApp`` commits
once after the view returned (so the events of the change go out, after commit), and
rolls back when the view raised, except for a domain error that ``keeps_record`` (a
walk-in turned away by the reception cut-off is counted for the reports). A view that answers an error *without* raising (a form
shown again with its messages, a sign-in failure that must still count) returns
normally, and what it kept in the session is committed.

**When the database goes away.**
A connection the server killed (a restart, a failover, an administrator's
``pg_terminate_backend``) is found at checkout by ``pool_pre_ping`` (config.py). One
that dies *during* a request fails that request: a read (GET, HEAD) is then run again
once on a fresh connection, since running it twice changes nothing; a write is answered
``503 unavailable`` with ``Retry-After``, and its transaction was rolled back by the
database, so nothing half-done stays. The README lists 503 among the answers a client
must expect.
"""
from __future__ import annotations

import logging

from flask import Flask, request
from sqlalchemy.exc import DBAPIError

from .extensions import db
from .services.errors import DomainError

log = logging.getLogger(__name__)
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})
RETRY_AFTER_SECONDS = 5


def is_database_outage(error: BaseException) -> bool:
    """A lost or refused connection, as opposed to a statement the database rejected."""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    from sqlalchemy.exc import InterfaceError, OperationalError

    return isinstance(error, (OperationalError, InterfaceError))


def discard_session() -> None:
    """Forget the session and its connection, even when the rollback itself fails
    (the connection is then invalidated: dropped, never handed back to the pool)."""
    try:
        db.session.rollback()
    except Exception as error:  # noqa: BLE001 — the connection is gone: nothing to undo
        log.warning("rollback on a lost connection failed: %s", type(error).__name__)
        try:
            db.session().invalidate()
        except Exception:  # noqa: BLE001
            log.warning("could not invalidate the lost connection", exc_info=True)
    db.session.remove()


def _end_session(_error=None) -> None:
    """At the end of every request and app context, before Flask-SQLAlchemy's own
    teardown (Flask runs them in reverse order): a connection that died after the
    response was ready must not turn that response into a 500."""
    try:
        db.session.close()
    except DBAPIError as error:
        log.warning("closing a lost connection failed: %s", type(error).__name__)
        discard_session()


def init_resilience(app: Flask) -> None:
    """Call after ``db.init_app``."""
    app.teardown_appcontext(_end_session)


class QueueApp(Flask):
    """Flask, owning each request's transaction: commit after the view, roll back when
    it raised; and one retry of a read whose database connection was lost."""

    def dispatch_request(self):
        try:
            response = self._dispatch_retrying_reads()
        except DomainError as error:
            if error.keeps_record:
                db.session.commit()
            else:
                _roll_back()
            raise
        except BaseException:
            _roll_back()
            raise
        if db.session().in_transaction():
            try:
                db.session.commit()  # a failure here reaches the error handlers like any other
            except DBAPIError as error:
                if request.method not in _IDEMPOTENT or not is_database_outage(error):
                    raise
                # A read whose connection died after its answer was ready: the answer
                # stands (a read commits nothing).
                discard_session()
        return response

    def _dispatch_retrying_reads(self):
        if request.method not in _IDEMPOTENT:
            return super().dispatch_request()
        try:
            return super().dispatch_request()
        except DBAPIError as error:
            if not is_database_outage(error):
                raise
            log.warning("database connection lost during a read; trying once more")
            discard_session()
            return super().dispatch_request()


def _roll_back() -> None:
    if db.session().in_transaction():
        try:
            db.session.rollback()
        except DBAPIError:
            discard_session()
