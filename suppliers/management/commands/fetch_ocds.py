"""``python manage.py fetch_ocds --source find-a-tender|contracts-finder --since DATE``.

Pages through the publisher's OCDS API (``links.next``), importing each page as it comes
(``suppliers.public_records.fetch``). Without ``--since`` it starts the day before the
newest release already loaded from that source. Exits 1 if any release was refused.
"""

from __future__ import annotations

import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from suppliers.management.commands.import_ocds import write_report
from suppliers.public_records.fetch import FetchError, fetch_source, sources


class Command(BaseCommand):
    help = "Fetch public contract data from Find a Tender or Contracts Finder and import it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--source", required=True, help="find-a-tender or contracts-finder")
        parser.add_argument("--since", help="First date to fetch (YYYY-MM-DD).")
        parser.add_argument("--max-pages", type=int, default=None)

    def handle(self, *args, **options) -> None:
        if options["source"] not in sources():
            raise CommandError(f"--source must be one of: {', '.join(sources())}")
        since = None
        if options["since"]:
            try:
                since = date.fromisoformat(options["since"])
            except ValueError as exc:
                raise CommandError("--since must be a date such as 2025-01-31") from exc
        tty = self.stdout.isatty()

        def on_page(pages: int, report) -> None:
            if tty:
                self.stderr.write(f"\r{pages:,} pages · {report.releases:,} releases", ending="")

        try:
            report = fetch_source(
                source=options["source"],
                since=since,
                max_pages=options["max_pages"],
                on_page=on_page,
            )
        except FetchError as exc:
            raise CommandError(str(exc)) from exc
        if tty:
            self.stderr.write("")
        write_report(self, report)
        if report.refused:
            sys.exit(1)
