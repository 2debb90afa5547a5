"""The beta banner's feedback page: a GOV.UK form that works without JavaScript, whose
sends go through ``accounts.services.feedback_send`` and the outbox."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import services
from accounts.models import OutboundEmail
from core.errors import DomainError
from tests.helpers import broken_error_summary_links, unique_ip

pytestmark = pytest.mark.django_db
URL = "/feedback/"


def post(client, ip: str | None = None, **data):
    payload = {"satisfaction": "satisfied", "improve": "More filters, please.", "page": "/"}
    return client.post(URL, payload | data, REMOTE_ADDR=ip or unique_ip())


def test_the_beta_banner_links_to_feedback_from_the_page_it_is_on(client):
    html = client.get("/suppliers/").content.decode()
    assert 'href="/feedback/?from=/suppliers/"' in html


def test_the_feedback_page_keeps_the_page_it_came_from(client):
    response = client.get(URL, {"from": "/suppliers/"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Give feedback on Techmap" in html
    assert 'name="page" value="/suppliers/"' in html
    assert 'type="radio"' in html
    assert 'name="improve"' in html


@pytest.mark.parametrize("persona", ["anonymous", "owner", "civil_servant", "moderator"])
def test_anyone_sends_feedback_through_the_outbox(client, request, settings, persona):
    settings.FEEDBACK_EMAIL = ["feedback@example.gov.uk", "team@example.gov.uk"]
    user = request.getfixturevalue(persona)
    if persona != "anonymous":
        client.force_login(user)
    response = post(client, page="/suppliers/")
    assert response.status_code == 302
    assert response.url == "/feedback/?sent=1"
    emails = list(OutboundEmail.objects.order_by("to"))
    assert [e.to for e in emails] == ["feedback@example.gov.uk", "team@example.gov.uk"]
    body = emails[0].body
    assert emails[0].subject == "Feedback: Satisfied"
    assert "More filters, please." in body
    assert "Page: /suppliers/" in body
    assert f"From: {user.email}" in body if persona != "anonymous" else "not signed in" in body
    assert "Feedback sent" in client.get(response.url).content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"satisfaction": ""}, "Select how you feel about the service"),
        ({"satisfaction": "ecstatic"}, "Select how you feel about the service"),
        ({"improve": "x" * 1201}, "Your answer must be 1,200 characters or fewer"),
    ],
)
def test_bad_feedback_gets_a_clear_message_and_sends_nothing(client, data, message):
    response = post(client, **data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert message in html
    # Each summary entry goes to its field: the satisfaction radios' first radio.
    assert not broken_error_summary_links(html)
    assert not OutboundEmail.objects.exists()


@pytest.mark.parametrize("page", ["https://evil.example/", "//evil.example/", "javascript:x"])
def test_a_foreign_page_is_dropped(client, page):
    post(client, page=page)
    body = OutboundEmail.objects.first().body
    assert "Page: not given" in body
    assert "evil" not in body


def test_the_service_checks_its_rules_too(anonymous):
    with pytest.raises(DomainError):
        services.feedback_send(actor=anonymous, satisfaction="meh")
    with pytest.raises(DomainError):
        services.feedback_send(actor=anonymous, satisfaction="satisfied", improve="x" * 1201)


def test_one_address_cannot_flood_the_inbox(client, settings):
    settings.FEEDBACK_PER_HOUR = 2
    settings.FEEDBACK_EMAIL = ["feedback@example.gov.uk"]
    ip = unique_ip()
    assert post(client, ip).status_code == 302
    assert post(client, ip).status_code == 302
    refused = post(client, ip)
    assert refused.status_code == 200
    assert "You have sent a lot of feedback this hour" in refused.content.decode()
    assert OutboundEmail.objects.count() == 2
    assert post(client, unique_ip()).status_code == 302  # another address is not held up


def test_feedback_page_is_get_or_post_only(client):
    assert client.put(URL).status_code == 405
    assert reverse("feedback") == URL
