"""``python manage.py import_contracts PATH…``: reporting contracts from public contract data.

The public-records importer (``import_ocds``, whose paths and options it takes) loads
the releases as award records, matching or creating their buyers and suppliers; after
each batch commits, the awards of its ocids become reporting contracts, one per ocid
(``reporting.services.contracts_from_awards``). Idempotent by ocid. Exits 1 if any
release or contract was refused, after listing each (and each process passed over:
not technology work by the CPV table, or awards to several suppliers).
"""

from __future__ import annotations

from reporting.services import OcdsImportResult, contracts_from_awards
from suppliers.management.commands import import_ocds
from suppliers.public_records.ocds import OcdsReport


class Command(import_ocds.Command):
    help = (
        "Load OCDS releases (as import_ocds does) and make a reporting contract of each "
        "process's awards: buyer, supplier, category from the CPV table, value and period. "
        "Idempotent by ocid: running it again updates changed contracts only."
    )

    reread = True  # a file import_ocds read before still makes its contracts

    def handle(self, *args, **options) -> None:
        self.contracts = OcdsImportResult()
        super().handle(*args, **options)

    def on_batch(self, ocids: set[str]) -> None:
        done = contracts_from_awards(ocids=ocids)
        for name in ("created", "updated", "unchanged", "errors", "passed_over"):
            getattr(self.contracts, name).extend(getattr(done, name))

    def finish(self, report: OcdsReport) -> bool:
        result = self.contracts
        for ocid, why in sorted(result.passed_over):
            self.stdout.write(f"No contract for {ocid}: {why}")
        for ocid, why in sorted(result.errors):
            self.stdout.write(f"Contract refused for {ocid}: {why}")
        self.stdout.write(
            f"Contracts: created {len(result.created)}, updated {len(result.updated)}, "
            f"unchanged {len(result.unchanged)}, passed over {len(result.passed_over)}, "
            f"refused {len(result.errors)}."
        )
        return bool(report.refused or result.errors)
