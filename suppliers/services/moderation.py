"""Moderation: approve, reject, suspend and reinstate, with a reason, a decision row and
an email to the supplier's people."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.services import email_queue
from core.errors import DomainError
from suppliers import permissions
from suppliers.models import (
    ModerationDecision,
    Supplier,
    SupplierMembership,
    SupplierRevision,
)
from suppliers.services._common import (
    CASE_STUDY_FIELDS,
    _history_user,
)
from suppliers.services.profiles import (
    _deserialise,
    _supplier_apply,
    case_study_create,
    case_study_delete,
    case_study_update,
)


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError({"reason": "Enter the reason for this decision"})
    if "\x00" in reason:
        raise DomainError({"reason": "The reason contains characters that are not allowed"})
    return reason


def _decide(
    *, actor, supplier: Supplier, action: str, reason: str, revision=None
) -> ModerationDecision:
    decision = ModerationDecision(
        supplier=supplier,
        revision=revision,
        action=action,
        reason=reason,
        moderator=_history_user(actor),
    )
    decision._history_user = _history_user(actor)
    decision.save()
    _notify_decision(decision)
    return decision


EMAIL_SUBJECTS = {
    ModerationDecision.Action.APPROVE: "{name}: your Techmap profile is approved",
    ModerationDecision.Action.REJECT: "{name}: your Techmap profile was not approved",
    ModerationDecision.Action.SUSPEND: "{name}: your Techmap profile is suspended",
    ModerationDecision.Action.REINSTATE: "{name}: your Techmap profile is reinstated",
}


def _notify_decision(decision: ModerationDecision) -> None:
    """Email every owner and member about a decision (outbox; sent after commit, once)."""
    supplier = decision.supplier
    what = "the changes to your profile" if decision.revision_id else "your profile"
    lines = {
        ModerationDecision.Action.APPROVE: f"A moderator approved {what}. It is now live.",
        ModerationDecision.Action.REJECT: f"A moderator did not approve {what}.",
        ModerationDecision.Action.SUSPEND: (
            "A moderator suspended your profile. It is not shown to anyone while suspended."
        ),
        ModerationDecision.Action.REINSTATE: "A moderator reinstated your profile.",
    }
    manage_url = settings.SITE_URL + reverse("suppliers:manage", args=[supplier.slug])
    body = f"{lines[decision.action]}\n\n"
    if decision.reason:
        body += f"Reason: {decision.reason}\n\n"
    if decision.revision_id and decision.action == ModerationDecision.Action.REJECT:
        body += (
            "Your changes are kept as a draft: fix them and send them again, or discard "
            "them, from your organisation's page.\n\n"
        )
    body += f"See your organisation on Techmap: {manage_url}\n"
    subject = EMAIL_SUBJECTS[decision.action].format(name=supplier.name)
    users = (
        SupplierMembership.objects.filter(supplier=supplier).select_related("user").order_by("pk")
    )
    for membership in users:
        if not membership.user.is_active or not membership.user.email:
            continue
        email_queue(
            to=membership.user.email,
            subject=subject,
            body=body,
            dedupe_key=f"moderation:{decision.pk}:{membership.user_id}",
        )


def _locked_with_pending_revision(supplier: Supplier):
    """The supplier and its pending revision (or None), both locked for the decision."""
    locked = Supplier.objects.select_for_update().get(pk=supplier.pk)
    revision = (
        SupplierRevision.objects.select_for_update()
        .filter(supplier=locked, status=SupplierRevision.Status.PENDING)
        .first()
    )
    return locked, revision


def _require_moderator(actor) -> None:
    if actor is not None and not permissions.can_moderate(actor):
        raise PermissionDenied("Only moderators can make moderation decisions.")


def _apply_revision(*, actor, revision: SupplierRevision) -> None:
    proposed = dict(revision.proposed)
    case_studies = proposed.pop("case_studies", None)
    _supplier_apply(
        actor=actor,
        supplier=revision.supplier,
        change_reason=f"Revision {revision.pk} approved",
        **_deserialise(proposed),
    )
    if case_studies is not None:
        live = {cs.pk: cs for cs in revision.supplier.case_studies.all()}
        kept = {item["id"] for item in case_studies if item.get("id")}
        for pk, case_study in live.items():
            if pk not in kept:
                case_study_delete(actor=actor, case_study=case_study)
        for item in case_studies:
            values = {f: item[f] for f in CASE_STUDY_FIELDS}
            if item.get("id") in live:
                case_study_update(actor=actor, case_study=live[item["id"]], **values)
            else:
                case_study_create(actor=actor, supplier=revision.supplier, **values)


def supplier_approve(*, actor, supplier: Supplier, reason: str = "") -> ModerationDecision:
    """Approve what is waiting: a new profile (→ published) or its pending revision (applied).

    Before: ``actor`` is a moderator (or None for system code); something is waiting
    (else DomainError). After: the live profile is updated, one ModerationDecision
    records who/when/why, and the owners and members are emailed after commit.
    """
    _require_moderator(actor)
    with transaction.atomic():
        locked, revision = _locked_with_pending_revision(supplier)
        if locked.status == Supplier.Status.PENDING_REVIEW:
            _supplier_apply(
                actor=actor,
                supplier=locked,
                change_reason="Approved",
                status=Supplier.Status.PUBLISHED,
                status_reason="",
            )
            revision = None
        elif revision is not None:
            _apply_revision(actor=actor, revision=revision)
            _close_revision(revision, SupplierRevision.Status.APPROVED, actor=actor, reason=reason)
        else:
            raise DomainError(f"Nothing from {locked.name} is waiting for review.")
        return _decide(
            actor=actor,
            supplier=locked,
            action=ModerationDecision.Action.APPROVE,
            reason=reason,
            revision=revision,
        )


def _close_revision(revision: SupplierRevision, status: str, *, actor, reason: str) -> None:
    """Record a moderator's decision on a pending revision (with who, when and why)."""
    revision.status = status
    revision.decided_by = _history_user(actor)
    revision.decided_at = timezone.now()
    revision.reason = reason
    revision._history_user = _history_user(actor)
    revision.save()


def _return_as_draft(rejected: SupplierRevision, *, actor) -> SupplierRevision:
    """A draft copy of a rejected revision, with the moderator's reason, for the supplier's
    people to fix and send again (``supplier_revision_resubmit``) or discard."""
    draft = SupplierRevision(
        supplier=rejected.supplier,
        status=SupplierRevision.Status.DRAFT,
        proposed=rejected.proposed,
        base=rejected.base,
        submitted_by=rejected.submitted_by,
        submitted_at=rejected.decided_at,
        reason=rejected.reason,
    )
    draft._history_user = _history_user(actor)
    draft._change_reason = f"Returned after revision {rejected.pk} was rejected"
    draft.save()
    return draft


def supplier_reject(*, actor, supplier: Supplier, reason: str) -> ModerationDecision:
    """Reject what is waiting (a new profile → rejected; a pending revision → rejected).

    A reason is required (DomainError). The live profile of a published supplier is
    unchanged by rejecting its revision; the rejected changes come back to its people as a
    draft revision with the reason, to fix and send again. Owners and members are emailed
    the reason.
    """
    _require_moderator(actor)
    reason = _require_reason(reason)
    with transaction.atomic():
        locked, revision = _locked_with_pending_revision(supplier)
        if locked.status == Supplier.Status.PENDING_REVIEW:
            _supplier_apply(
                actor=actor,
                supplier=locked,
                change_reason="Rejected",
                status=Supplier.Status.REJECTED,
                status_reason=reason,
            )
            revision = None
        elif revision is not None:
            _close_revision(revision, SupplierRevision.Status.REJECTED, actor=actor, reason=reason)
            _return_as_draft(revision, actor=actor)
        else:
            raise DomainError(f"Nothing from {locked.name} is waiting for review.")
        return _decide(
            actor=actor,
            supplier=locked,
            action=ModerationDecision.Action.REJECT,
            reason=reason,
            revision=revision,
        )


def supplier_suspend(*, actor, supplier: Supplier, reason: str) -> ModerationDecision:
    """Take a published supplier out of search; its profile page says it is unavailable.

    Reason required. Only a published supplier can be suspended (DomainError).
    """
    _require_moderator(actor)
    reason = _require_reason(reason)
    with transaction.atomic():
        locked = Supplier.objects.select_for_update().get(pk=supplier.pk)
        if locked.status != Supplier.Status.PUBLISHED:
            raise DomainError("Only a published supplier can be suspended.")
        _supplier_apply(
            actor=actor,
            supplier=locked,
            change_reason="Suspended",
            status=Supplier.Status.SUSPENDED,
            status_reason=reason,
            suspended_at=timezone.now(),
        )
        return _decide(
            actor=actor, supplier=locked, action=ModerationDecision.Action.SUSPEND, reason=reason
        )


def supplier_reinstate(*, actor, supplier: Supplier, reason: str) -> ModerationDecision:
    """Publish a suspended supplier again (reason required)."""
    _require_moderator(actor)
    reason = _require_reason(reason)
    with transaction.atomic():
        locked = Supplier.objects.select_for_update().get(pk=supplier.pk)
        if locked.status != Supplier.Status.SUSPENDED:
            raise DomainError("Only a suspended supplier can be reinstated.")
        _supplier_apply(
            actor=actor,
            supplier=locked,
            change_reason="Reinstated",
            status=Supplier.Status.PUBLISHED,
            status_reason="",
            suspended_at=None,
        )
        return _decide(
            actor=actor,
            supplier=locked,
            action=ModerationDecision.Action.REINSTATE,
            reason=reason,
        )
