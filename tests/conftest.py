"""Fixtures shared by the whole suite.

Every permission test uses the same cast (after healthchecks' test base): an
owner and a member of one supplier, an owner of another supplier, a civil
servant, an anonymous visitor and a moderator.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from tests import factories


@pytest.fixture
def supplier(db):
    return factories.SupplierFactory()


@pytest.fixture
def owner(supplier):
    return factories.MembershipFactory(supplier=supplier, role="owner").user


@pytest.fixture
def member(supplier):
    return factories.MembershipFactory(supplier=supplier, role="member").user


@pytest.fixture
def other_owner(db):
    return factories.MembershipFactory(role="owner").user


@pytest.fixture
def civil_servant(db):
    return factories.CivilServantFactory()


@pytest.fixture
def moderator(db):
    return factories.ModeratorFactory()


@pytest.fixture
def anonymous():
    return AnonymousUser()
