"""python manage.py import_contracts FILE.json: contracts from an OCDS release package."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reporting.services import contracts_import_ocds


class Command(BaseCommand):
    help = (
        "Load contracts from an OCDS release package (buyer by name, supplier by its GB-COH "
        "Companies House identifier, value, period, category from a classification). "
        "Idempotent by ocid: running it again updates changed contracts only. Bad releases "
        "are listed and the rest still load; the exit status is 1 if any release was bad."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="A JSON file holding an OCDS release package.")

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        try:
            package = json.loads(path.read_text(encoding="utf-8-sig"))
        except FileNotFoundError:
            raise CommandError(f"No file at {path}.") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CommandError(f"{path} is not a JSON file: {error}") from None
        except OSError as error:
            raise CommandError(f"Could not read {path}: {error}") from None
        result = contracts_import_ocds(package=package)
        self.stdout.write(
            f"Created {len(result.created)}, updated {len(result.updated)}, "
            f"unchanged {len(result.unchanged)}, bad {len(result.errors)}."
        )
        for index, ocid, message in result.errors:
            self.stderr.write(f"Release {index} ({ocid or 'no ocid'}): {message}")
        if result.errors:
            raise SystemExit(1)
