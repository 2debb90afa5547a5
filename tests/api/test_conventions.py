"""The API's conventions (core/api): errors, pagination, throttling, guards, permissions."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from rest_framework import exceptions
from rest_framework.test import APIRequestFactory

from core.api import errors, pagination, permissions, throttling
from core.errors import DomainError
from suppliers.models import Region, Supplier
from tests import factories
from tests.api.conftest import assert_error
from tests.helpers import fresh_throttle_keys, unique_ip

pytestmark = pytest.mark.django_db


# --- one error shape --------------------------------------------------------------------------


def _handle(exc):
    response = errors.exception_handler(exc, {})
    response.render() if hasattr(response, "render") and False else None
    return response


def test_domain_error_with_fields_is_a_400_listing_them():
    response = _handle(
        DomainError({"name": ["Enter a name."], "__all__": ["Two things clash."]}, code="required")
    )
    assert response.status_code == 400
    error = response.data["error"]
    assert error["code"] == "invalid"
    assert error["message"] == "Two things clash."
    assert error["fields"] == {"name": [{"code": "invalid", "message": "Enter a name."}]}


def test_domain_error_without_fields_keeps_its_code():
    response = _handle(DomainError("Too many tokens.", code="too_many_tokens"))
    assert response.status_code == 400
    assert response.data == errors.error_body(400, "too_many_tokens", "Too many tokens.")


def test_django_permission_denied_is_a_403():
    response = _handle(PermissionDenied("Only moderators can do that."))
    assert response.data == errors.error_body(
        403, "permission_denied", "Only moderators can do that."
    )


def test_nested_drf_validation_errors_use_dotted_paths():
    detail = {
        "name": [exceptions.ErrorDetail("This field is required.", "required")],
        "case_studies": [{}, {"title": [exceptions.ErrorDetail("Too long.", "max_length")]}],
        "non_field_errors": [exceptions.ErrorDetail("Clash.", "invalid")],
    }
    response = _handle(exceptions.ValidationError(detail))
    error = response.data["error"]
    assert error["message"] == "Clash."
    assert error["fields"] == {
        "name": [{"code": "required", "message": "This field is required."}],
        "case_studies.1.title": [{"code": "max_length", "message": "Too long."}],
    }


def test_throttled_carries_retry_after():
    response = _handle(exceptions.Throttled(wait=6.2))
    assert response.status_code == 429
    assert response["Retry-After"] == "7"
    assert response.data["error"]["code"] == "throttled"


def test_an_unexpected_exception_is_left_to_django():
    assert errors.exception_handler(RuntimeError("bug"), {}) is None


def test_unknown_api_url_is_a_json_404_not_a_page(client):
    assert_error(client.get("/api/v1/no-such-thing/"), 404, "not_found")
    assert_error(client.get("/api/v2/"), 404, "not_found")


def test_unknown_detail_is_a_json_404(api):
    assert_error(api.get("/api/v1/regions/XXX/"), 404, "not_found")


def test_wrong_method_is_a_json_405(api):
    response = api.delete("/api/v1/regions/")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_a_server_error_under_the_api_is_json(client):
    from techmap import views

    request = APIRequestFactory().get("/api/v1/suppliers/")
    response = views.server_error(request)
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    import json

    assert json.loads(response.content) == errors.error_body(
        500, "server_error", "Something went wrong on our side. Try again later."
    )
    page = views.server_error(APIRequestFactory().get("/suppliers/"))
    assert page["Content-Type"].startswith("text/html")


def test_the_site_404_page_is_still_html_outside_the_api(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# --- query-string guard -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"page_size": "1\x00"},
        {"cursor": "abc\x00def"},
        {"anything\x00": "x"},
        {"cursor": "x" * 501},
        {"page_size": "0"},
        {"page_size": "101"},
        {"page_size": "ten"},
        {"page_size": "-1"},
        {"page_size": " 5"},
        {"page_size": "5.0"},
    ],
)
def test_bad_query_values_are_a_400_naming_the_parameter(api, query):
    error = assert_error(api.get("/api/v1/regions/", query), 400, "invalid")
    assert len(error["fields"]) == 1


# --- cursor pagination ------------------------------------------------------------------------


def _walk(api, url, **params):
    """Follow `next` to the end; return (all result keys, the pages' bodies)."""
    pages = []
    response = api.get(url, params)
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append(body)
        if not body["next"]:
            return pages
        response = api.get(body["next"])


def test_regions_page_forwards_and_backwards_without_gaps(api):
    expected = list(Region.objects.order_by("position", "name").values_list("code", flat=True))
    assert len(expected) == 12
    pages = _walk(api, "/api/v1/regions/", page_size=5)
    assert [len(p["results"]) for p in pages] == [5, 5, 2]
    assert [r["code"] for p in pages for r in p["results"]] == expected
    assert pages[0]["previous"] is None and pages[-1]["next"] is None
    # Back from the last page: the second page again, then the first.
    back = api.get(pages[-1]["previous"]).json()
    assert [r["code"] for r in back["results"]] == expected[5:10]
    first = api.get(back["previous"]).json()
    assert [r["code"] for r in first["results"]] == expected[:5]
    assert first["previous"] is None
    assert [r["code"] for r in api.get(first["next"]).json()["results"]] == expected[5:10]


def test_default_page_size_is_20_and_at_most_100(api):
    factories.CertificationFactory.create_batch(25)
    body = api.get("/api/v1/certifications/").json()
    assert len(body["results"]) == 20 and body["next"]
    body = api.get("/api/v1/certifications/", {"page_size": 100}).json()
    assert (
        len(body["results"])
        == Supplier._meta.apps.get_model("suppliers", "Certification").objects.count()
    )


@pytest.mark.parametrize(
    "cursor", ["nonsense", "eyJrIjpbXX0", "!!!", "eyJrIjpbInBrIl0sInYiOltbXV19"]
)
def test_a_bad_cursor_is_a_404(api, cursor):
    assert_error(api.get("/api/v1/regions/", {"cursor": cursor}), 404, "invalid_cursor")


def test_a_cursor_from_another_ordering_is_a_400(api):
    next_url = api.get("/api/v1/frameworks/", {"page_size": 1}).json()["next"]
    cursor = next_url.split("cursor=")[1].split("&")[0]
    assert_error(api.get("/api/v1/regions/", {"cursor": cursor}), 404, "invalid_cursor")


def _paginate(queryset, **params):
    from rest_framework.request import Request

    pager = pagination.CursorPagination()
    request = Request(APIRequestFactory().get("/api/v1/x/", params))
    rows = pager.paginate_queryset(queryset, request)
    return rows, pager


def _cursor(url):
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(url).query)["cursor"][0]


@pytest.mark.parametrize(
    "ordering",
    [("name",), ("-name",), ("-employees", "name"), ("employees", "-name"), ("-updated_at",)],
)
def test_keyset_pages_are_stable_with_ties_nulls_and_mixed_directions(ordering):
    names = ["Alpha", "Alpha", "Beta", "Beta", "Beta", "Gamma", "Delta"]
    employees = [None, 5, 5, None, 7, 5, None]
    for name, count in zip(names, employees, strict=True):
        factories.SupplierFactory(name=name, employees=count)
    queryset = Supplier.objects.order_by(*ordering)
    expected = list(queryset.order_by(*ordering, "pk").values_list("pk", flat=True))
    seen, params, pages = [], {"page_size": 2}, []
    while True:
        rows, pager = _paginate(queryset, **params)
        pages.append([r.pk for r in rows])
        seen += [r.pk for r in rows]
        link = pager.get_next_link()
        if not link:
            break
        params = {"page_size": 2, "cursor": _cursor(link)}
    assert seen == expected
    # And backwards from the last page, page by page.
    back = []
    link = pager.get_previous_link()
    while link and "cursor" in link:
        rows, pager = _paginate(queryset, page_size=2, cursor=_cursor(link))
        back.insert(0, [r.pk for r in rows])
        link = pager.get_previous_link()
    assert back == pages[:-1]


def test_rows_added_between_pages_do_not_shift_the_next_page():
    for name in ["A", "B", "C", "D"]:
        factories.SupplierFactory(name=name)
    queryset = Supplier.objects.order_by("name")
    rows, pager = _paginate(queryset, page_size=2)
    cursor = _cursor(pager.get_next_link())
    factories.SupplierFactory(name="AA")  # sorts into the page already read
    rows, _ = _paginate(queryset, page_size=2, cursor=cursor)
    assert [r.name for r in rows] == ["C", "D"]


def test_pagination_runs_no_count_query(api, django_assert_max_num_queries):
    with django_assert_max_num_queries(1) as captured:
        api.get("/api/v1/regions/", {"page_size": 3})
    assert not any("COUNT(" in q["sql"].upper() for q in captured.captured_queries)


# --- throttling -------------------------------------------------------------------------------


@pytest.fixture
def low_rates(settings, monkeypatch):
    # Throttle counters live in the shared cache: a fresh key space per test.
    fresh_throttle_keys(monkeypatch)
    framework = dict(settings.REST_FRAMEWORK)
    framework["DEFAULT_THROTTLE_RATES"] = {
        "anon": "2/minute",
        "user": "3/minute",
        "token": "4/minute",
    }
    settings.REST_FRAMEWORK = framework


def test_anonymous_callers_are_throttled_by_ip_with_retry_after(api, low_rates):
    ip = unique_ip()
    for _ in range(2):
        assert api.get("/api/v1/regions/", REMOTE_ADDR=ip).status_code == 200
    response = api.get("/api/v1/regions/", REMOTE_ADDR=ip)
    assert_error(response, 429, "throttled")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert api.get("/api/v1/regions/", REMOTE_ADDR=unique_ip()).status_code == 200


def test_each_token_has_its_own_budget(low_rates, client_for):
    user = factories.UserFactory()
    first, second = client_for(user, "read"), client_for(user, "read")
    ip = unique_ip()
    for _ in range(4):
        assert first.get("/api/v1/regions/", REMOTE_ADDR=ip).status_code == 200
    assert_error(first.get("/api/v1/regions/", REMOTE_ADDR=ip), 429)
    assert second.get("/api/v1/regions/", REMOTE_ADDR=ip).status_code == 200


def test_session_users_have_the_user_rate(low_rates, client_for):
    session = client_for(factories.UserFactory(), None)
    for _ in range(3):
        assert session.get("/api/v1/regions/").status_code == 200
    assert_error(session.get("/api/v1/regions/"), 429)


# --- permissions ------------------------------------------------------------------------------


class _View:
    def get(self): ...
    def post(self): ...
    def put(self): ...
    def delete(self): ...

    def __init__(self, action, rules=None, objects=None):
        self.action = action
        self.action_permissions = rules or {}
        self.object_permissions = objects or {}


def _request(method, user, auth=None):
    from rest_framework.request import Request

    request = Request(getattr(APIRequestFactory(), method)("/api/v1/x/"))
    request.user, request.auth = user, auth
    return request


def test_unlisted_actions_are_refused(owner):
    permission = permissions.ActionPermission()
    view = _View("destroy", {"list": permissions.ALLOW_ANY})
    assert permission.has_permission(_request("delete", owner), view) is False
    assert permission.has_permission(_request("get", owner), _View("list", view.action_permissions))


def test_a_read_token_never_writes(owner, make_token):
    from accounts.models import ApiToken

    make_token(owner, "read")
    token = ApiToken.objects.get(user=owner)
    view = _View("create", {"create": permissions.ALLOW_ANY})
    with pytest.raises(exceptions.PermissionDenied) as error:
        permissions.ActionPermission().has_permission(_request("post", owner, token), view)
    assert error.value.detail.code == "token_read_only"


def test_object_rules_get_the_user_and_object(owner, member, supplier):
    view = _View(
        "update",
        {"update": permissions.AUTHENTICATED},
        {"update": lambda user, obj: user == owner and obj == supplier},
    )
    permission = permissions.ActionPermission()
    assert permission.has_object_permission(_request("put", owner), view, supplier)
    assert not permission.has_object_permission(_request("put", member), view, supplier)


def test_keyset_knows_which_keys_can_be_null():
    from django.db.models.functions import Upper

    queryset = Supplier.objects.annotate(sort_name=Upper("name"), sort_hq=Upper("hq_region__name"))
    nullable = pagination.CursorPagination._nullable
    assert nullable(queryset, "sort_name") is False
    assert nullable(queryset, "name") is False
    assert nullable(queryset, "pk") is False
    assert nullable(queryset, "employees") is True
    assert nullable(queryset, "sort_hq") is True


def test_the_first_key_is_bounded_so_an_index_can_range_scan():
    queryset = Supplier.objects.order_by("name")
    sql = str(
        queryset.filter(
            pagination.CursorPagination._after(
                [("name", False, False), ("pk", False, False)], ["Kestrel", 7]
            )
        ).query
    )
    assert '"suppliers_supplier"."name" >= Kestrel' in sql


def test_the_throttle_counts_in_redis_with_one_round_trip(api, low_rates):
    from django.core.cache import cache

    client = throttling.redis_client(cache)
    assert client is not None  # the fast path, not DRF's fallback
    ip = unique_ip()
    api.get("/api/v1/regions/", REMOTE_ADDR=ip)
    key = cache.make_key(throttling.AnonThrottle.cache_format % {"scope": "anon", "ident": ip})
    assert int(client.get(key)) == 1
    assert 0 < client.ttl(key) <= 60
