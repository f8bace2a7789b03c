"""Settings gunicorn reads by itself when started from the repository root.

Only what every deployment wants; the worker class, the number of workers and the
address stay on the command line (docs/realtime.md).
"""
import gc


def post_worker_init(worker):
    """Freeze what the app loaded at start-up out of the garbage collector's sight.

    The app's modules leave ~140,000 long-lived objects that every full collection
    would walk again; with 1,000 displays connected such a pause (~100 ms) landed in
    the middle of a call's fan-out now and then (bench/display_fanout.py: p99 at 1,000
    displays 160-250 ms without this, 53-67 ms with it).
    """
    gc.collect()
    gc.freeze()
