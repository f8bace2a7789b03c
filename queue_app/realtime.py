"""Socket.IO: the /display namespace. Events are published only after commit."""
from __future__ import annotations

from flask import Flask

from .extensions import socketio


def init_realtime(app: Flask) -> None:
    socketio.init_app(app, async_mode=app.config["SOCKETIO_ASYNC_MODE"],
                      message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"],
                      logger=False, engineio_logger=False)
