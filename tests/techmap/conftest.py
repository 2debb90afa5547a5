"""Fixtures for the site-shell tests: the ``world`` of tests/home_world.py for /home/."""

from tests.home_world import world  # noqa: F401 (a fixture, used by name)
