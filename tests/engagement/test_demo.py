"""seed_demo's engagement part: open and closed requests with responses and Q&A."""

from __future__ import annotations

import random

import pytest

from engagement import demo
from engagement.models import ClarificationQuestion, EngagementRequest, SupplierResponse
from suppliers.models import Capability
from tests import factories

pytestmark = pytest.mark.django_db


def test_demo_makes_open_and_closed_requests_with_responses_and_questions(body):
    author = factories.CivilServantFactory(public_body=body)
    for code in ("internet-of-things", "machine-learning", "cloud-hosting", "legacy-modernisation"):
        for n in range(2):
            supplier = factories.SupplierFactory(capabilities=[Capability.objects.get(code=code)])
            factories.CaseStudyFactory(supplier=supplier)
            if n:
                factories.MembershipFactory(supplier=supplier)
    lines: list[str] = []
    demo.seed(rng=random.Random(1), options={}, log=lines.append)
    assert EngagementRequest.objects.filter(status="open", author=author).count() == 3
    assert EngagementRequest.objects.filter(status="closed").count() == 2
    assert EngagementRequest.objects.filter(status="draft").count() == 1
    assert SupplierResponse.objects.count() >= 4
    for er in EngagementRequest.objects.exclude(status="draft"):
        if er.matches.count() >= 2:
            assert er.responses.count() >= 2, er.title
    assert ClarificationQuestion.objects.filter(answered_at__isnull=False).count() >= 3
    # Run again: nothing doubled.
    demo.seed(rng=random.Random(1), options={}, log=lines.append)
    assert EngagementRequest.objects.count() == 6
    assert "already there" in lines[-1]


def test_demo_works_with_no_suppliers_and_no_civil_servants(db):
    lines: list[str] = []
    demo.seed(rng=random.Random(1), options={}, log=lines.append)
    assert not EngagementRequest.objects.exists()
    factories.CivilServantFactory()
    demo.seed(rng=random.Random(1), options={}, log=lines.append)
    assert EngagementRequest.objects.filter(status="open").count() == 3
    assert not SupplierResponse.objects.exists()
