"""Celery tasks: closing at the deadline, and alerts that survive a broker outage."""

from __future__ import annotations

import logging
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.utils import timezone

from accounts.tasks import send_pending_emails
from engagement import services, tasks
from engagement.models import EngagementRequest, Notification
from suppliers.models import Capability, Region
from tests import factories
from tests.engagement.factories import EngagementRequestFactory
from tests.helpers import wait_until


@pytest.mark.django_db
def test_close_due_requests_task_is_idempotent(open_request):
    EngagementRequest.objects.filter(pk=open_request.pk).update(
        response_deadline=timezone.now() - timedelta(minutes=1)
    )
    assert tasks.close_due_requests() == 1
    assert tasks.close_due_requests() == 0
    open_request.refresh_from_db()
    assert open_request.status == "closed"


@pytest.mark.django_db
def test_beat_schedule_has_the_engagement_tasks():
    scheduled = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "engagement.tasks.close_due_requests",
        "engagement.tasks.send_pending_alerts",
        "engagement.tasks.send_weekly_alert_digests",
    } <= scheduled


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_broker_outage_each_matching_supplier_is_emailed_exactly_once(
    settings, private_broker, celery_worker_for, finished_tasks, caplog
):
    """Stop the broker, publish, restart, run the sweep and the worker: one email each."""
    settings.CELERY_BROKER_URL = private_broker.url
    capability = Capability.objects.order_by("pk").first()
    london = Region.objects.get(code="TLI")
    author = factories.CivilServantFactory()
    people = []
    for n in range(3):
        supplier = factories.SupplierFactory(
            name=f"Matching {n}", capabilities=[capability], regions=[london]
        )
        people.append(factories.MembershipFactory(supplier=supplier, role="owner").user)
    people.append(factories.MembershipFactory(supplier=supplier).user)  # a colleague of the last
    outsider = factories.MembershipFactory().user  # a supplier with no capabilities
    draft = EngagementRequestFactory(author=author, capabilities=[capability], regions=[london])

    private_broker.stop()
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="engagement.services"):
        services.engagement_request_publish(actor=author, engagement_request=draft)
    assert time.monotonic() - started < 20  # publishing did not hang on the broker
    assert "broker unavailable" in caplog.text
    assert Notification.objects.filter(status="pending").count() == 3
    assert mail.outbox == []

    private_broker.start()
    with celery_worker_for(private_broker.url):
        tasks.send_pending_alerts.delay()
        # The sweep queues the outbox emails; their send_email tasks follow on commit.
        wait_until(lambda: len(mail.outbox) == len(people))
        # Everything again: the sweeps and a late per-request task change nothing.
        tasks.send_pending_alerts.delay()
        tasks.send_request_alerts.delay(draft.pk)
        send_pending_emails.delay()
        finished_tasks.wait_for(send_pending_emails.name)
        finished_tasks.wait_for(tasks.send_request_alerts.name)

    recipients = Counter(to for message in mail.outbox for to in message.to)
    assert recipients == Counter(person.email for person in people)
    assert outsider.email not in recipients
    assert all(message.subject.endswith(draft.title) for message in mail.outbox)
    assert set(Notification.objects.values_list("status", flat=True)) == {"queued"}
    assert (tasks.send_pending_alerts.name, 3) in finished_tasks
    assert (tasks.send_request_alerts.name, 0) in finished_tasks
