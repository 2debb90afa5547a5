"""Hostile input at the API's edge (core.api): deep JSON, NUL bytes in lookup paths, Django's
own 400s, forged client addresses and a Redis outage all get the API's answer, never a 500."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from core.api.parsers import MAX_JSON_DEPTH, json_depth_exceeds
from tests.api.conftest import assert_error
from tests.helpers import fresh_throttle_keys, unique_ip

pytestmark = pytest.mark.django_db

DEEP = "[" * 1000 + "]" * 1000  # 2 KB that used to be a RecursionError and a 500


def _api_routes() -> list[tuple[str, set[str]]]:
    """Every /api/v1/ route as a URL regex, with the HTTP methods its view answers."""
    routes = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            regex = prefix + pattern.pattern.regex.pattern.lstrip("^")
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, regex)
            elif isinstance(pattern, URLPattern):
                actions = getattr(pattern.callback, "actions", None)
                view_class = getattr(pattern.callback, "cls", None)
                if actions is not None:
                    methods = set(actions)
                elif view_class is not None:
                    methods = {
                        m
                        for m in ("get", "post", "put", "patch", "delete")
                        if hasattr(view_class, m)
                    }
                else:
                    methods = {"get"}
                routes.append((regex, methods))

    walk(get_resolver().url_patterns, "")
    return [(regex, methods) for regex, methods in routes if regex.startswith("api/v1/")]


def _fill(regex: str, value: str) -> str:
    """A path for a route regex with every named group replaced by ``value``."""
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", value, regex)
    path = path.replace("\\.", ".").replace("\\Z", "").replace("$", "").replace("\\", "")
    path = re.sub(r"\(\?P<format>.*", "", path)
    return "/" + path


def test_the_depth_check_walks_without_recursion():
    assert not json_depth_exceeds({"a": [1, {"b": 2}]}, 3)
    assert json_depth_exceeds({"a": [1, {"b": [2]}]}, 3)
    nested: list = []
    for _ in range(10_000):  # far deeper than Python could recurse
        nested = [nested]
    assert json_depth_exceeds(nested, MAX_JSON_DEPTH)


def test_deep_json_is_a_400_on_every_api_write(owner, client_for):
    client = client_for(owner, "write")
    writes = [
        (_fill(regex, "x"), method)
        for regex, methods in _api_routes()
        for method in methods & {"post", "put", "patch"}
    ]
    assert len(writes) >= 4, writes  # the registry, reports, tokens… are all here
    parsed = []
    for path, method in writes:
        response = getattr(client, method)(path, DEEP, content_type="application/json")
        # Refused as a parse error, or earlier (404 for a lookup of "x", 403 for a rule):
        # never read, never a 500.
        assert response.status_code in (400, 403, 404, 405), (path, method, response.content)
        if response.status_code == 400:
            assert_error(response, 400, "parse_error")
            parsed.append(path)
    assert parsed, "no write reached the parser: the test would pass without the depth check"


def test_a_body_just_within_the_depth_limit_is_parsed():
    import io

    from core.api.parsers import JSONParser

    body = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert JSONParser().parse(io.BytesIO(body.encode())) is not None


def test_a_nul_byte_in_any_lookup_path_is_a_404(api):
    lookups = [_fill(regex, "ocds-%00") for regex, _ in _api_routes() if "(?P<" in regex]
    lookups = [path for path in lookups if "(?P" not in path]
    assert "/api/v1/contracts/ocds-%00/" in lookups
    for path in lookups:
        assert_error(api.get(path), 404, "not_found")


def test_django_own_400s_under_the_api_answer_in_its_shape(client, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    assert_error(client.get("/api/v1/regions/", HTTP_HOST="evil.example"), 400)


def test_a_body_over_the_size_limit_is_a_400_before_it_is_read(
    supplier, owner, client_for, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = client_for(owner, "write")
    body = '{"summary": "%s"}' % ("x" * 2000)
    response = client.patch(
        f"/api/v1/my/suppliers/{supplier.slug}/", body, content_type="application/json"
    )
    assert_error(response, 400)  # Django's check or the parser's, whichever reads it first
    supplier.refresh_from_db()
    assert "x" * 2000 not in supplier.summary
    token_post = client.post("/api/v1/reports/", body, content_type="application/json")
    assert_error(token_post, 400)


def test_outside_the_api_a_bad_host_is_still_a_page(client, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


@pytest.fixture
def two_a_minute(settings, monkeypatch):
    fresh_throttle_keys(monkeypatch)
    framework = dict(settings.REST_FRAMEWORK)
    framework["DEFAULT_THROTTLE_RATES"] = {"anon": "2/minute", "user": None, "token": None}
    settings.REST_FRAMEWORK = framework
    return framework


def test_a_forged_forwarded_for_header_does_not_escape_the_throttle(api, two_a_minute):
    ip = unique_ip()
    for n in range(2):
        response = api.get("/api/v1/regions/", REMOTE_ADDR=ip, HTTP_X_FORWARDED_FOR=f"1.2.3.{n}")
        assert response.status_code == 200
    forged = api.get("/api/v1/regions/", REMOTE_ADDR=ip, HTTP_X_FORWARDED_FOR="9.9.9.9")
    assert_error(forged, 429, "throttled")


def test_behind_one_trusted_proxy_the_client_is_the_address_it_saw(api, settings, two_a_minute):
    settings.REST_FRAMEWORK = two_a_minute | {"NUM_PROXIES": 1}
    proxy = unique_ip()
    for _ in range(2):
        ok = api.get("/api/v1/regions/", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")
        assert ok.status_code == 200
    assert_error(
        api.get("/api/v1/regions/", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7"), 429
    )
    other = api.get("/api/v1/regions/", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert other.status_code == 200


def test_the_throttle_fails_open_and_says_so_when_redis_is_down(two_a_minute, caplog):
    import redis
    from django.core.cache import caches

    from core.api import throttling

    backend = caches["default"]._cache
    real = getattr(backend, "_techmap_write_client", None)
    # A real client to a port where nothing listens: the real connection error.
    backend._techmap_write_client = redis.Redis(
        host="127.0.0.1", port=1, socket_connect_timeout=0.5
    )
    try:
        api = APIClient()
        ip = unique_ip()
        for _ in range(4):  # past the limit of 2, and still answered
            assert api.get("/api/v1/regions/", REMOTE_ADDR=ip).status_code == 200
    finally:
        backend._techmap_write_client = real
    assert any(
        record.name == throttling.__name__ and "Redis unavailable" in record.getMessage()
        for record in caplog.records
    )
