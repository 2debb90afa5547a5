"""``python manage.py import_suppliers FILE.csv``: create or update published suppliers.

The logic and the file format are in ``suppliers.importer``. Progress (rows
done, rate, time left) goes to stderr only when stderr is a terminal, so logs
and pipes get just the final report on stdout.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from suppliers.importer import BATCH_SIZE, ImportFileError, import_suppliers_csv


class Command(BaseCommand):
    help = (
        "Create or update published suppliers from a CSV file, keyed by Companies House "
        "number. Running it twice with the same file changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The supplier CSV (UTF-8, header row).")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            help=f"Rows written per transaction (default {BATCH_SIZE}).",
        )

    def handle(self, *args, **options) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be 1 or more.")
        progress = self._progress if self.stderr.isatty() else None
        self._started = time.monotonic()
        try:
            report = import_suppliers_csv(
                options["file"], progress=progress, batch_size=options["batch_size"]
            )
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        if progress:
            self.stderr.write("")
        if report.ignored_columns:
            self.stdout.write(f"Ignored columns: {', '.join(report.ignored_columns)}")
        for rejected in report.rejected:
            self.stdout.write(f"Line {rejected.line}: {rejected.reason}")
        style = self.style.WARNING if report.rejected else self.style.SUCCESS
        self.stdout.write(
            style(f"{report.summary()} ({report.rows:,} rows in {report.seconds:.1f} s).")
        )

    def _progress(self, done: int, total: int | None) -> None:
        elapsed = max(time.monotonic() - self._started, 1e-6)
        rate = done / elapsed
        text = f"{done:,} rows"
        if total:
            text = f"{done:,} of {total:,} rows"
        text += f" · {rate:,.0f} rows/s"
        if total and rate and total > done:
            text += f" · about {(total - done) / rate:,.0f} s left"
        self.stderr.write(f"\r{text:<70}", ending="")
