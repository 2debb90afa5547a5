"""seed_demo's den part: proposals in every state, and a library with every outcome."""

from __future__ import annotations

import random

from accounts import demo as accounts_demo
from accounts.models import User
from innovation_den import demo
from innovation_den.models import Proposal
from tests import factories


def test_demo_seeds_every_state_and_every_outcome(db):
    factories.PublicBodyFactory(name="Cabinet Office", slug="cabinet-office")
    accounts_demo.seed(rng=random.Random(1), options={}, log=lambda line: None)
    for _ in range(3):
        factories.SupplierFactory()
    owner = User.objects.get(email="owner@kestrel-ledger.example")
    factories.MembershipFactory(user=owner, role="owner")
    lines: list[str] = []
    demo.seed(rng=random.Random(2026), options={}, log=lines.append)

    statuses = set(Proposal.objects.values_list("status", flat=True))
    assert statuses == set(Proposal.Status.values)
    outcomes = set(
        Proposal.objects.filter(status__in=Proposal.EVALUATED_STATUSES).values_list(
            "outcome", flat=True
        )
    )
    assert outcomes == set(Proposal.Outcome.values)
    assert any(p.is_overdue for p in Proposal.objects.filter(status="running"))
    assert lines and "every state" in lines[-1]
    # A supplier's proposal waits for its civil-servant sponsor to confirm.
    assert Proposal.objects.filter(
        proposer=owner, sponsor__isnull=False, sponsor_confirmed_at__isnull=True
    ).exists()

    # Running it again changes nothing.
    count = Proposal.objects.count()
    demo.seed(rng=random.Random(2026), options={}, log=lines.append)
    assert Proposal.objects.count() == count


def test_demo_works_without_suppliers(db):
    factories.PublicBodyFactory()
    demo.seed(rng=random.Random(1), options={}, log=lambda line: None)
    assert Proposal.objects.filter(status="evaluated").exists()
    assert not Proposal.objects.filter(partners__isnull=False).exists()
