"""python manage.py import_contracts FILE.json: contracts from an OCDS release package."""

from __future__ import annotations

import codecs
from pathlib import Path

import ijson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.jsonstream import ArrayItems, TooDeep
from reporting.services import contracts_import_ocds
from suppliers.public_records.reader import MAX_DEPTH


def read_releases(path: Path) -> tuple[bool, list[tuple[int, object]]]:
    """Whether the file is a release package, and its releases with their positions (from 1).

    The package is streamed: a release nesting deeper than any real one is a
    :class:`TooDeep` in its place, never built, so it is refused on its own and the
    others still load. Malformed JSON raises ``ijson.JSONError`` before anything is written.
    """
    with path.open("rb") as handle:
        if handle.read(len(codecs.BOM_UTF8)) != codecs.BOM_UTF8:
            handle.seek(0)
        items = ArrayItems(handle, "releases", max_depth=MAX_DEPTH)
        releases = list(enumerate(items, start=1))
    return items.found, releases


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
            is_package, releases = read_releases(path)
        except FileNotFoundError:
            raise CommandError(f"No file at {path}.") from None
        except (UnicodeDecodeError, ijson.JSONError) as error:
            raise CommandError(f"{path} is not a JSON file: {error}") from None
        except OSError as error:
            raise CommandError(f"Could not read {path}: {error}") from None
        errors = [(i, "", f"refused: {r.reason}.") for i, r in releases if isinstance(r, TooDeep)]
        readable = [(i, r) for i, r in releases if not isinstance(r, TooDeep)]
        package = {"releases": [release for _, release in readable]} if is_package else None
        result = contracts_import_ocds(package=package)
        # The service numbers the releases it was given; report each by its place in the file.
        position = {n: index for n, (index, _) in enumerate(readable, start=1)}
        errors += [(position.get(n, n), ocid, why) for n, ocid, why in result.errors]
        self.stdout.write(
            f"Created {len(result.created)}, updated {len(result.updated)}, "
            f"unchanged {len(result.unchanged)}, bad {len(errors)}."
        )
        for index, ocid, message in sorted(errors):
            self.stderr.write(f"Release {index} ({ocid or 'no ocid'}): {message}")
        if errors:
            raise SystemExit(1)
