"""Fixtures for reporting tests: a contract between the cast's supplier and the civil
servant's public body, and helpers to submit reports through the service."""

from __future__ import annotations

import pytest

from reporting import services
from reporting.models import ContractReport
from tests import factories

# The API tests' token clients (client_for, make_token) serve the reporting API tests too.
from tests.api.conftest import client_for, make_token  # noqa: F401
from tests.reporting.factories import ContractFactory, last_quarter, values


@pytest.fixture
def scheme(db):
    return services.scheme_current()


@pytest.fixture
def contract(supplier, civil_servant):
    return ContractFactory(supplier=supplier, buyer=civil_servant.public_body)


@pytest.fixture
def other_civil_servant(db):
    return factories.CivilServantFactory()


@pytest.fixture
def submit(owner):
    """``submit(contract, period=..., user=..., **metric values)`` → a submitted report."""

    def do(contract, period=None, user=None, **overrides) -> ContractReport:
        if user is None:
            user = factories.MembershipFactory(supplier=contract.supplier, role="owner").user
        return services.report_submit(
            actor=user,
            contract=contract,
            period=period or last_quarter(),
            values=values(**overrides),
        )

    return do


@pytest.fixture
def standard_scheme(transactional_db):
    """The seeded standard, for transactional tests (a flush after another such test
    removes what migrations seeded)."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("reporting.migrations.0002_techmap_standard_v1")
    migration.seed(apps, None)
    return services.scheme_current()
