"""Admin: every engagement model is there with its history; staff only."""

from __future__ import annotations

import pytest

from engagement import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client, moderator):
    moderator.is_superuser = True
    moderator.save()
    client.force_login(moderator)
    return client


MODELS = [
    "engagementrequest",
    "supplierresponse",
    "clarificationquestion",
    "participant",
    "match",
    "alertpreference",
    "notification",
]


@pytest.mark.parametrize("model", MODELS)
def test_changelists_load(superuser_client, response, model):
    assert superuser_client.get(f"/admin/engagement/{model}/").status_code == 200


def test_request_history_shows_who_did_what(superuser_client, open_request, author):
    services.engagement_request_close(actor=author, engagement_request=open_request)
    got = superuser_client.get(f"/admin/engagement/engagementrequest/{open_request.pk}/history/")
    assert got.status_code == 200
    page = got.content.decode()
    assert "Closed early" in page and "Published" in page


def test_admin_close_due_action_uses_the_service(superuser_client, open_request):
    got = superuser_client.post(
        "/admin/engagement/engagementrequest/",
        {"action": "close_due", "_selected_action": [open_request.pk]},
    )
    assert got.status_code == 302
    open_request.refresh_from_db()
    assert open_request.status == "open"  # not due yet: the action changes nothing


def test_non_staff_cannot_use_admin(client, author):
    client.force_login(author)
    got = client.get("/admin/engagement/engagementrequest/")
    assert got.status_code == 302 and "/admin/login/" in got["Location"]
