"""OCDS releases into award records and external engagement notices.

:func:`import_releases` takes releases (from ``reader``, or a fetched page) and:

- keeps each **award** as an :class:`~suppliers.models.AwardRecord` keyed by ocid and
  award id, with its buyer (a public body, made from public records if unknown) and
  its suppliers (matched, or made from public records; ``matching``). A later release
  of the same process (``awardUpdate``, a changed value) updates the record; an older
  one arriving late changes nothing;
- keeps a **planning** release with a ``marketEngagementNotice`` document as an
  :class:`~suppliers.models.ExternalEngagementNotice`;
- passes over a release with neither (a tender notice, a planned procurement notice),
  saying so, since there is nothing Techmap keeps from it;
- refuses a release it cannot use, with its position, ocid and a reason, and goes on.

Idempotent by ocid and release id (:class:`~suppliers.models.PublicRelease`): a release
already loaded is not read again. Releases are written in batches, one transaction each
(a savepoint per release, so a refusal found while writing undoes only that release), so a
crash or Ctrl-C loses nothing already committed and the next run resumes where it stopped.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import DatabaseError, transaction

from suppliers.models import AwardRecord, AwardSupplier, ExternalEngagementNotice, PublicRelease
from suppliers.public_records.matching import BuyerIndex, PartyError, SupplierIndex, _Journal
from suppliers.public_records.reader import ReadError, SourcedRelease
from suppliers.public_records.text import clean_text, parse_amount, parse_datetime

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# The ocid prefixes of the UK publishers, for releases read without their package.
PUBLISHERS_BY_PREFIX = {
    "ocds-b5fd17": "Contracts Finder",
    "ocds-h6vhtk": "Find a Tender",
}
ENGAGEMENT_DOCUMENT = "marketengagementnotice"
# Awards with these statuses name no winner; they are passed over, not refused.
# "Other - " (nothing after the dash) and "" say nothing about the method.
_EMPTY_DETAILS = re.compile(r"^\s*(other)?\s*-?\s*$", re.IGNORECASE)
NO_WINNER_STATUSES = {"pending", "cancelled", "unsuccessful"}

Progress = Callable[[int], None]


class ReleaseRefused(ValueError):
    """A release cannot be used; the message is the reason a person reads."""


@dataclass(frozen=True)
class Refusal:
    position: str
    ocid: str
    reason: str

    def __str__(self) -> str:
        return f"{self.position} ({self.ocid or 'no ocid'}): {self.reason}"


@dataclass
class OcdsReport:
    """What an import did."""

    loaded: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason -> releases passed over
    already: int = 0  # loaded (or passed over) by an earlier run
    refused: list[Refusal] = field(default_factory=list)
    awards_created: int = 0
    awards_updated: int = 0
    notices: int = 0
    suppliers_created: int = 0
    buyers_created: int = 0
    seconds: float = 0.0

    @property
    def releases(self) -> int:
        return self.loaded + sum(self.skipped.values()) + self.already + len(self.refused)

    def refusals_by_reason(self) -> Counter:
        return Counter(r.reason for r in self.refused)

    def summary(self) -> str:
        return (
            f"{self.releases:,} releases: {self.loaded:,} loaded, "
            f"{sum(self.skipped.values()):,} with nothing to keep, {self.already:,} already "
            f"loaded, {len(self.refused):,} refused. Awards: {self.awards_created:,} new, "
            f"{self.awards_updated:,} updated; {self.notices:,} engagement notices; "
            f"{self.suppliers_created:,} suppliers and {self.buyers_created:,} public bodies "
            "from public records."
        )


def _documents(*blocks: object) -> list[dict]:
    docs: list[dict] = []
    for block in blocks:
        if isinstance(block, dict):
            docs.extend(d for d in block.get("documents") or [] if isinstance(d, dict))
    return docs


def _doc_type(doc: dict) -> str:
    return str(doc.get("documentType") or "").strip().lower()


def notice_url(*blocks: object, preferred: tuple[str, ...]) -> str:
    """The notice link: a document of a preferred type (in order), else the first
    document with a URL (many published documents have no ``documentType``)."""
    docs = [d for d in _documents(*blocks) if isinstance(d.get("url"), str) and d["url"].strip()]
    for kind in preferred:
        for doc in docs:
            if _doc_type(doc) == kind.lower():
                return doc["url"].strip()[:500]
    return docs[0]["url"].strip()[:500] if docs else ""


def _cpv(block: object) -> tuple[str, str] | None:
    if isinstance(block, dict) and str(block.get("scheme") or "").upper().startswith("CPV"):
        code = "".join(c for c in str(block.get("id") or "") if c.isdigit())[:8]
        if code:
            return code, clean_text(block.get("description"), limit=300)
    return None


def classifications(tender: dict) -> tuple[str, str, list[str]]:
    """Main CPV code and description, and the other CPV codes, from the tender and items."""
    found: list[tuple[str, str]] = []
    candidates = [tender.get("classification"), *(tender.get("additionalClassifications") or [])]
    for item in tender.get("items") or []:
        if isinstance(item, dict):
            candidates += [
                item.get("classification"),
                *(item.get("additionalClassifications") or []),
            ]
    for block in candidates:
        cpv = _cpv(block)
        if cpv and cpv[0] not in {c for c, _ in found}:
            found.append(cpv)
    if not found:
        return "", "", []
    return found[0][0], found[0][1], [c for c, _ in found[1:]]


def _period(block: object) -> tuple[datetime | None, datetime | None]:
    if not isinstance(block, dict):
        return None, None
    return parse_datetime(block.get("startDate")), parse_datetime(block.get("endDate"))


def _as_dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


class _Importer:
    def __init__(self, report: OcdsReport, *, publisher: str = "") -> None:
        self.report = report
        self.publisher = publisher
        self.journal = _Journal()
        self.buyers = BuyerIndex(self.journal)
        self.suppliers = SupplierIndex(self.journal)

    # --- batches ---------------------------------------------------------------------

    def run_batch(self, batch: list[SourcedRelease]) -> None:
        candidates: list[tuple[SourcedRelease, str, str]] = []
        for item in batch:
            release = item.release
            ocid = release.get("ocid") if isinstance(release, dict) else None
            if not isinstance(release, dict):
                self._refuse(item, "", "not a release (expected a JSON object)")
            elif "__error__" in release:
                self._refuse(item, "", release["__error__"])
            elif not isinstance(ocid, str) or not ocid.strip():
                self._refuse(item, "", "the release has no ocid")
            elif release.get("id") in (None, ""):
                self._refuse(item, ocid, "the release has no id")
            else:
                candidates.append((item, ocid.strip(), str(release["id"]).strip()))
        if not candidates:
            return
        seen = set(
            PublicRelease.objects.filter(ocid__in={ocid for _, ocid, _ in candidates}).values_list(
                "ocid", "release_id"
            )
        )
        created_before = len(self.suppliers.created)
        with transaction.atomic():
            for item, ocid, release_id in candidates:
                if (ocid, release_id) in seen:
                    self.report.already += 1
                    continue
                seen.add((ocid, release_id))
                self._one(item, ocid, release_id)
            self._finish_batch(created_before)
        self.journal.added.clear()

    def _finish_batch(self, created_before: int) -> None:
        from suppliers.services import record_supplier_history, refresh_search_vectors

        created = self.suppliers.created[created_before:]
        touched = set(created) | self.suppliers.changed
        if touched:
            refresh_search_vectors(supplier_ids=touched)
        if created:
            record_supplier_history(created, history_type="+", reason="From public records")
        self.suppliers.changed.clear()

    def _one(self, item: SourcedRelease, ocid: str, release_id: str) -> None:
        mark = self.journal.mark()
        suppliers_mark, buyers_mark = len(self.suppliers.created), len(self.buyers.created)
        counts = (self.report.awards_created, self.report.awards_updated, self.report.notices)
        try:
            with transaction.atomic():
                outcome, note = self._apply(item, ocid, release_id)
        except (ReleaseRefused, PartyError) as exc:
            reason = str(exc)
        except DatabaseError as exc:
            reason = f"the database refused it ({str(exc).splitlines()[0][:200]})"
        except Exception as exc:
            logger.warning("Release %s at %s not readable", ocid, item.position, exc_info=True)
            reason = f"could not be read ({type(exc).__name__}: {str(exc)[:200]})"
        else:
            if outcome == PublicRelease.Outcome.LOADED:
                self.report.loaded += 1
            else:
                self.report.skipped[note] += 1
            self.report.suppliers_created = len(self.suppliers.created)
            self.report.buyers_created = len(self.buyers.created)
            return
        self.journal.rollback(mark)
        del self.suppliers.created[suppliers_mark:]
        del self.buyers.created[buyers_mark:]
        (self.report.awards_created, self.report.awards_updated, self.report.notices) = counts
        self._refuse(item, ocid, reason)

    def _refuse(self, item: SourcedRelease, ocid: str, reason: str) -> None:
        self.report.refused.append(Refusal(item.position, ocid, reason))

    # --- one release -------------------------------------------------------------------

    def _apply(self, item: SourcedRelease, ocid: str, release_id: str) -> tuple[str, str]:
        release = item.release
        tags = [str(t) for t in release.get("tag") or [] if isinstance(t, str)]
        date = parse_datetime(release.get("date"))
        publisher = (item.publisher or self.publisher or PUBLISHERS_BY_PREFIX.get(ocid[:11], ""))[
            :200
        ]
        parties = {str(p.get("id")): p for p in release.get("parties") or [] if isinstance(p, dict)}
        awards = [a for a in release.get("awards") or [] if isinstance(a, dict)]
        tender = _as_dict(release.get("tender"))
        planning = _as_dict(release.get("planning"))
        engagement = any(_doc_type(d) == ENGAGEMENT_DOCUMENT for d in _documents(planning, tender))
        if awards:
            buyer_id = self._buyer(release, parties, required=True)
            kept = sum(
                self._award(award, release, tender, parties, buyer_id, date, release_id, publisher)
                for award in awards
            )
            if kept:
                outcome, note = PublicRelease.Outcome.LOADED, ""
            else:
                outcome, note = PublicRelease.Outcome.SKIPPED, "awards with no winner"
        elif engagement:
            buyer_id = self._buyer(release, parties, required=False)
            self._notice(release, tender, planning, buyer_id, ocid, release_id, date, publisher)
            outcome, note = PublicRelease.Outcome.LOADED, ""
        else:
            kind = next(iter(tags), "untagged")
            outcome = PublicRelease.Outcome.SKIPPED
            note = f"{kind} notice: no award or market engagement notice to keep"
        PublicRelease.objects.create(
            ocid=ocid[:120],
            release_id=release_id[:200],
            date=date,
            tags=[t[:40] for t in tags],
            outcome=outcome,
            note=note[:300],
            publisher=publisher,
        )
        return outcome, note

    def _buyer(self, release: dict, parties: dict, *, required: bool) -> int | None:
        ref = _as_dict(release.get("buyer"))
        party = parties.get(str(ref.get("id"))) if ref.get("id") is not None else None
        if party is None and not ref:
            party = next((p for p in parties.values() if "buyer" in (p.get("roles") or [])), None)
        if party is None and not ref:
            if required:
                raise ReleaseRefused("the release names no buyer")
            return None
        return self.buyers.resolve(party or ref, fallback_name=ref.get("name"))

    def _award(
        self,
        award: dict,
        release: dict,
        tender: dict,
        parties: dict,
        buyer_id: int | None,
        date: datetime | None,
        release_id: str,
        publisher: str,
    ) -> bool:
        ocid = release["ocid"].strip()
        if award.get("id") in (None, ""):
            raise ReleaseRefused("an award has no id")
        award_id = str(award["id"]).strip()[:200]
        status = str(award.get("status") or "").strip()
        refs = [s for s in award.get("suppliers") or [] if isinstance(s, dict)]
        if not refs:
            if status.lower() in NO_WINNER_STATUSES:
                return False
            raise ReleaseRefused(f"award {award_id} names no supplier")
        supplier_rows: dict[int, tuple[str, str]] = {}
        for ref in refs:
            party = parties.get(str(ref.get("id"))) if ref.get("id") is not None else None
            merged = {**ref, **party} if party else ref
            pk = self.suppliers.resolve(merged, fallback_name=ref.get("name"))
            # The same supplier twice on one award (published so) is one link.
            supplier_rows.setdefault(
                pk,
                (str(ref.get("id") or "")[:200], clean_text(merged.get("name"), limit=300)),
            )
        cpv, cpv_description, more_cpv = classifications(tender)
        value = _as_dict(award.get("value"))
        contracts = [
            c
            for c in release.get("contracts") or []
            if isinstance(c, dict) and str(c.get("awardID")) == str(award.get("id"))
        ]
        start, end = _period(award.get("contractPeriod"))
        if start is None and end is None and contracts:
            start, end = _period(contracts[0].get("period"))
        if start is None and end is None:
            start, end = _period(tender.get("contractPeriod"))
        amount = parse_amount(value.get("amount"))
        method = clean_text(tender.get("procurementMethod"), limit=20)
        details = clean_text(tender.get("procurementMethodDetails"), limit=300)
        fields: dict[str, Any] = {
            "release_id": release_id[:200],
            "release_date": date,
            "buyer_id": buyer_id,
            "title": clean_text(
                award.get("title") or tender.get("title") or release.get("title"), limit=500
            ),
            "description": clean_text(award.get("description") or tender.get("description")),
            "status": status[:20],
            "value_amount": amount,
            "currency": clean_text(value.get("currency"), limit=3).upper() if amount else "",
            "award_date": parse_datetime(award.get("date")),
            "date_published": parse_datetime(award.get("datePublished")) or date,
            "contract_start": start,
            "contract_end": end,
            "cpv_code": cpv,
            "cpv_description": cpv_description,
            "additional_cpv_codes": more_cpv,
            "procurement_method": method,
            # "Other - " and "" say nothing.
            "procurement_method_details": "" if _EMPTY_DETAILS.match(details) else details,
            "notice_url": notice_url(
                award, *contracts, tender, preferred=("awardNotice", "contractNotice")
            ),
            "publisher": publisher,
        }
        record = AwardRecord.objects.filter(ocid=ocid, award_id=award_id).first()
        if record is None:
            record = AwardRecord.objects.create(ocid=ocid[:120], award_id=award_id, **fields)
            self.report.awards_created += 1
        elif record.release_date and date and date < record.release_date:
            return True  # an older release than the one applied: nothing to change
        else:
            for name, new in fields.items():
                setattr(record, name, new)
            record.save()
            self.report.awards_updated += 1
        current = set(record.award_suppliers.values_list("supplier_id", flat=True))
        record.award_suppliers.exclude(supplier_id__in=supplier_rows).delete()
        AwardSupplier.objects.bulk_create(
            [
                AwardSupplier(award=record, supplier_id=pk, party_id=pid, name_as_published=name)
                for pk, (pid, name) in supplier_rows.items()
                if pk not in current
            ]
        )
        return True

    def _notice(
        self,
        release: dict,
        tender: dict,
        planning: dict,
        buyer_id: int | None,
        ocid: str,
        release_id: str,
        date: datetime | None,
        publisher: str,
    ) -> None:
        closes = None
        for milestone in planning.get("milestones") or []:
            if isinstance(milestone, dict) and str(milestone.get("type")) == "engagement":
                closes = parse_datetime(milestone.get("dueDate")) or closes
        if closes is None:
            closes = _period(tender.get("tenderPeriod"))[1]
        cpv, _, _ = classifications(tender)
        docs = [d for d in _documents(planning, tender) if _doc_type(d) == ENGAGEMENT_DOCUMENT]
        fields = {
            "release_id": release_id[:200],
            "release_date": date,
            "buyer_id": buyer_id,
            "title": clean_text(release.get("title") or tender.get("title"), limit=500),
            "description": clean_text(tender.get("description") or planning.get("rationale")),
            "notice_url": notice_url(planning, tender, preferred=("marketEngagementNotice",)),
            "published_at": parse_datetime(docs[0].get("datePublished")) if docs else date,
            "closes_at": closes,
            "cpv_code": cpv,
            "publisher": publisher,
        }
        notice = ExternalEngagementNotice.objects.filter(ocid=ocid).first()
        if notice is None:
            ExternalEngagementNotice.objects.create(ocid=ocid[:120], **fields)
        elif not (notice.release_date and date and date < notice.release_date):
            ExternalEngagementNotice.objects.filter(pk=notice.pk).update(**fields)
        self.report.notices += 1


def _guarded(releases: Iterable[SourcedRelease], report: OcdsReport) -> Iterator[SourcedRelease]:
    """The releases, with a file that breaks off reported as a refusal (the releases
    read before the break still load)."""
    iterator = iter(releases)
    while True:
        try:
            item = next(iterator)
        except StopIteration:
            return
        except ReadError as exc:
            report.refused.append(Refusal(str(exc).split(":", 1)[0], "", str(exc)))
            return
        yield item


def import_releases(
    releases: Iterable[SourcedRelease],
    *,
    batch_size: int = BATCH_SIZE,
    publisher: str = "",
    progress: Progress | None = None,
    report: OcdsReport | None = None,
) -> OcdsReport:
    """Load ``releases`` (see the module docstring). Each batch of ``batch_size``
    releases commits before the next is read. Returns the report; pass ``report`` to add
    to one (the fetcher imports page after page into one report)."""
    report = report or OcdsReport()
    started = time.monotonic()
    importer = _Importer(report, publisher=publisher)
    batch: list[SourcedRelease] = []
    done = 0
    for item in _guarded(releases, report):
        batch.append(item)
        if len(batch) >= batch_size:
            importer.run_batch(batch)
            done += len(batch)
            batch = []
            if progress:
                progress(done)
    if batch:
        importer.run_batch(batch)
        done += len(batch)
        if progress:
            progress(done)
    report.seconds += time.monotonic() - started
    return report
