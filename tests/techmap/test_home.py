"""``/home/``: each role's home, composed from the apps' ``home_items`` selectors.

The cast is tests/conftest.py's: ``owner`` and ``member`` of ``supplier``, ``other_owner``
of another supplier, ``civil_servant``, ``moderator`` and the anonymous visitor. One
``world`` gives each of them something waiting.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from engagement import services as engagement_services
from engagement.models import Match
from innovation_den.models import Proposal
from reporting import services as reporting_services
from reporting.periods import add_quarters, current_quarter, report_due_by
from suppliers import services as supplier_services
from suppliers.models import Shortlist, Supplier
from suppliers.selectors.moderation import moderation_waiting
from tests import factories
from tests.home_world import new_request
from tests.innovation_den import factories as den_factories
from tests.reporting.factories import ContractFactory, values

pytestmark = pytest.mark.django_db

HOME = "/home/"


def item_counts(html: str) -> dict[str, int]:
    """``data-home-item`` key → the count shown beside it."""
    found = re.findall(
        r'data-home-item="([a-z_]+)".*?<span data-count>(\d+)</span>', html, flags=re.S
    )
    return {key: int(count) for key, count in found}


def section(html: str, key: str) -> str:
    start = html.index(f'data-home-item="{key}"')
    return html[start : html.index("</section>", start)]


# --- Getting there --------------------------------------------------------------------


def test_home_needs_sign_in(client, anonymous):
    response = client.get(HOME)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_signed_in_front_page_goes_home(client, owner):
    client.force_login(owner)
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == HOME


def test_signing_in_lands_on_home(client):
    user = factories.UserFactory()
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert response.url == HOME


def test_front_page_has_a_supplier_search_box(client):
    html = client.get("/").content.decode()
    form = re.search(r'<form class="app-site-search"[^>]*>.*?</form>', html, flags=re.S).group(0)
    assert 'method="get"' in form
    assert f'action="{reverse("suppliers:search")}"' in form
    assert 'role="search"' in form
    assert re.search(r'<label class="govuk-label[^"]*" for="home-search">Search suppliers', form)
    assert 'name="q" type="search"' in form
    # The box sends its words where the search reads them.
    response = client.get(reverse("suppliers:search"), {"q": "cloud"})
    assert response.status_code == 200
    assert response.context["q"] == "cloud"


# --- Supplier people ------------------------------------------------------------------


def test_owner_lands_on_their_organisations_dashboard(client, world, owner, supplier):
    supplier_services.invitation_create(
        actor=owner, supplier=supplier, email="new@example.co.uk", role="member"
    )
    client.force_login(owner)
    html = client.get(HOME).content.decode()
    assert f'data-organisation="{supplier.slug}"' in html
    assert reverse("suppliers:manage", args=[supplier.slug]) in html
    assert "Live: buyers can find it" in html
    assert "Register your organisation" not in html
    assert re.search(r"data-invitations>1 not yet accepted", html)
    counts = item_counts(html)
    assert counts["requests_to_answer"] == 1
    assert counts["requests_answered"] == 1
    assert counts["reports_overdue"] == 1
    assert counts["reports_queried"] == 1
    assert counts["reports_due"] == 0  # every contract reported on last quarter
    assert counts["trials_partnered"] == 1
    assert counts["alert_settings"] == 1
    assert reverse("engagement:detail", args=[world.matched.pk]) in section(
        html, "requests_to_answer"
    )
    # One of a kind reads as one; none or many as many.
    assert "<span data-count>1</span> request that matches you, not yet answered" in html
    assert "<span data-count>0</span> reports due<" in html
    assert "Answered request" in section(html, "requests_answered")
    assert "Matched request" not in section(html, "requests_answered")
    assert reverse("reporting:report_new", args=[world.overdue_contract.pk]) in section(
        html, "reports_overdue"
    )
    assert reverse("reporting:report", args=[world.queried_report.pk]) in section(
        html, "reports_queried"
    )
    # Replied to: waits for the buyer now, not for the supplier.
    assert reverse("reporting:report", args=[world.replied_report.pk]) not in html
    assert reverse("innovation_den:proposal", args=[world.partnered.pk]) in section(
        html, "trials_partnered"
    )
    assert f"?supplier={supplier.slug}" in section(html, "alert_settings")
    # Nothing that waits for a buyer or a moderator.
    for key in ("questions_to_answer", "responses_to_read", "reports_to_review", "shortlists"):
        assert key not in counts
    assert 'id="waiting"' not in html


def test_member_sees_the_same_work_but_no_invitations(client, world, member, supplier):
    client.force_login(member)
    html = client.get(HOME).content.decode()
    assert f'data-organisation="{supplier.slug}"' in html
    assert "data-invitations" not in html
    counts = item_counts(html)
    assert counts["requests_to_answer"] == 1
    assert counts["reports_queried"] == 1


def test_other_owner_sees_only_their_own_organisation(client, world, other_owner, supplier):
    client.force_login(other_owner)
    html = client.get(HOME).content.decode()
    assert f'data-organisation="{supplier.slug}"' not in html
    counts = item_counts(html)
    assert counts.get("requests_to_answer", 0) == 0
    assert counts.get("reports_queried", 0) == 0
    assert counts.get("reports_overdue", 0) == 0
    assert "trials_partnered" not in counts
    assert "Matched request" not in html


@pytest.mark.parametrize(
    ("status", "reason", "text"),
    [
        (Supplier.Status.PENDING_REVIEW, "", "Waiting for a moderator to review it"),
        (Supplier.Status.REJECTED, "The website does not work.", "Rejected by a moderator"),
        (Supplier.Status.DRAFT, "", "Not sent for review yet"),
    ],
)
def test_home_shows_the_profiles_state(client, owner, supplier, status, reason, text):
    Supplier.objects.filter(pk=supplier.pk).update(status=status, status_reason=reason)
    client.force_login(owner)
    html = client.get(HOME).content.decode()
    assert text in html
    if reason:
        assert f"Reason: {reason}" in html
    assert "Register your organisation" not in html


def test_a_user_with_no_organisation_is_offered_registration(client):
    client.force_login(factories.UserFactory())
    html = client.get(HOME).content.decode()
    assert reverse("suppliers:register_start") in html
    assert "Register your organisation" in html


def test_your_account_links_to_each_organisation(client, owner, supplier):
    second = factories.MembershipFactory(user=owner, role="member").supplier
    client.force_login(owner)
    html = client.get(reverse("accounts:profile")).content.decode()
    for each in (supplier, second):
        assert reverse("suppliers:manage", args=[each.slug]) in html
    assert "/suppliers/register/" not in html


# --- Civil servants --------------------------------------------------------------------


def test_civil_servant_sees_what_needs_their_attention(client, world, civil_servant):
    client.force_login(civil_servant)
    html = client.get(HOME).content.decode()
    counts = item_counts(html)
    assert counts["questions_to_answer"] == 1
    assert counts["responses_to_read"] == 1
    assert counts["reports_to_review"] == 2  # the submitted one and the replied-to one
    assert counts["trials_to_sponsor"] == 1
    assert counts["trials_to_score"] == 1
    assert counts["shortlists"] == 2
    assert reverse("innovation_den:review", args=[world.to_score.pk]) in section(
        html, "trials_to_score"
    )
    assert reverse("engagement:questions", args=[world.questioned.pk]) in section(
        html, "questions_to_answer"
    )
    assert reverse("engagement:responses", args=[world.answered.pk]) in section(
        html, "responses_to_read"
    )
    to_review = section(html, "reports_to_review")
    assert reverse("reporting:report", args=[world.submitted_report.pk]) in to_review
    assert reverse("reporting:report", args=[world.replied_report.pk]) in to_review
    assert reverse("reporting:report", args=[world.queried_report.pk]) not in to_review
    assert reverse("innovation_den:proposal", args=[world.to_sponsor.pk]) in section(
        html, "trials_to_sponsor"
    )
    # Oldest first.
    shortlists = section(html, "shortlists")
    assert shortlists.index("Older list") < shortlists.index("Newer list")
    # The supplier's side is not theirs.
    for key in ("requests_to_answer", "reports_queried", "reports_overdue", "alert_settings"):
        assert key not in counts
    assert "data-organisation" not in html
    assert "Register your organisation" not in html


def test_a_panel_member_sees_trials_to_score_until_they_score(client, civil_servant):
    cast = den_factories.build(Proposal.Status.IN_REVIEW)
    scorer = cast.panel[0]
    client.force_login(scorer)
    html = client.get(HOME).content.decode()
    assert item_counts(html)["trials_to_score"] == 1
    assert reverse("innovation_den:review", args=[cast.proposal.pk]) in section(
        html, "trials_to_score"
    )
    from innovation_den import services as den_services

    den_services.review_submit(actor=scorer, proposal=cast.proposal, scores=den_factories.scores())
    assert item_counts(client.get(HOME).content.decode())["trials_to_score"] == 0


def test_a_panel_member_with_a_conflict_is_not_asked_to_score(client):
    cast = den_factories.build(Proposal.Status.IN_REVIEW)
    scorer = cast.panel[0]
    # The scorer also works for the trial's partner supplier: a conflict of interest.
    partner = cast.proposal.partners.get().supplier
    factories.MembershipFactory(user=scorer, supplier=partner)
    client.force_login(scorer)
    assert item_counts(client.get(HOME).content.decode())["trials_to_score"] == 0


def test_questions_are_listed_oldest_first_with_the_total(client, civil_servant, other_owner):
    other = other_owner.supplier_memberships.get().supplier
    requests = []
    for n in range(7):
        request = new_request(author=civil_servant, title=f"Request {n}")
        engagement_services.question_ask(
            actor=other_owner, engagement_request=request, supplier=other, question="Why?"
        )
        requests.append(request)
    client.force_login(civil_servant)
    html = client.get(HOME).content.decode()
    assert item_counts(html)["questions_to_answer"] == 7
    shown = re.findall(r">(Request \d)</a>", section(html, "questions_to_answer"))
    assert shown == [f"Request {n}" for n in range(5)]
    assert "See all 7 questions to answer" in html


# --- Moderators ------------------------------------------------------------------------


def test_moderator_home_shows_the_moderation_counts(client, moderator, owner):
    factories.SupplierFactory(status=Supplier.Status.PENDING_REVIEW)
    factories.SupplierFactory(status=Supplier.Status.PENDING_REVIEW)
    client.force_login(moderator)
    html = client.get(HOME).content.decode()
    for item in moderation_waiting():
        assert f'data-waiting="{item.key}">{item.count}<' in html
        assert item.url.replace("&", "&amp;") in html or item.url in html
    assert 'data-waiting="registrations">2<' in html
    assert "Register your organisation" not in html


# --- Reports due, by the rule in reporting.periods ----------------------------------------


def test_a_report_is_due_then_overdue(owner, supplier):
    from reporting import selectors

    contract = ContractFactory(supplier=supplier)
    last = add_quarters(current_quarter(), -1)
    reporting_services.report_submit(
        actor=owner, contract=contract, period=add_quarters(last, -1), values=values()
    )
    on_time = {i.key: i for i in selectors.home_items(owner, today=report_due_by(last))}
    assert on_time["reports_due"].count == 1
    assert on_time["reports_overdue"].count == 0
    late = {
        i.key: i for i in selectors.home_items(owner, today=report_due_by(last) + timedelta(days=1))
    }
    assert late["reports_due"].count == 0
    assert late["reports_overdue"].count == 1
    # A contract that ended before last quarter owes nothing for it.
    ContractFactory(supplier=supplier, end_date=add_quarters(last, -2))
    assert {i.key: i for i in selectors.home_items(owner)}["reports_overdue"].count <= 1


# --- A fixed number of queries per home ------------------------------------------------------


# One of them: the invitations waiting for the user (suppliers.selectors.home.invitations).
@pytest.mark.parametrize(
    ("persona", "queries"),
    [("owner", 13), ("member", 13), ("civil_servant", 14), ("moderator", 12)],
)
def test_each_home_runs_a_fixed_number_of_queries(
    client, request, django_assert_num_queries, world, persona, queries
):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    client.get(HOME)  # warm the caches that are not the page's own
    with django_assert_num_queries(queries):
        assert client.get(HOME).status_code == 200
    # More of everything: the same number.
    supplier = user.supplier_memberships.first()
    if supplier is not None:
        for n in range(3):
            request_ = new_request(title=f"More {n}")
            Match.objects.create(
                engagement_request=request_, supplier=supplier.supplier, rank=2, score=1, reason="x"
            )
            ContractFactory(supplier=supplier.supplier)
    Shortlist.objects.create(owner=user, name="Another")
    with django_assert_num_queries(queries):
        assert client.get(HOME).status_code == 200
