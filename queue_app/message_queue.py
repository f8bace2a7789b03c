"""The Redis message queue that carries display events between server processes, and
keeps what Redis could not take while it was away (see ``RetryingRedisManager``)."""
from __future__ import annotations

import collections
import logging
import threading
import time

import socketio as python_socketio
from flask import Flask

log = logging.getLogger(__name__)


class RetryingRedisManager(python_socketio.RedisManager):
    """The Redis message queue, without losing what is published while Redis is away.

    python-socketio hands an event to this process's own screens at once, then publishes
    it for the other processes: it tries twice and then drops it with a log line, so a
    call made during a Redis restart would reach no screen of another process until the
    next change. Here a failed publish is kept, in order, with every later one behind
    it, and a background task publishes them as soon as Redis takes them again. The
    other processes' listeners come back on their own back-off, so after an outage the
    task waits (up to ``RESUBSCRIBE_WAIT``) until Redis counts at least one subscriber;
    a process whose listener takes longer catches up with its screens' resync timer.
    At most ``MAX_PENDING`` events are kept: beyond that the oldest go, and the screens
    see a gap in ``seq`` and ask for a snapshot.
    """

    RETRY_SECONDS = 0.5
    RESUBSCRIBE_WAIT = 15.0
    MAX_PENDING = 1000

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pending: collections.deque = collections.deque(maxlen=self.MAX_PENDING)
        self._pending_lock = threading.Lock()
        self._retrying = False

    def _publish(self, data):
        with self._pending_lock:
            if self._pending:  # keep the order: behind what is still waiting
                self._pending.append(data)
                return None
        if self._publish_once(data) is not None:
            return None
        with self._pending_lock:
            self._pending.append(data)
            start = not self._retrying
            self._retrying = True
        if start:
            self.server.start_background_task(self._publish_pending)
        return None

    def _publish_once(self, data) -> int | None:
        """One try: how many subscribers Redis handed it to, or None when it failed."""
        try:
            if not self.connected:
                self._redis_connect()
            return self.redis.publish(self.channel, self.json.dumps(data))
        except Exception as error:  # noqa: BLE001 — any broker failure means "later"
            self.connected = False
            log.warning("message queue unavailable, event kept for later: %s", type(error).__name__)
            return None

    def _publish_pending(self) -> None:
        back_since = None  # when Redis first answered again
        while True:
            self.server.sleep(self.RETRY_SECONDS)
            with self._pending_lock:
                if not self._pending:
                    self._retrying = False
                    return
            subscribers = self.redis_subscribers()
            if subscribers is None:
                back_since = None
                continue
            back_since = back_since or time.monotonic()
            own = 1 if getattr(self, "thread", None) is not None else 0  # our own listener
            if subscribers <= own and time.monotonic() - back_since < self.RESUBSCRIBE_WAIT:
                continue  # the other processes' listeners are not back yet
            self._flush_pending()

    def _flush_pending(self) -> None:
        """Publish everything kept, in order; stop at the first failure."""
        while True:
            with self._pending_lock:
                if not self._pending:
                    return
                data = self._pending[0]
            if self._publish_once(data) is None:
                return
            with self._pending_lock:
                if self._pending and self._pending[0] is data:
                    self._pending.popleft()

    def redis_subscribers(self) -> int | None:
        """How many listeners Redis has on our channel now (None: Redis is still away)."""
        try:
            if not self.connected:
                self._redis_connect()
            return dict(self.redis.pubsub_numsub(self.channel)).get(
                self.channel.encode() if isinstance(self.channel, str) else self.channel, 0)
        except Exception:  # noqa: BLE001
            self.connected = False
            return None


def client_manager(app: Flask):
    """The Redis message queue when several processes share the events, else None (one
    process). Passed explicitly, so no app inherits another app's queue."""
    url = app.config["SOCKETIO_MESSAGE_QUEUE"]
    if not url:
        return None
    if not url.startswith(("redis://", "rediss://")):
        raise ValueError("SOCKETIO_MESSAGE_QUEUE must be a redis:// or rediss:// URL")
    return RetryingRedisManager(url, channel=app.config.get("SOCKETIO_CHANNEL", "flask-socketio"),
                                write_only=False)
