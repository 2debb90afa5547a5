"""People read names, never codes: "East of England", not ``TLH``; "Small (10 to 49
employees)", not ``small``; "Cloud hosting", not ``cloud-hosting`` — on the supplier's own
pages, the public profile and the moderator's review (``tests.helpers.assert_no_raw_codes``)."""

from __future__ import annotations

import pytest

from suppliers import services
from suppliers.models import Capability, Certification, Framework, Region, Supplier
from tests import factories
from tests.helpers import assert_no_raw_codes, raw_codes_in

pytestmark = pytest.mark.django_db

NAMES = {"TLH": "East of England", "cloud-hosting": "Cloud hosting", "small": "Small"}


@pytest.mark.parametrize(
    "html",
    [
        "<dd>TLH, TLI</dd>",
        "<td>Regions: TLH</td>",
        "<li>We do cloud-hosting</li>",
        "<dd class='govuk-summary-list__value'>small</dd>",
        "<td>micro, small</td>",
        '<a title="cloud-hosting" href="/x">Cloud</a>',
        "<p>Size:\n  small\n</p>",
    ],
)
def test_the_checker_finds_a_raw_code(html):
    assert raw_codes_in(html, {**NAMES, "TLI": "London", "micro": "Micro"})


@pytest.mark.parametrize(
    "html",
    [
        "<p>A small team in East of England doing Cloud hosting.</p>",
        '<input type="checkbox" value="cloud-hosting" id="capability-cloud-hosting">',
        '<option value="TLH">East of England</option>',
        "<p>Filter with <code>region=TLH</code>.</p>",
        '<pre>{"regions": ["TLH"]}</pre>',
        '<a href="/suppliers/?capability=cloud-hosting">Cloud hosting</a>',
        '<td class="field-code">TLH</td><td>East of England</td>',
        "<p>The TLHX and cloud-hostings words are not codes.</p>",
    ],
)
def test_the_checker_leaves_names_attributes_and_code_examples_alone(html):
    assert raw_codes_in(html, NAMES) == []


def test_assert_no_raw_codes_knows_the_reference_tables(db):
    region = Region.objects.get(code="TLH")
    with pytest.raises(AssertionError, match="East of England"):
        assert_no_raw_codes(f"<dd>{region.code}</dd>")
    with pytest.raises(AssertionError, match="Small"):
        assert_no_raw_codes("<dd>small</dd>")
    group = factories.CapabilityGroupFactory()
    with pytest.raises(AssertionError, match=group.name):
        assert_no_raw_codes(f"<dd>{group.code}</dd>")
    assert_no_raw_codes(f"<dd>{region.name}, Small (10 to 49 employees)</dd>")


@pytest.fixture
def coded_supplier(supplier, owner):
    """A published supplier with a coded value in every coded field, and an edit of each
    waiting for review (both the live and the proposed values are shown)."""
    cloud = Capability.objects.get(code="cloud-hosting")
    certification = Certification.objects.order_by("pk").first()
    framework = Framework.objects.order_by("pk").first()
    services.supplier_update(
        actor=None,
        supplier=supplier,
        size=Supplier.Size.SMALL,
        employees=20,
        hq_region=Region.objects.get(code="TLH"),
        regions=list(Region.objects.filter(code__in=["TLH", "TLI"])),
        capabilities=[cloud],
        certifications=[certification],
        frameworks=[framework],
    )
    services.supplier_profile_update(
        actor=owner,
        supplier=supplier,
        size=Supplier.Size.MEDIUM,
        employees=60,
        hq_region=Region.objects.get(code="TLE"),
        regions=list(Region.objects.filter(code__in=["TLE", "TLN"])),
        capabilities=list(Capability.objects.filter(code__in=["cloud-migration", "cloud-hosting"])),
        certifications=[],
        frameworks=list(Framework.objects.order_by("pk")[:2]),
    )
    return supplier


STEPS = ["size", "employees", "hq-region", "regions", "capabilities", "certifications"]


def test_the_suppliers_pages_show_names(client, coded_supplier, owner):
    client.force_login(owner)
    slug = coded_supplier.slug
    pages = [
        f"/suppliers/{slug}/manage/",
        f"/suppliers/{slug}/register/",
        f"/suppliers/{slug}/register/check/",
        *(f"/suppliers/{slug}/register/{step}/" for step in STEPS),
        f"/suppliers/{slug}/register/frameworks/",
        f"/suppliers/{slug}/",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_raw_codes(response.content.decode())
    check = client.get(f"/suppliers/{slug}/register/check/").content.decode()
    assert "Medium (50 to 249 employees)" in check and "Yorkshire and The Humber" in check
    assert "Cloud migration" in check and "Northern Ireland" in check


def test_the_pages_show_names_for_a_returned_draft(client, coded_supplier, owner, moderator):
    services.supplier_reject(actor=moderator, supplier=coded_supplier, reason="Evidence")
    client.force_login(owner)
    for url in ("manage/", "register/check/", "register/"):
        html = client.get(f"/suppliers/{coded_supplier.slug}/{url}").content.decode()
        assert_no_raw_codes(html)


def test_the_moderators_pages_show_names(client, coded_supplier, moderator):
    client.force_login(moderator)
    review = client.get(f"/admin/suppliers/supplierforreview/{coded_supplier.pk}/review/")
    html = review.content.decode()
    assert_no_raw_codes(html)
    assert "East of England" in html and "Yorkshire and The Humber" in html
    revision = coded_supplier.revisions.get()
    html = client.get(f"/admin/suppliers/supplierrevision/{revision.pk}/change/").content.decode()
    assert_no_raw_codes(html)
    assert "Cloud migration" in html


def test_a_new_profile_in_review_shows_names(client, moderator, owner):
    supplier = factories.SupplierFactory(
        status=Supplier.Status.PENDING_REVIEW,
        size=Supplier.Size.MICRO,
        employees=4,
        regions=list(Region.objects.filter(code="TLN")),
        capabilities=[Capability.objects.get(code="cloud-hosting")],
    )
    client.force_login(moderator)
    html = client.get(f"/admin/suppliers/supplierforreview/{supplier.pk}/review/").content
    assert_no_raw_codes(html.decode())
    assert b"Northern Ireland" in html and b"Micro (fewer than 10 employees)" in html
