"""Registering a Companies House number that is already taken says so and how to join, and
names the organisation only when it is published: a draft, one waiting for review, a
rejected or a suspended one is not revealed to whoever types its number."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from core.errors import DomainError
from suppliers import services
from suppliers.models import Supplier
from tests import factories
from tests.api.conftest import _token, assert_error
from tests.suppliers.test_public_records_views import public_supplier

pytestmark = pytest.mark.django_db


def api_client(user, scope: str) -> APIClient:
    """A client sending ``user``'s API token (as tests/api's client_for fixture)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {_token(user, scope)}")
    return client


NUMBER = "SC654321"
HIDDEN = ["draft", "pending_review", "rejected", "suspended"]


@pytest.fixture(params=HIDDEN)
def unpublished(request):
    return factories.SupplierFactory(
        name="Secret Stealth Startup Ltd", companies_house_number=NUMBER, status=request.param
    )


def _says_how_to_join(message: str) -> None:
    assert "already on Techmap" in message and NUMBER in message
    assert "ask one of its owners to invite you" in message
    assert "feedback@techmap.service.gov.uk" in message


def test_the_service_does_not_name_an_unpublished_supplier(unpublished):
    with pytest.raises(DomainError) as refused:
        services.supplier_register(
            actor=factories.UserFactory(), companies_house_number=NUMBER, name="Copycat"
        )
    message = refused.value.message_dict["companies_house_number"][0]
    assert "Secret Stealth" not in message
    _says_how_to_join(message)


def test_the_registration_page_does_not_name_it(client, unpublished):
    client.force_login(factories.UserFactory())
    response = client.post(
        "/suppliers/register/companies-house-number/", {"companies_house_number": NUMBER}
    )
    page = response.content.decode()
    assert "Secret Stealth" not in page
    assert "Ask one of its owners to invite you" in page
    assert "This organisation is already registered" in page


def test_the_api_does_not_name_it(unpublished):
    client = api_client(factories.UserFactory(), "write")
    body = {"name": "Copycat", "companies_house_number": NUMBER, "size": "micro"}
    response = client.post("/api/v1/my/suppliers/", body, format="json")
    error = assert_error(response, 409)
    assert "Secret Stealth" not in response.content.decode()
    _says_how_to_join(error["fields"]["companies_house_number"][0]["message"])


def test_a_claim_does_not_name_it(unpublished):
    record = public_supplier("WREN ANALYTICS", number=None)
    with pytest.raises(DomainError) as refused:
        services.supplier_claim_submit(
            actor=factories.UserFactory(email="founder@wren.example.co.uk"),
            supplier=record,
            companies_house_number=NUMBER,
            name="Wren",
        )
    assert "Secret Stealth" not in str(refused.value.message_dict)


def test_a_published_supplier_is_named_as_before(client):
    published = factories.SupplierFactory(companies_house_number=NUMBER, status="published")
    with pytest.raises(DomainError) as refused:
        services.supplier_register(
            actor=factories.UserFactory(), companies_house_number=NUMBER, name="Copycat"
        )
    message = refused.value.message_dict["companies_house_number"][0]
    assert message.startswith(published.name)
    _says_how_to_join(message)
    assert Supplier.objects.filter(companies_house_number=NUMBER).count() == 1
