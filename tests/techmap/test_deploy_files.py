"""The Docker image, the compose file and the proxy agree with the settings they run.

No Docker engine runs in the test suite, so these read the files against settings: the
mistakes they catch (a package not copied, a variable settings never read, a health check
that cannot pass, TLS nothing serves) are the ones that stop `docker compose up`.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

BASE_DIR = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
DOCKERFILE = (BASE_DIR / "Dockerfile").read_text()
SETTINGS = (BASE_DIR / "techmap" / "settings.py").read_text()
APP_SERVICES = ("migrate", "web", "worker", "beat")


def _settings_variables() -> set[str]:
    names = set(re.findall(r'\benv(?:_bool|_list)?\(\s*"([A-Z0-9_]+)"', SETTINGS))
    names |= set(re.findall(r'\brequired\(\s*"([A-Z0-9_]+)"', SETTINGS))
    return names


def test_the_image_copies_every_python_package():
    project = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())
    packages = [p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]]
    for package in packages:
        assert f"COPY {package} ./{package}" in DOCKERFILE, package


def test_the_health_check_calls_healthz_on_the_container_address():
    # Served before host validation (tests/techmap/test_operations.py proves it answers).
    assert "http://127.0.0.1:8000/healthz" in DOCKERFILE
    web = COMPOSE["services"]["web"]["healthcheck"]["test"]
    assert any("http://127.0.0.1:8000/healthz" in part for part in web)


def test_every_variable_the_app_services_get_is_one_settings_read():
    environment = COMPOSE["x-app"]["environment"]
    known = _settings_variables() | {f"{name}_FILE" for name in _settings_variables()}
    known |= {"WEB_CONCURRENCY"}  # read by techmap/gunicorn_conf.py
    assert set(environment) <= known, set(environment) - known
    for name in APP_SERVICES:
        assert COMPOSE["services"][name]["environment"]["DJANGO_ENV"] == "production"


def test_tls_ends_at_a_proxy_that_django_trusts():
    services = COMPOSE["services"]
    proxy = services["proxy"]
    assert proxy["image"].startswith("caddy:")
    assert {"80:80", "443:443"} <= set(proxy["ports"])
    assert proxy["depends_on"]["web"]["condition"] == "service_healthy"
    # Only the proxy is published: web trusts X-Forwarded-Proto, so nothing else may reach it.
    assert [name for name, service in services.items() if service.get("ports")] == ["proxy"]
    assert services["web"]["environment"]["SECURE_PROXY_SSL_HEADER"] == "X-Forwarded-Proto"
    caddyfile = (BASE_DIR / "Caddyfile").read_text()
    assert "reverse_proxy web:8000" in caddyfile
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]


def test_a_fresh_machine_needs_no_env_file():
    # Every ${VAR} in the compose file has a default (${VAR:-…}): no .env, still a site.
    text = (BASE_DIR / "docker-compose.yml").read_text()
    required = re.findall(r"\$\{([A-Z0-9_]+)(?::?\?[^}]*)?\}", text)
    assert not required, required
    environment = COMPOSE["x-app"]["environment"]
    assert environment["ALLOWED_HOSTS"] == "${ALLOWED_HOSTS:-localhost}"
    assert environment["SITE_URL"] == "${SITE_URL:-https://localhost}"
    assert (
        COMPOSE["services"]["proxy"]["environment"]["SITE_ADDRESS"] == "${SITE_ADDRESS:-localhost}"
    )
    # The secret key comes from a file the secret-key service writes before anything starts.
    assert environment["SECRET_KEY_FILE"] == "/run/techmap-secrets/secret_key"
    assert (
        COMPOSE["x-app"]["depends_on"]["secret-key"]["condition"]
        == "service_completed_successfully"
    )


def test_the_build_context_leaves_out_local_state():
    ignored = {
        line.strip()
        for line in (BASE_DIR / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for name in (".venv", ".data", "node_modules", "staticfiles", ".git", "**/__pycache__", ".env"):
        assert name in ignored, name
    # …but keeps what the Dockerfile copies.
    for copied in re.findall(r"^COPY (?!--from)(\S+)", DOCKERFILE, re.MULTILINE):
        assert copied not in ignored, copied


def test_the_readme_lists_every_variable_settings_read():
    readme = (BASE_DIR / "README.md").read_text()
    table = readme[readme.index("## Configuration") : readme.index("## Running in production")]
    internal = {"TECHMAP_TEST_BROKER_URL"}  # set by the pytest plugin, never by people
    names = set(re.findall(r'\benv(?:_bool|_list)?\(\s*"([A-Z0-9_]+)"', SETTINGS))
    names |= set(re.findall(r'\brequired\(\s*"([A-Z0-9_]+)"', SETTINGS))
    assert "API_THROTTLE_ANON" in names and "EMAIL_BACKEND" in names  # the regex sees them
    missing = sorted(name for name in names - internal if f"`{name}`" not in table)
    assert not missing, missing
    assert "`WEB_CONCURRENCY`" in table and "gunicorn worker processes" in table
