"""suppliers.permissions with the whole cast (tests/conftest.py)."""

from __future__ import annotations

import pytest

from suppliers import permissions
from suppliers.models import Supplier

# Persona fixtures are asked for by name (request.getfixturevalue), which pytest-django
# cannot see when it orders tests: the mark keeps these tests before the transactional ones.
pytestmark = pytest.mark.django_db

CAST = ["owner", "member", "other_owner", "civil_servant", "anonymous", "moderator"]


def _who(request, name):
    return request.getfixturevalue(name)


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("owner", True),
        ("member", True),
        ("other_owner", False),
        ("civil_servant", False),
        ("anonymous", False),
        ("moderator", True),
    ],
)
def test_can_edit_supplier(request, supplier, who, expected):
    assert permissions.can_edit_supplier(_who(request, who), supplier) is expected


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("owner", True),
        ("member", False),
        ("other_owner", False),
        ("civil_servant", False),
        ("anonymous", False),
        ("moderator", True),
    ],
)
def test_can_manage_members(request, supplier, who, expected):
    assert permissions.can_manage_members(_who(request, who), supplier) is expected


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("owner", False),
        ("member", False),
        ("other_owner", False),
        ("civil_servant", False),
        ("anonymous", False),
        ("moderator", True),
    ],
)
def test_can_moderate_and_create(request, who, expected):
    user = _who(request, who)
    assert permissions.can_moderate(user) is expected
    assert permissions.can_create_supplier(user) is expected


@pytest.mark.parametrize("who", CAST)
def test_anyone_can_view_a_published_supplier(request, supplier, who):
    assert supplier.status == Supplier.Status.PUBLISHED
    assert permissions.can_view_supplier(_who(request, who), supplier) is True


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("owner", True),
        ("member", True),
        ("other_owner", False),
        ("civil_servant", False),
        ("anonymous", False),
        ("moderator", True),
    ],
)
@pytest.mark.parametrize(
    "status",
    [
        Supplier.Status.DRAFT,
        Supplier.Status.PENDING_REVIEW,
        Supplier.Status.REJECTED,
        Supplier.Status.SUSPENDED,
    ],
)
def test_unpublished_supplier_only_for_its_people_and_moderators(
    request, supplier, who, expected, status
):
    supplier.status = status
    supplier.save(update_fields=["status"])
    assert permissions.can_view_supplier(_who(request, who), supplier) is expected


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("owner", False),
        ("member", False),
        ("other_owner", False),
        ("civil_servant", True),
        ("anonymous", False),
        ("moderator", False),
    ],
)
def test_can_use_shortlists(request, who, expected):
    assert permissions.can_use_shortlists(_who(request, who)) is expected


def test_inactive_people_lose_their_rights(supplier, owner, moderator, civil_servant):
    for user in (owner, moderator, civil_servant):
        user.is_active = False
        user.save(update_fields=["is_active"])
    assert not permissions.can_edit_supplier(owner, supplier)
    assert not permissions.can_moderate(moderator)
    assert not permissions.can_use_shortlists(civil_servant)


def test_none_is_nobody(supplier):
    assert not permissions.can_edit_supplier(None, supplier)
    assert not permissions.can_moderate(None)
    assert permissions.can_view_supplier(None, supplier)  # published
