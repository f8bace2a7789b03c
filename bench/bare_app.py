"""The yardstick for bench/booking_rush.py: a bare Flask JSON endpoint, nothing else."""
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/bare")
def bare():
    body = request.get_json(silent=True) or {}
    return jsonify({"ok": True, "name": body.get("name")}), 201
