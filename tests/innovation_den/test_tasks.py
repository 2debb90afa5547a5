"""The nightly overdue reminder and the admin pages with history."""

from __future__ import annotations

from django.conf import settings

from accounts.models import OutboundEmail
from innovation_den.models import Proposal
from innovation_den.tasks import remind_overdue_trials
from tests.innovation_den.factories import build, make_overdue

Status = Proposal.Status


def test_overdue_trials_remind_their_proposers_once(db):
    on_time = build(Status.RUNNING, with_partner=False)
    late = build(Status.RUNNING, with_partner=False)
    make_overdue(late.proposal)
    assert remind_overdue_trials() == 1
    assert remind_overdue_trials() == 1  # running twice sends nothing new
    reminders = OutboundEmail.objects.filter(subject__contains="overdue for evaluation")
    assert [email.to for email in reminders] == [late.proposer.email]
    assert not OutboundEmail.objects.filter(
        to=on_time.proposer.email, subject__contains="overdue"
    ).exists()


def test_the_reminder_is_scheduled_nightly():
    entry = settings.CELERY_BEAT_SCHEDULE["den-remind-overdue-trials"]
    assert entry["task"] == "innovation_den.tasks.remind_overdue_trials"
    assert entry["schedule"] == settings.NIGHTLY_CRONTAB


def test_admin_shows_proposals_with_their_history(db, client, moderator):
    cast = build(Status.ACCEPTED, with_partner=False)
    moderator.is_superuser = True
    moderator.save()
    client.force_login(moderator)
    base = f"/admin/innovation_den/proposal/{cast.proposal.pk}"
    assert client.get("/admin/innovation_den/proposal/").status_code == 200
    assert client.get(f"{base}/change/").status_code == 200
    history = client.get(f"{base}/history/")
    assert history.status_code == 200
    assert "in_review → accepted" in history.content.decode()
    for model in ("reviewround", "review", "progressnote"):
        assert client.get(f"/admin/innovation_den/{model}/").status_code == 200


def test_the_api_schema_documents_the_den(db, client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    body = response.content.decode()
    assert "/api/v1/den/proposals/" in body and "/api/v1/den/lessons/" in body
