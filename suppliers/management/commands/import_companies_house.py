"""``python manage.py import_companies_house FILE.csv|FILE.zip [--sic 62,63]``.

Reads Companies House's BasicCompanyData file as published (see
``suppliers.public_records.companies_house``). By default it updates only companies
Techmap knows; ``--sic`` also adds active companies in those SIC divisions as suppliers
from public records.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from suppliers.public_records.companies_house import (
    BATCH_SIZE,
    CompaniesHouseFileError,
    import_companies_house,
)


class Command(BaseCommand):
    help = "Update suppliers' Companies House status, dates, SIC codes and region."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="BasicCompanyData CSV, or the ZIP it is published in.")
        parser.add_argument(
            "--sic",
            default="",
            help="Comma-separated SIC divisions (62,63) whose companies are added too.",
        )
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)

    def handle(self, *args, **options) -> None:
        divisions = {d.strip() for d in options["sic"].split(",") if d.strip()}
        bad = [d for d in divisions if not (d.isdigit() and len(d) <= 2)]
        if bad:
            raise CommandError(f"--sic takes 2-digit SIC divisions such as 62,63, not {bad[0]}")
        progress = None
        if self.stdout.isatty():

            def progress(rows: int) -> None:
                self.stderr.write(f"\r{rows:,} rows", ending="")

        try:
            report = import_companies_house(
                options["file"],
                sic_divisions=divisions,
                batch_size=options["batch_size"],
                progress=progress,
            )
        except CompaniesHouseFileError as exc:
            raise CommandError(str(exc)) from exc
        if progress:
            self.stderr.write("")
        self.stdout.write(self.style.SUCCESS(f"{report.summary()} ({report.seconds:.1f} s)"))
