"""What an operator relies on: health checks on any host, request ids, JSON logs, /metrics."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from accounts.models import OutboundEmail
from reporting.models import ComparisonRun

pytestmark = pytest.mark.django_db

# What the container sees in production: only the public name is allowed, HTTPS is forced
# and the proxy says which requests came over TLS.
PRODUCTION_LIKE = {
    "ALLOWED_HOSTS": ["techmap.example.gov.uk"],
    "SECURE_SSL_REDIRECT": True,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "SECURE_REDIRECT_EXEMPT": [],  # the middleware must not depend on the exemption
}


@pytest.fixture
def production_like(settings):
    for name, value in PRODUCTION_LIKE.items():
        setattr(settings, name, value)
    return settings


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_checks_answer_docker_on_the_container_address(client, production_like, path):
    # The image's HEALTHCHECK: plain HTTP to 127.0.0.1:8000, a Host not in ALLOWED_HOSTS.
    response = client.get(path, HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 200, response.content
    assert response["X-Request-ID"]


def test_every_other_page_still_refuses_an_unknown_host(client, production_like):
    assert client.get("/", HTTP_HOST="127.0.0.1:8000").status_code == 400
    assert client.get("/healthz/", HTTP_HOST="127.0.0.1:8000").status_code == 400
    # The allowed host over plain HTTP is sent to HTTPS; over HTTPS (per the proxy) it is served.
    plain = client.get("/", HTTP_HOST="techmap.example.gov.uk")
    assert plain.status_code == 301
    assert plain["Location"] == "https://techmap.example.gov.uk/"
    secure = client.get("/", HTTP_HOST="techmap.example.gov.uk", HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 200


def test_the_health_check_answers_only_get(client, production_like):
    assert client.post("/healthz", HTTP_HOST="10.0.0.7").status_code == 405


# --- Request ids and the request log ---------------------------------------------------


def test_each_response_carries_a_new_request_id(client):
    first = client.get("/")["X-Request-ID"]
    second = client.get("/")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


def test_a_plain_request_id_from_the_proxy_is_kept_and_anything_else_replaced(client):
    kept = client.get("/", HTTP_X_REQUEST_ID="caddy-4f2a9c1e")["X-Request-ID"]
    assert kept == "caddy-4f2a9c1e"
    replaced = client.get("/", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"]
    assert replaced != "<script>" and re.fullmatch(r"[0-9a-f]{32}", replaced)


def test_one_log_line_per_request_with_method_path_status_duration_and_id(client, caplog):
    caplog.set_level(logging.INFO, logger="techmap.request")
    response = client.get("/no-such-page/")
    records = [r for r in caplog.records if r.name == "techmap.request"]
    assert len(records) == 1
    record = records[0]
    assert (record.method, record.path, record.status) == ("GET", "/no-such-page/", 404)
    assert record.duration_ms >= 0
    assert record.request_id == response["X-Request-ID"]


def test_the_json_formatter_writes_one_object_a_line_with_the_request_id(client, caplog):
    from techmap.logs import JsonFormatter

    caplog.set_level(logging.INFO, logger="techmap.request")
    response = client.get("/cookies/")
    record = next(r for r in caplog.records if r.name == "techmap.request")
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "INFO" and entry["logger"] == "techmap.request"
    assert entry["method"] == "GET" and entry["path"] == "/cookies/"
    assert entry["status"] == 200 and isinstance(entry["duration_ms"], float)
    assert entry["request_id"] == response["X-Request-ID"]


def test_production_logs_are_json_and_development_logs_plain():
    from tests.techmap.test_settings import PRODUCTION_ENV, manage

    script = (
        "from django.conf import settings; "
        "print(settings.LOGGING['handlers']['console']['formatter'])"
    )
    production = manage("shell", "-c", script, **PRODUCTION_ENV)
    assert production.returncode == 0, production.stderr
    assert production.stdout.strip().splitlines()[-1] == "json"
    development = manage("shell", "-c", script, **PRODUCTION_ENV, DJANGO_ENV="development")
    assert development.stdout.strip().splitlines()[-1] == "plain"


def test_the_500_page_shows_the_request_id_of_the_logged_error(client, settings, caplog):
    settings.ROOT_URLCONF = "tests.techmap.broken_urls"
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    assert f'id="request-id">{request_id}</strong>' in response.content.decode()
    error = next(r for r in caplog.records if r.name == "django.request")
    assert error.levelno == logging.ERROR and error.request_id == request_id


# --- /metrics ------------------------------------------------------------------------

TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture
def scrape(client, settings):
    settings.METRICS_TOKEN = TOKEN

    def get() -> str:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("text/plain")
        return response.content.decode()

    return get


def _value(text: str, name: str, labels: str = "") -> float:
    match = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.MULTILINE)
    assert match, f"{name}{labels} not in the metrics"
    return float(match.group(1))


def test_metrics_are_a_404_without_a_configured_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_metrics_refuse_a_missing_or_wrong_token(client, settings):
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")
    assert wrong.status_code == 401
    assert wrong["WWW-Authenticate"].startswith("Bearer")
    assert b"django_http" not in wrong.content


def test_metrics_answer_a_scraper_on_the_container_address(client, production_like):
    production_like.METRICS_TOKEN = TOKEN
    response = client.get("/metrics", HTTP_HOST="web:8000", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200


def test_metrics_count_requests_latency_and_database_time(client, scrape):
    client.get("/suppliers/")
    text = scrape()
    assert _value(text, "django_http_requests_total_by_method_total", '{method="GET"}') >= 1
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in text
    assert re.search(r'^django_db_query_duration_seconds_count\{alias="default"', text, re.M)
    assert re.search(r'^django_db_execute_total\{alias="default"', text, re.M)


def test_metrics_report_the_outbox_by_status(scrape):
    before_pending = _value(scrape(), "techmap_outbox_emails", '{status="pending"}')
    OutboundEmail.objects.create(to="a@example.co.uk", subject="S", body="B")
    OutboundEmail.objects.create(to="b@example.co.uk", subject="S", body="B", status="failed")
    OutboundEmail.objects.create(to="c@example.co.uk", subject="S", body="B", status="sent")
    text = scrape()
    assert _value(text, "techmap_outbox_emails", '{status="pending"}') == before_pending + 1
    assert _value(text, "techmap_outbox_emails", '{status="failed"}') >= 1


def test_metrics_report_the_latest_comparison_run_duration(scrape):
    now = timezone.now()
    older = ComparisonRun.objects.create(status="succeeded")
    latest = ComparisonRun.objects.create(status="succeeded")
    ComparisonRun.objects.filter(pk=older.pk).update(
        started_at=now - timedelta(hours=2), finished_at=now - timedelta(hours=2, seconds=-90)
    )
    ComparisonRun.objects.filter(pk=latest.pk).update(
        started_at=now - timedelta(seconds=100), finished_at=now - timedelta(seconds=58)
    )
    text = scrape()
    assert _value(text, "techmap_comparison_run_duration_seconds", '{run="latest"}') == 42.0
    assert _value(text, "techmap_comparison_run_duration_seconds", '{run="max_last_10"}') >= 90.0
    assert 58 <= _value(text, "techmap_comparison_run_age_seconds") < 120


def test_metrics_report_the_celery_queue_length_in_the_broker(scrape, settings, private_broker):
    settings.CELERY_BROKER_URL = private_broker.url
    broker = redis.Redis.from_url(private_broker.url)
    assert _value(scrape(), "techmap_celery_queue_length", '{queue="celery"}') == 0
    broker.lpush("celery", "one", "two", "three")
    broker.lpush("celery\x06\x163", "a priority message")
    assert _value(scrape(), "techmap_celery_queue_length", '{queue="celery"}') == 4


def test_metrics_still_answer_when_the_broker_is_down(scrape, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    text = scrape()
    assert "techmap_celery_queue_length" not in text
    assert "techmap_outbox_emails" in text
