"""Admin: every engagement model is there with its history; staff only."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from core.errors import DomainError
from engagement import selectors, services
from tests.admin_forms import admin_errors, admin_form_data

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


# --- Admin saves go through engagement.services -------------------------------------

CHANGE = "/admin/engagement/engagementrequest/{pk}/change/"


def test_admin_edit_of_title_keeps_the_search_current(superuser_client, open_request, moderator):
    url = CHANGE.format(pk=open_request.pk)
    data = admin_form_data(superuser_client, url)
    data["title"] = "Quokka census for national parks"

    got = superuser_client.post(url, data)

    assert got.status_code == 302, admin_errors(got)
    open_request.refresh_from_db()
    assert open_request.title == "Quokka census for national parks"
    found = selectors.request_list(user=AnonymousUser(), data={"q": "quokka"}).qs
    assert list(found) == [open_request]
    latest = open_request.history.first()
    assert latest.history_change_reason == "Corrected by a moderator"
    assert latest.history_user == moderator


def test_admin_edit_is_refused_by_the_service_rules(superuser_client, open_request):
    open_request.session_start, open_request.session_end = datetime.time(10), datetime.time(12)
    open_request.save()
    url = CHANGE.format(pk=open_request.pk)
    data = admin_form_data(superuser_client, url)
    data["title"] = "A title that must not be saved"
    data["session_end"] = "09:00:00"

    got = superuser_client.post(url, data)

    assert "The end time must be after the start time" in admin_errors(got)
    open_request.refresh_from_db()
    assert open_request.title != "A title that must not be saved"
    assert open_request.session_end == datetime.time(12)


def test_admin_cannot_change_status_or_owners(
    superuser_client, open_request, civil_servant, co_owner
):
    url = CHANGE.format(pk=open_request.pk)
    data = admin_form_data(superuser_client, url)
    data |= {"status": "closed", "author": civil_servant.pk, "co_owners": [civil_servant.pk]}

    assert superuser_client.post(url, data).status_code == 302
    open_request.refresh_from_db()
    assert open_request.status == "open"
    assert open_request.author != civil_servant
    assert list(open_request.co_owners.all()) == [co_owner]


def test_admin_cannot_add_a_request(superuser_client):
    assert superuser_client.get("/admin/engagement/engagementrequest/add/").status_code == 403


@pytest.mark.parametrize(
    "model", ["supplierresponse", "clarificationquestion", "participant", "match"]
)
def test_rows_written_by_suppliers_or_the_system_are_read_only(
    superuser_client, response, open_request, model
):
    row = {
        "supplierresponse": response,
        "clarificationquestion": services.question_ask(
            actor=response.submitted_by,
            engagement_request=open_request,
            supplier=response.supplier,
            question="Is there a budget?",
        ),
        "participant": open_request.participants.first(),
        "match": open_request.matches.first(),
    }[model]
    url = f"/admin/engagement/{model}/{row.pk}/change/"
    assert superuser_client.get(url).status_code == 200  # viewable
    assert superuser_client.post(url, {}).status_code == 403
    assert superuser_client.get(f"/admin/engagement/{model}/add/").status_code == 403


# --- engagement_request_moderate: the admin's service, for every persona -----------------


def test_moderator_corrects_a_request_and_it_is_found_by_the_new_words(open_request, moderator):
    services.engagement_request_moderate(
        actor=moderator, engagement_request=open_request, title="Wombat tracking pilot"
    )
    found = selectors.request_list(user=AnonymousUser(), data={"q": "wombat"}).qs
    assert list(found) == [open_request]


@pytest.mark.parametrize("persona", ["author", "co_owner", "civil_servant", "responder"])
def test_only_moderators_correct_a_request(request, open_request, persona):
    actor = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        services.engagement_request_moderate(
            actor=actor, engagement_request=open_request, title="Taken over"
        )
    open_request.refresh_from_db()
    assert open_request.title != "Taken over"


def test_a_published_request_keeps_its_deadline(open_request, moderator):
    with pytest.raises(DomainError) as refused:
        services.engagement_request_moderate(
            actor=moderator, engagement_request=open_request, response_deadline=None
        )
    assert "response_deadline" in refused.value.message_dict


def test_moderators_cannot_change_status_through_the_correction(open_request, moderator):
    with pytest.raises(ValueError):
        services.engagement_request_moderate(
            actor=moderator, engagement_request=open_request, status="closed"
        )
