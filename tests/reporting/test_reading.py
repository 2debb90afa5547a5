"""Reporting that reads true (issue 18): ranks said as the share of comparable contracts
beaten, numbers apart from words in tables, named rating levels and the GOV.UK font on
charts, missing quarters shown as gaps, the scorecard linked from the supplier profile,
every missing value listed at once, names written as they are spelt."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from reporting import charts
from reporting.comparison import run_comparison
from reporting.models import Rating
from reporting.periods import period_code, period_label
from reporting.templatetags.reporting_tags import better_than, better_than_sentence
from reporting.validation import lower_first
from tests import factories
from tests.reporting.factories import ContractFactory, last_quarter

pytestmark = pytest.mark.django_db

METRIC = "milestones_on_time"
NUMBER = re.compile(r"^(–|<1%|[£+-]?[\d,]+(\.\d+)?(%| days)?)$")


def cells(page: str, kind: str) -> list[str]:
    """The text of every table cell of ``kind`` ("numeric" or "text") on the page."""
    found = re.findall(
        r'<td class="govuk-table__cell( govuk-table__cell--numeric)?\s*"[^>]*>(.*?)</td>',
        page,
        re.S,
    )
    return [
        html.unescape(re.sub(r"<[^>]+>", "", text)).strip()
        for numeric, text in found
        if bool(numeric) == (kind == "numeric")
    ]


@pytest.fixture
def ranked(contract, submit):
    """Six contracts in one category, last quarter: the contract best (100), one worst
    (40), two level (60), then 70 and 80. Each "better than" is over the five others."""
    others = {}
    submit(contract, milestones_on_time=100)
    for name, value in [("worst", 40), ("tie_a", 60), ("tie_b", 60), ("70", 70), ("80", 80)]:
        others[name] = ContractFactory(category=contract.category, title=f"Contract {name}")
        submit(others[name], milestones_on_time=value)
    run_comparison(full=True)
    return {"best": contract, **others}


# --- 1. A rank reads as the share of comparable contracts beaten --------------------------


@pytest.mark.parametrize(
    ("rank", "short", "sentence"),
    [
        (None, "–", "Not ranked"),
        (1.0, "100%", "Better than every other comparable contract"),
        (0.0, "0%", "Not better than any other comparable contract"),
        (0.97, "97%", "Better than 97% of comparable contracts"),
        # 0.29 * 100 is 28.999… in floating point: still 29%.
        (0.29, "29%", "Better than 29% of comparable contracts"),
        # Rounded down, never overstated; some but under 1% is not "0%".
        (0.9999, "99%", "Better than 99% of comparable contracts"),
        (0.004, "<1%", "Better than fewer than 1% of comparable contracts"),
    ],
)
def test_rank_is_said_as_the_share_beaten(rank, short, sentence):
    assert better_than(rank) == short
    assert better_than_sentence(rank) == sentence


def test_contract_pages_say_how_many_comparable_contracts_each_beat(client, ranked):
    expected = {
        "best": "Better than every other comparable contract",
        "worst": "Not better than any other comparable contract",
        "tie_a": "Better than 20% of comparable contracts",  # beats 40 only, not its twin
        "tie_b": "Better than 20% of comparable contracts",
        "70": "Better than 60% of comparable contracts",
        "80": "Better than 80% of comparable contracts",
    }
    for name, text in expected.items():
        page = client.get(reverse("reporting:contract", args=[ranked[name].pk])).content.decode()
        assert text in page, name
        assert "of 100" not in page


def test_benchmark_positions_give_the_share_beaten_in_numeric_cells(client, ranked):
    best = ranked["best"]
    url = reverse("reporting:benchmark", args=[best.category.code, METRIC])
    page = client.get(url).content.decode()
    assert "Better than (share of comparable contracts)" in page
    rows = re.findall(r'<tr class="govuk-table__row">\s*<td.*?</tr>', page, re.S)
    shares = {}
    for row in rows:
        title = re.search(r">((?:Test contract|Contract) [^<]+)</a>", row).group(1)
        shares[title] = cells(row, "numeric")[-1]
    assert shares == {
        best.title: "100%",
        "Contract 80": "80%",
        "Contract 70": "60%",
        "Contract tie_a": "20%",
        "Contract tie_b": "20%",
        "Contract worst": "0%",
    }


def test_a_contract_alone_in_its_category_is_not_ranked(client, contract, submit):
    submit(contract, milestones_on_time=90)
    run_comparison(full=True)
    page = client.get(reverse("reporting:contract", args=[contract.pk])).content.decode()
    assert "Not ranked" in page and "Better than" not in page
    url = reverse("reporting:benchmark", args=[contract.category.code, METRIC])
    page = client.get(url).content.decode()
    assert "Not enough data" in page
    assert cells(page, "numeric")[-1] == "–"  # its share cell: no number, no words


# --- 2. Numbers in numeric cells, words in text and header cells ---------------------------


def test_tables_put_numbers_in_numeric_cells_and_words_elsewhere(client, ranked):
    category, supplier = ranked["best"].category, ranked["best"].supplier
    pages = [
        reverse("reporting:benchmarks"),
        reverse("reporting:benchmark", args=[category.code, METRIC])
        + f"?contract={ranked['best'].pk}",
        reverse("reporting:benchmark", args=[category.code, "overall_rating"]),
        reverse("reporting:scorecard", args=[supplier.slug]),
    ]
    for url in pages:
        page = client.get(url).content.decode()
        numbers = cells(page, "numeric")
        assert numbers, url
        for text in numbers:
            assert NUMBER.match(text), f"{url}: words in a numeric cell: {text!r}"
    # The rating metric's values are words: in text cells.
    page = client.get(pages[2]).content.decode()
    assert "Good" in cells(page, "text")


def test_not_enough_data_is_said_in_words_beside_the_numbers(client, contract, submit):
    submit(contract)
    run_comparison(full=True)
    for url in [
        reverse("reporting:benchmarks"),
        reverse("reporting:scorecard", args=[contract.supplier.slug]),
    ]:
        page = client.get(url).content.decode()
        assert "Not enough data" in page
        assert not any("Not enough" in text for text in cells(page, "numeric")), url


# --- 3. Rating charts on named levels, in the GOV.UK font ----------------------------------


def test_rating_charts_use_the_four_named_levels(client, contract, ranked):
    names = [r.label for r in sorted(Rating, key=lambda r: -r.value)]
    chart = charts.rating_chart([{"code": "2025-Q1", "value": 3}, {"code": "2025-Q2", "value": 4}])
    assert [t["label"] for t in chart["ticks"]] == names
    page = client.get(reverse("reporting:contract", args=[contract.pk])).content.decode()
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    for name in names:
        assert f">{name}</text>" in svg
    url = reverse("reporting:benchmark", args=[contract.category.code, "overall_rating"])
    svg = re.search(r"<svg.*?</svg>", client.get(url).content.decode(), re.S).group(0)
    axis = re.findall(r'text-anchor="end"[^>]*>([^<]+)</text>', svg)
    assert axis == names  # not 0.8, 1.7, 2.5…


def test_every_chart_is_in_the_gov_uk_font_and_keeps_its_table(client, ranked):
    best = ranked["best"]
    for url in [
        reverse("reporting:contract", args=[best.pk]),
        reverse("reporting:benchmark", args=[best.category.code, METRIC]),
        reverse("reporting:scorecard", args=[best.supplier.slug]),
    ]:
        page = client.get(url).content.decode()
        svgs = re.findall(r'<svg [^>]*role="img"[^>]*>', page)  # the charts, not the logo
        assert svgs, url
        for svg in svgs:
            assert 'font-family="&quot;GDS Transport&quot;, arial, sans-serif"' in svg, url
            # and the chart's numbers follow it in a table
            assert "<table" in page.split(svg)[1].split("<svg")[0], url


# --- 4. A missing quarter is a gap -----------------------------------------------------------


@pytest.fixture
def gappy(contract, submit):
    """Reports for the quarters 3 and 1 back, none for 2 back, with five others so each
    quarter that has reports is compared."""
    others = [ContractFactory(category=contract.category) for _ in range(5)]
    for back in (3, 1):
        submit(contract, period=last_quarter(back), overall_rating="Approaching target")
        for other in others:
            submit(other, period=last_quarter(back))
    run_comparison(full=True)
    return contract


def test_contract_page_shows_a_missing_quarter(client, gappy):
    page = client.get(reverse("reporting:contract", args=[gappy.pk])).content.decode()
    missing = period_label(last_quarter(2))
    table = page.split("Overall KPI rating by quarter</caption>")[1].split("</table>")[0]
    assert re.search(rf">{missing}</th>\s*<td[^>]*>No report</td>", table)
    labels = re.findall(r'<th scope="row" class="govuk-table__header">([^<]+)</th>', table)
    assert labels == [period_label(last_quarter(b)) for b in (3, 2, 1)]
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    assert ">No report</text>" in svg and f">{period_code(last_quarter(2))}</text>" in svg
    assert svg.count("<circle") == 2  # the line breaks at the gap


def test_benchmark_and_scorecard_show_a_missing_quarter(client, gappy):
    missing = last_quarter(2)
    url = reverse("reporting:benchmark", args=[gappy.category.code, METRIC])
    page = client.get(url).content.decode()
    assert re.search(rf">{period_code(missing)}</th>\s*<td[^>]*>No report</td>", page)
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    assert ">No report</text>" in svg and svg.count("<rect") == 2
    page = client.get(reverse("reporting:scorecard", args=[gappy.supplier.slug])).content.decode()
    assert re.search(rf">{period_label(missing)}</th>\s*<td[^>]*>No report</td>", page)
    assert ">No report</text>" in page


# --- 5. The supplier profile links to the scorecard ------------------------------------------


def test_supplier_profile_links_to_the_contract_scorecard(client, supplier):
    page = client.get(reverse("suppliers:detail", args=[supplier.slug])).content.decode()
    assert f'href="{reverse("reporting:scorecard", args=[supplier.slug])}"' in page
    assert "contract scorecard</a>" in page


def test_unpublished_profile_has_no_scorecard_link(client, supplier, owner):
    supplier.status = "draft"
    supplier.save(update_fields=["status"])
    client.force_login(owner)  # its own people still see the profile
    page = client.get(reverse("suppliers:detail", args=[supplier.slug]))
    assert page.status_code == 200
    assert reverse("reporting:scorecard", args=[supplier.slug]) not in page.content.decode()


# --- 6. An empty report form lists every missing value at once -------------------------------


@pytest.mark.parametrize("sent", ["nothing", "blank boxes"])
def test_empty_report_form_lists_every_missing_measure(client, owner, contract, scheme, sent):
    client.force_login(owner)
    data = {}
    if sent == "blank boxes":  # what a browser sends: every text box, empty; no radio
        data = {
            f"{kind}_{m.code}": "" for m in scheme.metrics.all() for kind in ("value", "comment")
        }
        data.pop("value_overall_rating")
    response = client.post(reverse("reporting:report_new", args=[contract.pk]), data)
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    summary = page.split('govuk-error-summary__list">')[1].split("</ul>")[0]
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)
    required = [m for m in scheme.metrics.all() if m.required]
    assert len(links) == len(required) + 1  # and the quarter
    assert links[0][1] == "Choose the quarter you are reporting on"
    for metric in required:
        assert any(f"value_{metric.code}" in target for target, _ in links), metric.code
    for target, _ in links:
        assert f'id="{target}"' in page, target  # each entry leads to its field
    assert "Enter overall KPI rating." in [text for _, text in links]


# --- 8. Names written as they are spelt ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "mid_sentence"),
    [
        ("Overall KPI rating", "overall KPI rating"),
        ("Spend with SME subcontractors", "spend with SME subcontractors"),
        ("SME subcontract spend", "SME subcontract spend"),
        ("A", "a"),
        ("", ""),
    ],
)
def test_a_name_mid_sentence_keeps_its_abbreviations(name, mid_sentence):
    assert lower_first(name) == mid_sentence


def test_names_keep_their_capitals(client, owner, contract, ranked):
    client.force_login(owner)
    form = client.get(reverse("reporting:report_new", args=[contract.pk])).content.decode()
    assert "Comment on overall KPI rating (optional)" in form
    assert "Comment on spend with SME subcontractors (optional)" in form
    category = contract.category.code
    for url in [
        reverse("reporting:report_new", args=[contract.pk]),
        reverse("reporting:contract", args=[contract.pk]),
        reverse("reporting:benchmark", args=[category, "overall_rating"]),
        reverse("reporting:benchmark", args=[category, "sme_subcontract_spend"]),
        reverse(
            "reporting:benchmark",
            args=[factories.CapabilityGroupFactory().code, "sme_subcontract_spend"],
        ),
    ]:
        text = re.sub(r"<[^>]+>", " ", client.get(url).content.decode())
        assert "kpi" not in text, url
        assert not re.search(r"\bsme\b", text), url


# --- Query counts of the pages changed -------------------------------------------------------


def test_changed_pages_run_a_fixed_number_of_queries(
    client, gappy, owner, django_assert_num_queries
):
    category = gappy.category.code
    fixed = [
        (reverse("reporting:contract", args=[gappy.pk]), 5),
        (reverse("reporting:benchmarks"), 3),
        (reverse("reporting:benchmark", args=[category, METRIC]) + f"?contract={gappy.pk}", 8),
        (reverse("reporting:benchmark", args=[category, "overall_rating"]), 6),
        (reverse("reporting:scorecard", args=[gappy.supplier.slug]), 6),
    ]
    for url, count in fixed:
        with django_assert_num_queries(count):
            assert client.get(url).status_code == 200, url
    client.force_login(owner)
    url = reverse("reporting:report_new", args=[gappy.pk])
    for send in (client.get, client.post):  # the form, and the form refused
        with django_assert_num_queries(7):
            assert send(url, {}).status_code == 200
