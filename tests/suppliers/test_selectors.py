"""The search selector, facets, comparisons and the market map, on real PostgreSQL.

Suppliers are made through suppliers.services.supplier_create, so their search vectors
are the ones production writes. ``make_supplier`` is shared with the other search tests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from suppliers import selectors, services
from suppliers.models import (
    Capability,
    Certification,
    Framework,
    Region,
    Supplier,
)
from suppliers.selectors import SearchParams, SupplierSearch

_numbers = itertools.count(30_000_000)


def make_supplier(
    name: str,
    *,
    summary: str = "",
    description: str = "",
    size: str = "small",
    status: str = "published",
    regions=(),
    capabilities=(),
    certifications=(),
    frameworks=(),
    case_studies=(),
    **fields,
) -> Supplier:
    """A supplier written through the service (search vector and all); m2m by code/slug."""
    supplier = services.supplier_create(
        actor=None,
        name=name,
        companies_house_number=f"{next(_numbers):08d}",
        summary=summary,
        description=description,
        size=size,
        status=status,
        regions=list(Region.objects.filter(slug__in=regions)),
        capabilities=list(Capability.objects.filter(code__in=capabilities)),
        certifications=list(Certification.objects.filter(code__in=certifications)),
        frameworks=list(Framework.objects.filter(code__in=frameworks)),
        **fields,
    )
    for title in case_studies:
        services.case_study_create(
            actor=None, supplier=supplier, title=title, client_type="public", summary=title
        )
    return supplier


def ids(region_slugs=(), capability_codes=()):
    return (
        tuple(Region.objects.filter(slug__in=region_slugs).values_list("pk", flat=True)),
        tuple(Capability.objects.filter(code__in=capability_codes).values_list("pk", flat=True)),
    )


def search(q: str = "", **params) -> SupplierSearch:
    return SupplierSearch(SearchParams(q=q, **params))


def names(page) -> list[str]:
    return [r.supplier.name for r in page.results]


@pytest.fixture
def register(db):
    """A small register: three published suppliers, and ones the public must not see."""
    return {
        "kestrel": make_supplier(
            "Kestrel Ledger Systems",
            summary="Cloud accounting and machine learning for public sector finance teams.",
            description="We migrate finance systems to the cloud and build data pipelines.",
            regions=["london", "wales"],
            capabilities=["machine-learning", "cloud-hosting"],
            certifications=["iso-27001"],
            frameworks=["g-cloud"],
        ),
        "northgate": make_supplier(
            "Northgate Data Works",
            summary="Data engineering and analytics for councils.",
            description="Geospatial data platforms. We also do penetration testing.",
            size="large",
            regions=["scotland"],
            capabilities=["data-engineering", "penetration-testing"],
            certifications=["cyber-essentials"],
        ),
        "wren": make_supplier(
            "Wren Secure",
            summary="Security operations for the NHS.",
            description="Round-the-clock monitoring.",
            size="micro",
            regions=["london"],
            capabilities=["security-operations-centre", "incident-response"],
            case_studies=["Threat hunting for a health board"],
        ),
        "draft": make_supplier("Hidden Cloud Draft", summary="Cloud hosting.", status="draft"),
        "suspended": make_supplier(
            "Suspended Cloud Co", summary="Cloud hosting.", status="suspended"
        ),
    }


# --- Text search -----------------------------------------------------------------------


def test_only_published_suppliers_are_found(register):
    page = search("cloud").page()
    assert names(page) == ["Kestrel Ledger Systems"]
    assert search().count() == 3


def test_web_search_syntax_phrases_exclusions_and_or(register):
    assert names(search('"data engineering"').page()) == ["Northgate Data Works"]
    assert names(search("data -geospatial").page()) == ["Kestrel Ledger Systems"]
    assert sorted(names(search("kestrel or wren").page())) == [
        "Kestrel Ledger Systems",
        "Wren Secure",
    ]


def test_name_matches_rank_above_description_matches(db):
    make_supplier("Harbour Analytics", summary="Reports.", description="Dashboards.")
    make_supplier("Quay Partners", summary="Reports.", description="We love harbour work.")
    assert names(search("harbour").page()) == ["Harbour Analytics", "Quay Partners"]


def test_a_stop_word_name_is_found_through_the_simple_configuration(db):
    make_supplier("The IT Works", summary="Printers.")
    make_supplier("Works Ltd", summary="Building works.")
    assert names(search("the it works").page())[0] == "The IT Works"


def test_summary_highlight_is_escaped_html_with_marks(db):
    make_supplier("Angle Co", summary="<b>Cloud</b> & cyber for <script>councils</script>")
    result = search("cloud").page().results[0]
    assert "<mark>Cloud</mark>" in result.summary_html
    assert "&lt;b&gt;" in result.summary_html
    assert "<script>" not in result.summary_html
    assert "&amp;" in result.summary_html


def test_why_it_matched_names_fields_and_capabilities(register):
    result = search("machine learning").page().results[0]
    assert result.supplier.name == "Kestrel Ledger Systems"
    assert [c.name for c in result.matched_capabilities] == ["Machine learning"]
    assert "summary" in result.why

    result = search("penetration").page().results[0]
    assert result.supplier.name == "Northgate Data Works"
    assert "description" in result.why
    assert "<mark>penetration</mark>" in result.description_snippet_html


def test_a_case_study_match_is_named(register):
    result = search("threat hunting").page().results[0]
    assert result.supplier.name == "Wren Secure"
    assert result.matched_case_studies == ["Threat hunting for a health board"]
    assert "case studies" in result.why


# --- Spelling correction ------------------------------------------------------------------


def test_a_misspelt_name_is_corrected_and_finds_the_supplier(register):
    found = search("Kestral Leger")
    assert names(found.page()) == ["Kestrel Ledger Systems"]
    assert found.correction.corrected == "Kestrel Ledger"
    assert found.correction.words == (("kestral", "kestrel"), ("leger", "ledger"))


def test_a_misspelt_capability_group_finds_suppliers_with_its_capabilities(register):
    found = search("cyber secuirty")
    page = found.page()
    assert found.correction.corrected == "cyber security"
    # Wren holds two cyber capabilities; Northgate one; Kestrel none (and no cyber words).
    assert names(page) == ["Wren Secure", "Northgate Data Works"]
    assert page.results[0].matched_capabilities and page.results[1].matched_capabilities


@pytest.mark.parametrize(
    ("typo", "corrected"),
    # "machin" is the English stem of "machine": known, and found without a correction.
    [("machin learning", None), ("machine lerning", "machine learning")],
)
def test_a_misspelt_capability_finds_suppliers(register, typo, corrected):
    found = search(typo)
    assert names(found.page()) == ["Kestrel Ledger Systems"]
    assert (found.correction and found.correction.corrected) == corrected


def test_a_misspelt_description_word_is_corrected(db):
    make_supplier("Bastion Ltd", summary="Recovery.", description="We stop ransomware attacks.")
    found = search("ransomwear")
    assert found.correction.corrected == "ransomware"
    assert names(found.page()) == ["Bastion Ltd"]


def test_at_most_two_words_are_corrected(register):
    found = search("kestral leger sytems")
    assert found.correction.words == (("kestral", "kestrel"), ("leger", "ledger"))
    assert found.correction.corrected == "kestrel ledger sytems"


def test_known_words_are_never_corrected(db):
    make_supplier("Cloud Firm", summary="Cloud hosting.")
    make_supplier("Clod Hoppers", summary="Gardening.")
    found = search("clod")
    assert found.correction is None
    assert names(found.page()) == ["Clod Hoppers"]
    # A form of a known word (same English stem) is known too.
    assert search("hoppers gardens").correction is None


def test_correction_can_be_turned_off(register):
    found = search("Kestral Leger", correct=False)
    assert found.correction is None
    assert found.page().results == []


def test_exact_matches_come_before_corrected_ones(db):
    make_supplier("Kestrel Hawks", summary="Birds of prey.")
    make_supplier("Ledger Books", summary="Bookkeeping.")
    found = search("kestral or ledger")
    assert found.correction.corrected == "kestrel or ledger"
    # "ledger" matched as typed: first, though "kestrel" (corrected) is in a name too.
    page = found.page()
    assert names(page) == ["Ledger Books", "Kestrel Hawks"]
    assert page.results[0].rank > selectors.EXACT_BOOST > page.results[1].rank


def test_drafts_words_are_not_in_the_vocabulary(register):
    # "Hidden Cloud Draft" is a draft: its name is no correction target.
    assert search("hiddem").correction is None


def test_corrections_still_honour_excluded_words(register):
    assert "Northgate Data Works" not in names(search("cyber secuirty -geospatial").page())


# --- Capabilities and synonyms -------------------------------------------------------------


def test_capabilities_outrank_names_that_merely_contain_a_word(db):
    # The case: "Security" in the name and "Cyber Essentials" in the text, but no
    # cyber capability, used to come first for "cyber security".
    make_supplier(
        "Lindum Thread Security",
        summary="Security of cloud estates.",
        description="We hold Cyber Essentials.",
        capabilities=["cloud-hosting"],
    )
    make_supplier(
        "Morrow Nimbus Services",
        summary="Testing before go-live.",
        description="Cyber security testing.",
        capabilities=["penetration-testing"],
    )
    page = search("cyber security").page()
    assert names(page) == ["Morrow Nimbus Services", "Lindum Thread Security"]
    assert [c.name for c in page.results[0].matched_capabilities] == ["Penetration testing"]
    assert page.results[0].rank > selectors.CAPABILITY_BOOST > page.results[1].rank


def test_a_region_named_finds_suppliers_serving_it_first(db):
    make_supplier("Serves Scotland", summary="User research.", regions=["scotland"])
    make_supplier("Mentions Scotland", summary="User research, once in Scotland.")
    make_supplier("Elsewhere", summary="User research.", regions=["wales"])
    make_supplier("Scotland Only", summary="Payments.", regions=["scotland"])
    page = search("user research Scotland").page()
    assert names(page) == ["Serves Scotland", "Mentions Scotland"]
    assert page.results[0].rank - page.results[1].rank > selectors.REGION_BOOST / 2
    # "the North West" names a region too; quoted or "or" queries are left as typed.
    make_supplier("Serves NW", summary="User research.", regions=["north-west"])
    assert names(search("user research in the North West").page()) == ["Serves NW"]
    assert search('"user research" or Scotland')._region_named == ((), "")
    assert search("Scotland")._region_named == ((), "")  # nothing else to match


@pytest.mark.parametrize(
    ("q", "code", "synonym"),
    [
        ("pen testing", "penetration-testing", "pen testing"),
        ("IT health check", "penetration-testing", "IT health check"),
        ("ML", "machine-learning", "ML"),
        ("GIS", "geospatial-data", "GIS"),
        ("RPA", "robotics-and-automation", "RPA"),
    ],
)
def test_searches_expand_through_synonyms_and_say_which(db, q, code, synonym):
    capability = Capability.objects.get(code=code)
    make_supplier("Plain Words Ltd", summary="Good work.", capabilities=[code])
    make_supplier("Other Firm", summary="Good work.", capabilities=["payments"])
    page = search(q).page()
    assert names(page) == ["Plain Words Ltd"]
    assert page.results[0].capability_labels == [f"{capability.name} (also known as ‘{synonym}’)"]


# --- Fair tie-break ----------------------------------------------------------------------


def test_equal_ranks_are_ordered_by_a_daily_hash_not_always_the_same_first(db):
    for n in range(6):
        make_supplier(f"Identical {chr(65 + n)}", summary="Quantum widgets.")
    day = dt.date(2026, 1, 1)
    orders = [names(search("widgets", day=day + dt.timedelta(days=d)).page()) for d in range(10)]
    assert len({tuple(order) for order in orders}) > 1
    assert len({order[0] for order in orders}) > 1
    # Stable within a day (pages do not shuffle) …
    assert names(search("widgets", day=day).page()) == orders[0]
    # … and exactly the documented hash order.
    expected = sorted(
        Supplier.objects.filter(name__startswith="Identical"),
        key=lambda s: (hashlib.md5(f"{s.pk}:{day.isoformat()}".encode()).hexdigest(), s.pk),
    )
    assert orders[0] == [s.name for s in expected]


@pytest.mark.parametrize("filtered", [False, True])
def test_ties_across_page_boundaries_follow_the_daily_hash_on_every_page(db, filtered):
    # The scan hashes only the rows tied with a page's last rank (FETCH … WITH TIES), not
    # every match: every page must still be the full order's slice (rank, then the hash,
    # then the id), and the same as the queryset the API and the CSV page through.
    for n in range(3):
        make_supplier(f"Widgets {chr(65 + n)}", summary="Quantum widgets.", regions=["london"])
    for n in range(9):
        make_supplier(f"Tied {chr(65 + n)}", summary="Quantum widgets.", regions=["london"])
    make_supplier("Elsewhere Widgets", summary="Quantum widgets.", regions=["scotland"])
    day = dt.date(2026, 5, 4)
    params = {"regions": ids(["london"])[0]} if filtered else {}
    found = search("widgets", day=day, **params)
    ranked = list(found.queryset())
    assert len({s.rank for s in ranked}) == 2  # two levels of rank: names, and ties

    def daily(s) -> str:
        return hashlib.md5(f"{s.pk}:{day.isoformat()}".encode()).hexdigest()

    expected = sorted(ranked, key=lambda s: (-s.rank, daily(s), s.pk))
    assert [s.pk for s in ranked] == [s.pk for s in expected]
    last = 3 if filtered else 4  # 12 suppliers in London, 13 in all
    pages = [names(found.page(number, size=4)) for number in range(1, last + 1)]
    assert list(itertools.chain(*pages)) == [s.name for s in expected]
    assert found.page(9, size=4).number == last  # brought into range: the last slice
    assert names(found.page(9, size=4)) == pages[-1]


@pytest.mark.parametrize("filtered", [False, True])
def test_without_words_the_default_is_the_daily_order_not_names(db, filtered):
    # A filter-only search (as a market-map cell links to) and the bare register alike.
    for n in range(8):
        make_supplier(f"{chr(65 + n)} Supplier", summary="Work.", regions=["london"])
    params = {"regions": ids(["london"])[0]} if filtered else {}
    day = dt.date(2026, 3, 1)
    expected = sorted(
        Supplier.objects.all(),
        key=lambda s: (hashlib.md5(f"{s.pk}:{day.isoformat()}".encode()).hexdigest(), s.pk),
    )
    found = names(search(day=day, **params).page())
    assert found == [s.name for s in expected]
    assert found != sorted(found)  # not alphabetical (this day's order is not A to H)
    # Name order stays a choice.
    by_name = names(search(day=day, ordering="name", **params).page())
    assert by_name == sorted(by_name)


# --- Filters and facets ------------------------------------------------------------------


def test_filters_or_within_and_across(register):
    london, _ = ids(["london"])
    scotland, _ = ids(["scotland"])
    assert sorted(names(search(regions=london + scotland).page())) == [
        "Kestrel Ledger Systems",
        "Northgate Data Works",
        "Wren Secure",
    ]
    _, ml = ids(capability_codes=["machine-learning"])
    assert names(search(regions=london, capabilities=ml).page()) == ["Kestrel Ledger Systems"]
    assert names(search(sme=False).page()) == ["Northgate Data Works"]
    assert sorted(names(search(sme=True).page())) == ["Kestrel Ledger Systems", "Wren Secure"]
    cert = tuple(Certification.objects.filter(code="iso-27001").values_list("pk", flat=True))
    assert names(search(certifications=cert).page()) == ["Kestrel Ledger Systems"]
    fw = tuple(Framework.objects.filter(code="g-cloud").values_list("pk", flat=True))
    assert names(search(frameworks=fw).page()) == ["Kestrel Ledger Systems"]


def _counts(options):
    return {o.option.code: o.count for o in options if o.count}


def test_facets_count_with_the_other_filters_but_not_their_own(register):
    london, _ = ids(["london"])
    facets = search(regions=london).facets()
    # The region facet ignores the region filter: every region keeps its count.
    assert _counts(facets.regions) == {"london": 2, "wales": 1, "scotland": 1}
    assert [o.option.code for o in facets.regions if o.selected] == ["london"]
    # The other facets count only London suppliers.
    capability_counts = {
        o.option.code: o.count for _, opts in facets.capability_groups for o in opts if o.count
    }
    assert capability_counts == {
        "machine-learning": 1,
        "cloud-hosting": 1,
        "security-operations-centre": 1,
        "incident-response": 1,
    }
    assert (facets.sme, facets.not_sme) == (2, 0)
    assert _counts(facets.certifications) == {"iso-27001": 1}


def test_facets_follow_the_text(register):
    facets = search("data").facets()
    assert _counts(facets.regions) == {"london": 1, "wales": 1, "scotland": 1}
    assert (facets.sme, facets.not_sme) == (1, 1)


def test_sme_facet_ignores_the_sme_filter(register):
    facets = search(sme=True).facets()
    assert (facets.sme, facets.not_sme) == (2, 1)
    assert search(sme=True).count() == 2


def test_a_supplier_without_a_size_is_neither_sme_nor_large(register):
    make_supplier("Sizeless Ltd", summary="No size yet.", size="")
    assert (search().facets().sme, search().facets().not_sme) == (2, 1)
    assert "Sizeless Ltd" not in names(search(sme=False).page())
    assert "Sizeless Ltd" not in names(search(sme=True).page())
    assert search().count() == 4


# --- Pages, ordering, counts ---------------------------------------------------------------


@pytest.fixture
def many(db):
    return [
        make_supplier(f"Supplier {n:02d}", summary="Agile delivery.", regions=["london"])
        for n in range(25)
    ]


def test_pages_of_twenty_brought_into_range(many):
    found = search("agile")
    first = found.page(1)
    assert len(first.results) == 20 and first.num_pages == 2 and first.count == 25
    last = found.page(99_999)
    assert last.number == 2 and last.out_of_range and len(last.results) == 5
    assert found.page(0).number == 1
    assert set(names(first)).isdisjoint(names(last))


def test_orderings(many):
    by_name = names(search(ordering="name").page())
    assert by_name == sorted(by_name, key=str.upper)
    newest = many[7]
    services.supplier_update(actor=None, supplier=newest, summary="Agile delivery, updated.")
    assert names(search(ordering="updated").page())[0] == newest.name
    assert SearchParams(q="x").effective_ordering == "relevance"
    assert SearchParams().effective_ordering == "relevance"  # the fair daily order


def test_queries_do_not_grow_with_the_page(many):
    found = search("agile")
    with CaptureQueriesContext(connection) as small:
        found.page(2), found.facets()  # 5 rows
    found = search("agile")
    with CaptureQueriesContext(connection) as large:
        found.page(1), found.facets()  # 20 rows
    assert len(small) == len(large) <= 5


def test_export_queryset_has_every_match_with_names(many):
    rows = list(search("agile").export_queryset())
    assert len(rows) == 25
    assert rows[0]["region_names"] == ["London"]


# --- Comparison and the market map ---------------------------------------------------------


def test_suppliers_to_compare(register):
    found, missing = selectors.suppliers_to_compare(
        [register["wren"].slug, "nope", register["kestrel"].slug, register["draft"].slug]
    )
    assert [s.name for s in found] == ["Wren Secure", "Kestrel Ledger Systems"]
    assert missing == ["nope", register["draft"].slug]
    assert found[0].case_study_count == 1


def test_market_map_counts_cells_totals_and_sme_share(register):
    data = selectors.market_map(use_cache=False)
    cells = {
        (group.code, cell.region.code): (cell.suppliers, cell.sme_share)
        for group, row, _ in data.rows
        for cell in row
        if cell.suppliers
    }
    assert cells == {
        ("cloud", "london"): (1, 100),
        ("cloud", "wales"): (1, 100),
        ("data-and-ai", "london"): (1, 100),
        ("data-and-ai", "wales"): (1, 100),
        ("data-and-ai", "scotland"): (1, 0),
        ("cyber-security", "scotland"): (1, 0),
        ("cyber-security", "london"): (1, 100),
    }
    totals = {group.code: total.suppliers for group, _, total in data.rows if total.suppliers}
    assert totals == {"cloud": 1, "data-and-ai": 2, "cyber-security": 2}
    assert {c.region.code: c.suppliers for c in data.region_totals if c.suppliers} == {
        "london": 2,
        "wales": 1,
        "scotland": 1,
    }
    assert data.total == 3


def test_market_map_is_one_query(register):
    refdata = selectors.reference_data()
    with CaptureQueriesContext(connection) as queries:
        selectors.market_map(refdata=refdata, use_cache=False)
    assert len(queries) == 1


def test_case_studies_of_unpublished_suppliers_do_not_leak(register):
    services.case_study_create(
        actor=None,
        supplier=register["draft"],
        title="Secret",
        client_type="public",
        summary="Zebra.",
    )
    assert search("zebra").count() == 0


def test_searches_without_words_are_cached_briefly_and_with_words_never(register, settings):
    from django.core.cache import cache

    settings.SUPPLIER_SEARCH_CACHE_SECONDS = 60
    key = search()._scan_cache_key(1, 20)
    cache.delete(key)
    try:
        first = search()
        assert first.count() == 3
        make_supplier("Latecomer Ltd", summary="Just published.")
        with CaptureQueriesContext(connection) as queries:
            again = search()
            assert again.count() == 3  # the minute-old figure, without touching the table
            assert names(again.page()) == names(first.page())
        assert not any("WITH m AS" in q["sql"] for q in queries.captured_queries)
        assert search("latecomer").count() == 1  # words are always searched afresh
        assert search(regions=ids(["london"])[0])._scan_cache_key(1, 20) != key
        settings.SUPPLIER_SEARCH_CACHE_SECONDS = 0
        assert search().count() == 4
    finally:
        cache.delete(key)
