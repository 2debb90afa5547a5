"""Size agrees with employees: one rule (suppliers.rules) for the service, web, API and CSV."""

from __future__ import annotations

import pytest

from core.errors import DomainError
from suppliers import rules, services
from suppliers.models import Supplier
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("size", "employees", "agrees"),
    [("small", 400, False), ("small", 10, True), ("small", 49, True), ("small", 50, False),
     ("micro", 0, True), ("large", 250, True), ("large", 249, False), ("small", None, True)],
)  # fmt: skip
def test_the_bands(size, employees, agrees):
    assert (rules.size_employees_error(size, employees) is None) is agrees


def test_the_edit_service_refuses_a_size_that_disagrees(supplier, moderator):
    with pytest.raises(DomainError) as refused:
        services.supplier_profile_update(actor=moderator, supplier=supplier, employees=400)
    assert "400 employees is not a small" in refused.value.message_dict["size"][0]
    supplier.refresh_from_db()
    assert supplier.employees == 25


def test_an_edit_held_for_review_is_checked_too(supplier, owner):
    with pytest.raises(DomainError) as refused:
        services.supplier_profile_update(actor=owner, supplier=supplier, employees=400)
    assert "size" in refused.value.message_dict
    assert not supplier.revisions.exists()


def test_the_web_form_shows_it(client, supplier, owner):
    supplier.status = Supplier.Status.DRAFT
    supplier.save()
    client.force_login(owner)
    response = client.post(f"/suppliers/{supplier.slug}/register/employees/", {"employees": "400"})
    assert response.status_code == 200
    assert "400 employees is not a small organisation" in response.content.decode()
    supplier.refresh_from_db()
    assert supplier.employees == 25


def test_the_csv_import_rejects_the_row():
    from tests.suppliers.test_import import csv_text, row, run

    report = run(csv_text(row(size="small", employees="400")))
    assert report.created == 0
    assert "400 employees is not a small organisation" in report.rejected[0].reason


def test_the_factory_and_fixtures_agree():
    supplier = factories.SupplierFactory()
    assert rules.size_employees_error(supplier.size, supplier.employees) is None


def test_a_returned_draft_is_checked_when_fixed_and_when_sent_again(supplier, owner, moderator):
    """The draft a rejection leaves (tests/suppliers/test_revision_drafts.py): an edit of it
    is checked against the rule, and so is sending it again after the live profile moved."""
    services.supplier_update(actor=moderator, supplier=supplier, employees=None)
    services.supplier_profile_update(actor=owner, supplier=supplier, size="medium")
    services.supplier_reject(actor=moderator, supplier=supplier, reason="Check the numbers")
    with pytest.raises(DomainError) as refused:
        services.supplier_profile_update(actor=owner, supplier=supplier, employees=400)
    assert "400 employees is not a medium" in refused.value.message_dict["size"][0]
    # Meanwhile the live profile gains a number of employees the draft's size disagrees with.
    services.supplier_update(actor=moderator, supplier=supplier, employees=30)
    with pytest.raises(DomainError) as refused:
        services.supplier_revision_resubmit(actor=owner, supplier=supplier)
    assert "30 employees is not a medium" in refused.value.message_dict["size"][0]
    assert supplier.revisions.get(status__in=["pending", "draft"]).status == "draft"
