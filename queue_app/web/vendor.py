"""Front-end libraries installed by npm (package.json and its lock file), served from
our own origin: a lobby network may have no internet, and we use no CDN."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_from_directory

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
# Only these files are served; the name in the URL is ours, not npm's layout.
FILES = {
    "socket.io.min.js": "socket.io-client/dist/socket.io.min.js",
    "jsQR.js": "jsqr/dist/jsQR.js",
}

bp = Blueprint("vendor", __name__)


@bp.get("/vendor/<name>")
def vendor_file(name: str):
    """One whitelisted library file from node_modules."""
    path = FILES.get(name)
    if path is None or not (NODE_MODULES / path).is_file():
        abort(404)
    return send_from_directory(NODE_MODULES, path, max_age=3600)
