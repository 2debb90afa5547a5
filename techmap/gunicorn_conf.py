"""gunicorn settings for the web service (``gunicorn -c python:techmap.gunicorn_conf``).

- ``WEB_CONCURRENCY`` worker processes (default 3), each serving one request at a time.
- No access log: ``techmap.request`` writes one JSON line per request, with its id.
- With ``PROMETHEUS_MULTIPROC_DIR`` set (the Docker image sets it), the directory is
  emptied at start and a dead worker's files are let go, so /metrics sums the live workers.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3") or 3)
accesslog = None


def on_starting(server) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
