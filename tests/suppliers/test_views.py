"""The registry pages: search, profile, compare and the market map."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse
from django.utils import timezone

from suppliers import selectors
from suppliers.models import Supplier
from tests import factories
from tests.suppliers.test_selectors import make_supplier

# Persona fixtures are asked for by name (request.getfixturevalue), which pytest-django
# cannot see when it orders tests: the mark keeps these tests before the transactional ones.
pytestmark = pytest.mark.django_db

SEARCH = "/suppliers/"


@pytest.fixture
def register(db):
    return {
        "kestrel": make_supplier(
            "Kestrel Ledger Systems",
            summary="Cloud accounting and machine learning for finance teams.",
            description="We migrate finance systems to the cloud.",
            regions=["london", "wales"],
            capabilities=["machine-learning", "cloud-hosting"],
            contact_email="hello@kestrel.example",
        ),
        "northgate": make_supplier(
            "Northgate Data Works",
            summary="Data engineering for councils.",
            size="large",
            regions=["scotland"],
            capabilities=["data-engineering", "penetration-testing"],
            case_studies=["Data platform for a council"],
        ),
    }


def text(response) -> str:
    return response.content.decode()


# --- Search ----------------------------------------------------------------------------


def test_search_page_shows_results_with_highlights_facets_and_reasons(client, register):
    response = client.get(SEARCH, {"q": "machine learning", "region": "london"})
    assert response.status_code == 200
    body = text(response)
    assert "1 supplier found for ‘machine learning’" in body
    assert "<mark>machine</mark> <mark>learning</mark>" in body
    assert 'href="/suppliers/kestrel-ledger-systems/"' in body
    assert "Capabilities: Machine learning." in body
    assert ">London, Wales</dd>" in body  # regions served, in the regions' order
    assert 'id="region-london" name="region" type="checkbox" value="london" checked' in body
    assert "London (1)" in body
    assert 'Remove<span class="govuk-visually-hidden"> filter region London' in body
    assert "How results are ordered" in body and "MD5" in body
    assert 'form="compare-form"' in body
    assert "/suppliers/export.csv?q=machine+learning&amp;region=london" in body


def test_search_page_without_words_lists_everyone_by_name_when_asked(client, register):
    # Without words the default is the fair daily order; name order is a choice.
    response = client.get(SEARCH, {"ordering": "name"})
    body = text(response)
    assert body.index("Kestrel Ledger Systems") < body.index("Northgate Data Works")
    assert "2 suppliers" in body


def test_new_words_sort_by_relevance_unless_an_order_was_chosen(client, register):
    body = text(client.get(SEARCH))  # no words: the fair daily order ("relevance")
    assert '<option value="relevance" selected>' in body
    # The search form does not send the default order, so typed words get relevance…
    assert '<input type="hidden" name="ordering"' not in body
    body = text(client.get(SEARCH, {"q": "cloud", "region": "london", "ordering": "updated"}))
    # … but keeps an order the user chose, and the sort form carries the search.
    assert '<input type="hidden" name="ordering" value="updated">' in body
    sort_form = body[body.index('<form id="sort-form"') :]
    assert '<input type="hidden" name="q" value="cloud">' in sort_form
    assert '<input type="hidden" name="region" value="london">' in sort_form
    assert 'name="ordering"' not in sort_form.split("</form>")[0]


def test_no_results_page_helps(client, register):
    body = text(client.get(SEARCH, {"q": "zzzzqqq"}))
    assert "No suppliers match your search." in body


@pytest.mark.parametrize(
    "query",
    [
        "q=%00",
        "q=" + "a" * 5000,
        "page=abc",
        "page=99999",
        "page=-3",
        "page=1e99",
        "page=99999999999999999999999",
        "region=%00&capability=" + "x" * 3000,
        "sme=%00&ordering=%00",
        "q=%22unclosed+phrase&ordering=relevance",
        "q=-&q=or",
        "q=%27%3B+DROP+TABLE+suppliers_supplier%3B--",
        "s=1&unknown=2",
    ],
)
def test_malformed_query_strings_never_fail(client, register, query):
    response = client.get(f"{SEARCH}?{query}")
    assert response.status_code == 200
    assert Supplier.objects.count() == 2


def test_bad_values_are_explained_on_the_page(client, register):
    body = text(client.get(SEARCH, {"region": ["london", "atlantis"], "page": "abc"}))
    assert "We changed your search" in body
    assert "We do not recognise the region &quot;atlantis&quot;" in body
    assert "&quot;abc&quot; is not a page number" in body
    assert "Kestrel Ledger Systems" in body  # the London filter still applied


def test_a_page_past_the_end_shows_the_last_page(client, db):
    for n in range(21):
        make_supplier(f"Agile Firm {n:02d}", summary="Agile delivery.")
    body = text(client.get(SEARCH, {"q": "agile", "page": "7"}))
    assert "There is no page 7: this is page 2, the last page." in body
    assert "Showing 21 to 21 of 21" in body
    assert 'aria-label="Page 1"' in body and 'rel="prev"' in body


def test_misspelt_search_says_what_it_searched_and_links_to_the_words_as_typed(client, register):
    response = client.get(SEARCH, {"q": "Kestral Leger", "region": "london"})
    body = text(response)
    assert "Kestrel Ledger Systems" in body
    assert (
        "Showing results for <i>Kestrel Ledger</i>. "
        '<a class="govuk-link" href="?q=Kestral+Leger&amp;region=london&amp;correct=false">'
        "Search instead for <i>Kestral Leger</i></a>"
    ) in body
    # The link searches the words as typed, and says no more about spelling.
    as_typed = {"q": "Kestral Leger", "region": "london", "correct": "false"}
    as_typed = text(client.get(SEARCH, as_typed))
    assert "Showing results for" not in as_typed
    assert "0 suppliers found for ‘Kestral Leger’" in as_typed


def test_the_correction_is_escaped(client, register):
    body = text(client.get(SEARCH, {"q": "Kestral <b>x</b>"}))
    assert "<b>x</b>" not in body and "&lt;b&gt;" in body


def test_matched_capabilities_are_named_with_the_synonym_used(client, db):
    make_supplier("Quiet Bridge", summary="Quiet.", capabilities=["incident-response"])
    make_supplier("Probe Ltd", summary="Audits.", capabilities=["penetration-testing"])
    body = text(client.get(SEARCH, {"q": "cyber secuirty"}))
    assert "Capabilities: Incident response." in body
    assert ">Not stated</dd>" in body
    body = text(client.get(SEARCH, {"q": "pen testing"}))
    assert "Capabilities: Penetration testing (also known as ‘pen testing’)." in body


def test_how_results_are_ordered_shows_the_weights_in_use(client, db):
    body = text(client.get(SEARCH))
    weights = selectors.FIELD_WEIGHTS
    assert (
        f"A word counts {weights['name']} in its name, {weights['summary']} in its summary "
        f"or capabilities, and {weights['description']} in its description"
    ) in body
    assert f"scores {selectors.CAPABILITY_BOOST} more" in body
    assert f"those that serve it score {selectors.REGION_BOOST} more" in body


@pytest.mark.parametrize("count", [12, 25])  # 12 rows on the page, or 20
def test_search_page_query_count_does_not_depend_on_page_size(
    client, db, count, django_assert_num_queries
):
    for n in range(count):
        make_supplier(f"Cloud Firm {n:02d}", summary="Cloud hosting.", regions=["london"])
    # reference data, spelling check (with the words' lexemes), the taxonomy's lexemes,
    # counts with facets, the page
    with django_assert_num_queries(5):
        assert client.get(SEARCH, {"q": "cloud", "region": "london"}).status_code == 200
    with django_assert_num_queries(5):  # corrected ("clowd" → "cloud"): the same statements
        body = text(client.get(SEARCH, {"q": "clowd", "region": "london"}))
    assert "Showing results for <i>cloud</i>" in body
    # As typed: no spelling check, so the words' lexemes are a query of their own (one
    # more than before the taxonomy was matched in Python; the API, which keeps its
    # reference data and the taxonomy's lexemes with it, runs as many as before).
    with django_assert_num_queries(5):
        client.get(SEARCH, {"q": "cloud", "region": "london", "correct": "false"})
    with django_assert_num_queries(3):  # no words: no spelling, no capability matching
        assert client.get(SEARCH, {"page": "2"}).status_code == 200


def test_search_page_query_count_for_a_signed_in_civil_servant(
    client, register, civil_servant, django_assert_num_queries
):
    client.force_login(civil_servant)
    # + session and user; + which results are on their shortlists
    with django_assert_num_queries(8):
        body = text(client.get(SEARCH, {"q": "kestral"}))
    assert "Add to shortlist" in body


def test_shortlist_links_only_for_civil_servants(client, register, other_owner):
    assert "Add to shortlist" not in text(client.get(SEARCH))
    client.force_login(other_owner)
    assert "Add to shortlist" not in text(client.get(SEARCH))


# --- Profiles ----------------------------------------------------------------------------


def test_profile_shows_everything(client, register):
    response = client.get(reverse("suppliers:detail", args=[register["northgate"].slug]))
    body = text(response)
    assert response.status_code == 200
    assert '<h1 class="govuk-heading-xl">Northgate Data Works</h1>' in body
    assert "Data and AI" in body and "Data engineering" in body
    assert "Cyber security" in body and "Penetration testing" in body
    assert "Data platform for a council" in body
    assert "Scotland" in body


def test_the_description_is_styled_as_govuk_body_text(client, register):
    """Its paragraphs (|linebreaks) sit in .app-prose, GOV.UK body text (static/scss/app.scss;
    the font is measured in Chromium by tests/browser/test_supplier_layout.py)."""
    body = text(client.get(reverse("suppliers:detail", args=[register["kestrel"].slug])))
    expected = '<div class="app-prose" id="supplier-description"><p>We migrate finance'
    assert expected in body


def test_profile_query_count_is_fixed(client, register, django_assert_num_queries):
    # supplier + hq region, then regions, capabilities with groups, certifications,
    # frameworks, case studies; then the public contracts' totals (and, when it has
    # any, their list: tests/suppliers/test_public_records_views.py pins that)
    with django_assert_num_queries(7):
        client.get(reverse("suppliers:detail", args=[register["kestrel"].slug]))


def test_slug_links_survive_a_rename(client, register):
    from suppliers import services

    services.supplier_update(actor=None, supplier=register["kestrel"], name="Kestrel Ledger Ltd")
    response = client.get("/suppliers/kestrel-ledger-systems/")
    assert response.status_code == 200
    assert "Kestrel Ledger Ltd" in text(response)


@pytest.fixture
def draft(db):
    return make_supplier("Draft Dynamics", summary="Not yet.", status="draft")


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 404),
        ("other_owner", 404),
        ("civil_servant", 404),
        ("draft_member", 200),
        ("moderator", 200),
    ],
)
def test_unpublished_profiles_only_for_their_people(client, draft, request, who, status):
    if who == "draft_member":
        client.force_login(factories.MembershipFactory(supplier=draft, role="member").user)
    elif who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("suppliers:detail", args=[draft.slug]))
    assert response.status_code == status
    if status == 200:
        assert "This profile is draft and is not public" in text(response)


def test_suspended_supplier_says_it_is_unavailable(client, db, moderator):
    supplier = make_supplier("Paused Partners", summary="Gone.", status="suspended")
    url = reverse("suppliers:detail", args=[supplier.slug])
    response = client.get(url)
    assert response.status_code == 200
    assert "This supplier is currently unavailable" in text(response)
    assert "Gone." not in text(response)
    client.force_login(moderator)
    assert "Gone." in text(client.get(url))


def test_unknown_profile_is_404(client, db):
    assert client.get("/suppliers/no-such-supplier/").status_code == 404


# --- Compare --------------------------------------------------------------------------------


def test_compare_two_suppliers_side_by_side(client, register, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        response = client.get(
            reverse("suppliers:compare"),
            {"s": [register["kestrel"].slug, register["northgate"].slug]},
        )
    body = text(response)
    assert response.status_code == 200
    assert body.index("Kestrel Ledger Systems") < body.index("Northgate Data Works")
    assert "Machine learning" in body and "Penetration testing" in body
    assert "There is a problem" not in body


@pytest.mark.parametrize(
    ("slugs", "message"),
    [
        ([], "Choose at least 2 suppliers"),
        (["kestrel-ledger-systems"], "Choose at least 2 suppliers"),
        (
            ["kestrel-ledger-systems", "nobody"],
            "We could not find a published supplier &quot;nobody&quot;",
        ),
        (["a", "b", "c", "d", "e"], "You chose 5 suppliers. Choose up to 4 to compare."),
        (["kestrel-ledger-systems", "kestrel-ledger-systems"], "Choose at least 2 suppliers"),
        (["\x00", "x" * 5000], "Choose at least 2 suppliers"),
    ],
)
def test_compare_explains_a_wrong_choice(client, register, slugs, message):
    response = client.get(reverse("suppliers:compare"), {"s": slugs})
    assert response.status_code == 200
    assert "There is a problem" in text(response)
    assert message in text(response)


# --- Market map -------------------------------------------------------------------------------


def test_market_map_has_a_chart_and_a_table_with_links(client, register):
    from django.core.cache import cache

    cache.delete("suppliers:market-map:v1")
    body = text(client.get("/techmap/"))
    assert "<svg" in body and 'aria-hidden="true"' in body
    assert "<table" in body
    # Data and AI × London: Kestrel (an SME) → "1 (100%)", linking to that search.
    assert "Data and AI suppliers in London" in body
    link = "/suppliers/?capability=data-engineering&amp;capability=data-analytics"
    assert link in body and "region=london" in body


def test_a_market_map_cell_lists_its_suppliers_in_the_fair_daily_order(client, db):
    import re

    for n in range(8):
        make_supplier(
            f"{chr(65 + n)} Cloud Firm",
            summary="Hosting.",
            regions=["london"],
            capabilities=["cloud-hosting"],
        )
    page = text(client.get(reverse("suppliers:market_map")))
    cell = re.search(r'href="(/suppliers/\?capability=cloud-hosting[^"]*region=london)"', page)
    cell = cell.group(1).replace("&amp;", "&")
    assert "ordering" not in cell, cell
    body = text(client.get(cell))
    listed = re.findall(r'<h3 class="govuk-heading-s[^>]*><a [^>]*>([^<]+)</a>', body)
    assert sorted(listed) == [f"{chr(65 + n)} Cloud Firm" for n in range(8)], cell
    today = timezone.localdate().isoformat()
    by_hash = sorted(
        Supplier.objects.all(),
        key=lambda s: (hashlib.md5(f"{s.pk}:{today}".encode()).hexdigest(), s.pk),
    )
    assert listed == [s.name for s in by_hash]


def test_market_map_cells_are_labelled_and_the_page_runs_a_fixed_number_of_queries(
    client, register, django_assert_num_queries
):
    """Each number carries its region (the stacked table on small screens shows it beside
    the number, CSS only); more suppliers, same queries; names, never codes."""
    from django.core.cache import cache

    from tests.helpers import assert_no_raw_codes

    cache.delete("suppliers:market-map:v1")
    with django_assert_num_queries(2) as first:
        body = text(client.get("/techmap/"))
    assert 'data-label="Northern Ireland"' in body and 'data-label="All regions"' in body
    assert_no_raw_codes(body)
    for n in range(5):
        make_supplier(f"Extra {n}", regions=["scotland"], capabilities=["user-research"])
    cache.delete("suppliers:market-map:v1")
    with django_assert_num_queries(len(first.captured_queries)):
        assert client.get("/techmap/").status_code == 200
