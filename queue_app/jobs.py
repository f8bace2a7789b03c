"""Scheduled jobs (APScheduler 3.x), each a call into the domain services."""
from __future__ import annotations


def start_scheduler(app):
    return None
