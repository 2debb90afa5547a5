"""The government-domain rule and the roles, all from accounts.permissions."""

from __future__ import annotations

import pytest

from accounts import permissions
from tests import factories


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("someone@gov.uk", True),
        ("someone@cabinetoffice.gov.uk", True),
        ("someone@digital.cabinetoffice.gov.uk", True),
        ("Someone@CabinetOffice.GOV.UK", True),
        ("someone@cabinetoffice.gov.uk.", True),
        ("someone@evilgov.uk", False),
        ("someone@gov.uk.example.com", False),
        ("someone@notgov.uk", False),
        ("gov.uk@example.com", False),
        ("someone@example.co.uk", False),
        ("someone@gov.uk@example.com", False),
        ("someone@", False),
        ("no-at-sign.gov.uk", False),
        ("", False),
    ],
)
def test_gov_email_matches_the_domain_and_its_sub_domains_only(settings, email, expected):
    settings.GOV_EMAIL_DOMAINS = ["gov.uk"]
    assert permissions.is_gov_email(email) is expected


def test_gov_email_domains_come_from_settings(settings):
    settings.GOV_EMAIL_DOMAINS = ["gov.scot", ".nhs.uk"]
    assert permissions.is_gov_email("a@gov.scot")
    assert permissions.is_gov_email("a@england.nhs.uk")
    assert not permissions.is_gov_email("a@cabinetoffice.gov.uk")
    assert not permissions.is_gov_email("a@fakenhs.uk")


def test_roles_of_the_cast(civil_servant, moderator, owner, anonymous):
    assert permissions.is_civil_servant(civil_servant)
    assert not permissions.is_moderator(civil_servant)
    assert not permissions.is_ordinary_user(civil_servant)

    assert permissions.is_moderator(moderator)
    assert not permissions.is_civil_servant(moderator)
    assert not permissions.is_ordinary_user(moderator)

    assert permissions.is_ordinary_user(owner)
    assert not permissions.is_civil_servant(owner)
    assert not permissions.is_moderator(owner)

    for role in (
        permissions.is_civil_servant,
        permissions.is_moderator,
        permissions.is_ordinary_user,
        permissions.is_signed_in,
    ):
        assert not role(anonymous)
        assert not role(None)


@pytest.mark.django_db
def test_an_inactive_user_has_no_role():
    user = factories.CivilServantFactory(is_active=False, is_staff=True)
    assert not permissions.is_civil_servant(user)
    assert not permissions.is_moderator(user)
    assert not permissions.is_ordinary_user(user)


@pytest.mark.django_db
def test_needs_public_body_only_for_civil_servants_without_one(civil_servant, owner):
    assert not permissions.needs_public_body(civil_servant)
    newcomer = factories.CivilServantFactory(public_body=None)
    assert permissions.needs_public_body(newcomer)
    assert not permissions.needs_public_body(owner)
    assert permissions.can_choose_public_body(newcomer)
    assert not permissions.can_choose_public_body(owner)
