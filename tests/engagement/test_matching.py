"""Matching: who fits, in what order, and that size never counts against an SME."""

from __future__ import annotations

import pytest

from engagement.matching import match_suppliers, tie_break
from suppliers.models import Capability, Region
from tests import factories
from tests.engagement.factories import EngagementRequestFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def caps():
    return list(Capability.objects.order_by("pk")[:3])


def _supplier(name, caps, regions, size="small", hq=None):
    return factories.SupplierFactory(
        name=name, size=size, hq_region=hq, capabilities=caps, regions=regions
    )


def test_ranked_by_share_of_capabilities_with_reasons(caps):
    london, wales = Region.objects.get(code="TLI"), Region.objects.get(code="TLL")
    er = EngagementRequestFactory(capabilities=caps, regions=[london])
    all_three = _supplier("All three", caps, [london])
    one = _supplier("Just one", caps[:1], [london])
    _supplier("Wrong region", caps, [wales])
    hq_only = _supplier("Head office in London", caps[:2], [], hq=london)
    factories.SupplierFactory(name="Draft", status="draft", capabilities=caps)

    results = match_suppliers(er)
    by_name = {r.supplier_id: r for r in results}
    assert [r.supplier_id for r in results] == [all_three.pk, hq_only.pk, one.pk]
    assert [r.rank for r in results] == [1, 2, 3]
    assert by_name[all_three.pk].score == 1.0
    assert by_name[one.pk].score == pytest.approx(1 / 3, abs=1e-4)
    assert by_name[one.pk].capability_names == [caps[0].name]
    assert "Serves London" in by_name[hq_only.pk].reason
    assert f"Offers 1 of the capabilities asked for: {caps[0].name}." in by_name[one.pk].reason


def test_no_regions_means_anywhere(caps):
    er = EngagementRequestFactory(capabilities=caps[:1])
    anywhere = _supplier("Nowhere listed", caps[:1], [])
    [result] = match_suppliers(er)
    assert result.supplier_id == anywhere.pk
    assert "anywhere in the UK" in result.reason


def test_smes_are_not_ranked_below_large_suppliers_for_being_small(caps):
    """Same overlap, different sizes: equal scores, and the order is the neutral tie-break.

    The large supplier also lists many more capabilities and regions than asked for,
    which must not lift it above the micro business.
    """
    london = Region.objects.get(code="TLI")
    er = EngagementRequestFactory(capabilities=caps[:2], regions=[london])
    micro = _supplier("Micro", caps[:2], [london], size="micro")
    large = _supplier(
        "Large", list(Capability.objects.all()[:20]), list(Region.objects.all()), size="large"
    )
    large.employees = 50000
    large.save()
    results = match_suppliers(er)
    scores = {r.supplier_id: r.score for r in results}
    assert scores[micro.pk] == scores[large.pk] == 1.0
    expected = sorted([micro.pk, large.pk], key=lambda pk: tie_break(er.pk, pk))
    assert [r.supplier_id for r in results] == expected


def test_an_sme_with_more_of_the_capabilities_outranks_a_large_supplier(caps):
    er = EngagementRequestFactory(capabilities=caps)
    large = _supplier("Large", caps[:1], [], size="large")
    small = _supplier("Small", caps, [], size="micro")
    assert [r.supplier_id for r in match_suppliers(er)] == [small.pk, large.pk]


def test_matching_runs_a_fixed_number_of_queries(caps, django_assert_max_num_queries):
    er = EngagementRequestFactory(capabilities=caps)
    for n in range(8):
        _supplier(f"S{n}", caps[: 1 + n % 3], [])
    with django_assert_max_num_queries(5):
        assert len(match_suppliers(er)) == 8
