"""The WSGI entry point: ``app`` and ``socketio`` for servers and ``flask --app wsgi``."""
from queue_app import create_app

app = create_app()
socketio = app.extensions["socketio"]  # the app's own Socket.IO server (realtime.py)

__all__ = ["app", "socketio"]
