"""Redis stopped or frozen (SIGSTOP): requests still answer at once, and queued work waits.

A real redis-server of the test's own (``private_broker``) serves as broker and cache; the
outage is a real signal to that process. Nothing is mocked: the database is the test
database, the worker is a real Celery worker, the requests go through Django's full stack.
"""

from __future__ import annotations

import contextlib
import logging
import re
import signal
import time
from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts import services as account_services
from accounts.models import OutboundEmail
from accounts.tasks import send_pending_emails
from core import cache as fail_open
from engagement import services as engagement_services
from engagement import tasks as engagement_tasks
from engagement.models import Notification
from suppliers.models import Capability, Region
from tests import factories
from tests.engagement.factories import EngagementRequestFactory
from tests.helpers import wait_until

pytestmark = [pytest.mark.broker, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # tests/factories.py
QUICK = 2.0  # seconds: "about a second", with room for a loaded CI machine


@contextlib.contextmanager
def frozen(broker) -> Iterator[None]:
    """SIGSTOP the redis-server: it keeps its port and accepts connections, and answers none."""
    broker.process.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        broker.process.send_signal(signal.SIGCONT)


@pytest.fixture
def redis_of_our_own(private_broker, settings) -> Iterator[object]:
    """Broker and cache on the test's own redis-server (never the machine's shared one)."""
    settings.CELERY_BROKER_URL = private_broker.url
    settings.CACHES = {
        "default": {
            **django_settings.CACHES["default"],
            "LOCATION": private_broker.url.replace("/0", "/1"),
        }
    }
    fail_open.forget_failures()
    try:
        yield private_broker
    finally:
        if private_broker.running:
            private_broker.process.send_signal(signal.SIGCONT)
        fail_open.forget_failures()


def _timed(function, *args, **kwargs) -> tuple[object, float]:
    started = time.monotonic()
    result = function(*args, **kwargs)
    return result, time.monotonic() - started


def test_a_frozen_broker_costs_a_request_about_a_second_and_the_sweep_sends_later(
    redis_of_our_own, celery_worker_for, finished_tasks, caplog
):
    capability = Capability.objects.order_by("pk").first()
    london = Region.objects.get(code="TLI")
    author = factories.CivilServantFactory()
    supplier = factories.SupplierFactory(capabilities=[capability], regions=[london])
    person = factories.MembershipFactory(supplier=supplier, role="owner").user
    draft = EngagementRequestFactory(author=author, capabilities=[capability], regions=[london])

    # The web process has used the broker before: its pooled connection is open.
    with transaction.atomic():
        warm = account_services.email_queue(to="warm@example.co.uk", subject="Warm", body="Up")

    with frozen(redis_of_our_own), caplog.at_level(logging.WARNING, logger="core.tasks"):
        published, publishing = _timed(
            engagement_services.engagement_request_publish, actor=author, engagement_request=draft
        )
        with transaction.atomic():
            email, queueing = _timed(
                account_services.email_queue, to="late@example.co.uk", subject="Late", body="x"
            )
    # Before: minutes. Now each gives up after the socket timeout and one retry.
    assert publishing < QUICK, f"publishing waited {publishing:.1f}s on a frozen broker"
    assert queueing < QUICK, f"queueing an email waited {queueing:.1f}s on a frozen broker"
    assert "broker unavailable" in caplog.text
    # The database committed; the work waits in the outbox.
    published.refresh_from_db()
    assert published.status == "open"
    assert list(Notification.objects.values_list("status", flat=True)) == ["pending"]
    assert OutboundEmail.objects.get(pk=email.pk).status == OutboundEmail.Status.PENDING

    # Thawed, the sweeps send everything once.
    with celery_worker_for(redis_of_our_own.url):
        engagement_tasks.send_pending_alerts.delay()
        finished_tasks.wait_for(engagement_tasks.send_pending_alerts.name)
        send_pending_emails.delay()
        wait_until(
            lambda: (
                set(OutboundEmail.objects.values_list("status", flat=True))
                == {OutboundEmail.Status.SENT}
            )
        )
    recipients = sorted(to for message in mail.outbox for to in message.to)
    assert recipients == sorted([person.email, "late@example.co.uk", warm.to])


# --- Reads and sign-in while Redis is down ------------------------------------------------


def _api_list_paths() -> list[str]:
    """Every /api/v1/ route without a path parameter that answers GET."""
    paths = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            regex = prefix + pattern.pattern.regex.pattern.lstrip("^")
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, regex)
            elif isinstance(pattern, URLPattern) and "(?P<" not in regex:
                actions = getattr(pattern.callback, "actions", None)
                if actions is not None and "get" not in actions:
                    continue
                path = regex.replace("\\Z", "").replace("$", "").replace("\\", "")
                paths.append("/" + path)

    walk(get_resolver().url_patterns, "")
    return sorted({p for p in paths if p.startswith("/api/v1/") and not re.search(r"[()?*]", p)})


def _answers(client: Client, paths: list[str]) -> dict[str, int]:
    return {path: client.get(path).status_code for path in paths}


@pytest.fixture
def caches_in_use(settings):
    """The caches that production uses, on: searches, API pages, allauth's sign-in limits."""
    settings.SUPPLIER_SEARCH_CACHE_SECONDS = 60
    settings.API_LIST_CACHE_SECONDS = 60
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}


@pytest.mark.parametrize("outage", ["stopped", "frozen"])
def test_reads_and_sign_in_answer_while_redis_is_down(
    outage, redis_of_our_own, caches_in_use, caplog
):
    factories.SupplierFactory.create_batch(2)
    user = factories.CivilServantFactory()
    reader = Client()
    reader.force_login(user)
    paths = _api_list_paths()
    assert "/api/v1/suppliers/" in paths and len(paths) >= 8, paths
    pages = ["/home/", "/suppliers/", "/suppliers/?q=cloud"]  # a signed-in "/" goes to /home/
    # With Redis up, to fill the caches and open pooled connections that the outage breaks.
    healthy = _answers(reader, paths + pages)
    assert {path: status for path, status in healthy.items() if status != 200} == {}
    healthy_anonymous = _answers(Client(), [*paths, "/account/login/"])

    stopped = contextlib.nullcontext()
    if outage == "stopped":
        redis_of_our_own.stop()
    else:
        stopped = frozen(redis_of_our_own)
    with stopped, caplog.at_level(logging.WARNING):
        started = time.monotonic()
        during = _answers(reader, paths + pages)
        anonymous = _answers(Client(), [*paths, "/account/login/"])
        form = Client()
        refused = form.post("/account/login/", {"login": user.email, "password": "wrong-one"})
        signed_in = form.post("/account/login/", {"login": user.email, "password": PASSWORD})
        took = time.monotonic() - started

    assert {path: status for path, status in during.items() if status != 200} == {}
    # Anonymous: the same answers (a 401 where the endpoint needs a sign-in), no 5xx.
    assert anonymous == healthy_anonymous
    assert all(status in {200, 401} for status in anonymous.values()), anonymous
    assert refused.status_code == 200 and refused.context["form"].errors
    assert signed_in.status_code == 302, signed_in.content[:300]
    assert form.get("/account/").status_code == 200  # a session in the database, not Redis
    assert "cache unavailable" in caplog.text
    requests = len(during) + len(anonymous) + 3
    # A frozen Redis costs one socket timeout, then the cache leaves it alone for a while.
    assert took < QUICK + 0.05 * requests, f"{requests} requests took {took:.1f}s"


def test_sessions_never_depend_on_redis():
    assert django_settings.SESSION_ENGINE in {
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.signed_cookies",
    }
