"""Seed deterministic, realistic demo data across every app.

Each app that has demo data provides ``<app>/demo.py`` with
``seed(*, rng: random.Random, options: dict, log: Callable[[str], None])``;
they run in dependency order, so later apps can use what earlier ones made.
"""

from __future__ import annotations

import importlib
import random

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

DEMO_APPS = ["accounts", "suppliers", "engagement", "reporting", "innovation_den"]


class Command(BaseCommand):
    help = "Seed deterministic demo data (users, suppliers, requests, reports, trials)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--suppliers", type=int, default=300, help="How many suppliers to make (default 300)."
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (default 2026).")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already has users.",
        )

    def handle(self, *args, **options) -> None:
        if settings.PRODUCTION:
            # Demo sign-ins share one published password: never on a real site.
            raise CommandError(
                "seed_demo refuses to run with DJANGO_ENV=production: demo users have a "
                "published password. Seed a development or test database instead."
            )
        if options["suppliers"] < 0:
            self.stderr.write("--suppliers must be 0 or more.")
            raise SystemExit(2)
        if options["if_empty"] and get_user_model().objects.exists():
            self.stdout.write("Database already has data; not seeding.")
            return
        rng = random.Random(options["seed"])
        for app in DEMO_APPS:
            try:
                module = importlib.import_module(f"{app}.demo")
            except ModuleNotFoundError as error:
                if error.name != f"{app}.demo":
                    raise
                continue
            with transaction.atomic():
                module.seed(rng=rng, options=options, log=self.stdout.write)
        self.stdout.write(self.style.SUCCESS("Demo data seeded."))
