"""python manage.py run_comparison [--full]: the nightly comparison, on demand."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reporting.comparison import run_comparison
from reporting.models import ComparisonRun


class Command(BaseCommand):
    help = (
        "Compare contract reports: quartiles, medians, percentile ranks, outliers and "
        "supplier composites for every period whose reports changed (all with --full)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--full", action="store_true", help="Recompute every period, changed or not."
        )

    def handle(self, *args, **options) -> None:
        try:
            run = run_comparison(
                full=options["full"],
                trigger=ComparisonRun.Trigger.COMMAND,
                progress=lambda line: self.stdout.write(line),
            )
        except Exception as error:
            raise CommandError(f"The comparison failed: {error}") from error
        if run.status == ComparisonRun.Status.SKIPPED:
            self.stdout.write(self.style.WARNING(f"Run {run.pk} skipped: {run.message}"))
            return
        seconds = run.duration.total_seconds() if run.duration else 0
        self.stdout.write(self.style.SUCCESS(f"Run {run.pk} finished in {seconds:.1f} s."))
