"""The request list tells a supplier's people which requests matched their organisation and
which it has responded to, in a fixed number of queries."""

from __future__ import annotations

import pytest

from engagement import services
from suppliers.models import Capability
from tests import factories
from tests.engagement.factories import EngagementRequestFactory

pytestmark = pytest.mark.django_db


def _publish(author, capabilities, regions=()):
    er = EngagementRequestFactory(author=author, capabilities=capabilities, regions=list(regions))
    return services.engagement_request_publish(actor=author, engagement_request=er)


@pytest.fixture
def unmatched(author):
    other = Capability.objects.order_by("-pk").first()
    return _publish(author, [other])


def _marks(response) -> dict[str, tuple[bool, bool]]:
    return {er.title: (er.matched, er.responded) for er in response.context["requests"]}


def test_a_supplier_sees_matched_and_responded(
    client, response, open_request, unmatched, responder
):
    client.force_login(responder)
    got = client.get("/engagement/")
    assert _marks(got) == {open_request.title: (True, True), unmatched.title: (False, False)}
    html = got.content.decode()
    assert html.count("Matches your organisation") == 1
    assert html.count("You responded") == 1


def test_matched_follows_the_alert_matching_not_a_rule_of_its_own(
    client, open_request, unmatched, other_owner
):
    """other_owner's supplier offers none of the capabilities: the publish-time matching
    (the one the alerts used) did not pick it, so nothing is marked."""
    client.force_login(other_owner)
    assert _marks(client.get("/engagement/")) == {
        open_request.title: (False, False),
        unmatched.title: (False, False),
    }


@pytest.mark.parametrize("who", ["anonymous", "author", "civil_servant", "moderator"])
def test_no_marks_for_people_who_do_not_act_for_a_supplier(
    request, client, response, open_request, who
):
    user = request.getfixturevalue(who)
    if user.is_authenticated:
        client.force_login(user)
    got = client.get("/engagement/")
    assert _marks(got) == {open_request.title: (False, False)}
    assert "Matches your organisation" not in got.content.decode()


def test_the_marked_list_runs_a_fixed_number_of_queries(
    client, author, capability, region, responder, matched_supplier, django_assert_num_queries
):
    def make(n):
        for _ in range(n):
            er = _publish(author, [capability], [region])
            services.response_submit(
                actor=responder, engagement_request=er, supplier=matched_supplier, summary="Yes"
            )

    # A second organisation for the same person changes nothing either.
    factories.MembershipFactory(user=responder, supplier=factories.SupplierFactory())
    client.force_login(responder)
    make(2)
    # the list, its marks and the search engine's facet counts (kind, region, capability)
    with django_assert_num_queries(15) as small:
        first = client.get("/engagement/")
    make(8)
    with django_assert_num_queries(15) as large:
        second = client.get("/engagement/")
    assert len(small.captured_queries) == len(large.captured_queries)
    assert all(er.matched and er.responded for er in second.context["requests"])
    assert len(second.context["requests"]) == 10 and len(first.context["requests"]) == 2
