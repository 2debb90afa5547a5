"""The review shows evidence, not codes: names for regions, capabilities and sizes, the case
studies' text and what Companies House says, on every page that shows a profile for review."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse

from suppliers import services
from suppliers.models import Capability, Certification, Region, Supplier
from suppliers.selectors.revisions import display_value
from tests import factories

pytestmark = pytest.mark.django_db

CASE_STUDY = {
    "title": "Secure hosting for a county council",
    "client_type": "public",
    "client_name": "Northshire County Council",
    "summary": "Moved 40 services to a managed platform in six months.",
    "outcome": "Hosting costs fell by a third.",
    "year": 2025,
}


def _coded():
    """Region, capability and certification whose codes differ from their names."""
    return (
        Region.objects.get(code="TLC"),  # North East
        Capability.objects.get(code="cloud-hosting"),  # Cloud hosting
        Capability.objects.get(code="penetration-testing"),  # group: Cyber security
        Certification.objects.get(code="cyber-essentials-plus"),
    )


def _codes_in(html: str, *items) -> list[str]:
    """Codes shown as text on the page (not inside a URL or attribute)."""
    text = re.sub(r"<[^>]+>", " ", html)
    return [item.code for item in items if re.search(rf"(?<![\w/-]){item.code}(?![\w/-])", text)]


def _table(html: str, table_id: str) -> str:
    start = html.index(f'id="{table_id}"')
    return html[start : html.index("</table>", start)]


def test_display_value_names_every_coded_field():
    region, hosting, pentest, plus = _coded()
    assert display_value("hq_region", "TLC") == "North East"
    assert display_value("regions", ["TLC", "TLI"]) == "North East, London"
    assert display_value("capabilities", [hosting.code, pentest.code]) == (
        "Cloud hosting, Penetration testing"
    )
    assert display_value("certifications", [plus.code]) == "Cyber Essentials Plus"
    assert display_value("size", "small") == dict(Supplier.Size.choices)["small"]
    assert display_value("regions", ["TLX"]) == "TLX"  # a code nothing is called any more
    text = display_value("case_studies", [CASE_STUDY])
    for words in (CASE_STUDY["summary"], CASE_STUDY["outcome"], "Public sector", "2025"):
        assert words in text


def test_review_of_changes_shows_names_case_study_text_and_companies_house(
    client, moderator, owner, supplier
):
    region, hosting, pentest, plus = _coded()
    Supplier.objects.filter(pk=supplier.pk).update(
        companies_house_status="liquidation",
        incorporated_on=datetime.date(2011, 3, 4),
        sic_codes=["62020"],
        companies_house_flagged_on=datetime.date(2026, 11, 2),
    )
    services.supplier_profile_update(
        actor=owner,
        supplier=supplier,
        hq_region=region,
        regions=[region],
        capabilities=[hosting, pentest],
        certifications=[plus],
    )
    services.supplier_case_study_add(actor=owner, supplier=supplier, **CASE_STUDY)
    client.force_login(moderator)
    html = client.get(
        reverse("admin:suppliers_supplierforreview_review", args=[supplier.pk])
    ).content.decode()
    differences = _table(html, "differences")
    for name in ("North East", "Cloud hosting", "Penetration testing", "Cyber Essentials Plus"):
        assert name in differences, name
    assert not _codes_in(differences, region, hosting, pentest, plus)
    assert CASE_STUDY["summary"] in differences and CASE_STUDY["outcome"] in differences
    facts = _table(html, "companies-house")
    for fact in ("liquidation", "2011-03-04", "62020", "2026-11-02"):
        assert fact in facts, fact
    # The people's own page with the pending changes says the same, in names.
    client.force_login(owner)
    manage = client.get(reverse("suppliers:manage", args=[supplier.slug])).content.decode()
    assert "North East" in manage and not _codes_in(
        _table(manage, "pending-changes"), region, hosting, pentest, plus
    )


def test_review_of_a_new_profile_and_check_your_answers_show_names(client, moderator):
    region, hosting, pentest, plus = _coded()
    owner = factories.UserFactory()
    supplier = factories.SupplierFactory(status=Supplier.Status.DRAFT, name="Fresh Ledger")
    factories.MembershipFactory(supplier=supplier, user=owner, role="owner")
    services.supplier_profile_update(
        actor=owner,
        supplier=supplier,
        hq_region=region,
        regions=[region],
        capabilities=[hosting, pentest],
        certifications=[plus],
    )
    client.force_login(owner)
    check = client.get(reverse("suppliers:register_check", args=[supplier.slug]))
    assert check.status_code == 200
    answers = check.content.decode()
    assert "North East" in answers and "Cloud hosting" in answers
    assert not _codes_in(answers, region, hosting, pentest, plus)
    Supplier.objects.filter(pk=supplier.pk).update(status=Supplier.Status.PENDING_REVIEW)
    client.force_login(moderator)
    html = client.get(
        reverse("admin:suppliers_supplierforreview_review", args=[supplier.pk])
    ).content.decode()
    differences = _table(html, "differences")
    assert "North East" in differences and "Cyber Essentials Plus" in differences
    assert not _codes_in(differences, region, hosting, pentest, plus)
