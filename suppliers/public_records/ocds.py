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
already loaded is not read again. Releases are written in batches, set-based: each batch
is planned in memory (matching writes nothing; a refusal forgets only that release), then
written in one transaction with a few bulk statements (look-ups of the batch's existing
awards and notices by key, ``bulk_create``, ``bulk_update``), so a crash or Ctrl-C loses
nothing already committed and the next run resumes where it stopped. Should the database
refuse a batch, it is written again one release at a time, so only the release at fault
is refused. What follows from a supplier's awards (its capabilities from CPV codes, its
search vector and vocabulary, its first history entry) is worked out once per supplier at
the end of the import (:func:`settle_suppliers`), from rows each batch adds in its
transaction, so an import stopped before its end leaves them to the next one.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from suppliers.models import (
    AwardRecord,
    AwardSupplier,
    ExternalEngagementNotice,
    ImportedFile,
    PublicRelease,
    SupplierRefresh,
)
from suppliers.public_records.bulk import any_of, copy_insert, copy_update
from suppliers.public_records.capabilities import link_cpv_capabilities
from suppliers.public_records.matching import (
    BuyerIndex,
    PartyError,
    Ref,
    SupplierIndex,
    _Journal,
)
from suppliers.public_records.reader import ReadError, SourcedRelease, iter_paths, read_paths
from suppliers.public_records.text import clean_text, parse_amount, parse_datetime

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
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
# Called after each batch commits with the ocids it loaded (or found already loaded).
BatchHook = Callable[[set[str]], None]


class ReleaseRefused(ValueError):
    """A release cannot be used; the message is the reason a person reads."""


@dataclass(frozen=True)
class Refusal:
    position: str
    ocid: str
    reason: str
    # False for a refusal a later run may not meet (the database refused the write).
    lasting: bool = True

    def __str__(self) -> str:
        return f"{self.position} ({self.ocid or 'no ocid'}): {self.reason}"


@dataclass
class OcdsReport:
    """What an import did."""

    loaded: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason -> releases passed over
    already: int = 0  # loaded (or passed over) by an earlier run
    unchanged_files: int = 0  # files passed over whole: read before, to the end
    refused: list[Refusal] = field(default_factory=list)
    awards_created: int = 0
    awards_updated: int = 0
    notices: int = 0
    suppliers_created: int = 0
    buyers_created: int = 0
    seconds: float = 0.0

    def _unchanged_files(self) -> str:
        n = self.unchanged_files
        return f" (in {n:,} unchanged file{'s' if n != 1 else ''})" if n else ""

    @property
    def releases(self) -> int:
        return self.loaded + sum(self.skipped.values()) + self.already + len(self.refused)

    def refusals_by_reason(self) -> Counter:
        return Counter(r.reason for r in self.refused)

    def summary(self) -> str:
        return (
            f"{self.releases:,} releases: {self.loaded:,} loaded, "
            f"{sum(self.skipped.values()):,} with nothing to keep, {self.already:,} already "
            f"loaded{self._unchanged_files()}, {len(self.refused):,} refused. "
            f"Awards: {self.awards_created:,} new, "
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


@dataclass
class _AwardPlan:
    ocid: str
    award_id: str
    date: datetime | None
    buyer: Ref | None
    fields: dict[str, Any]
    suppliers: dict[Ref, tuple[str, str]]  # supplier -> (party id, name as published)


@dataclass
class _NoticePlan:
    ocid: str
    date: datetime | None
    buyer: Ref | None
    fields: dict[str, Any]


@dataclass
class _Plan:
    """What one release asks for, worked out before anything is written."""

    release: dict[str, Any]  # the PublicRelease row
    awards: list[_AwardPlan] = field(default_factory=list)
    notice: _NoticePlan | None = None


@dataclass
class _AwardState:
    record: dict[str, Any]  # the AwardRecord row, by attribute name
    new: bool
    buyer: Ref | None = None
    dirty: bool = False
    suppliers: dict[Ref, tuple[str, str]] | None = None  # None: links left as they are


@dataclass
class _NoticeState:
    notice: dict[str, Any]  # the ExternalEngagementNotice row
    new: bool
    buyer: Ref | None = None
    dirty: bool = False


class _Importer:
    """Loads batches of releases set-based: each batch is read and planned in memory (a
    refusal forgets only that release's plan), then written in one transaction with a
    few bulk statements, whatever the batch's size. If the database refuses the batch
    (a value PostgreSQL will not store, a row another process wrote meanwhile), the
    batch is written again one release at a time, so only the release at fault is
    refused, with the database's reason."""

    def __init__(
        self, report: OcdsReport, *, publisher: str = "", on_batch: BatchHook | None = None
    ) -> None:
        self.report = report
        self.publisher = publisher
        self.on_batch = on_batch
        self.journal = _Journal()
        self.buyers = BuyerIndex(self.journal)
        self.suppliers = SupplierIndex(self.journal)

    # --- batches ---------------------------------------------------------------------

    def run_batch(self, batch: list[SourcedRelease], *, one_by_one: bool = False) -> None:
        candidates: list[tuple[SourcedRelease, str, str]] = []
        snapshot = self._snapshot()
        refusals = len(self.report.refused)
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
            PublicRelease.objects.filter(
                any_of(PublicRelease, "ocid", {o for _, o, _ in candidates})
            )
            .order_by()
            .values_list("ocid", "release_id")
        )
        plans: list[_Plan] = []
        for item, ocid, release_id in candidates:
            if (ocid, release_id) in seen:
                self.report.already += 1
                continue
            seen.add((ocid, release_id))
            plan = self._plan_one(item, ocid, release_id)
            if plan is not None:
                plans.append(plan)
        if not plans:
            self._written(candidates, refusals)
            return
        try:
            with transaction.atomic():
                _commit_without_waiting()
                self._write(plans)
        except DatabaseError as exc:
            self.journal.rollback(0)
            self.suppliers.changed.clear()
            self._restore(snapshot)
            if one_by_one or len(batch) == 1:
                item, ocid, _ = candidates[0]
                self._refuse(
                    item, ocid, f"the database refused it ({_first_line(exc)})", lasting=False
                )
                self._written([], refusals)
                return
            logger.info("A batch was refused by the database; writing it one release at a time")
            for item in batch:
                self.run_batch([item], one_by_one=True)
            return
        self._written(candidates, refusals)

    def _written(self, candidates: list[tuple[SourcedRelease, str, str]], refusals: int) -> None:
        """After a batch committed: the indexes keep what was written, and the hook hears
        of every ocid the batch held that is now loaded (this run or an earlier one)."""
        self.journal.forget()
        self.buyers.written()
        self.suppliers.written()
        self.report.suppliers_created = len(self.suppliers.created)
        self.report.buyers_created = len(self.buyers.created)
        refused = {(r.position, r.ocid) for r in self.report.refused[refusals:]}
        ocids = {ocid for item, ocid, _ in candidates if (item.position, ocid) not in refused}
        if self.on_batch and ocids:
            self.on_batch(ocids)

    def _snapshot(self) -> tuple:
        r = self.report
        return (
            r.loaded,
            Counter(r.skipped),
            r.already,
            len(r.refused),
            r.awards_created,
            r.awards_updated,
            r.notices,
        )

    def _restore(self, snapshot: tuple) -> None:
        r = self.report
        (r.loaded, r.skipped, r.already, refused, r.awards_created, r.awards_updated, r.notices) = (
            snapshot
        )
        del r.refused[refused:]

    def _plan_one(self, item: SourcedRelease, ocid: str, release_id: str) -> _Plan | None:
        mark = self.journal.mark()
        try:
            return self._plan(item, ocid, release_id)
        except (ReleaseRefused, PartyError) as exc:
            reason = str(exc)
        except Exception as exc:
            logger.warning("Release %s at %s not readable", ocid, item.position, exc_info=True)
            reason = f"could not be read ({type(exc).__name__}: {str(exc)[:200]})"
        self.journal.rollback(mark)
        self._refuse(item, ocid, reason)
        return None

    def _refuse(
        self, item: SourcedRelease, ocid: str, reason: str, *, lasting: bool = True
    ) -> None:
        self.report.refused.append(Refusal(item.position, ocid, reason, lasting))

    # --- planning one release (nothing written) --------------------------------------------

    def _plan(self, item: SourcedRelease, ocid: str, release_id: str) -> _Plan:
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
        plan = _Plan({})
        if awards:
            buyer = self._buyer(release, parties, required=True)
            for award in awards:
                kept = self._award(award, release, tender, parties, buyer, date, release_id)
                if kept is not None:
                    kept.fields["publisher"] = publisher
                    plan.awards.append(kept)
            if plan.awards:
                outcome, note = PublicRelease.Outcome.LOADED, ""
            else:
                outcome, note = PublicRelease.Outcome.SKIPPED, "awards with no winner"
        elif engagement:
            buyer = self._buyer(release, parties, required=False)
            plan.notice = self._notice(release, tender, planning, buyer, ocid, release_id, date)
            plan.notice.fields["publisher"] = publisher
            outcome, note = PublicRelease.Outcome.LOADED, ""
        else:
            kind = next(iter(tags), "untagged")
            outcome = PublicRelease.Outcome.SKIPPED
            note = f"{kind} notice: no award or market engagement notice to keep"
        plan.release = {
            "ocid": ocid[:120],
            "release_id": release_id[:200],
            "date": date,
            "tags": [t[:40] for t in tags],
            "outcome": outcome,
            "note": note[:300],
            "publisher": publisher,
        }
        return plan

    def _buyer(self, release: dict, parties: dict, *, required: bool) -> Ref | None:
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
        buyer: Ref | None,
        date: datetime | None,
        release_id: str,
    ) -> _AwardPlan | None:
        """The award's plan, or None for an award that names no winner."""
        ocid = release["ocid"].strip()
        if award.get("id") in (None, ""):
            raise ReleaseRefused("an award has no id")
        award_id = str(award["id"]).strip()[:200]
        status = str(award.get("status") or "").strip()
        refs = [s for s in award.get("suppliers") or [] if isinstance(s, dict)]
        if not refs:
            if status.lower() in NO_WINNER_STATUSES:
                return None
            raise ReleaseRefused(f"award {award_id} names no supplier")
        supplier_rows: dict[Ref, tuple[str, str]] = {}
        for ref in refs:
            party = parties.get(str(ref.get("id"))) if ref.get("id") is not None else None
            merged = {**ref, **party} if party else ref
            known = self.suppliers.resolve(merged, fallback_name=ref.get("name"))
            # The same supplier twice on one award (published so) is one link.
            supplier_rows.setdefault(
                known,
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
        }
        return _AwardPlan(ocid[:120], award_id, date, buyer, fields, supplier_rows)

    def _notice(
        self,
        release: dict,
        tender: dict,
        planning: dict,
        buyer: Ref | None,
        ocid: str,
        release_id: str,
        date: datetime | None,
    ) -> _NoticePlan:
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
            "title": clean_text(release.get("title") or tender.get("title"), limit=500),
            "description": clean_text(tender.get("description") or planning.get("rationale")),
            "notice_url": notice_url(planning, tender, preferred=("marketEngagementNotice",)),
            "published_at": parse_datetime(docs[0].get("datePublished")) if docs else date,
            "closes_at": closes,
            "cpv_code": cpv,
        }
        return _NoticePlan(ocid[:120], date, buyer, fields)

    # --- writing a batch --------------------------------------------------------------

    def _write(self, plans: list[_Plan]) -> None:
        """Apply the plans in order (a later release of a process updates what an earlier
        one made, in this batch or before; an older one changes nothing), then write."""
        awards = self._award_states({p.ocid for plan in plans for p in plan.awards})
        notices = self._notice_states({plan.notice.ocid for plan in plans if plan.notice})
        report = self.report
        for plan in plans:
            if plan.release["outcome"] == PublicRelease.Outcome.LOADED:
                report.loaded += 1
            else:
                report.skipped[plan.release["note"]] += 1
            for award in plan.awards:
                state = awards.get((award.ocid, award.award_id))
                if state is None:
                    record = {"ocid": award.ocid, "award_id": award.award_id, **award.fields}
                    state = awards[(award.ocid, award.award_id)] = _AwardState(record, new=True)
                    report.awards_created += 1
                elif _older(award.date, state.record["release_date"]):
                    continue  # an older release than the one applied: nothing to change
                else:
                    state.record.update(award.fields)
                    state.dirty = True
                    report.awards_updated += 1
                state.buyer, state.suppliers = award.buyer, award.suppliers
            if plan.notice is not None:
                notice = plan.notice
                report.notices += 1
                nstate = notices.get(notice.ocid)
                if nstate is None:
                    row = {"ocid": notice.ocid, **notice.fields}
                    notices[notice.ocid] = _NoticeState(row, new=True, buyer=notice.buyer)
                elif not _older(notice.date, nstate.notice["release_date"]):
                    nstate.notice.update(notice.fields)
                    nstate.dirty, nstate.buyer = True, notice.buyer

        self.buyers.flush()
        made = self.suppliers.flush()
        winners = self._write_awards([s for s in awards.values() if s.new or s.dirty])
        self._write_notices([s for s in notices.values() if s.new or s.dirty])
        copy_insert(PublicRelease, [plan.release for plan in plans])
        self._finish_batch(made, winners)

    def _award_states(self, ocids: set[str]) -> dict[tuple[str, str], _AwardState]:
        if not ocids:
            return {}
        rows = (
            AwardRecord.objects.filter(any_of(AwardRecord, "ocid", ocids))
            .order_by()
            .values("id", *_award_fields())
        )
        return {(r["ocid"], r["award_id"]): _AwardState(r, new=False) for r in rows}

    def _notice_states(self, ocids: set[str]) -> dict[str, _NoticeState]:
        if not ocids:
            return {}
        rows = ExternalEngagementNotice.objects.filter(
            any_of(ExternalEngagementNotice, "ocid", ocids)
        ).values("id", "ocid", *_NOTICE_FIELDS)
        return {n["ocid"]: _NoticeState(n, new=False) for n in rows}

    def _write_awards(self, states: list[_AwardState]) -> set[int]:
        """Write the awards and who won them; the ids of suppliers who gained or lost one."""
        if not states:
            return set()
        now = timezone.now()
        for state in states:
            state.record["buyer_id"] = state.buyer.pk if state.buyer else None
            state.record["updated_at"] = now
        copy_insert(AwardRecord, [s.record for s in states if s.new])
        changed = [s.record for s in states if not s.new]
        copy_update(AwardRecord, changed, [*_award_fields(), "updated_at"])
        # Who won: the suppliers of the latest release applied, each once.
        links = AwardSupplier.objects.filter(
            any_of(AwardSupplier, "award", [r["id"] for r in changed])
        )
        current: dict[int, dict[int, int]] = {}
        for pk, award_id, supplier_id in links.values_list("pk", "award_id", "supplier_id"):
            current.setdefault(award_id, {})[supplier_id] = pk
        stale: list[int] = []
        fresh: list[dict[str, Any]] = []
        winners: set[int] = set()
        for state in states:
            wanted = {ref.pk: row for ref, row in (state.suppliers or {}).items()}
            award_id = state.record["id"]
            have = current.get(award_id, {})
            stale += [pk for supplier_id, pk in have.items() if supplier_id not in wanted]
            winners |= set(wanted) | {s for s in have if s not in wanted}
            fresh += [
                {
                    "award_id": award_id,
                    "supplier_id": pk,
                    "party_id": pid,
                    "name_as_published": name,
                }
                for pk, (pid, name) in wanted.items()
                if pk not in have
            ]
        if stale:
            AwardSupplier.objects.filter(pk__in=stale).delete()
        copy_insert(AwardSupplier, fresh)
        return winners

    def _write_notices(self, states: list[_NoticeState]) -> None:
        if not states:
            return
        now = timezone.now()
        for state in states:
            state.notice["buyer_id"] = state.buyer.pk if state.buyer else None
            state.notice["updated_at"] = now
        copy_insert(ExternalEngagementNotice, [s.notice for s in states if s.new])
        changed = [s.notice for s in states if not s.new]
        copy_update(
            ExternalEngagementNotice,
            changed,
            [*_NOTICE_FIELDS, "buyer_id", "publisher", "updated_at"],
        )

    def _finish_batch(self, created: list[int], winners: set[int]) -> None:
        """Note the suppliers the batch touched, for :func:`settle_suppliers` at the end
        of the import: working out their capabilities and search data once there, not in
        every batch that names them, is most of what a busy supplier costs."""
        made, changed = set(created), self.suppliers.changed
        ids = sorted(made | changed | winners)
        if ids:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {SupplierRefresh._meta.db_table} (supplier_id, created, changed) "
                    "SELECT * FROM unnest(%s::bigint[], %s::boolean[], %s::boolean[])",
                    [ids, [pk in made for pk in ids], [pk in changed for pk in ids]],
                )
        self.suppliers.changed.clear()


def _commit_without_waiting() -> None:
    """Let the current transaction commit without waiting for its WAL to reach the disk.
    Only a crash of the database server itself can lose such a commit (the last fraction
    of a second of them, whole, never half), and an import run again loads whatever was
    lost; a commit that waits (``ImportedFile``'s) makes every one before it durable."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")


# Suppliers worked out per transaction.
SETTLE_CHUNK = 10_000


def settle_suppliers() -> None:
    """Bring every supplier an import touched (:class:`SupplierRefresh`, this import's
    and any an import killed before its end left) up to date: a supplier from public
    records holds the capabilities its awards' CPV codes map to, the search vector and
    vocabulary follow for each supplier whose text or capabilities changed, and one
    made by an import gets its first history entry. A chunk of suppliers at a time, each
    chunk's rows removed in the transaction that does them, so stopping here too leaves
    the rest for the next import, and a row another import adds meanwhile stays."""
    from suppliers.services import record_supplier_history, refresh_search_vectors

    table = SupplierRefresh._meta.db_table
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            _commit_without_waiting()
            cursor.execute(
                f"""
                WITH done AS (
                    DELETE FROM {table} WHERE supplier_id IN (
                        SELECT DISTINCT supplier_id FROM {table} ORDER BY 1 LIMIT %s
                    )
                    RETURNING supplier_id, created, changed
                )
                SELECT supplier_id, bool_or(created), bool_or(changed) FROM done
                GROUP BY supplier_id
                """,
                [SETTLE_CHUNK],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            made = {supplier for supplier, created, _ in rows if created}
            changed = {supplier for supplier, _, change in rows if change}
            linked = link_cpv_capabilities(supplier_ids={supplier for supplier, _, _ in rows})
            touched = made | changed | linked
            if touched:
                refresh_search_vectors(supplier_ids=touched)
            if made:
                record_supplier_history(made, history_type="+", reason="From public records")


_NOTICE_FIELDS = (
    "release_id",
    "release_date",
    "title",
    "description",
    "notice_url",
    "published_at",
    "closes_at",
    "cpv_code",
)


def _award_fields() -> list[str]:
    """The columns a later release rewrites, by attribute name (all but the key, the
    link to a reporting contract and the times)."""
    keep = {"id", "contract_id", "created_at", "updated_at"}
    return [f.attname for f in AwardRecord._meta.concrete_fields if f.attname not in keep]


def _older(date: datetime | None, applied: datetime | None) -> bool:
    """Whether a release dated ``date`` is older than the one already applied."""
    return bool(applied and date and date < applied)


def _first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [""])[0][:200]


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
    on_batch: BatchHook | None = None,
) -> OcdsReport:
    """Load ``releases`` (see the module docstring). Each batch of ``batch_size``
    releases commits before the next is read, and ``on_batch`` then hears of its ocids
    (``import_contracts`` makes reporting contracts of their awards). Returns the report;
    pass ``report`` to add to one (the fetcher imports page after page into one report)."""
    report = report or OcdsReport()
    started = time.monotonic()
    with _collecting_less():
        _import(releases, report, batch_size, publisher, progress, on_batch)
    report.seconds += time.monotonic() - started
    return report


@contextmanager
def _collecting_less() -> Iterator[None]:
    """Run the cyclic garbage collector less often meanwhile. Each release parses into
    thousands of small dicts and lists, none in a cycle (reference counting frees
    them), yet at the default threshold (700 allocations) the collector walks the young
    objects and, ever more often, the old ones (the supplier and buyer indexes). For
    100,000 releases (measured on a busy machine) that was 17 s of collections and 33 s
    of CPU in all; at these thresholds, 2 s and 26 s."""
    old = gc.get_threshold()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*old)


def _import(
    releases: Iterable[SourcedRelease],
    report: OcdsReport,
    batch_size: int,
    publisher: str,
    progress: Progress | None,
    on_batch: BatchHook | None,
) -> None:
    importer = _Importer(report, publisher=publisher, on_batch=on_batch)
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
    settle_suppliers()


def _progress_from(offset: int, progress: Progress, done: int) -> None:
    progress(offset + done)


# A file with more refusals than this is not recorded (it is parsed again when given again).
MAX_RECORDED_REFUSALS = 10_000


def import_files(
    paths: Iterable[str | os.PathLike],
    *,
    reread: bool = False,
    progress: Progress | None = None,
    **options: Any,
) -> OcdsReport:
    """Load every file in ``paths`` (see :func:`~suppliers.public_records.reader.iter_paths`)
    with :func:`import_releases` (``options`` are its keywords). A file read to its end is
    recorded (an :class:`ImportedFile`, by content) with the releases it refused, unless a
    refusal was the database's (which a later run may not meet). A file whose content was
    recorded so is passed over whole, unless ``reread``: its releases are counted as
    already loaded and its refusals are reported again, as parsing it would."""
    report: OcdsReport = options.pop("report", None) or OcdsReport()
    for path in iter_paths(list(paths)):
        try:
            with path.open("rb") as handle:
                digest = hashlib.file_digest(handle, "sha256").hexdigest()
        except OSError:
            digest = ""  # read_paths reports why
        seen = ImportedFile.objects.filter(sha256=digest).first() if digest else None
        if seen is not None and not reread:
            report.already += seen.releases - len(seen.refusals)
            report.refused += [
                Refusal(_renamed(position, seen.name, path.name), ocid, reason)
                for position, ocid, reason in seen.refusals
            ]
            report.unchanged_files += 1
            continue
        before, refused = report.releases, len(report.refused)
        import_releases(
            read_paths([path]),
            report=report,
            progress=partial(_progress_from, before, progress) if progress else None,
            **options,
        )
        refusals = report.refused[refused:]
        if digest and len(refusals) <= MAX_RECORDED_REFUSALS and all(r.lasting for r in refusals):
            ImportedFile.objects.update_or_create(
                sha256=digest,
                defaults={
                    "name": path.name[:500],
                    "size": path.stat().st_size,
                    "releases": report.releases - before,
                    "refusals": [[r.position, r.ocid, r.reason] for r in refusals],
                },
            )
    return report


def _renamed(position: str, old: str, new: str) -> str:
    """A refusal's position ("old.json, release 12") in a file now named ``new``."""
    return new + position[len(old) :] if position.startswith(old) else position
