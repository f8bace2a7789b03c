"""The WSGI entry point: ``app`` and ``socketio`` for servers and ``flask --app wsgi``."""
from queue_app import create_app
from queue_app.extensions import socketio

app = create_app()

__all__ = ["app", "socketio"]
