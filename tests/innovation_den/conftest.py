"""Fixtures for the den's tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The den's tests make many users; hashing their passwords with PBKDF2 dominates the
    # run time on a 2-core machine and tests nothing of the den.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
