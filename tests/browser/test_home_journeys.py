"""Each role signs in, lands on /home/ and reaches every item listed there, in Chromium
without help from JavaScript; axe finds nothing on the home at 375 px and 1280 px wide,
nor on any page an item leads to. The visitor's front page: the supplier search box and
the beta banner's feedback form."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

WIDTHS = (375, 1280)
ITEM_LINKS = "main [data-home-item] a, main [data-organisation] a, main #waiting a"


def check_widths(page, assert_accessible) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 900})


def reach_every_item(page, assert_accessible) -> list[str]:
    """Follow each link the home lists; every one answers, with a heading, accessibly."""
    home = page.url
    hrefs = list(
        dict.fromkeys(
            page.locator(ITEM_LINKS).evaluate_all("els => els.map(e => e.getAttribute('href'))")
        )
    )
    assert hrefs, "the home lists nothing to do"
    for href in hrefs:
        response = page.goto(href)
        assert response is not None and response.ok, (
            f"{href} answered {response and response.status}"
        )
        if href.startswith("/admin/"):
            # Django admin, the moderators' workplace: WCAG 2.2 AA there too, at both widths.
            expect(page.locator("#content h1").first, href).to_be_visible()
            check_widths(page, assert_accessible)
        else:
            expect(page.locator("main h1").first, href).to_be_visible()
            assert_accessible(page)
    page.goto(home)
    return hrefs


def signed_in_home(page, sign_in, user) -> None:
    sign_in(page, user)
    assert page.url.endswith("/home/"), page.url
    expect(page.get_by_role("heading", name="Your Techmap", level=1)).to_be_visible()


@pytest.mark.parametrize("persona", ["owner", "member"])
def test_supplier_people_reach_everything_on_their_home(
    page, assert_accessible, sign_in, request, world, supplier, persona
):
    user = request.getfixturevalue(persona)
    signed_in_home(page, sign_in, user)
    main = page.locator("main")
    expect(main.get_by_role("heading", name=supplier.name)).to_be_visible()
    expect(main.get_by_text("Live: buyers can find it")).to_be_visible()
    assert main.get_by_role("link", name="Register your organisation").count() == 0
    check_widths(page, assert_accessible)
    hrefs = reach_every_item(page, assert_accessible)
    assert f"/engagement/{world.matched.pk}/" in hrefs
    assert f"/reporting/reports/{world.queried_report.pk}/" in hrefs
    assert f"/den/proposals/{world.partnered.pk}/" in hrefs
    assert f"/suppliers/{supplier.slug}/manage/" in hrefs
    assert f"/engagement/alerts/?supplier={supplier.slug}" in hrefs  # alert settings
    # Your account links to the organisation.
    page.get_by_role("link", name="Your account").click()
    page.get_by_role("link", name=supplier.name).click()
    expect(page).to_have_url(re.compile(rf"/suppliers/{supplier.slug}/manage/$"))


def test_an_invited_person_accepts_one_invitation_and_declines_another_from_their_home(
    page, assert_accessible, sign_in, supplier, owner, other_owner
):
    from suppliers import services
    from tests import factories

    other = other_owner.supplier_memberships.get().supplier
    invited = factories.UserFactory(email="new.colleague@example.co.uk")
    for organisation, by in ((supplier, owner), (other, other_owner)):
        services.invitation_create(actor=by, supplier=organisation, email=invited.email)
    signed_in_home(page, sign_in, invited)
    main = page.locator("main")
    expect(main.get_by_role("heading", name="Invitations to join an organisation")).to_be_visible()
    expect(main.locator("#attention-total")).to_have_text("2 things need your attention.")
    check_widths(page, assert_accessible)

    main.get_by_role("button", name=f"Decline the invitation to join {other.name}").click()
    expect(
        page.get_by_text(f"You have declined the invitation to join {other.name}.")
    ).to_be_visible()
    expect(main.locator("[data-invitation]")).to_have_count(1)
    assert_accessible(page)

    main.get_by_role("button", name=f"Accept the invitation to join {supplier.name}").click()
    expect(page).to_have_url(re.compile(rf"/suppliers/{supplier.slug}/manage/$"))
    expect(page.get_by_text(f"You have joined {supplier.name}.")).to_be_visible()
    page.goto("/home/")
    expect(page.locator("main [data-invitation]")).to_have_count(0)
    expect(page.locator(f'main [data-organisation="{supplier.slug}"]')).to_be_visible()


def test_civil_servant_reaches_everything_that_needs_their_attention(
    page, assert_accessible, sign_in, world, civil_servant
):
    signed_in_home(page, sign_in, civil_servant)
    for key in (
        "questions_to_answer",
        "responses_to_read",
        "reports_to_review",
        "trials_to_score",
        "trials_to_sponsor",
        "shortlists",
    ):
        expect(page.locator(f'[data-home-item="{key}"]')).to_be_visible()
    check_widths(page, assert_accessible)
    hrefs = reach_every_item(page, assert_accessible)
    assert f"/engagement/{world.questioned.pk}/questions/" in hrefs
    assert f"/den/proposals/{world.to_score.pk}/review/" in hrefs
    # The search box on their home searches the register.
    page.get_by_label("Search suppliers").fill(world.overdue_contract.supplier.name)
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(re.compile(r"/suppliers/\?q="))
    expect(page.locator("main ol").get_by_text("Shortlisted").first).to_be_visible()
    assert_accessible(page)


def test_moderator_reaches_every_queue_on_their_home(
    page, assert_accessible, sign_in, world, moderator
):
    from suppliers.models import Supplier
    from tests import factories

    pending = factories.SupplierFactory(
        name="Heron Data Co", status=Supplier.Status.PENDING_REVIEW, published_at=None
    )
    signed_in_home(page, sign_in, moderator)
    expect(page.locator('#waiting [data-waiting="registrations"]')).to_have_text("1")
    check_widths(page, assert_accessible)
    hrefs = reach_every_item(page, assert_accessible)
    assert len(hrefs) == 4
    assert all(href.startswith("/admin/") for href in hrefs), hrefs
    # The filtered queue lists what waits, and passes axe with its filter sidebar.
    page.goto(hrefs[0])
    expect(page.locator("#result_list").get_by_role("link", name="Heron Data Co")).to_be_visible()
    expect(page.locator("#changelist-filter")).to_be_visible()
    # The review queue the home links to, and one profile's decision controls.
    page.goto("/home/")
    page.get_by_role("link", name="Review queue").click()
    expect(page.locator("#result_list").get_by_text("Heron Data Co")).to_be_visible()
    check_widths(page, assert_accessible)
    page.goto(f"/admin/suppliers/supplierforreview/{pending.pk}/review/")
    expect(page.get_by_role("button", name="Approve")).to_be_visible()
    check_widths(page, assert_accessible)


def test_visitor_searches_from_the_front_page_and_gives_feedback(page, assert_accessible, supplier):
    page.goto("/")
    check_widths(page, assert_accessible)
    page.get_by_label("Search suppliers").fill(supplier.name)
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(re.compile(r"/suppliers/\?q="))
    expect(
        page.locator("main ol").get_by_role("link", name=supplier.name, exact=True)
    ).to_be_visible()

    page.get_by_role("link", name="giving your feedback").click()
    expect(page.get_by_role("heading", name="Give feedback on Techmap")).to_be_visible()
    check_widths(page, assert_accessible)
    page.get_by_role("button", name="Send feedback").click()  # nothing chosen: an error
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Satisfied", exact=True).check()
    page.get_by_label("How could we improve this service?").fill("Show more case studies.")
    page.get_by_role("button", name="Send feedback").click()
    expect(page.get_by_role("heading", name="Feedback sent")).to_be_visible()
    check_widths(page, assert_accessible)

    from accounts.models import OutboundEmail

    (email,) = OutboundEmail.objects.filter(subject__startswith="Feedback")
    assert "Show more case studies." in email.body
    assert "Page: /suppliers/" in email.body
