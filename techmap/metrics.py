"""/metrics: Prometheus metrics, for a scraper holding ``METRICS_TOKEN``.

django-prometheus counts requests and their latency (``django_http_*``) and database
queries and their time (``django_db_*``) in each process. The Techmap figures below are
read when scraped, from the broker and the database, so every web process reports the
same values:

- ``techmap_celery_queue_length{queue}``: messages waiting in the broker;
- ``techmap_outbox_emails{status}``: the outbox by status (pending, failed);
- ``techmap_comparison_run_duration_seconds{run}``: how long the latest comparison run
  took (``run="latest"``) and the longest of the last ten (``run="max_last_10"``);
- ``techmap_comparison_run_age_seconds``: time since the latest run finished.

Under gunicorn, set ``PROMETHEUS_MULTIPROC_DIR`` (the Docker image does) so one scrape
sums every worker process (techmap/gunicorn_conf.py empties it at start).
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Iterator

import prometheus_client
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import CollectorRegistry, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric

logger = logging.getLogger(__name__)

# Kombu's Redis transport keeps priority messages in extra lists beside the queue's own.
PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


def celery_queues() -> list[str]:
    from techmap.celery import app

    names = {app.conf.task_default_queue or "celery"}
    names.update(queue.name for queue in (app.conf.task_queues or []))
    return sorted(names)


def celery_queue_lengths() -> dict[str, int]:
    """LLEN of each Celery queue in the broker's Redis (with its priority lists)."""
    import redis

    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_connect_timeout=2, socket_timeout=2
    )
    try:
        pipe = client.pipeline(transaction=False)
        queues = celery_queues()
        for queue in queues:
            for suffix in PRIORITY_SUFFIXES:
                pipe.llen(queue + suffix)
        counts = pipe.execute()
    finally:
        client.close()
    step = len(PRIORITY_SUFFIXES)
    return {queue: sum(counts[i * step : (i + 1) * step]) for i, queue in enumerate(queues)}


def outbox_counts() -> dict[str, int]:
    from django.db.models import Count

    from accounts.models import OutboundEmail

    counts = dict.fromkeys((OutboundEmail.Status.PENDING, OutboundEmail.Status.FAILED), 0)
    rows = (
        OutboundEmail.objects.filter(status__in=list(counts))
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts.update(dict(rows))
    return {str(status): n for status, n in counts.items()}


def comparison_run_durations() -> dict[str, float]:
    """Seconds from start to finish of the latest finished runs (empty when none)."""
    from reporting.models import ComparisonRun

    runs = list(
        ComparisonRun.objects.filter(finished_at__isnull=False)
        .exclude(status=ComparisonRun.Status.SKIPPED)
        .order_by("-finished_at")
        .values_list("started_at", "finished_at")[:10]
    )
    if not runs:
        return {}
    durations = [(finished - started).total_seconds() for started, finished in runs]
    return {
        "latest": durations[0],
        "max_last_10": max(durations),
        "age": (timezone.now() - runs[0][1]).total_seconds(),
    }


class TechmapCollector:
    """Read at scrape time; a failing source is logged and left out, never a 500."""

    def collect(self) -> Iterator[Metric]:
        try:
            queues = GaugeMetricFamily(
                "techmap_celery_queue_length",
                "Celery messages waiting in the broker, by queue.",
                labels=["queue"],
            )
            for queue, length in celery_queue_lengths().items():
                queues.add_metric([queue], length)
            yield queues
        except Exception:
            logger.warning("metrics: could not read the Celery queue length", exc_info=True)
        try:
            outbox = GaugeMetricFamily(
                "techmap_outbox_emails", "Outbox emails by status.", labels=["status"]
            )
            for status, count in outbox_counts().items():
                outbox.add_metric([status], count)
            yield outbox
            durations = comparison_run_durations()
            runs = GaugeMetricFamily(
                "techmap_comparison_run_duration_seconds",
                "Seconds the latest comparison run took, and the longest of the last ten.",
                labels=["run"],
            )
            for run in ("latest", "max_last_10"):
                if run in durations:
                    runs.add_metric([run], durations[run])
            yield runs
            if "age" in durations:
                yield GaugeMetricFamily(
                    "techmap_comparison_run_age_seconds",
                    "Seconds since the latest comparison run finished.",
                    value=durations["age"],
                )
        except Exception:
            logger.warning("metrics: could not read the database figures", exc_info=True)


def _authorised(request: HttpRequest, token: str) -> bool:
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format for ``Authorization: Bearer METRICS_TOKEN``.

    404 when no ``METRICS_TOKEN`` is configured (nothing is exposed by accident), 401
    when the token is missing or wrong.
    """
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404
    if not _authorised(request, token):
        response = HttpResponse(
            "A bearer token is needed.\n", status=401, content_type="text/plain"
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        process_registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(process_registry)
    else:
        process_registry = prometheus_client.REGISTRY
    techmap_registry = CollectorRegistry(auto_describe=False)
    techmap_registry.register(TechmapCollector())
    body = prometheus_client.generate_latest(process_registry) + prometheus_client.generate_latest(
        techmap_registry
    )
    return HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)
