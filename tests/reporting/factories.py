"""Factories for contract reporting (Faker en_GB). Reports go through the service so
their values, events and change markers are real."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory

from reporting.models import Contract
from reporting.periods import add_quarters, current_quarter
from tests.factories import CapabilityGroupFactory, PublicBodyFactory, SupplierFactory

GOOD_VALUES = {
    "overall_rating": "Good",
    "milestones_on_time": "95",
    "spend_against_budget": "100",
    "service_availability": "99.9",
    "user_satisfaction": "4",
    "priority_1_incidents": "0",
    "sme_subcontract_spend": "30",
    "social_value_met": "90",
}


def last_quarter(back: int = 1) -> date:
    """A finished quarter: ``back`` quarters before the current one."""
    return add_quarters(current_quarter(), -back)


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    ocid = factory.Sequence(lambda n: f"ocds-test01-{n:05d}")
    title = factory.Sequence(lambda n: f"Test contract {n}")
    buyer = factory.SubFactory(PublicBodyFactory)
    supplier = factory.SubFactory(SupplierFactory)
    category = factory.SubFactory(CapabilityGroupFactory)
    value = Decimal("1000000.00")
    start_date = factory.LazyFunction(lambda: add_quarters(current_quarter(), -12))
    status = Contract.Status.ACTIVE


def values(**overrides) -> dict[str, str]:
    return {**GOOD_VALUES, **{k: str(v) for k, v in overrides.items()}}
