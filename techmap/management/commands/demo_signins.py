"""Print the demo sign-ins that seed_demo made (never in production)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from accounts.demo import DEMO_USERS


class Command(BaseCommand):
    help = "Print the demo sign-ins (civil servant, supplier owner, moderator)."

    def handle(self, *args, **options) -> None:
        if settings.PRODUCTION:
            return
        emails = {user["email"] for user in DEMO_USERS}
        existing = set(
            get_user_model().objects.filter(email__in=emails).values_list("email", flat=True)
        )
        if not existing:
            self.stdout.write("No demo sign-ins: run `python manage.py seed_demo` to make them.")
            return
        self.stdout.write("")
        self.stdout.write(f"Demo sign-ins (password for each: {settings.DEMO_PASSWORD})")
        for user in DEMO_USERS:
            if user["email"] in existing:
                self.stdout.write(f"  {user['role']:<16} {user['email']}")
        self.stdout.write("")
