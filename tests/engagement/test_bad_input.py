"""A line break in text that reaches an email subject: refused at input with a field error,
and folded by the outbox for anything already stored.

Django refuses to send a header with a line break (BadHeaderError); one request title with
"\\r\\n" in it stopped every alert email about that request."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import OutboundEmail
from accounts.services import email_queue
from accounts.tasks import deliver, send_pending_emails
from core.errors import DomainError
from core.validators import has_line_break, no_line_breaks, single_line
from engagement import services as engagement_services
from engagement.models import EngagementRequest
from innovation_den import services as den_services
from innovation_den.models import Proposal
from reporting.models import Contract
from suppliers import services as supplier_services
from suppliers.models import Supplier
from tests import factories
from tests.api.conftest import _token, assert_error
from tests.innovation_den.factories import HYPOTHESIS

pytestmark = pytest.mark.django_db


def api_client(user, scope: str) -> APIClient:
    """A client sending ``user``'s API token (as tests/api's client_for fixture)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {_token(user, scope)}")
    return client


BROKEN = "Telecare\r\nBcc: everyone@example.com"


@pytest.mark.parametrize("text", ["a\nb", "a\rb", "a\r\nb", "a\u2028b", "a\x0bb", "a\x85b"])
def test_every_kind_of_line_break_is_refused_and_folded(text):
    assert has_line_break(text)
    with pytest.raises(ValidationError) as refused:
        no_line_breaks(text)
    assert refused.value.code == "line_break"
    assert single_line(text) == "a b"
    no_line_breaks("One line, with – dashes and “quotes”")


# --- Refused at input --------------------------------------------------------------------------


def test_the_request_title_page_gives_a_field_error(client, db):
    author = factories.CivilServantFactory()
    client.force_login(author)
    response = client.post("/engagement/new/", {"title": BROKEN})
    assert response.status_code in (200, 400)
    assert "one line" in str(response.context["form"].errors["title"])
    assert not EngagementRequest.objects.exists()


def test_the_request_services_refuse_it(db):
    author = factories.CivilServantFactory()
    with pytest.raises(DomainError) as refused:
        engagement_services.engagement_request_create(actor=author, title=BROKEN)
    assert "title" in refused.value.message_dict
    draft = engagement_services.engagement_request_create(actor=author, title="Telecare")
    with pytest.raises(DomainError) as refused:
        engagement_services.engagement_request_update_draft(
            actor=author, engagement_request=draft, title=BROKEN
        )
    assert "title" in refused.value.message_dict


def test_the_contract_form_and_api_give_a_field_error(client, civil_servant):
    supplier = factories.SupplierFactory()
    group = factories.CapabilityGroupFactory()
    client.force_login(civil_servant)
    data = {
        "ocid": "ocds-test01-crlf-1",
        "title": BROKEN,
        "supplier": supplier.pk,
        "category": group.pk,
        "status": "active",
    }
    page = client.post(reverse("reporting:contract_new"), data)
    assert "one line" in str(page.context["form"].errors["title"])
    api = api_client(civil_servant, "write")
    body = {**data, "supplier": supplier.slug, "category": group.code}
    error = assert_error(api.post("/api/v1/contracts/", body, format="json"), 400)
    assert set(error["fields"]) == {"title"}
    assert not Contract.objects.exists()


def test_the_proposal_form_and_service_refuse_it(client, civil_servant):
    client.force_login(civil_servant)
    page = client.post(
        reverse("innovation_den:propose"),
        {"title": BROKEN, "problem": "Bins overflow.", "hypothesis": HYPOTHESIS, "weeks": "6"},
    )
    assert "one line" in str(page.context["form"].errors["title"])
    with pytest.raises(DomainError) as refused:
        den_services.proposal_create(
            actor=civil_servant,
            title=BROKEN,
            problem="Bins overflow.",
            public_body=civil_servant.public_body,
            hypothesis=HYPOTHESIS,
            weeks=6,
            budget_cap=25000,
            data_allowed=["open"],
        )
    assert "title" in refused.value.message_dict
    assert not Proposal.objects.exists()


def test_a_supplier_name_is_refused_by_registration_api_and_service(client):
    user = factories.UserFactory()
    with pytest.raises(DomainError) as refused:
        supplier_services.supplier_register(
            actor=user, companies_house_number="SC123456", name=BROKEN
        )
    assert "name" in refused.value.message_dict
    body = {"companies_house_number": "SC123456", "name": BROKEN, "size": "small"}
    error = assert_error(
        api_client(user, "write").post("/api/v1/my/suppliers/", body, format="json"), 400
    )
    assert "name" in error["fields"]
    client.force_login(user)
    session = client.session
    session["supplier_registration_number"] = "SC123456"
    session.save()
    page = client.post("/suppliers/register/name/", {"name": BROKEN})
    assert "one line" in str(page.context["form"].errors["name"])
    assert not Supplier.objects.filter(companies_house_number="SC123456").exists()


# --- Folded by the outbox ----------------------------------------------------------------------


def test_a_stored_title_with_a_line_break_still_gets_its_alerts_sent(
    draft, author, matched_supplier, responder
):
    EngagementRequest.objects.filter(pk=draft.pk).update(title=BROKEN)  # as an old row would be
    draft.refresh_from_db()
    engagement_services.engagement_request_publish(actor=author, engagement_request=draft)
    engagement_services.notifications_send_pending(engagement_request_id=draft.pk)
    assert OutboundEmail.objects.filter(to=responder.email).exists()
    send_pending_emails()
    sent = [message for message in mail.outbox if responder.email in message.to]
    assert sent, [message.to for message in mail.outbox]
    assert sent[0].subject == "Early engagement request: Telecare Bcc: everyone@example.com"
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {"sent"}


def test_an_email_queued_before_subjects_were_folded_is_still_sent(db):
    email = email_queue(to="a@example.com", subject="fine", body="Hello")
    OutboundEmail.objects.filter(pk=email.pk).update(subject="Old\r\nrow")
    assert deliver(email.pk)
    assert mail.outbox[-1].subject == "Old row"
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT and not email.last_error


def test_email_queue_folds_the_subject(db):
    email = email_queue(to="a@example.com", subject="Line one\nLine two", body="Hello")
    assert email.subject == "Line one Line two"
