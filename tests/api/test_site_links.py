"""The links that lead people to the registry's own pages (home page, supplier profile).

They live beside the API tests because the API engineer owns these templates for now.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from suppliers.models import Supplier
from tests import factories

pytestmark = pytest.mark.django_db

REGISTER = "Register your organisation"


def _register_link(html: str) -> bool:
    return f'href="{reverse("suppliers:register_start")}"' in html and REGISTER in html


def test_anonymous_visitors_are_offered_registration(client):
    assert _register_link(client.get("/").content.decode())


def test_signed_in_people_without_an_organisation_are_offered_registration(client):
    client.force_login(factories.UserFactory())
    assert _register_link(client.get("/home/").content.decode())


def test_supplier_people_land_on_their_organisation_not_on_registration(client, owner):
    client.force_login(owner)
    html = client.get("/home/").content.decode()
    assert REGISTER not in html
    assert reverse("suppliers:register_start") not in html


def test_civil_servants_are_not_offered_registration(client, civil_servant):
    client.force_login(civil_servant)
    html = client.get("/home/").content.decode()
    assert REGISTER not in html
    assert reverse("suppliers:register_start") not in html


@pytest.mark.parametrize(
    ("who", "shown"),
    [
        ("anonymous", False),
        ("civil_servant", False),
        ("other_owner", False),
        ("member", True),
        ("owner", True),
        ("moderator", True),
    ],
)
def test_manage_this_profile_link(client, supplier, who, shown, request):
    supplier.status = Supplier.Status.PUBLISHED
    supplier.save()
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("suppliers:detail", args=[supplier.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    link = f'<a class="govuk-link" href="{reverse("suppliers:manage", args=[supplier.slug])}">'
    assert (f"{link}Manage this profile</a>" in html) is shown


def test_the_profile_page_stays_at_a_fixed_query_count_for_visitors(
    client, django_assert_max_num_queries
):
    supplier = factories.SupplierFactory(status=Supplier.Status.PUBLISHED)
    url = reverse("suppliers:detail", args=[supplier.slug])
    # Anonymous visitors: the permission check needs no query (the count tests/suppliers
    # pins, 7 with the public contract totals, is unchanged).
    with django_assert_max_num_queries(7):
        assert client.get(url).status_code == 200
