"""The den's partner search and lessons library search through the shared engine
(core.search): spelling correction, "why it matched", facets with counts."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from innovation_den.models import Proposal
from suppliers.models import ScopedSearchWord
from tests import factories
from tests.innovation_den.factories import build, draft
from tests.innovation_den.test_lessons import library  # noqa: F401 - a fixture

Status = Proposal.Status


def _count_queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured.captured_queries)


# --- Partner search: the registry's own search ----------------------------------------


def test_partner_search_finds_kestral_ledger_with_two_typos(db, client):
    proposal = draft()
    factories.SupplierFactory(name="Kestrel Ledger", summary="Ledgers for councils.")
    factories.SupplierFactory(name="Harbour Analytics")
    client.force_login(proposal.proposer)
    url = reverse("innovation_den:partner_add", args=[proposal.pk])
    got = client.get(url, {"q": "Kestral Ledger"})
    body = got.content.decode()
    assert [r.supplier.name for r in got.context["results"]] == ["Kestrel Ledger"]
    assert "Showing results for <i>Kestrel Ledger</i>" in body
    assert "Search instead for <i>Kestral Ledger</i>" in body
    assert "Your words are in its name" in body
    assert "Harbour Analytics" not in body
    # As typed, nothing matches.
    got = client.get(url, {"q": "Kestral Ledger", "correct": "false"})
    assert got.context["results"] == [] and "Showing results for" not in got.content.decode()


def test_partner_search_leaves_out_partners_and_unpublished_suppliers(db, client):
    proposal = draft()
    partner = proposal.partners.first()
    factories.SupplierFactory(name="Kestrel Routing Ltd")
    factories.SupplierFactory(name="Kestrel Hidden Ltd", status="draft")
    client.force_login(proposal.proposer)
    url = reverse("innovation_den:partner_add", args=[proposal.pk])
    names = [r.supplier.name for r in client.get(url, {"q": "kestrel"}).context["results"]]
    assert names == ["Kestrel Routing Ltd"]
    if partner is not None:
        got = client.get(url, {"q": partner.supplier.name})
        assert partner.supplier.pk not in [r.supplier.pk for r in got.context["results"]]


def test_partner_search_runs_a_fixed_number_of_queries(db, client):
    proposal = draft()
    client.force_login(proposal.proposer)
    url = reverse("innovation_den:partner_add", args=[proposal.pk])
    factories.SupplierFactory(name="Kestrel Ledger")
    few = _count_queries(client, url, {"q": "Kestral Ledger"})
    for n in range(25):
        factories.SupplierFactory(name=f"Kestrel Ledger {n}")
    assert _count_queries(client, url, {"q": "Kestral Ledger"}) == few
    assert few <= 16


# --- The lessons library ---------------------------------------------------------------


def test_lesson_words_are_in_the_lessons_vocabulary(library):  # noqa: F811
    words = set(ScopedSearchWord.objects.filter(scope="lessons").values_list("word", flat=True))
    assert {"pothole", "chatbot", "caseworkers", "guidance"} <= words
    assert ScopedSearchWord.objects.get(scope="lessons", word="chatbot").in_name


def test_lessons_search_corrects_and_explains(library, client):  # noqa: F811
    url = reverse("innovation_den:lessons")
    got = client.get(url, {"q": "chatbott guidence"})
    body = got.content.decode()
    assert [p.title for p in got.context["page"]] == ["Planning chatbot"]
    assert "Showing results for <i>chatbot guidance</i>" in body
    assert "Search instead for <i>chatbott guidence</i>" in body
    assert "Why it matched" in body
    assert "Your words are in its title, lessons learned." in body
    assert "<mark>guidance</mark>" in body
    got = client.get(url, {"q": "chatbott guidence", "correct": "false"})
    assert list(got.context["page"]) == []


def test_the_lessons_api_corrects_the_same_way_and_says_so(library, client):  # noqa: F811
    url = "/api/v1/den/lessons/"
    got = client.get(url, {"q": "chatbott guidence"}).json()
    assert got["corrected_query"] == "chatbot guidance"
    assert [row["title"] for row in got["results"]] == ["Planning chatbot"]
    got = client.get(url, {"q": "chatbott guidence", "correct": "false"}).json()
    assert (got["corrected_query"], got["results"]) == (None, [])
    got = client.get(url, {"q": "chatbot"}).json()
    assert got["corrected_query"] is None and got["results"]
    assert client.get(url).json()["corrected_query"] is None
    bad = client.get(url, {"q": "x", "correct": "maybe"})
    assert bad.status_code == 400 and "correct" in bad.content.decode()


def test_outcome_counts_are_a_facet(library, client):  # noqa: F811
    url = reverse("innovation_den:lessons")
    got = client.get(url, {"outcome": "met"})
    assert [p.title for p in got.context["page"]] == ["Pothole prediction"]
    # The outcome facet ignores its own filter: each option says what choosing it gives.
    assert got.context["outcome_counts"] == {"met": 1, "partly_met": 1, "not_met": 1}
    # The words narrow every count.
    got = client.get(url, {"q": "potholes"})
    assert got.context["outcome_counts"] == {"met": 1, "partly_met": 0, "not_met": 0}


def test_lessons_search_runs_a_fixed_number_of_queries(db, client):
    url = reverse("innovation_den:lessons")
    build(Status.EVALUATED, title="Pothole prediction")
    few = _count_queries(client, url, {"q": "pothol prediction"})
    for n in range(4):
        build(Status.EVALUATED, title=f"Pothole prediction {n}")
    assert _count_queries(client, url, {"q": "pothol prediction"}) == few
    # The list's 8 + the spelling check + "why it matched".
    assert few == 10


def test_refresh_search_vocabularies_rebuilds_both_scopes(library):  # noqa: F811
    ScopedSearchWord.objects.all().delete()
    ScopedSearchWord.objects.create(scope="lessons", word="stale", lexeme="stale")
    call_command("refresh_search_vocabularies", stdout=StringIO())
    lessons = set(ScopedSearchWord.objects.filter(scope="lessons").values_list("word", flat=True))
    assert "chatbot" in lessons and "stale" not in lessons


def test_only_lessons_words_are_in_the_lessons_vocabulary(library):  # noqa: F811
    # The library's running and accepted trials are not lessons: their titles are not words.
    words = set(ScopedSearchWord.objects.filter(scope="lessons").values_list("word", flat=True))
    assert "running" not in words and "accepted" not in words
    draft(title="Confidential zeppelin pilot")
    assert not ScopedSearchWord.objects.filter(word="zeppelin").exists()
