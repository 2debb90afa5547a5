"""Production mode refuses to start without its secrets, in one line, and passes --deploy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # Only what a fresh shell would have, so the test's own variables do not leak in.
    clean = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**clean, "DJANGO_ENV": "production", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION_ENV = {
    "SECRET_KEY": "k3P9-not-a-real-secret-but-long-and-varied-enough-for-the-deploy-check-x7Qz",
    "ALLOWED_HOSTS": "techmap.example.gov.uk",
    # The servers this test run uses (the deploy check generates the API schema,
    # which may read the database).
    "DATABASE_URL": os.environ["DATABASE_URL"],
    "REDIS_URL": os.environ["REDIS_URL"],
}


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"])
def test_production_refuses_to_start_without_a_required_variable(missing):
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != missing}
    result = manage("check", **env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert missing in lines[0]


def test_production_without_any_variable_names_secret_key():
    result = manage("check")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.strip().splitlines() == [
        "techmap: SECRET_KEY must be set when DJANGO_ENV=production."
    ]


@pytest.mark.django_db
def test_production_settings_pass_the_deploy_check():
    # A deployed site runs the check against its migrated database: here, the test
    # database (the API schema lists reference codes read from it).
    from urllib.parse import urlsplit, urlunsplit

    from django.db import connection

    test_database = connection.settings_dict["NAME"]
    url = urlunsplit(urlsplit(PRODUCTION_ENV["DATABASE_URL"])._replace(path=f"/{test_database}"))
    env = {**PRODUCTION_ENV, "DATABASE_URL": url}
    result = manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_security_settings_pass_the_deploy_check():
    # The same check limited to Django's security and model checks, so a failure here
    # is about the settings themselves rather than, say, the API schema.
    result = manage(
        "check",
        "--deploy",
        "--tag",
        "security",
        "--tag",
        "models",
        "--fail-level",
        "WARNING",
        **PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stdout + result.stderr
