"""Every write in contract reporting: one function per use case.

Each runs in one transaction, checks permission through ``reporting.permissions``
(raising ``PermissionDenied``), raises ``DomainError`` for a broken rule, keeps
history (django-simple-history on the models, ``ReportEvent`` for the report
trail) and queues emails with ``transaction.on_commit`` through the outbox.
Every change that can move a comparison marks its periods in ``PeriodChange``
in the same transaction, so the nightly run recomputes exactly those.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import groupby
from operator import attrgetter
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.models import PublicBody, User
from accounts.permissions import is_moderator
from accounts.services import email_queue
from core.errors import DomainError
from core.forms import too_long_message
from core.tasks import enqueue
from reporting import permissions
from reporting.comparison import mark_periods_changed
from reporting.models import (
    Contract,
    ContractReport,
    MetricDefinition,
    ReportEvent,
    ReportingScheme,
    ReportValue,
)
from reporting.periods import (
    PeriodError,
    contract_period_problem,
    current_quarter,
    parse_period,
    period_code,
    period_label,
)
from reporting.validation import clean_values
from suppliers.models import AwardRecord, CapabilityGroup, Supplier, SupplierMembership
from suppliers.public_records.capabilities import cpv_capability_group

STANDARD_CODE = "techmap-standard"
CSV_MAX_ROWS = 50_000


# --- Schemes ---------------------------------------------------------------------


def scheme_current(code: str = STANDARD_CODE) -> ReportingScheme:
    """The newest published version of the standard: what new reports use."""
    scheme = (
        ReportingScheme.objects.filter(code=code, status=ReportingScheme.Status.PUBLISHED)
        .order_by("-version")
        .first()
    )
    if scheme is None:
        raise DomainError("No reporting scheme has been published yet.")
    return scheme


def _deny_unless_scheme_manager(actor: User) -> None:
    if not permissions.can_manage_schemes(actor):
        raise PermissionDenied("Only moderators manage reporting schemes.")


def _start_draft(*, code: str, name: str, description: str, reason: str) -> ReportingScheme:
    """A new draft version of standard ``code``: the one place a version number is chosen.

    Refuses while the standard already has a draft (there is one draft at a time).
    Runs inside the caller's transaction.
    """
    # Lock the standard's versions so two drafts cannot take the same number.
    list(ReportingScheme.objects.select_for_update().filter(code=code).values_list("pk"))
    draft = ReportingScheme.objects.filter(code=code, status=ReportingScheme.Status.DRAFT).first()
    if draft:
        raise DomainError(
            f"Version {draft.version} of {draft.name} is already a draft: edit that one."
        )
    latest = ReportingScheme.objects.filter(code=code).aggregate(v=Max("version"))["v"]
    new = ReportingScheme(
        code=code,
        version=(latest or 0) + 1,
        name=name,
        description=description,
        status=ReportingScheme.Status.DRAFT,
    )
    try:
        new.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise DomainError(error.message_dict) from None
    new._change_reason = reason
    new.save()
    return new


def scheme_create(*, actor: User, code: str, name: str, description: str = "") -> ReportingScheme:
    """Start a standard, or a new version of one, as an empty draft.

    Before: the actor is a moderator and the standard ``code`` has no draft.
    After: a draft with the next version number (1 for a new standard) and no metrics;
    published versions are untouched.
    """
    _deny_unless_scheme_manager(actor)
    with transaction.atomic():
        return _start_draft(
            code=(code or "").strip(),
            name=(name or "").strip(),
            description=description,
            reason="Created",
        )


def scheme_new_draft(*, actor: User, scheme: ReportingScheme) -> ReportingScheme:
    """Copy a scheme version and its metrics into a new draft version.

    Before: the actor is a moderator and no draft of this standard exists.
    After: a draft with the next version number, editable in admin; the source
    version is untouched (published versions never change).
    """
    _deny_unless_scheme_manager(actor)
    with transaction.atomic():
        new = _start_draft(
            code=scheme.code,
            name=scheme.name,
            description=scheme.description,
            reason=f"Draft made from version {scheme.version}",
        )
        for metric in scheme.metrics.all():
            metric.pk = None
            metric.scheme = new
            metric.save()
    return new


SCHEME_FIELDS = ("name", "description")


def scheme_update(*, actor: User, scheme: ReportingScheme, **changes: Any) -> ReportingScheme:
    """Change a draft's name or description.

    Before: the actor is a moderator and the version is a draft (a published or retired
    version never changes). After: the draft is saved with its history.
    """
    _deny_unless_scheme_manager(actor)
    unknown = set(changes) - set(SCHEME_FIELDS)
    if unknown:
        raise DomainError(f"These cannot be changed: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        scheme = ReportingScheme.objects.select_for_update().get(pk=scheme.pk)
        scheme_check_editable(scheme)
        for name, value in changes.items():
            setattr(scheme, name, value)
        try:
            scheme.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            raise DomainError(error.message_dict) from None
        scheme._change_reason = "Edited"
        scheme.save()
    return scheme


def scheme_discard_draft(*, actor: User, scheme: ReportingScheme) -> None:
    """Delete a draft version and its metrics (no report can use a draft)."""
    _deny_unless_scheme_manager(actor)
    with transaction.atomic():
        scheme = ReportingScheme.objects.select_for_update().get(pk=scheme.pk)
        scheme_check_editable(scheme)
        scheme.delete()


def scheme_metric_save(*, actor: User, metric: MetricDefinition) -> MetricDefinition:
    """Add a metric to a draft version, or change one of its metrics.

    Before: the actor is a moderator and the metric's scheme is a draft; the metric
    passes its field rules (code unique in the scheme, minimum not above maximum,
    weight not negative). After: the metric is saved with its history.
    """
    _deny_unless_scheme_manager(actor)
    with transaction.atomic():
        scheme = ReportingScheme.objects.select_for_update().get(pk=metric.scheme_id)
        scheme_check_editable(scheme)
        if metric.pk:
            stored = MetricDefinition.objects.filter(pk=metric.pk).values_list("scheme_id")
            if list(stored) != [(scheme.pk,)]:
                raise DomainError("A metric stays in the version it was made for.")
        try:
            metric.full_clean()
        except ValidationError as error:
            raise DomainError(error.message_dict) from None
        metric.save()
    return metric


def scheme_metric_delete(*, actor: User, metric: MetricDefinition) -> None:
    """Remove a metric from a draft version."""
    _deny_unless_scheme_manager(actor)
    with transaction.atomic():
        scheme = ReportingScheme.objects.select_for_update().get(pk=metric.scheme_id)
        scheme_check_editable(scheme)
        MetricDefinition.objects.filter(pk=metric.pk, scheme=scheme).delete()


def scheme_publish(*, actor: User, scheme: ReportingScheme) -> ReportingScheme:
    """Publish a draft: it becomes the version new reports use; older published versions
    are retired (their reports stay valid and comparable among themselves)."""
    _deny_unless_scheme_manager(actor)
    with transaction.atomic():
        scheme = ReportingScheme.objects.select_for_update().get(pk=scheme.pk)
        if scheme.status != ReportingScheme.Status.DRAFT:
            raise DomainError(f"Version {scheme.version} is already {scheme.get_status_display()}.")
        metrics = list(scheme.metrics.all())
        if not metrics:
            raise DomainError("A scheme needs at least one metric before it is published.")
        if not any(metric.weight > 0 for metric in metrics):
            raise DomainError("At least one metric needs a weight above 0 for the composite score.")
        for old in ReportingScheme.objects.filter(
            code=scheme.code, status=ReportingScheme.Status.PUBLISHED
        ):
            old.status = ReportingScheme.Status.RETIRED
            old._change_reason = f"Replaced by version {scheme.version}"
            old.save(update_fields=["status"])
        scheme.status = ReportingScheme.Status.PUBLISHED
        scheme.published_at = timezone.now()
        scheme._change_reason = "Published"
        scheme.save(update_fields=["status", "published_at"])
    return scheme


def scheme_check_editable(scheme: ReportingScheme) -> None:
    """A DomainError unless ``scheme`` is a draft: published versions never change."""
    if not scheme.is_editable:
        raise DomainError(
            f"Version {scheme.version} is {scheme.get_status_display().lower()} and never "
            "changes: make a new draft version to edit it."
        )


# --- Contracts -------------------------------------------------------------------

CONTRACT_FIELDS = (
    "title",
    "description",
    "supplier",
    "category",
    "value",
    "start_date",
    "end_date",
    "status",
)


def _check_contract(contract: Contract) -> None:
    """Every rule a contract keeps, as one DomainError: dates in order, no negative value,
    and the field rules (ocid format, lengths). Every write of a contract asks this:
    the form, the API, admin and the OCDS import. A contract recorded as active after its
    end date is terminated instead (``contract_status``): nothing "Active" has ended."""
    contract.status = contract_status(contract.status, contract.end_date)
    errors: dict[str, list[str]] = {}
    try:
        # Uniqueness is left to the database (a clearer message, and no race).
        contract.full_clean(
            exclude=["buyer", "supplier", "category", "created_by"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as error:
        errors = error.message_dict
    if contract.start_date and contract.end_date and contract.start_date > contract.end_date:
        errors["end_date"] = ["The end date must be the same as or after the start date."]
    if contract.value is not None and contract.value < 0:
        errors["value"] = ["The value cannot be negative."]
    if errors:
        raise DomainError(errors)


def contract_status(status: str, end_date: date | None, today: date | None = None) -> str:
    """``status``, except that an active contract whose end date has passed is terminated
    (the OCDS codelist's word for a contract no longer in force, early or on time)."""
    today = today or timezone.localdate()
    if status == Contract.Status.ACTIVE and end_date is not None and end_date < today:
        return Contract.Status.TERMINATED
    return status


def contracts_end_finished(*, today: date | None = None) -> int:
    """Terminate every active contract whose end date has passed; returns how many.

    The nightly job (``reporting.tasks.end_finished_contracts``): a contract recorded
    while it ran stays "Active" in the database until then. Each change is in the
    contract's history. Running it twice changes nothing the second time.
    """
    today = today or timezone.localdate()
    ended = 0
    with transaction.atomic():
        for contract in Contract.objects.select_for_update().filter(
            status=Contract.Status.ACTIVE, end_date__lt=today
        ):
            contract.status = Contract.Status.TERMINATED
            contract._change_reason = "Ended: past its end date"
            contract.save(update_fields=["status", "updated_at"])
            ended += 1
    return ended


def contract_create(
    *,
    actor: User,
    ocid: str,
    title: str,
    supplier: Supplier,
    category: CapabilityGroup,
    buyer: PublicBody | None = None,
    description: str = "",
    value: Decimal | None = None,
    start_date: date | None = None,
    end_date: date | None = None,
    status: str = Contract.Status.ACTIVE,
) -> Contract:
    """Record a contract. A civil servant records it for their own public body;
    a moderator names the buyer. The ocid must be new."""
    if not permissions.can_create_contract(actor):
        raise PermissionDenied("Only civil servants record their organisation's contracts.")
    if not is_moderator(actor) or buyer is None:
        buyer = actor.public_body
    if buyer is None:
        raise DomainError({"buyer": "Choose the public body that bought the contract."})
    contract = Contract(
        ocid=ocid.strip(),
        title=title.strip(),
        description=description,
        buyer=buyer,
        supplier=supplier,
        category=category,
        value=value,
        start_date=start_date,
        end_date=end_date,
        status=status,
        created_by=actor,
    )
    _check_contract(contract)
    try:
        with transaction.atomic():
            contract._change_reason = "Recorded"
            contract.save()
            # Its award notice in the public record, if loaded, now points at it.
            AwardRecord.objects.filter(ocid=contract.ocid, contract=None).update(contract=contract)
    except IntegrityError:
        raise DomainError({"ocid": f"A contract with the id {ocid} is already recorded."}) from None
    return contract


def contract_update(*, actor: User, contract: Contract, **changes: Any) -> Contract:
    """Change a contract's details (not its ocid or buyer). A new supplier or category
    moves its reports in the comparison, so their periods are marked for recomputing."""
    if not permissions.can_edit_contract(actor, contract):
        raise PermissionDenied("Only the buying organisation edits this contract.")
    unknown = set(changes) - set(CONTRACT_FIELDS)
    if unknown:
        raise DomainError(f"These cannot be changed: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        contract = Contract.objects.select_for_update().get(pk=contract.pk)
        moved = any(
            name in changes and getattr(contract, name) != changes[name]
            for name in ("supplier", "category")
        )
        for name, value in changes.items():
            setattr(contract, name, value)
        _check_contract(contract)
        contract._change_reason = "Edited"
        contract.save()
        if moved:
            mark_periods_changed(contract.reports.values_list("period", flat=True))
    return contract


def contract_delete(*, actor: User, contract: Contract) -> None:
    """Remove a contract recorded in error, with its reports.

    Before: the actor is a moderator. After: the contract, its reports and their
    values are gone, and the periods they were in are marked for recomputing.
    """
    if not permissions.can_delete_contract(actor, contract):
        raise PermissionDenied("Only moderators remove contracts.")
    with transaction.atomic():
        contract = Contract.objects.select_for_update().get(pk=contract.pk)
        mark_periods_changed(list(contract.reports.values_list("period", flat=True)))
        contract._change_reason = "Removed"
        contract.delete()


# --- OCDS import -----------------------------------------------------------------


@dataclass
class OcdsImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (ocid, why)
    passed_over: list[tuple[str, str]] = field(default_factory=list)  # (ocid, why)


class NotAContract(ValueError):
    """Awards that are not a contract Techmap reports on (no capability group, several
    suppliers): passed over with the reason, not refused."""


def _local_date(moment: datetime | None) -> date | None:
    return timezone.localdate(moment) if moment else None


def award_contract_values(awards: list[AwardRecord]) -> dict[str, Any]:
    """What one process's awards (annotated with ``cpv_group_id``) say of its contract:
    the buyer, the suppliers they name, the category the main CPV code maps to (the
    moderators' CPV table), the value summed in pounds (None if any is in another
    currency), the period from the first start to the last end, and a status that is
    ``terminated`` once the period is over (the OCDS codelist's word for a contract no
    longer in force). Both the import and the contract form start from this."""
    suppliers = list(dict.fromkeys(s for a in awards for s in a.suppliers.all()))
    currencies = {a.currency for a in awards if a.value_amount is not None} - {"", "GBP"}
    values = [a.value_amount for a in awards if a.value_amount is not None]
    starts = [d for a in awards if (d := _local_date(a.contract_start))]
    ends = [d for a in awards if (d := _local_date(a.contract_end))]
    end = max(ends, default=None)
    if all(a.status == "cancelled" for a in awards):
        status = Contract.Status.CANCELLED
    elif end and end < timezone.localdate():
        status = Contract.Status.TERMINATED
    else:
        status = Contract.Status.ACTIVE
    first = awards[0]
    return {
        "ocid": first.ocid,
        "title": " ".join((first.title or first.award_id).split())[:300],
        "description": first.description,
        "buyer": next((a.buyer for a in awards if a.buyer_id), None),
        "suppliers": suppliers,
        "category_id": next((a.cpv_group_id for a in awards if a.cpv_group_id), None),
        "currencies": sorted(currencies),
        "value": sum(values) if values and not currencies else None,
        "start_date": min(starts, default=None),
        "end_date": end,
        "status": status,
    }


def _award_contract_fields(ocid: str, awards: list[AwardRecord]) -> dict[str, Any]:
    """The contract one process's awards make (:func:`award_contract_values`), or
    ValueError saying why they make none: a Techmap contract has one buyer, one
    supplier and one category."""
    Contract._meta.get_field("ocid").run_validators(ocid)
    values = award_contract_values(awards)
    if values["buyer"] is None:
        raise ValueError("the notice names no buyer.")
    suppliers = values.pop("suppliers")
    if not suppliers:
        raise ValueError("no award names a supplier.")
    if len(suppliers) > 1:
        raise NotAContract(
            f"its awards name {len(suppliers)} suppliers and a Techmap contract has one: "
            "record each supplier's contract by hand."
        )
    if values["category_id"] is None:
        code = awards[0].cpv_code or "none given"
        raise NotAContract(
            f"CPV code {code} maps to no capability (add it to the CPV table in admin "
            "if it is technology work)."
        )
    currencies = values.pop("currencies")
    if currencies:
        raise ValueError(f"value is in {', '.join(currencies)}; Techmap records pounds.")
    del values["ocid"]
    return {**values, "supplier": suppliers[0]}


def awards_of_process(ocids: Iterable[str]) -> QuerySet[AwardRecord]:
    """The awards of ``ocids``, with what :func:`award_contract_values` reads, in order."""
    return (
        AwardRecord.objects.filter(ocid__in=set(ocids))
        .select_related("buyer")
        .prefetch_related("suppliers")
        .annotate(cpv_group_id=cpv_capability_group(OuterRef("cpv_code")))
        .order_by("ocid", "award_date", "pk")
    )


def contracts_from_awards(*, ocids: Iterable[str], actor: User | None = None) -> OcdsImportResult:
    """Make reporting contracts of the awards of ``ocids`` (loaded by the public-records
    importer), one contract per ocid, each award linked to it; idempotent by ocid.

    A process whose awards cannot make a contract is refused (ocid, why), one that is not
    a contract Techmap reports on is passed over (ocid, why), and the others still load.
    An existing contract (imported or recorded by hand) is updated only where the awards
    changed it, through the same contract check every write asks.
    """
    result = OcdsImportResult()
    for ocid, group in groupby(awards_of_process(ocids), key=attrgetter("ocid")):
        process = list(group)
        try:
            fields = _award_contract_fields(ocid, process)
            with transaction.atomic():
                contract = Contract.objects.select_for_update().filter(ocid=ocid).first()
                if contract is None:
                    contract = Contract(ocid=ocid, created_by=actor, **fields)
                    _check_contract(contract)
                    contract._change_reason = "Imported from public contract data"
                    contract.save()
                    result.created.append(ocid)
                else:
                    changed = {k: v for k, v in fields.items() if getattr(contract, k) != v}
                    for name, value in changed.items():
                        setattr(contract, name, value)
                    if changed:
                        _check_contract(contract)
                        contract._change_reason = "Updated from public contract data"
                        contract.save()
                        if {"supplier", "category_id"} & set(changed):
                            mark_periods_changed(contract.reports.values_list("period", flat=True))
                    (result.updated if changed else result.unchanged).append(ocid)
                AwardRecord.objects.filter(ocid=ocid).exclude(contract=contract).update(
                    contract=contract
                )
        except ValidationError as error:  # a DomainError, or the ocid's validator
            result.errors.append((ocid, "; ".join(error.messages)))
        except NotAContract as error:
            result.passed_over.append((ocid, str(error)))
        except ValueError as error:
            result.errors.append((ocid, str(error)))
    return result


# --- Who is emailed --------------------------------------------------------------
#
# The email policy for reports, stated once. Every report write calls _notify with
# what happened; nothing else in reporting sends mail. All go through the outbox
# (accounts.services.email_queue) inside the write's transaction, with a dedupe key.
#
#   submitted (form, API or CSV upload) -> whoever recorded the contract for the buyer;
#                                          an upload sends each of them one email listing
#                                          all of their new reports
#   queried                             -> everyone at the supplier
#   replied                             -> the civil servant who queried
#   revised, accepted                   -> nobody


def _site_link(name: str, *args: Any) -> str:
    return settings.SITE_URL + reverse(name, args=args)


def _notify(
    kind: str,
    reports: Sequence[ContractReport],
    *,
    event: ReportEvent | None = None,
    message: str = "",
) -> None:
    """Queue the emails the policy above asks for after ``kind`` happened to ``reports``."""
    if kind == ReportEvent.Kind.SUBMITTED:
        by_recipient: dict[int, list[ContractReport]] = defaultdict(list)
        people: dict[int, User] = {}
        for report in reports:
            recipient = report.contract.created_by
            if recipient and recipient.email:
                people[recipient.pk] = recipient
                by_recipient[recipient.pk].append(report)
        for pk, theirs in by_recipient.items():
            _email_submitted(people[pk], theirs)
        return
    (report,) = reports
    if kind == ReportEvent.Kind.QUERIED:
        emails = SupplierMembership.objects.filter(
            supplier_id=report.contract.supplier_id
        ).values_list("user__email", flat=True)
        for address in sorted(set(emails) - {""}):
            email_queue(
                to=address,
                subject=f"Your report was queried: {report.contract.title}, {report.period_label}",
                body=(
                    f"{report.contract.buyer.name} queried the report for "
                    f"{report.period_label}:\n\n{message}\n\n"
                    f"Reply or correct it: {_site_link('reporting:report', report.pk)}\n"
                ),
                dedupe_key=f"reporting-event-{event.pk}-{address}",
            )
    elif kind == ReportEvent.Kind.REPLIED and report.decided_by and report.decided_by.email:
        email_queue(
            to=report.decided_by.email,
            subject=f"Reply to your query: {report.contract.title}, {report.period_label}",
            body=(
                f"{report.contract.supplier.name} replied:\n\n{message}\n\n"
                f"Accept the report or query it again: "
                f"{_site_link('reporting:report', report.pk)}\n"
            ),
            dedupe_key=f"reporting-event-{event.pk}",
        )


def _email_submitted(recipient: User, reports: list[ContractReport]) -> None:
    if len(reports) == 1:
        (report,) = reports
        email_queue(
            to=recipient.email,
            subject=f"New report to review: {report.contract.title}, {report.period_label}",
            body=(
                f"{report.contract.supplier.name} submitted its report for "
                f"{report.period_label} on {report.contract.title}.\n\n"
                f"Accept it or query it: {_site_link('reporting:report', report.pk)}\n"
            ),
            dedupe_key=f"reporting-report-{report.pk}-submitted",
        )
        return
    reports = sorted(reports, key=lambda r: (r.contract.title, r.period))
    lines = "\n".join(
        f"- {r.contract.title}, {r.period_label} ({r.contract.supplier.name}): "
        f"{_site_link('reporting:report', r.pk)}"
        for r in reports
    )
    first = min(r.pk for r in reports)
    email_queue(
        to=recipient.email,
        subject=f"{len(reports)} new reports to review",
        body=f"These reports were submitted. Accept or query each one:\n\n{lines}\n",
        dedupe_key=f"reporting-reports-{first}-{len(reports)}-to-{recipient.pk}",
    )


# --- Submitting: one check and one write for the form, the API and the CSV upload --


def _already_reported(contract: Contract, period: date) -> str:
    return f"A report for {period_label(period)} on {contract.ocid} has already been submitted."


def _not_yours(contract: Contract) -> str:
    return f"You cannot report on {contract.ocid}: it is not your contract."


@dataclass(frozen=True)
class Submission:
    """One report that passed the submission check, ready to be written."""

    contract: Contract
    period: date
    values: dict[int, tuple[Decimal, str]]  # metric id -> (value, comment)


class SubmissionCheck:
    """The one check every report submission passes, from the form, the API or a CSV row.

    Rules: the actor acts for the contract's supplier; the report is against the
    current version of the standard; the period is a quarter that has begun and falls
    within the contract; the contract has no report for it yet; every value passes the
    scheme's rules (``reporting.validation``: units, ranges, required metrics).

    What the rules read is loaded once, when the check is made for a set of contracts,
    so a file of 50,000 rows is checked in a fixed number of queries. The write
    (:func:`_write_reports`) checks for duplicates again under a lock.
    """

    def __init__(self, *, actor: User, contracts: Iterable[Contract]):
        self.actor = actor
        self.scheme = scheme_current()
        self.metrics = list(self.scheme.metrics.all())
        ids = {contract.pk for contract in contracts}
        self.reported = set(
            ContractReport.objects.filter(contract_id__in=ids).values_list("contract_id", "period")
        )

    def allowed(self, contract: Contract) -> bool:
        return permissions.can_submit_report(self.actor, contract)

    def check(
        self,
        *,
        contract: Contract | None,
        period: date | str,
        values: Mapping[str, object],
        comments: Mapping[str, object] | None = None,
        scheme_version: int | str | None = None,
    ) -> Submission:
        """The submission, or PermissionDenied when the actor may not report on the
        contract, or a DomainError naming every problem (period, scheme_version, metric
        codes). ``contract`` is None only for a CSV row naming no contract of the actor's:
        the rest of the row is still checked, so every bad cell is reported at once."""
        if contract is not None and not self.allowed(contract):
            raise PermissionDenied(_not_yours(contract))
        errors: dict[str, str] = {}
        if isinstance(period, str):
            try:
                period = parse_period(period)
            except PeriodError as error:
                errors["period"] = str(error)
                period = None
        if scheme_version not in (None, "") and str(scheme_version) != str(self.scheme.version):
            errors["scheme_version"] = (
                f"Report against version {self.scheme.version} of the standard, "
                f"the current one, not version {scheme_version}."
            )
        if contract is not None and period is not None:
            problem = contract_period_problem(contract, period)
            if problem is None and (contract.pk, period) in self.reported:
                problem = _already_reported(contract, period)
            if problem:
                errors["period"] = problem
        cleaned = clean_values(self.metrics, values, comments, scheme_label=str(self.scheme))
        errors.update({code: problem.message for code, problem in cleaned.errors.items()})
        if errors:
            raise DomainError(errors)
        return Submission(contract=contract, period=period, values=cleaned.values)


def _write_reports(
    *,
    actor: User,
    scheme: ReportingScheme,
    submissions: Sequence[Submission],
    reason: str,
) -> tuple[list[ContractReport], list[Submission]]:
    """The one write of new reports: a single submission or a whole file.

    Before: every submission passed :class:`SubmissionCheck`.
    After, in one transaction: each report (status submitted, history with ``reason``),
    its values, a "submitted" event, its period marked for the next comparison, and
    the emails of the policy above. Returns the reports written and the submissions
    refused because their period was reported while they were being checked.
    Bulk inserts, so 10,000 reports take seconds.
    """
    now = timezone.now()
    with transaction.atomic():
        contract_ids = sorted({s.contract.pk for s in submissions})
        # Lock in id order (no deadlock between two writers), then re-check duplicates:
        # every writer takes the same locks, so nothing can slip in between.
        list(
            Contract.objects.select_for_update()
            .filter(pk__in=contract_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        taken = set(
            ContractReport.objects.filter(contract_id__in=contract_ids).values_list(
                "contract_id", "period"
            )
        )
        fresh = [s for s in submissions if (s.contract.pk, s.period) not in taken]
        late = [s for s in submissions if (s.contract.pk, s.period) in taken]
        reports = bulk_create_with_history(
            [
                ContractReport(
                    contract=s.contract,
                    period=s.period,
                    scheme=scheme,
                    submitted_by=actor,
                    submitted_at=now,
                    updated_at=now,
                )
                for s in fresh
            ],
            ContractReport,
            batch_size=2000,
            default_user=actor,
            default_change_reason=reason,
        )
        # bulk_create_with_history returns the objects with their new primary keys.
        ReportValue.objects.bulk_create(
            (
                ReportValue(report=report, metric_id=m, period=report.period, value=v, comment=c)
                for report, s in zip(reports, fresh, strict=True)
                for m, (v, c) in s.values.items()
            ),
            batch_size=5000,
        )
        note = "" if reason == "Submitted" else f"{reason}."
        ReportEvent.objects.bulk_create(
            (
                ReportEvent(
                    report=report, kind=ReportEvent.Kind.SUBMITTED, actor=actor, message=note
                )
                for report in reports
            ),
            batch_size=5000,
        )
        mark_periods_changed({report.period for report in reports})
        _notify(ReportEvent.Kind.SUBMITTED, reports)
    return reports, late


def report_submit(
    *,
    actor: User,
    contract: Contract,
    period: date | str,
    values: Mapping[str, object],
    comments: Mapping[str, object] | None = None,
    scheme_version: int | None = None,
) -> ContractReport:
    """A supplier submits a quarter's report on its contract (the form and the API).

    Before: the actor acts for the contract's supplier, the contract has no
    report for that quarter, and every value passes the scheme's rules
    (:class:`SubmissionCheck`; PermissionDenied or a DomainError naming every problem).
    After: the report (status submitted) with one value per reported metric, a
    "submitted" event, the period marked for the next comparison, and an email
    to the buyer who recorded the contract. Nothing is saved if anything fails.
    """
    check = SubmissionCheck(actor=actor, contracts=[contract])
    submission = check.check(
        contract=contract,
        period=period,
        values=values,
        comments=comments,
        scheme_version=scheme_version,
    )
    reports, late = _write_reports(
        actor=actor, scheme=check.scheme, submissions=[submission], reason="Submitted"
    )
    if late:
        raise DomainError({"period": _already_reported(contract, submission.period)})
    return reports[0]


def report_revise(
    *,
    actor: User,
    report: ContractReport,
    values: Mapping[str, object],
    comments: Mapping[str, object] | None = None,
) -> ContractReport:
    """The supplier corrects a queried report: its values are replaced (the old ones are
    kept in the "revised" event) and it waits for the buyer's review again.

    Values are checked by the same rules as a submission, against the report's own
    scheme version."""
    if not permissions.is_supplier_of(actor, report.contract):
        raise PermissionDenied("Only the supplier corrects a report the buyer queried.")
    metrics = list(report.scheme.metrics.all())
    cleaned = clean_values(metrics, values, comments, scheme_label=str(report.scheme))
    if cleaned.errors:
        raise DomainError({code: problem.message for code, problem in cleaned.errors.items()})
    with transaction.atomic():
        report = ContractReport.objects.select_for_update().get(pk=report.pk)
        if report.status != ContractReport.Status.QUERIED:
            raise DomainError("Only a report the buyer queried can be corrected.")
        codes = {m.pk: m.code for m in metrics}
        previous = {
            codes.get(v.metric_id, str(v.metric_id)): [str(v.value), v.comment]
            for v in report.values.all()
        }
        report.values.all().delete()
        ReportValue.objects.bulk_create(
            ReportValue(report=report, metric_id=m, period=report.period, value=v, comment=c)
            for m, (v, c) in cleaned.values.items()
        )
        report.status = ContractReport.Status.SUBMITTED
        report._change_reason = "Revised after a query"
        report.save(update_fields=["status", "updated_at"])
        event = ReportEvent.objects.create(
            report=report,
            kind=ReportEvent.Kind.REVISED,
            actor=actor,
            data={"previous": previous},
        )
        mark_periods_changed([report.period])
        _notify(ReportEvent.Kind.REVISED, [report], event=event)
    return report


def report_accept(*, actor: User, report: ContractReport) -> ContractReport:
    """The buyer accepts a report awaiting review (or one it queried before)."""
    if not permissions.can_decide_report(actor, report):
        raise PermissionDenied("Only the buying organisation accepts this report.")
    with transaction.atomic():
        report = ContractReport.objects.select_for_update().get(pk=report.pk)
        if report.status == ContractReport.Status.ACCEPTED:
            raise DomainError("This report has already been accepted.")
        was_queried = report.status == ContractReport.Status.QUERIED
        report.status = ContractReport.Status.ACCEPTED
        report.decided_by, report.decided_at = actor, timezone.now()
        report._change_reason = "Accepted"
        report.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
        event = ReportEvent.objects.create(
            report=report, kind=ReportEvent.Kind.ACCEPTED, actor=actor
        )
        if was_queried:  # it comes back into the comparison
            mark_periods_changed([report.period])
        _notify(ReportEvent.Kind.ACCEPTED, [report], event=event)
    return report


def report_query(*, actor: User, report: ContractReport, reason: str) -> ContractReport:
    """The buyer queries a report with a reason. Until it is answered and accepted
    (or corrected), the report is left out of comparisons and shown only to the
    two parties. The supplier's people are emailed."""
    if not permissions.can_decide_report(actor, report):
        raise PermissionDenied("Only the buying organisation queries this report.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError({"reason": "Say what is wrong with the report."})
    if len(reason) > 5000:
        raise DomainError({"reason": too_long_message("What is wrong", 5000)})
    with transaction.atomic():
        report = ContractReport.objects.select_for_update().get(pk=report.pk)
        report.status = ContractReport.Status.QUERIED
        report.query_reason = reason
        report.reply = ""
        report.decided_by, report.decided_at = actor, timezone.now()
        report._change_reason = "Queried"
        report.save(
            update_fields=[
                "status",
                "query_reason",
                "reply",
                "decided_by",
                "decided_at",
                "updated_at",
            ]
        )
        event = ReportEvent.objects.create(
            report=report, kind=ReportEvent.Kind.QUERIED, actor=actor, message=reason
        )
        mark_periods_changed([report.period])
        _notify(ReportEvent.Kind.QUERIED, [report], event=event, message=reason)
    return report


def report_reply(*, actor: User, report: ContractReport, message: str) -> ContractReport:
    """Right of reply: the supplier answers the buyer's query; the buyer then accepts the
    report or queries it again. The buyer who queried is emailed."""
    if not permissions.is_supplier_of(actor, report.contract):
        raise PermissionDenied("Only the supplier replies to a query on its report.")
    message = (message or "").strip()
    if not message:
        raise DomainError({"message": "Enter your reply."})
    if len(message) > 5000:
        raise DomainError({"message": too_long_message("Your reply", 5000)})
    with transaction.atomic():
        report = ContractReport.objects.select_for_update().get(pk=report.pk)
        if report.status != ContractReport.Status.QUERIED:
            raise DomainError("There is no query to reply to: the buyer has not queried it.")
        report.reply = message
        report._change_reason = "Supplier replied"
        report.save(update_fields=["reply", "updated_at"])
        event = ReportEvent.objects.create(
            report=report, kind=ReportEvent.Kind.REPLIED, actor=actor, message=message
        )
        _notify(ReportEvent.Kind.REPLIED, [report], event=event, message=message)
    return report


# --- CSV upload ------------------------------------------------------------------


NUL_IN_CELL = "The cell contains a NUL character (byte 0), which cannot be saved: remove it."


@dataclass
class CsvProblem:
    row: int  # line in the file; the header is row 1
    column: str
    message: str


@dataclass
class CsvImportResult:
    created: list[ContractReport] = field(default_factory=list)
    rows: int = 0
    problems: list[CsvProblem] = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return len({p.row for p in self.problems if p.row > 1})


def csv_columns(scheme: ReportingScheme) -> list[str]:
    """The header of an upload file for ``scheme``: ocid, period, each metric and its comment."""
    columns = ["ocid", "period"]
    for metric in scheme.metrics.all():
        columns += [metric.code, f"{metric.code}_comment"]
    return columns


def _decode(content: bytes | str) -> str:
    if isinstance(content, str):
        return content
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(
            {"file": "The file must be a CSV saved as UTF-8 (in Excel: CSV UTF-8)."}
        ) from None


def _read_csv(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header (normalised names) and the non-blank rows with their line numbers."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
        rows = [(number, row) for number, row in enumerate(reader, start=2) if any(row)]
    except StopIteration:
        raise DomainError({"file": "The file is empty."}) from None
    except csv.Error as error:
        raise DomainError({"file": f"The file is not a readable CSV: {error}."}) from None
    header = [h.strip().lower().replace(" ", "_") for h in header]
    missing = [c for c in ("ocid", "period") if c not in header]
    if missing:
        raise DomainError(
            {"file": f"The first row must name the columns; missing: {', '.join(missing)}."}
        )
    named = [name for name in header if name]
    for name in named:
        if named.count(name) > 1:
            raise DomainError({"file": f"The column “{name}” appears twice."})
    if len(rows) > CSV_MAX_ROWS:
        raise DomainError({"file": f"Upload at most {CSV_MAX_ROWS:,} rows at a time."})
    return header, rows


def reports_import_csv(*, actor: User, content: bytes | str) -> CsvImportResult:
    """Submit many reports from a CSV file: one row per contract and quarter.

    Columns: ``ocid``, ``period`` (2025-Q1), then one per metric code with an
    optional ``<code>_comment`` beside it. Each row passes the same
    :class:`SubmissionCheck` as a report from the form or the API, and the good rows
    are written by the same :func:`_write_reports`. Every bad cell is reported with
    its row, column and reason; rows without problems are saved, each row whole or
    not at all (a row with any bad cell saves nothing).
    """
    if not permissions.can_upload_reports(actor):
        raise PermissionDenied("Only people at a supplier upload reports.")
    header, rows = _read_csv(_decode(content))
    ocid_at = header.index("ocid")
    # PostgreSQL stores no NUL character: such a cell is refused below, not looked up.
    ocids = {row[ocid_at].strip() for _, row in rows if len(row) > ocid_at}
    ocids = {ocid for ocid in ocids if "\x00" not in ocid}
    contracts = {
        c.ocid: c
        for c in Contract.objects.filter(ocid__in=ocids).select_related("supplier", "created_by")
    }
    check = SubmissionCheck(actor=actor, contracts=contracts.values())
    scheme = check.scheme
    codes = {m.code for m in check.metrics}
    comment_of = {f"{c}_comment": c for c in codes}
    result = CsvImportResult(rows=len(rows))
    known = {"ocid", "period", "scheme_version"} | codes | set(comment_of)
    for name in header:
        if name and name not in known:
            result.problems.append(
                CsvProblem(1, name, f"“{name}” is not a metric of {scheme}; column ignored.")
            )

    pending: list[Submission] = []
    row_of: dict[tuple[int, date], int] = {}  # (contract, period) -> the row that claims it
    for number, row in rows:
        cells = dict(zip(header, (cell.strip() for cell in row), strict=False))
        problems: list[CsvProblem] = [
            CsvProblem(number, column, NUL_IN_CELL)
            for column, cell in cells.items()
            if "\x00" in cell and column in known
        ]
        # The rest of the row is still checked without them, so every problem shows at once.
        cells = {column: cell.replace("\x00", "") for column, cell in cells.items()}
        if len(row) > len(header):
            problems.append(CsvProblem(number, "", "The row has more cells than the header."))
        ocid = cells.get("ocid", "")
        contract = contracts.get(ocid)
        if not ocid:
            problems.append(CsvProblem(number, "ocid", "Enter the contract's ocid."))
        elif contract is None:
            problems.append(CsvProblem(number, "ocid", f"No contract has the id {ocid}."))
        elif not check.allowed(contract):
            problems.append(CsvProblem(number, "ocid", _not_yours(contract)))
            contract = None  # the rest of the row is still checked
        try:
            submission = check.check(
                contract=contract,
                period=cells.get("period", ""),
                values={code: cells.get(code, "") for code in codes},
                comments={comment_of[k]: v for k, v in cells.items() if k in comment_of},
                scheme_version=cells.get("scheme_version"),
            )
        except ValidationError as error:
            problems += [
                CsvProblem(number, column, message)
                for column, messages in error.message_dict.items()
                for message in messages
            ]
        else:
            key = (contract.pk, submission.period) if contract else None
            if key in row_of:
                problems.append(
                    CsvProblem(
                        number,
                        "period",
                        f"Row {row_of[key]} already reports "
                        f"{period_code(submission.period)} on {ocid}.",
                    )
                )
            elif key and not problems:
                row_of[key] = number
                pending.append(submission)
        result.problems.extend(problems)

    if pending:
        result.created, late = _write_reports(
            actor=actor, scheme=scheme, submissions=pending, reason="Submitted by CSV upload"
        )
        result.problems += [
            CsvProblem(
                row_of[(s.contract.pk, s.period)], "period", _already_reported(s.contract, s.period)
            )
            for s in late
        ]
    result.problems.sort(key=lambda p: (p.row, p.column))
    return result


def csv_template(scheme: ReportingScheme | None = None) -> str:
    """An upload file's header and one example row."""
    scheme = scheme or scheme_current()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(csv_columns(scheme))
    example = ["ocds-b5fd17-example-1", period_code(current_quarter())]
    samples = {
        "rating": "Good",
        "percent": "95",
        "pounds": "1250.00",
        "count": "0",
        "days": "5",
        "score": "4",
    }
    for metric in scheme.metrics.all():
        example += [samples.get(metric.unit, ""), ""]
    writer.writerow(example)
    return out.getvalue()


def metric_for(scheme: ReportingScheme, code: str) -> MetricDefinition | None:
    return next((m for m in scheme.metrics.all() if m.code == code), None)


# --- Comparison ------------------------------------------------------------------


def comparison_request(*, actor: User, full: bool = False) -> bool:
    """A moderator asks for a comparison now: the task is queued for a worker.

    Returns False when the broker cannot be reached (nothing was queued; the
    nightly run or ``manage.py run_comparison`` does the work instead).
    """
    from reporting.models import ComparisonRun

    if not permissions.can_run_comparison(actor):
        raise PermissionDenied("Only moderators run comparisons.")
    return enqueue(
        "reporting.tasks.run_comparison",
        full=full,
        trigger=ComparisonRun.Trigger.ADMIN,
        requested_by_id=actor.pk,
    )
