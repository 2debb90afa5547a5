"""``make run``: the whole site (web, Celery worker, Celery beat) in one command.

Starts the embedded PostgreSQL and Redis when ``DATABASE_URL`` / ``REDIS_URL``
are unset, migrates, seeds demo data into an empty database, prints the demo
sign-ins, then supervises the three processes. Ctrl-C (SIGINT) or SIGTERM stops
them all, and the embedded servers, within 10 seconds; if one process dies the
rest are stopped too, so nothing is left half-running.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
STOP_TIMEOUT = 6  # seconds each child gets after SIGTERM before SIGKILL


def _say(message: str) -> None:
    print(f"[techmap] {message}", flush=True)


def _manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, check=True)


def _stop(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is None:
            # Each child leads its own process group: signal the whole group so
            # gunicorn's and Celery's own workers go too.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> int:
    os.chdir(BASE_DIR)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "techmap.settings")
    port = os.environ.get("PORT", "8000")
    production = os.environ.get("DJANGO_ENV") == "production"

    from techmap import embedded

    # Ctrl-C and SIGTERM both stop everything. Installed explicitly: a shell
    # that starts us in the background would otherwise leave SIGINT ignored.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupt)
    embedded_used = embedded.wanted()
    children: list[subprocess.Popen] = []
    try:
        embedded.ensure_services()
        _manage("migrate", "--no-input", "-v", "0")
        if not production:
            _manage("seed_demo", "--if-empty")
        web = (
            [
                PYTHON,
                "-m",
                "gunicorn",
                "techmap.wsgi",
                "--bind",
                f"0.0.0.0:{port}",
                "--workers",
                os.environ.get("WEB_CONCURRENCY", "3"),
                "--access-logfile",
                "-",
            ]
            if production
            else [PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
        )
        commands = {
            "web": web,
            "worker": [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "techmap",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                os.environ.get("CELERY_CONCURRENCY", "2"),
            ],
            "beat": [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "techmap",
                "beat",
                "--loglevel",
                "INFO",
                "--pidfile",
                "",
            ],
        }
        for name, command in commands.items():
            _say(f"starting {name}")
            children.append(subprocess.Popen(command, cwd=BASE_DIR, start_new_session=True))
        if not production:
            _manage("demo_signins")
        _say(f"Techmap is running at http://127.0.0.1:{port}/ — press Ctrl-C to stop.")
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        failed = next(
            name
            for (name, _), child in zip(commands.items(), children, strict=True)
            if child.poll() is not None
        )
        _say(f"{failed} stopped unexpectedly; stopping the rest")
        return 1
    except KeyboardInterrupt:
        _say("stopping")
        return 0
    except subprocess.CalledProcessError as error:
        _say(f"start-up failed: {' '.join(error.cmd[1:])} exited with {error.returncode}")
        return 1
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        _stop(children)
        if embedded_used:
            embedded.stop_services()
        _say("stopped")


if __name__ == "__main__":
    sys.exit(main())
