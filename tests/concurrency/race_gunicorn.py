"""gunicorn settings for race_support.RaceServer: the repository's own (gunicorn.conf.py),
and each worker, once it is about to serve, says so with a file in ``RACE_READY_DIR``,
so a race starts only when every process can take part."""
import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
_repository: dict = {}
exec(compile((_ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), _repository)


def post_worker_init(worker):
    if "post_worker_init" in _repository:
        _repository["post_worker_init"](worker)
    (Path(os.environ["RACE_READY_DIR"]) / str(os.getpid())).touch()
