"""Django admin is the moderators' workplace, so it meets WCAG 2.2 AA too: axe finds no
violation on the admin index, a changelist with actions, the supplier change form, and a
review page with the decision controls (Approve, Reject), at a phone's and a desk's width."""

from __future__ import annotations

from playwright.sync_api import expect

from suppliers.models import Supplier
from tests import factories


def test_moderator_admin_pages_are_accessible(page, sign_in, assert_accessible_at_widths):
    moderator = factories.ModeratorFactory()
    published = factories.SupplierFactory(name="Kestrel Systems")
    pending = factories.SupplierFactory(
        name="Heron Data Co", status=Supplier.Status.PENDING_REVIEW, published_at=None
    )
    sign_in(page, moderator)

    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    assert_accessible_at_widths(page)

    # A changelist with actions (suspend, reinstate) and a search box.
    page.goto("/admin/suppliers/supplier/")
    assert page.locator("select[name=action]").count() == 1
    assert page.locator("#result_list").get_by_role("link", name="Kestrel Systems").count() == 1
    assert_accessible_at_widths(page)

    # The supplier change form.
    page.goto(f"/admin/suppliers/supplier/{published.pk}/change/")
    assert page.locator("input[name=name]").input_value() == "Kestrel Systems"
    assert_accessible_at_widths(page)

    # The review queue (approve and reject actions) and one item's decision controls.
    page.goto("/admin/suppliers/supplierforreview/")
    assert page.locator("select[name=action]").count() == 1
    assert_accessible_at_widths(page)
    page.goto(f"/admin/suppliers/supplierforreview/{pending.pk}/review/")
    expect(page.get_by_role("button", name="Approve")).to_be_visible()
    expect(page.get_by_role("button", name="Reject")).to_be_visible()
    assert_accessible_at_widths(page)
