"""SupplierFilterSet: the one parser of search parameters for the page, the CSV and the API."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from suppliers.filters import (
    MAX_VALUES,
    SupplierFilterSet,
    clean_search_query,
    query_string,
)
from suppliers.models import Capability, Region
from tests.suppliers.test_selectors import make_supplier


def fs(query: str, **kwargs) -> SupplierFilterSet:
    return SupplierFilterSet(QueryDict(query), **kwargs)


def region_id(slug: str) -> int:
    return Region.objects.get(slug=slug).pk


def test_codes_and_slugs_become_ids_any_case(db):
    filterset = fs(
        "q=cloud&region=London&region=tlm&capability=MACHINE-LEARNING&sme=Yes&ordering=updated"
    )
    params = filterset.params
    assert params.q == "cloud"
    assert params.regions == (region_id("london"), region_id("scotland"))
    assert params.capabilities == (Capability.objects.get(code="machine-learning").pk,)
    assert params.sme is True
    assert params.ordering == "updated"
    assert filterset.notices == []
    assert filterset.is_valid()


@pytest.mark.parametrize(
    ("query", "notice"),
    [
        ("region=atlantis", 'We do not recognise the region "atlantis", so it was ignored.'),
        ("capability=%00", 'We do not recognise the capability "?", so it was ignored.'),
        ("certification=" + "x" * 500, "We do not recognise the certification"),
        ("framework=nope", 'We do not recognise the framework "nope"'),
        ("sme=maybe", 'The size filter "maybe" was ignored'),
        ("ordering=price", 'We cannot sort by "price", so results are sorted by relevance.'),
        ("q=" + "word " * 60, "Your search was longer than 200 characters"),
        ("correct=perhaps", 'The option "perhaps" was ignored: use "correct=false"'),
        ("q=cloud%00", "Your search contained characters we cannot search for"),
    ],
)
def test_bad_values_are_ignored_and_explained(db, query, notice):
    filterset = fs(query)
    assert any(notice in n for n in filterset.notices), filterset.notices
    list(filterset.qs)  # and the search still runs


def test_the_good_values_survive_next_to_bad_ones(db):
    filterset = fs("region=london&region=atlantis&region=wales")
    assert filterset.params.regions == (region_id("london"), region_id("wales"))
    assert filterset.is_valid()  # lenient: unknown codes are notices, not errors
    assert len(filterset.notices) == 1


def test_strict_mode_makes_unknown_codes_errors_for_the_api(db):
    filterset = fs("region=london&region=atlantis", strict=True)
    assert not filterset.is_valid()
    assert "region" in filterset.errors
    assert "atlantis" in str(filterset.errors["region"])


def test_too_many_values_are_not_read(db):
    query = "&".join(["region=london"] * (MAX_VALUES + 5))
    filterset = fs(query)
    assert filterset.params.regions == (region_id("london"),)


def test_selected_filters_keep_the_values_as_written(db):
    selected = fs("region=TLI&sme=false").selected()
    assert [(s.parameter, s.value, s.raw_values) for s in selected] == [
        ("region", "London", ("TLI",)),
        ("sme", "Large suppliers only", ("false",)),
    ]


def test_qs_is_the_ordered_search_and_only_published_even_unbound(db):
    make_supplier("Alpha Cloud", summary="Cloud.")
    make_supplier("Beta Cloud", summary="Cloud.", status="draft")
    assert [s.name for s in SupplierFilterSet(None).qs] == ["Alpha Cloud"]
    assert [s.name for s in fs("q=cloud").qs] == ["Alpha Cloud"]
    assert fs("q=cloud").qs.query.order_by == ("-rank", "tiebreak", "pk")


def test_query_string_drops_page_and_one_value():
    data = QueryDict("q=cloud&region=london&region=wales&page=3")
    assert query_string(data) == "q=cloud&region=london&region=wales"
    assert query_string(data, drop="region", values=("wales",)) == "q=cloud&region=london"
    assert query_string(data, q=None) == "region=london&region=wales"


def test_clean_search_query_keeps_only_search_parameters():
    raw = "?page=2&q=cyber%00+security&evil=1&region=london&ordering=name&" + "x=1&" * 900
    assert clean_search_query(raw) == "q=cyber+security&region=london&ordering=name"
    assert clean_search_query("") == ""
    assert len(clean_search_query("&".join(["q=" + "a" * 150] * 100))) <= 2000


def test_the_queryset_alone_decides_typo_tolerance_with_one_count(db, django_assert_num_queries):
    make_supplier("Kestrel Ledger Systems", summary="Ledgers.")
    filterset = fs("q=Kestral+Ledger")
    with django_assert_num_queries(3):  # the exact count, the taxonomy, the rows
        assert [s.name for s in filterset.qs] == ["Kestrel Ledger Systems"]
