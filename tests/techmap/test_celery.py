"""Celery against a real broker: a real worker runs the outbox task and the effect is in the DB."""

from __future__ import annotations

import logging
import time

import pytest
from django.core import mail
from django.db import transaction

from accounts import services
from accounts.models import OutboundEmail
from accounts.tasks import send_email, send_pending_emails
from tests.helpers import wait_until

pytestmark = [pytest.mark.broker, pytest.mark.django_db(transaction=True)]


def status_of(email: OutboundEmail) -> str:
    return OutboundEmail.objects.values_list("status", flat=True).get(pk=email.pk)


def test_a_real_worker_sends_a_queued_email_after_commit(
    settings, private_broker, celery_worker_for, finished_tasks
):
    settings.CELERY_BROKER_URL = private_broker.url
    with celery_worker_for(private_broker.url):
        with transaction.atomic():
            email = services.email_queue(
                to="someone@example.co.uk", subject="Hello", body="Sent by the worker."
            )
            # Nothing is handed to the broker before the transaction commits.
            assert status_of(email) == OutboundEmail.Status.PENDING
        wait_until(lambda: status_of(email) == OutboundEmail.Status.SENT)

    assert finished_tasks == [(send_email.name, True)]
    email.refresh_from_db()
    assert email.attempts == 1
    assert email.sent_at is not None
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [
        (["someone@example.co.uk"], "Hello", "Sent by the worker.")
    ]


def test_an_email_queued_while_the_broker_is_down_is_sent_once_by_the_sweep(
    settings, private_broker, celery_worker_for, finished_tasks, caplog
):
    settings.CELERY_BROKER_URL = private_broker.url
    private_broker.stop()

    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="accounts.services"), transaction.atomic():
        email = services.email_queue(
            to="someone@example.co.uk", subject="Outage", body="Queued during an outage."
        )
    # The commit succeeded, the failed hand-off was logged, and it did not hang.
    assert time.monotonic() - started < 15
    assert "broker unavailable" in caplog.text
    assert status_of(email) == OutboundEmail.Status.PENDING
    assert mail.outbox == []

    private_broker.start()
    with celery_worker_for(private_broker.url):
        send_pending_emails.delay()
        wait_until(lambda: len(finished_tasks) == 1)
        # A second sweep and a late duplicate of the per-email task change nothing.
        send_pending_emails.delay()
        send_email.delay(email.pk)
        wait_until(lambda: len(finished_tasks) == 3)

    assert finished_tasks == [
        (send_pending_emails.name, 1),
        (send_pending_emails.name, 0),
        (send_email.name, False),
    ]
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert email.attempts == 1
    assert [m.subject for m in mail.outbox] == ["Outage"]
