"""``python manage.py import_ocds PATH…``: load public contract data (OCDS).

Release packages, record packages, JSON Lines, ``.gz`` files and folders of them (see
``suppliers.public_records``). Idempotent by ocid and release id; each batch commits as it
goes, so an interrupted run loses nothing loaded and the next run resumes. Exits 1 if any
release was refused, after listing each with its position, ocid and reason. A progress
line goes to stderr only when stdout is a terminal.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from suppliers.public_records.ocds import BATCH_SIZE, BatchHook, OcdsReport, import_files


def write_report(command: BaseCommand, report: OcdsReport) -> None:
    """The closing note: refusals one a line, what was passed over, then the counts."""
    for refusal in report.refused:
        command.stdout.write(f"Refused: {refusal}")
    for note, count in sorted(report.skipped.items()):
        command.stdout.write(f"Nothing to keep: {count:,} × {note}")
    style = command.style.WARNING if report.refused else command.style.SUCCESS
    command.stdout.write(style(f"{report.summary()} ({report.seconds:.1f} s)"))


class Command(BaseCommand):
    help = (
        "Load OCDS releases (Contracts Finder, Find a Tender) as award records and external "
        "engagement notices. Safe to run again: loaded releases are not read twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", help="Files or folders of OCDS data.")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            help=f"Releases committed per transaction (default {BATCH_SIZE}).",
        )
        parser.add_argument("--publisher", default="", help="Publisher name, if files lack one.")
        parser.add_argument(
            "--reread",
            action="store_true",
            help="Read files again even if the same content was read to its end before.",
        )

    def handle(self, *args, **options) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be 1 or more.")
        missing = [p for p in options["paths"] if not Path(p).exists()]
        if missing:
            raise CommandError(f"No such file or folder: {', '.join(missing)}")
        self._started = time.monotonic()
        progress = self._progress if self.stdout.isatty() else None
        report = import_files(
            options["paths"],
            reread=options["reread"] or self.reread,
            batch_size=options["batch_size"],
            publisher=options["publisher"],
            progress=progress,
            on_batch=self.on_batch,
        )
        if progress:
            self.stderr.write("")
        write_report(self, report)
        if self.finish(report):
            sys.exit(1)

    # What a command built on this one (``import_contracts``) does with each batch's ocids,
    # and whether it must see every release even of a file read before.
    on_batch: BatchHook | None = None
    reread = False

    def finish(self, report: OcdsReport) -> bool:
        """Write what else the command did; whether anything was refused."""
        return bool(report.refused)

    def _progress(self, done: int) -> None:
        rate = done / max(time.monotonic() - self._started, 1e-6)
        self.stderr.write(f"\r{done:,} releases · {rate:,.0f} a second", ending="")
