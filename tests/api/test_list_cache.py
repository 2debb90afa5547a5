"""/api/v1/suppliers/ pages are cached whole, and let go of as soon as the register changes.

The cache is off in tests (``API_LIST_CACHE_SECONDS`` is 0); these tests turn it on.
Writes run their commit callbacks (``django_capture_on_commit_callbacks``) as a real commit
would: the version of the register changes on commit, never before.
"""

from __future__ import annotations

import datetime as dt

import pytest

from suppliers import api as suppliers_api
from suppliers import registry_version, services
from suppliers.models import Capability, Region, Supplier
from tests import factories
from tests.api.conftest import assert_error, make, slugs
from tests.helpers import unique_ip

pytestmark = pytest.mark.django_db


@pytest.fixture
def cached(settings):
    settings.API_LIST_CACHE_SECONDS = 60
    registry_version._bump()  # nothing filled by another test can match
    yield
    registry_version._bump()


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def test_a_page_is_answered_from_the_cache_without_a_query(
    api, registry, cached, django_assert_num_queries
):
    first = api.get("/api/v1/suppliers/", {"facets": "true"})
    with django_assert_num_queries(0):
        again = api.get("/api/v1/suppliers/", {"facets": "true"})
    assert again.content == first.content
    assert again["Content-Type"] == "application/json"
    assert "facets" in again.json()


def test_each_url_has_its_own_entry(api, registry, cached, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "other.example"]
    assert len(slugs(api.get("/api/v1/suppliers/", {"page_size": 1}))) == 1
    assert len(slugs(api.get("/api/v1/suppliers/", {"page_size": 2}))) == 2
    assert slugs(api.get("/api/v1/suppliers/", {"region": "TLL", "ordering": "name"})) == [
        "heron-research",
        "osprey-security",
    ]
    body = api.get("/api/v1/suppliers/", {"page_size": 1}, HTTP_HOST="other.example").json()
    assert body["next"].startswith("http://other.example/")
    assert body["results"][0]["url"].startswith("http://other.example/")


def test_a_committed_supplier_write_shows_at_once(
    api, registry, cached, django_capture_on_commit_callbacks
):
    assert "Kestrel Ledger Systems" in names(api.get("/api/v1/suppliers/"))
    with django_capture_on_commit_callbacks(execute=True):
        services.supplier_update(actor=None, supplier=registry["kestrel"], name="Kestrel Ltd")
    assert "Kestrel Ltd" in names(api.get("/api/v1/suppliers/"))
    with django_capture_on_commit_callbacks(execute=True):
        make("Avocet Analytics")
    assert names(api.get("/api/v1/suppliers/", {"ordering": "name"}))[0] == "Avocet Analytics"


def test_unpublishing_removes_the_supplier_at_once(
    api, registry, cached, django_capture_on_commit_callbacks
):
    moderator = factories.ModeratorFactory()
    assert "osprey-security" in slugs(api.get("/api/v1/suppliers/"))
    with django_capture_on_commit_callbacks(execute=True):
        services.supplier_suspend(actor=moderator, supplier=registry["osprey"], reason="Fraud")
    assert "osprey-security" not in slugs(api.get("/api/v1/suppliers/"))


def test_changed_links_show_in_filters_at_once(
    api, registry, cached, django_capture_on_commit_callbacks
):
    research = Capability.objects.get(code="user-research")
    query = {"capability": "user-research"}
    assert slugs(api.get("/api/v1/suppliers/", query)) == ["heron-research"]
    with django_capture_on_commit_callbacks(execute=True):
        services.supplier_update(
            actor=None,
            supplier=registry["kestrel"],
            capabilities=[*registry["kestrel"].capabilities.all(), research],
        )
    assert sorted(slugs(api.get("/api/v1/suppliers/", query))) == [
        "heron-research",
        "kestrel-ledger-systems",
    ]


def test_a_search_sees_a_new_case_study_at_once(
    api, registry, cached, django_capture_on_commit_callbacks
):
    query = {"q": "lighthouse"}
    assert slugs(api.get("/api/v1/suppliers/", query)) == []
    with django_capture_on_commit_callbacks(execute=True):
        services.case_study_create(
            actor=None,
            supplier=registry["heron"],
            title="Lighthouse keepers' research",
            client_type="public",
            client_name="Trinity House",
            summary="Research with lighthouse keepers.",
            outcome="A new rota.",
            year=2024,
        )
    assert slugs(api.get("/api/v1/suppliers/", query)) == ["heron-research"]


def test_reference_data_changes_show_at_once(
    api, registry, cached, django_capture_on_commit_callbacks
):
    by_name = {"ordering": "name"}
    assert api.get("/api/v1/suppliers/", by_name).json()["results"][1]["regions"] == ["TLI"]
    with django_capture_on_commit_callbacks(execute=True):
        london = Region.objects.get(code="TLI")
        london.code = "UKI"
        london.save()
    assert api.get("/api/v1/suppliers/", by_name).json()["results"][1]["regions"] == ["UKI"]


def test_nothing_changes_before_the_commit(
    api, registry, cached, django_capture_on_commit_callbacks
):
    before = api.get("/api/v1/suppliers/").content
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.supplier_update(actor=None, supplier=registry["kestrel"], name="Kestrel Ltd")
        # Not committed yet: readers elsewhere cannot see the new name, nor does the cache.
        assert api.get("/api/v1/suppliers/").content == before
    assert callbacks
    for callback in callbacks:
        callback()
    assert "Kestrel Ltd" in names(api.get("/api/v1/suppliers/"))


def test_a_new_day_is_a_new_entry(api, registry, cached, monkeypatch):
    first = api.get("/api/v1/suppliers/", {"ordering": "relevance"}).content
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    Supplier.objects.filter(slug="heron-research").update(name="Heron Day Two")  # no signal
    monkeypatch.setattr(suppliers_api.timezone, "localdate", lambda: tomorrow)
    assert api.get("/api/v1/suppliers/", {"ordering": "relevance"}).content != first


def test_errors_are_not_cached_and_hits_are_still_throttled(api, registry, cached, settings):
    assert_error(api.get("/api/v1/suppliers/", {"region": "Atlantis"}), 400, "invalid")
    assert_error(api.get("/api/v1/suppliers/", {"region": "Atlantis"}), 400, "invalid")
    framework = dict(settings.REST_FRAMEWORK)
    framework["DEFAULT_THROTTLE_RATES"] = {"anon": "2/minute", "user": "2/minute", "token": "2/m"}
    settings.REST_FRAMEWORK = framework
    ip = unique_ip()
    assert api.get("/api/v1/suppliers/", REMOTE_ADDR=ip).status_code == 200
    assert api.get("/api/v1/suppliers/", REMOTE_ADDR=ip).status_code == 200  # from the cache
    response = api.get("/api/v1/suppliers/", REMOTE_ADDR=ip)
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) >= 1


def test_a_cache_outage_still_answers(api, registry, cached, monkeypatch):
    class Down:
        def __getattr__(self, name):
            raise ConnectionError("redis is down")

    monkeypatch.setattr(registry_version, "_client", Down)
    assert len(slugs(api.get("/api/v1/suppliers/"))) == 3
    assert len(slugs(api.get("/api/v1/suppliers/"))) == 3


@pytest.mark.parametrize("backend", ["redis", "any-cache"])
def test_entries_are_kept_per_database_and_version(cached, monkeypatch, backend):
    from django.db import connection

    if backend == "any-cache":  # Django's cache API, for a backend other than Redis
        monkeypatch.setattr(registry_version, "_client", lambda: None)
        registry_version._bump()  # the version as that backend stores it
    key = registry_version.cache_key("api-list", backend)
    assert connection.settings_dict["NAME"] in key
    body, version = registry_version.cached(key)
    assert body is None and version
    registry_version.store(key, version, b"{}", 60)
    assert registry_version.cached(key) == (b"{}", version)
    registry_version._bump()
    body, new_version = registry_version.cached(key)
    assert body is None and new_version != version


def test_an_import_shows_at_once(api, registry, cached, django_capture_on_commit_callbacks):
    """The CSV import writes with bulk SQL (no model signals): it says so itself."""
    import csv
    import io

    from suppliers.importer import import_suppliers_csv

    text = b"".join(api.get("/api/v1/suppliers/export.csv").streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert "Kestrel Ledger Systems" in names(api.get("/api/v1/suppliers/"))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    for row in rows:
        if row["name"] == "Kestrel Ledger Systems":
            row["name"] = "Kestrel Imported"
        writer.writerow(row)
    with django_capture_on_commit_callbacks(execute=True):
        report = import_suppliers_csv(io.BytesIO(out.getvalue().encode("utf-8")))
    assert report.updated == 1
    assert "Kestrel Imported" in names(api.get("/api/v1/suppliers/"))
