"""Shortlists: the services (with the permission cast) and the pages."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from core.errors import DomainError
from suppliers import services
from suppliers.models import Shortlist, ShortlistEntry
from tests import factories
from tests.suppliers.test_selectors import make_supplier

# Persona fixtures are asked for by name (request.getfixturevalue), which pytest-django
# cannot see when it orders tests: the mark keeps these tests before the transactional ones.
pytestmark = pytest.mark.django_db

CAST = ["owner", "member", "other_owner", "anonymous", "moderator"]


@pytest.fixture
def published(db):
    return make_supplier("Kestrel Ledger Systems", summary="Cloud accounting.")


@pytest.fixture
def shortlist(civil_servant):
    return services.shortlist_create(actor=civil_servant, name="Cloud discovery")


@pytest.fixture
def entry(shortlist, civil_servant, published):
    return services.shortlist_add_supplier(
        actor=civil_servant, shortlist=shortlist, supplier=published, note="Strong on finance"
    )


@pytest.fixture
def other_civil_servant(db):
    return factories.CivilServantFactory()


# --- Services: who may -------------------------------------------------------------------


def test_a_civil_servant_makes_a_shortlist_with_its_search(civil_servant):
    shortlist = services.shortlist_create(
        actor=civil_servant,
        name="  Cyber   discovery ",
        description="For the SOC tender",
        search_query="q=cyber&page=3&region=london&junk=1",
    )
    assert shortlist.owner == civil_servant
    assert shortlist.name == "Cyber discovery"
    assert shortlist.search_query == "q=cyber&region=london"


@pytest.mark.parametrize("who", CAST)
def test_only_civil_servants_make_shortlists(db, request, who):
    actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.shortlist_create(actor=actor, name="Mine")
    assert not Shortlist.objects.exists()


@pytest.mark.parametrize("who", [*CAST, "other_civil_servant"])
def test_only_the_owner_changes_a_shortlist(request, who, shortlist, entry, published):
    actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.shortlist_add_supplier(actor=actor, shortlist=shortlist, supplier=published)
    with pytest.raises(PermissionDenied):
        services.shortlist_update_note(actor=actor, entry=entry, note="mine now")
    with pytest.raises(PermissionDenied):
        services.shortlist_update(actor=actor, shortlist=shortlist, name="Taken over")
    with pytest.raises(PermissionDenied):
        services.shortlist_remove_supplier(actor=actor, entry=entry)
    with pytest.raises(PermissionDenied):
        services.shortlist_delete(actor=actor, shortlist=shortlist)
    entry.refresh_from_db()
    assert entry.note == "Strong on finance"
    assert Shortlist.objects.get().name == "Cloud discovery"


def test_a_civil_servant_who_loses_the_status_loses_the_lists(shortlist, civil_servant):
    civil_servant.civil_servant_since = None
    civil_servant.save()
    with pytest.raises(PermissionDenied):
        services.shortlist_delete(actor=civil_servant, shortlist=shortlist)


# --- Services: the rules -----------------------------------------------------------------


def test_add_records_note_and_search_and_fills_the_lists_search(
    civil_servant, shortlist, published
):
    entry = services.shortlist_add_supplier(
        actor=civil_servant,
        shortlist=shortlist,
        supplier=published,
        note="Good fit",
        search_query="q=kestrel&page=2",
    )
    assert (entry.note, entry.search_query) == ("Good fit", "q=kestrel")
    shortlist.refresh_from_db()
    assert shortlist.search_query == "q=kestrel"


def test_a_supplier_is_on_a_list_once(civil_servant, shortlist, entry, published):
    with pytest.raises(DomainError) as error:
        services.shortlist_add_supplier(
            actor=civil_servant, shortlist=shortlist, supplier=published
        )
    assert "already on" in str(error.value)
    assert ShortlistEntry.objects.count() == 1


@pytest.mark.parametrize("status", ["draft", "suspended", "pending_review", "rejected"])
def test_only_published_suppliers_are_shortlisted(civil_servant, shortlist, status):
    supplier = make_supplier(f"Hidden {status}", status=status)
    with pytest.raises(DomainError):
        services.shortlist_add_supplier(actor=civil_servant, shortlist=shortlist, supplier=supplier)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Enter a name"),
        ("   ", "Enter a name"),
        ("x" * 151, "150 characters or fewer"),
        ("cloud DISCOVERY", "already have a shortlist called"),
        ("bad\x00name", "not allowed"),
    ],
)
def test_shortlist_names(civil_servant, shortlist, name, message):
    with pytest.raises(DomainError) as error:
        services.shortlist_create(actor=civil_servant, name=name)
    assert message in str(error.value)


def test_another_civil_servant_may_use_the_same_name(shortlist, other_civil_servant):
    assert services.shortlist_create(actor=other_civil_servant, name="Cloud discovery")


def test_notes_have_a_limit(civil_servant, entry):
    with pytest.raises(DomainError):
        services.shortlist_update_note(actor=civil_servant, entry=entry, note="x" * 2001)


def test_remove_and_delete(civil_servant, shortlist, entry):
    services.shortlist_remove_supplier(actor=civil_servant, entry=entry)
    services.shortlist_remove_supplier(actor=civil_servant, entry=entry)  # twice is harmless
    assert not ShortlistEntry.objects.exists()
    services.shortlist_delete(actor=civil_servant, shortlist=shortlist)
    assert not Shortlist.objects.exists()


# --- Pages -------------------------------------------------------------------------------


def test_anonymous_visitors_are_asked_to_sign_in(client, db):
    response = client.get(reverse("suppliers:shortlists"))
    assert response.status_code == 302
    assert "/account/login/" in response["Location"]


@pytest.mark.parametrize("who", ["owner", "member", "other_owner", "moderator"])
def test_people_who_are_not_civil_servants_are_refused(client, request, who, published):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("suppliers:shortlists")).status_code == 403
    assert client.get(reverse("suppliers:shortlist_add", args=[published.slug])).status_code == 403


def test_someone_elses_shortlist_is_not_found(client, shortlist, entry, other_civil_servant):
    client.force_login(other_civil_servant)
    for url in [
        reverse("suppliers:shortlist", args=[shortlist.pk]),
        reverse("suppliers:shortlist_export", args=[shortlist.pk]),
        reverse("suppliers:shortlist_delete", args=[shortlist.pk]),
        reverse("suppliers:shortlist_entry_note", args=[shortlist.pk, entry.pk]),
        reverse("suppliers:shortlist_entry_remove", args=[shortlist.pk, entry.pk]),
    ]:
        assert client.get(url).status_code == 404
    assert (
        client.post(reverse("suppliers:shortlist_delete", args=[shortlist.pk])).status_code == 404
    )
    assert Shortlist.objects.filter(pk=shortlist.pk).exists()


def test_make_a_shortlist_from_the_list_page(client, civil_servant):
    client.force_login(civil_servant)
    response = client.post(reverse("suppliers:shortlists"), {"name": "Data", "description": ""})
    shortlist = Shortlist.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("suppliers:shortlist", args=[shortlist.pk])
    response = client.post(reverse("suppliers:shortlists"), {"name": "data"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body and "already have a shortlist called" in body


def test_add_from_a_search_result_to_a_new_list(client, civil_servant, published):
    client.force_login(civil_servant)
    url = reverse("suppliers:shortlist_add", args=[published.slug])
    page = client.get(url, {"search": "q=kestrel&region=london&page=2"})
    assert page.status_code == 200
    assert 'value="q=kestrel&amp;region=london"' in page.content.decode()
    response = client.post(
        url,
        {
            "shortlist": "new",
            "new_name": "Finance systems",
            "note": "Has NHS work",
            "search": "q=kestrel&region=london",
        },
    )
    shortlist = Shortlist.objects.get()
    assert response.status_code == 302
    entry = shortlist.entries.get()
    assert (entry.note, entry.search_query) == ("Has NHS work", "q=kestrel&region=london")
    assert shortlist.search_query == "q=kestrel&region=london"


def test_add_form_errors_are_shown(client, civil_servant, shortlist, entry, published):
    client.force_login(civil_servant)
    url = reverse("suppliers:shortlist_add", args=[published.slug])
    body = client.post(url, {"shortlist": "new", "new_name": ""}).content.decode()
    assert "Enter a name for the new shortlist" in body
    body = client.post(url, {"shortlist": str(shortlist.pk)}).content.decode()
    assert "is already on" in body
    body = client.post(url, {"shortlist": "999999"}).content.decode()
    assert "Choose one of your shortlists" in body


def test_edit_note_remove_and_delete_pages(client, civil_servant, shortlist, entry):
    client.force_login(civil_servant)
    detail = client.get(reverse("suppliers:shortlist", args=[shortlist.pk])).content.decode()
    assert "Strong on finance" in detail and "Kestrel Ledger Systems" in detail
    note_url = reverse("suppliers:shortlist_entry_note", args=[shortlist.pk, entry.pk])
    assert client.post(note_url, {"note": "Call them"}).status_code == 302
    entry.refresh_from_db()
    assert entry.note == "Call them"
    remove_url = reverse("suppliers:shortlist_entry_remove", args=[shortlist.pk, entry.pk])
    assert "Remove Kestrel Ledger Systems" in client.get(remove_url).content.decode()
    assert client.post(remove_url).status_code == 302
    assert not ShortlistEntry.objects.exists()
    edit_url = reverse("suppliers:shortlist_edit", args=[shortlist.pk])
    assert client.post(edit_url, {"name": "Renamed"}).status_code == 302
    delete_url = reverse("suppliers:shortlist_delete", args=[shortlist.pk])
    assert "Are you sure" in client.get(delete_url).content.decode()
    assert client.post(delete_url).status_code == 302
    assert not Shortlist.objects.exists()


def test_shortlist_pages_query_counts(
    client, civil_servant, shortlist, django_assert_max_num_queries
):
    for n in range(5):
        supplier = make_supplier(f"Listed {n}", summary="Listed.")
        services.shortlist_add_supplier(actor=civil_servant, shortlist=shortlist, supplier=supplier)
    client.force_login(civil_servant)
    with django_assert_max_num_queries(4):  # session, user, shortlist, entries
        client.get(reverse("suppliers:shortlist", args=[shortlist.pk]))
    with django_assert_max_num_queries(3):  # session, user, shortlists with counts
        client.get(reverse("suppliers:shortlists"))
