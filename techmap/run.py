"""``make run``: the whole site (web, Celery worker, Celery beat) in one command.

Starts the embedded PostgreSQL and Redis when ``DATABASE_URL`` / ``REDIS_URL``
are unset, migrates, seeds demo data into an empty database, starts the three
processes, waits until the site answers, and only then prints the banner (the
address, the outbox page and the demo sign-ins), so it stays the last thing on
screen: Celery starts without its banners and logs warnings only in development,
and no email is printed (they are read at /dev/emails/). Then it supervises the
three processes. Ctrl-C (SIGINT) or SIGTERM stops
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
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
STOP_TIMEOUT = 6  # seconds each child gets after SIGTERM before SIGKILL
READY_TIMEOUT = 60  # seconds the web server gets to answer /healthz before the banner


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


def _wait_until_answering(port: str, children: list[subprocess.Popen]) -> bool:
    """Poll /healthz until the web server answers (False if a child died or time ran out)."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if any(child.poll() is not None for child in children):
            return False
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return True
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    return False


def celery_commands(*, production: bool) -> dict[str, list[str]]:
    """The worker and beat command lines: quiet in development, so the banner stays readable."""
    level = os.environ.get("CELERY_LOG_LEVEL") or ("INFO" if production else "WARNING")
    quiet = [] if production else ["--quiet"]  # no ASCII-art start-up banners
    celery = [PYTHON, "-m", "celery", "-A", "techmap", *quiet]
    return {
        "worker": [
            *celery,
            "worker",
            "--loglevel",
            level,
            "--concurrency",
            os.environ.get("CELERY_CONCURRENCY", "2"),
        ],
        "beat": [*celery, "beat", "--loglevel", level, "--pidfile", ""],
    }


def web_command(*, production: bool, port: str) -> list[str]:
    """gunicorn, in development too: WEB_CONCURRENCY workers, one request at a time each, so
    the site holds at most that many database connections however many requests arrive
    (runserver's thread a request ran PostgreSQL out of connections under 200 searches).
    Bind and logs: techmap/gunicorn_conf.py; development listens on loopback only."""
    command = [PYTHON, "-m", "gunicorn", "techmap.wsgi", "-c", "python:techmap.gunicorn_conf"]
    return command if production else [*command, "--bind", f"127.0.0.1:{port}"]


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> int:
    os.chdir(BASE_DIR)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "techmap.settings")
    port = os.environ.get("PORT") or "8000"
    os.environ["PORT"] = port  # settings: SITE_URL follows it unless SITE_URL is set

    from techmap import embedded

    production = embedded.configured("DJANGO_ENV") == "production"

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
        commands = {
            "web": web_command(production=production, port=port),
            **celery_commands(production=production),
        }
        for name, command in commands.items():
            _say(f"starting {name}")
            children.append(subprocess.Popen(command, cwd=BASE_DIR, start_new_session=True))
        if _wait_until_answering(port, children):
            time.sleep(1)  # let the worker and beat finish connecting before the banner
        site = f"http://127.0.0.1:{port}"
        if not production:
            _manage("demo_signins")
            print(f"Emails the site sent (nothing is delivered): {site}/dev/emails/", flush=True)
        _say(f"Techmap is running at {site}/ — press Ctrl-C to stop.")
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
