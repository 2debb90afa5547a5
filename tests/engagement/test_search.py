"""Engagement requests are searched through the shared engine (core.search): spelling
correction against the requests' own vocabulary, facets with counts, "why it matched"."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engagement import services
from engagement.search import VOCABULARY
from suppliers.models import Capability, ScopedSearchWord
from tests import factories
from tests.engagement.factories import EngagementRequestFactory


@pytest.fixture
def listed(author, capability, region):
    other = Capability.objects.exclude(pk=capability.pk).order_by("pk").first()
    made = []
    for title, problem, cap, help_kind in [
        ("Drone inspection of railway bridges", "Inspecting bridges is slow.", other, "workshop"),
        ("Telecare for people living alone", "Falls at home go unnoticed.", capability, "workshop"),
        (
            "Ransomware recovery drills",
            "Councils rehearse restoring backups.",
            capability,
            "written_input",
        ),
    ]:
        er = EngagementRequestFactory(
            author=author, title=title, problem=problem, help_kind=help_kind, capabilities=[cap]
        )
        made.append(services.engagement_request_publish(actor=author, engagement_request=er))
    return made


def _titles(response) -> list[str]:
    return [er.title for er in response.context["requests"]]


def test_the_vocabulary_is_kept_on_the_write_path(listed):
    words = set(
        ScopedSearchWord.objects.filter(scope=VOCABULARY.scope).values_list("word", flat=True)
    )
    assert {"ransomware", "telecare", "drone", "backups", "rehearse"} <= words
    assert ScopedSearchWord.objects.get(scope="engagement", word="ransomware").in_name
    # The registry's vocabulary is another scope: these words are not in it.
    assert not ScopedSearchWord.objects.filter(scope="lessons").exists()


def test_a_misspelt_word_is_corrected_and_explained(client, listed):
    got = client.get("/engagement/", {"q": "ransomwear"})
    assert _titles(got) == ["Ransomware recovery drills"]
    body = got.content.decode()
    assert "Showing results for <i>ransomware</i>" in body
    assert "Search instead for <i>ransomwear</i>" in body
    assert 'href="?q=ransomwear&amp;correct=false"' in body
    # "Why it matched": the title holds the (corrected) word.
    assert "Your words are in its title." in body
    # As typed: nothing, and no correction offered.
    got = client.get("/engagement/", {"q": "ransomwear", "correct": "false"})
    assert _titles(got) == [] and "Showing results for" not in got.content.decode()


def test_the_api_corrects_the_same_way_and_says_so(client, listed):
    got = client.get("/api/v1/engagement-requests/", {"q": "ransomwear"}).json()
    assert got["corrected_query"] == "ransomware"
    assert [row["title"] for row in got["results"]] == ["Ransomware recovery drills"]
    # As typed: nothing found, nothing corrected.
    got = client.get("/api/v1/engagement-requests/", {"q": "ransomwear", "correct": "false"})
    assert (got.json()["corrected_query"], got.json()["results"]) == (None, [])
    # Words it knows, or no words: null.
    got = client.get("/api/v1/engagement-requests/", {"q": "telecare"}).json()
    assert got["corrected_query"] is None and len(got["results"]) == 1
    assert client.get("/api/v1/engagement-requests/").json()["corrected_query"] is None
    # A value `correct` does not take is a 400 that names it.
    bad = client.get("/api/v1/engagement-requests/", {"q": "x", "correct": "maybe"})
    assert bad.status_code == 400 and "correct" in bad.content.decode()


def test_two_misspelt_words_and_a_highlight(client, listed):
    got = client.get("/engagement/", {"q": "telecair alonee"})
    assert _titles(got) == ["Telecare for people living alone"]
    assert got.context["correction"].corrected == "telecare alone"
    got = client.get("/engagement/", {"q": "backups"})
    assert _titles(got) == ["Ransomware recovery drills"]
    assert "<mark>backups</mark>" in got.content.decode()
    assert "Your words are in its problem." in got.content.decode()


def test_known_words_are_not_corrected(client, listed):
    got = client.get("/engagement/", {"q": "bridges"})
    assert got.context["correction"] is None
    assert _titles(got) == ["Drone inspection of railway bridges"]


def test_facets_count_each_option_ignoring_its_own_filter(client, listed, capability):
    got = client.get("/engagement/", {"help": "workshop"})
    facets = {f["name"]: {o["value"]: o for o in f["options"]} for f in got.context["facets"]}
    # The kind of help ignores its own filter: ticking "written input" would add one.
    assert facets["help"]["workshop"]["count"] == 2 and facets["help"]["workshop"]["selected"]
    assert facets["help"]["written_input"]["count"] == 1
    # The capability counts honour the help filter (the two workshops: one each).
    assert facets["capability"][capability.code]["count"] == 1
    # …and the words.
    got = client.get("/engagement/", {"q": "ransomwear"})
    facets = {f["name"]: {o["value"]: o for o in f["options"]} for f in got.context["facets"]}
    assert facets["capability"][capability.code]["count"] == 1
    assert facets["help"]["workshop"]["count"] == 0
    body = got.content.decode()
    assert '(1<span class="govuk-visually-hidden"> request</span>)' in body


def test_the_search_page_runs_a_fixed_number_of_queries(client, author, capability, listed):
    def run(params):
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/engagement/", params).status_code == 200
        return len(captured.captured_queries)

    corrected = run({"q": "ransomwear drils"})
    plain = run({"q": "bridges"})
    for n in range(12):
        er = EngagementRequestFactory(
            author=author, title=f"Ransomware plan {n}", capabilities=[capability]
        )
        services.engagement_request_publish(actor=author, engagement_request=er)
    assert run({"q": "ransomwear drils"}) == corrected
    assert run({"q": "bridges"}) == plain
    # The spelling check is the one extra query a word of four letters or more costs.
    assert corrected == plain
    # The list's 12 (requests, facets, notices) + the spelling check + "why it matched".
    assert corrected == 14


def test_the_supplier_vocabulary_does_not_stop_a_correction(client, listed):
    # A supplier's word is no engagement word: "ransomwear" is still corrected.
    factories.SupplierFactory(name="Ransomwear Ltd")
    got = client.get("/engagement/", {"q": "ransomwear"})
    assert got.context["correction"].corrected == "ransomware"


def test_a_drafts_words_never_surface_as_a_correction(client, author, listed):
    EngagementRequestFactory(author=author, title="Secret zeppelin procurement")
    assert not ScopedSearchWord.objects.filter(scope="engagement", word="zeppelin").exists()
    got = client.get("/engagement/", {"q": "zepelin"})
    assert got.context["correction"] is None and _titles(got) == []
