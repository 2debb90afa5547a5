"""seed_demo's accounts part: one sign-in per role, each with a verified address."""

from __future__ import annotations

import random

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings

from accounts import demo, permissions
from accounts.models import User

pytestmark = pytest.mark.django_db


def test_seed_makes_one_user_per_role_and_can_run_twice():
    for _ in range(2):
        demo.seed(rng=random.Random(1), options={}, log=lambda message: None)
    assert User.objects.count() == len(demo.DEMO_USERS)
    by_role = {spec["role"]: User.objects.get(email=spec["email"]) for spec in demo.DEMO_USERS}

    civil_servant = by_role["civil servant"]
    assert permissions.is_civil_servant(civil_servant)
    assert civil_servant.public_body.slug == "cabinet-office"
    assert permissions.is_ordinary_user(by_role["supplier owner"])
    assert permissions.is_moderator(by_role["moderator"])
    for user in by_role.values():
        assert user.check_password(settings.DEMO_PASSWORD)
        assert EmailAddress.objects.get(user=user).verified
