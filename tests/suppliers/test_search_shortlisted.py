"""Search results say which suppliers are already on the signed-in civil servant's
shortlists (``suppliers.selectors.shortlisted``): one query more, for them only."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from suppliers.models import Shortlist, ShortlistEntry
from suppliers.selectors.shortlisted import shortlists_holding
from tests import factories

pytestmark = pytest.mark.django_db
SEARCH = "/suppliers/"


@pytest.fixture
def kestrel(db):
    return factories.SupplierFactory(name="Kestrel Ledger Systems")


@pytest.fixture
def northgate(db):
    return factories.SupplierFactory(name="Northgate Data Works")


@pytest.fixture
def lists(civil_servant, kestrel):
    made = []
    for name in ("Finance pilots", "Cloud options"):
        shortlist = Shortlist.objects.create(owner=civil_servant, name=name)
        ShortlistEntry.objects.create(shortlist=shortlist, supplier=kestrel)
        made.append(shortlist)
    return made


def result_item(html: str, name: str) -> str:
    """The ``<li>`` of one result."""
    for item in re.findall(
        r'<li class="govuk-!-margin-bottom-6">.*?</li>\s*(?=<li|</ol>)', html, re.S
    ):
        if f">{name}</a>" in item:
            return item
    raise AssertionError(f"{name} is not in the results")


def test_a_result_on_your_shortlists_is_tagged(client, civil_servant, lists, kestrel, northgate):
    client.force_login(civil_servant)
    html = client.get(SEARCH).content.decode()
    item = result_item(html, kestrel.name)
    assert "data-shortlisted" in item
    assert ">Shortlisted</strong>" in item
    assert "On your shortlists:" in item
    for shortlist in lists:
        assert f'href="{reverse("suppliers:shortlist", args=[shortlist.pk])}"' in item
    # By name: Cloud options before Finance pilots.
    assert item.index("Cloud options") < item.index("Finance pilots")
    assert "data-shortlisted" not in result_item(html, northgate.name)


def test_someone_elses_shortlists_do_not_tag_your_results(client, lists, kestrel):
    colleague = factories.CivilServantFactory()
    client.force_login(colleague)
    html = client.get(SEARCH).content.decode()
    assert "data-shortlisted" not in html
    assert shortlists_holding(colleague, [kestrel.pk]) == {}


@pytest.mark.parametrize("persona", ["anonymous", "owner", "moderator"])
def test_no_tag_and_no_query_for_people_without_shortlists(client, request, lists, persona):
    user = request.getfixturevalue(persona)
    if persona != "anonymous":
        client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(SEARCH).content.decode()
    assert "data-shortlisted" not in html
    assert not any("suppliers_shortlistentry" in q["sql"] for q in queries.captured_queries)


def test_the_tag_costs_one_query_whatever_the_page(
    client, civil_servant, lists, django_assert_num_queries
):
    client.force_login(civil_servant)
    # The anonymous page's 3 (reference data, counts with facets, the page of results),
    # session and user, and the one shortlisted query.
    with django_assert_num_queries(6):
        assert client.get(SEARCH).status_code == 200
    for n in range(15):
        supplier = factories.SupplierFactory(name=f"Cloud Firm {n:02d}")
        ShortlistEntry.objects.create(shortlist=lists[n % 2], supplier=supplier)
    with django_assert_num_queries(6):
        html = client.get(SEARCH).content.decode()
    assert html.count("data-shortlisted") >= 10
