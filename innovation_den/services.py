"""Every write in the den: one function per use case, keyword-only arguments.

Each function runs in one transaction, checks permission through
``innovation_den.permissions`` (raising ``PermissionDenied``), raises
``DomainError`` for a broken rule, records history, and queues emails through
the outbox (``accounts.services.email_queue``), which sends them after commit.

The lifecycle is an explicit state machine: ``TRANSITIONS`` lists every allowed
step and who may take it. Every step goes through ``_transition``, which refuses
any other step with a clear message and records who took it and when.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.urls import reverse
from django.utils import timezone

from accounts.permissions import is_civil_servant, is_moderator
from accounts.services import email_queue
from core.errors import DomainError
from core.validators import has_line_break, no_line_breaks
from innovation_den import permissions
from innovation_den.models import (
    HYPOTHESIS_HELP,
    HYPOTHESIS_RE,
    MAX_BUDGET_CAP,
    MAX_WEEKS,
    PanelMember,
    ProgressNote,
    Proposal,
    ProposalPartner,
    Review,
    ReviewRound,
    Risk,
    StopCriterion,
    SuccessCriterion,
    Transition,
)
from innovation_den.search import add_proposal_words
from suppliers.models import Supplier, SupplierMembership

Status = Proposal.Status
User = get_user_model()

# A panel needs at least this many members free of any conflict to review a proposal.
MIN_PANEL = 2


# --- The state machine -------------------------------------------------------------


@dataclass(frozen=True)
class Edge:
    verb: str  # "submit": used in messages ("Only … can submit this proposal.")
    who: str  # who may take the step, in words
    allowed: Callable[[object, Proposal], bool]


def _moderator(user, proposal: Proposal) -> bool:
    return is_moderator(user)


TRANSITIONS: dict[tuple[str, str], Edge] = {
    (Status.DRAFT, Status.SUBMITTED): Edge(
        "submit", "the proposer or the confirmed sponsor", permissions.is_proposer
    ),
    (Status.SUBMITTED, Status.IN_REVIEW): Edge("put into review", "a moderator", _moderator),
    (Status.IN_REVIEW, Status.ACCEPTED): Edge("accept", "a moderator", _moderator),
    (Status.IN_REVIEW, Status.DECLINED): Edge("decline", "a moderator", _moderator),
    (Status.ACCEPTED, Status.RUNNING): Edge(
        "start", "a proposer or a moderator", permissions.can_run
    ),
    (Status.RUNNING, Status.EVALUATED): Edge(
        "evaluate", "a proposer or a moderator", permissions.can_run
    ),
    (Status.EVALUATED, Status.GRADUATED): Edge(
        "graduate", "a proposer or a moderator", permissions.can_run
    ),
    (Status.EVALUATED, Status.CLOSED): Edge(
        "close", "a proposer or a moderator", permissions.can_run
    ),
}


def allowed_next(status: str) -> list[str]:
    return [to for (frm, to) in TRANSITIONS if frm == status]


def _label(status: str) -> str:
    try:
        return Status(status).label.lower()
    except ValueError:  # not a state at all
        return f"“{status}”"


def transition_refusal(from_status: str, to_status: str) -> str:
    """The message shown when a step is not in the state machine."""
    if from_status == to_status:
        return f"The proposal is already {_label(from_status)}."
    following = allowed_next(from_status)
    if not following:
        then = f"{_label(from_status).capitalize()} is a final state: nothing follows it."
    else:
        then = "From there it can only become " + " or ".join(_label(s) for s in following) + "."
    return f"A proposal that is {_label(from_status)} cannot become {_label(to_status)}. " + then


def _check_transition(*, actor, proposal: Proposal, to: str) -> Edge:
    edge = TRANSITIONS.get((proposal.status, to))
    if edge is None:
        raise DomainError(transition_refusal(proposal.status, to), code="invalid_transition")
    if not edge.allowed(actor, proposal):
        raise PermissionDenied(f"Only {edge.who} can {edge.verb} this proposal.")
    return edge


def _lock(proposal: Proposal) -> Proposal:
    """Lock the proposal's row and re-read it, so two steps never race each other.

    The caller's own instance is refreshed (and returned), so it shows the new state
    after the service returns.
    """
    Proposal.objects.select_for_update().filter(pk=proposal.pk).values_list("pk").get()
    proposal.refresh_from_db()
    return proposal


def _transition(*, actor, proposal: Proposal, to: str, reason: str = "") -> Proposal:
    """Move ``proposal`` (already locked and checked) to ``to`` and record the step."""
    from_status = proposal.status
    proposal.status = to
    # simple_history keeps at most 100 characters; the full reason is on the Transition.
    proposal._change_reason = (f"{from_status} → {to}" + (f": {reason}" if reason else ""))[:100]
    proposal.save()
    Transition.objects.create(
        proposal=proposal, from_status=from_status, to_status=to, by=actor, reason=reason
    )
    return proposal


def proposal_transition(*, actor, proposal: Proposal, to: str, **data) -> Proposal:
    """Take one lifecycle step by target state; ``data`` goes to that step's service.

    The single entry point used by tests and generic callers; every step refuses
    a transition that is not in ``TRANSITIONS`` with a clear message.
    """
    steps: dict[str, Callable[..., Proposal]] = {
        Status.SUBMITTED: proposal_submit,
        Status.IN_REVIEW: proposal_start_review,
        Status.ACCEPTED: lambda **kw: proposal_decide(accept=True, **kw),
        Status.DECLINED: lambda **kw: proposal_decide(accept=False, **kw),
        Status.RUNNING: proposal_start,
        Status.EVALUATED: proposal_evaluate,
        Status.GRADUATED: proposal_graduate,
        Status.CLOSED: proposal_close,
    }
    step = steps.get(to)
    if step is None:
        raise DomainError(transition_refusal(proposal.status, to), code="invalid_transition")
    return step(actor=actor, proposal=proposal, **data)


# --- Helpers ------------------------------------------------------------------------


def _url(name: str, *args) -> str:
    return settings.SITE_URL + reverse(name, args=args)


def _proposers(proposal: Proposal) -> list:
    people = [proposal.proposer]
    if proposal.sponsor_id and proposal.sponsor_confirmed_at:
        people.append(proposal.sponsor)
    return people


def _notify(users: Iterable, *, subject: str, body: str, key: str) -> None:
    for user in users:
        email_queue(
            to=user.email,
            subject=f"Techmap: {subject}",
            body=body,
            dedupe_key=f"den:{key}:{user.pk}"[:200],
        )


def validate_hypothesis(text: str) -> str:
    """The hypothesis must read "We believe … will … measured by …"."""
    text = (text or "").strip()
    if not HYPOTHESIS_RE.match(text):
        raise DomainError({"hypothesis": HYPOTHESIS_HELP}, code="hypothesis_shape")
    return text


def _clean_data_allowed(values: Iterable[str]) -> list[str]:
    values = [v.strip().lower() for v in values if v and v.strip()]
    allowed = {choice.value for choice in Proposal.Data}
    if any(v in {"personal", "personal data"} for v in values):
        raise DomainError(
            {"data_allowed": "Personal data is never allowed in the den's sandbox."},
            code="personal_data",
        )
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise DomainError(
            {"data_allowed": "Choose synthetic, open or anonymised data only."},
            code="data_choice",
        )
    if not values:
        raise DomainError(
            {"data_allowed": "Choose which data the trial may use."}, code="data_required"
        )
    return sorted(set(values), key=[c.value for c in Proposal.Data].index)


def _clean_limits(weeks, budget_cap) -> tuple[int, Decimal]:
    errors = {}
    try:
        weeks = int(weeks)
        if not 1 <= weeks <= MAX_WEEKS:
            raise ValueError
    except (TypeError, ValueError):
        errors["weeks"] = (
            f"Enter the length of the trial as a whole number of weeks, 1 to {MAX_WEEKS}."
        )
    try:
        budget_cap = Decimal(str(budget_cap)).quantize(Decimal("0.01"))
        if not 0 <= budget_cap <= MAX_BUDGET_CAP:
            raise ValueError
    except (InvalidOperation, TypeError, ValueError):
        errors["budget_cap"] = f"Enter a budget cap in pounds, from 0 to {MAX_BUDGET_CAP:,}."
    if errors:
        raise DomainError(errors, code="limits")
    return weeks, budget_cap


def _required(**fields: str) -> dict[str, str]:
    errors = {
        name: f"Enter the {name.replace('_', ' ')}."
        for name, value in fields.items()
        if not (value or "").strip()
    }
    if errors:
        raise DomainError(errors, code="required")
    if has_line_break(fields.get("title", "").strip()):  # it goes into email subjects
        raise DomainError({"title": no_line_breaks.message})
    return {name: value.strip() for name, value in fields.items()}


def _check_own_body(actor, public_body) -> None:
    """A civil servant proposes trials for the public body they act for, not another's."""
    if is_civil_servant(actor) and public_body.pk != actor.public_body_id:
        raise DomainError(
            {"public_body": "Choose your own public body: you can only propose trials for it."}
        )


def _resolve_sponsor(*, actor, sponsor_email: str, public_body):
    """The named civil-servant sponsor a supplier-side proposer needs, or None.

    The sponsor acts for the trial's public body: a civil servant whose ``public_body``
    is ``public_body``. The proposer chose the body; naming a sponsor never moves the
    trial to the sponsor's body.
    """
    sponsor_email = (sponsor_email or "").strip().lower()
    if is_civil_servant(actor):
        return None
    if not sponsor_email:
        raise DomainError(
            {"sponsor_email": "Enter the email address of the civil servant sponsoring the trial."},
            code="sponsor_required",
        )
    sponsor = User.objects.filter(email__iexact=sponsor_email, is_active=True).first()
    if sponsor is None or not is_civil_servant(sponsor):
        raise DomainError(
            {
                "sponsor_email": "The sponsor must be a civil servant with a Techmap account: "
                "no civil servant has that email address."
            },
            code="sponsor_not_civil_servant",
        )
    if sponsor.pk == actor.pk:
        raise DomainError({"sponsor_email": "You cannot sponsor your own proposal."})
    if sponsor.public_body_id is None or sponsor.public_body_id != public_body.pk:
        raise DomainError(
            {
                "sponsor_email": f"The sponsor must be a civil servant of {public_body.name}, "
                "the public body the trial is for: that person does not act for it."
            },
            code="sponsor_other_body",
        )
    return sponsor


# Which content may change in which state. Hypothesis and criteria lock once running.
CONTENT_EDITABLE = (Status.DRAFT, Status.ACCEPTED)
RISKS_EDITABLE = (Status.DRAFT, Status.ACCEPTED, Status.RUNNING)


def _refuse_edit(proposal: Proposal, editable: tuple[str, ...], what: str) -> None:
    if proposal.status in editable:
        return
    if proposal.status in (Status.SUBMITTED, Status.IN_REVIEW):
        reason = "the proposal is being reviewed"
    elif proposal.status == Status.RUNNING:
        reason = "the trial is running: its hypothesis, success and stop criteria are locked"
    else:
        reason = f"the proposal is {_label(proposal.status)}"
    raise DomainError(f"You cannot change {what} now: {reason}.", code="locked")


def _check_editor(actor, proposal: Proposal) -> None:
    # Moderators correct content in admin, under the same locks as the proposers.
    if not permissions.can_change_content(actor, proposal):
        raise PermissionDenied("Only the proposer or the confirmed sponsor can change a proposal.")


def _refresh_search_vector(proposal: Proposal) -> None:
    results = " ".join(
        f"{c.description} {c.target} {c.result}" for c in proposal.success_criteria.all()
    )
    Proposal.objects.filter(pk=proposal.pk).update(
        search_vector=SearchVector(Value(proposal.title), weight="A", config="english")
        + SearchVector(
            Value(f"{proposal.hypothesis} {proposal.lessons_learned}"),
            weight="B",
            config="english",
        )
        + SearchVector(
            Value(f"{proposal.problem} {proposal.next_steps} {results}"),
            weight="C",
            config="english",
        )
    )
    # Its words join the vocabulary of spelling correction on the same write path.
    add_proposal_words(proposal, extra=results)


# --- Proposals ------------------------------------------------------------------------


@transaction.atomic
def proposal_create(
    *,
    actor,
    title: str,
    problem: str,
    public_body,
    hypothesis: str,
    weeks: int,
    budget_cap: Decimal | int | str,
    data_allowed: Iterable[str],
    capabilities: Iterable = (),
    sponsor_email: str = "",
) -> Proposal:
    """Create a draft proposal.

    Before: ``actor`` is a civil servant, or a supplier member who names a
    civil-servant sponsor (emailed to confirm). After: a draft exists, editable by
    the proposer; nothing is public yet.
    """
    if not permissions.can_propose(actor):
        raise PermissionDenied(
            "Only civil servants and members of a registered supplier can propose a trial."
        )
    fields = _required(title=title, problem=problem)
    hypothesis = validate_hypothesis(hypothesis)
    weeks, budget_cap = _clean_limits(weeks, budget_cap)
    data_allowed = _clean_data_allowed(data_allowed)
    if public_body is None:
        raise DomainError({"public_body": "Choose the public body the trial is for."})
    _check_own_body(actor, public_body)
    sponsor = _resolve_sponsor(actor=actor, sponsor_email=sponsor_email, public_body=public_body)
    proposal = Proposal(
        title=fields["title"],
        problem=fields["problem"],
        public_body=public_body,
        hypothesis=hypothesis,
        proposer=actor,
        sponsor=sponsor,
        weeks=weeks,
        budget_cap=budget_cap,
        data_allowed=data_allowed,
    )
    proposal._change_reason = "Proposal drafted"
    proposal.save()
    proposal.capabilities.set(list(capabilities))
    _refresh_search_vector(proposal)
    if sponsor is not None:
        _ask_sponsor(proposal)
    return proposal


def _ask_sponsor(proposal: Proposal) -> None:
    _notify(
        [proposal.sponsor],
        subject="please confirm you sponsor a trial",
        body=(
            f"{proposal.proposer} has named you as the civil-servant sponsor of the trial "
            f"“{proposal.title}” in the innovation den.\n\n"
            f"Read it and confirm (or not): {_url('innovation_den:proposal', proposal.pk)}\n"
        ),
        key=f"sponsor:{proposal.pk}:{proposal.sponsor_id}",
    )


@transaction.atomic
def proposal_update(
    *,
    actor,
    proposal: Proposal,
    title: str,
    problem: str,
    public_body,
    hypothesis: str,
    weeks: int,
    budget_cap: Decimal | int | str,
    data_allowed: Iterable[str],
    capabilities: Iterable = (),
    sponsor_email: str = "",
) -> Proposal:
    """Change a draft (or an accepted trial before it starts).

    Once running, the hypothesis, criteria and sandbox limits are locked. A new
    sponsor must confirm again. The sponsor, new or kept, must act for the (new)
    public body.
    """
    _check_editor(actor, proposal)
    proposal = _lock(proposal)
    _refuse_edit(proposal, CONTENT_EDITABLE, "the proposal")
    fields = _required(title=title, problem=problem)
    hypothesis = validate_hypothesis(hypothesis)
    weeks, budget_cap = _clean_limits(weeks, budget_cap)
    data_allowed = _clean_data_allowed(data_allowed)
    if public_body is None:
        raise DomainError({"public_body": "Choose the public body the trial is for."})
    if public_body.pk != proposal.public_body_id:
        _check_own_body(actor, public_body)
    proposer = proposal.proposer
    sponsor = _resolve_sponsor(actor=proposer, sponsor_email=sponsor_email, public_body=public_body)
    if proposal.status != Status.DRAFT and (sponsor and sponsor.pk) != proposal.sponsor_id:
        raise DomainError(
            {"sponsor_email": "The sponsor can only change while the proposal is a draft."}
        )
    sponsor_changed = (sponsor and sponsor.pk) != proposal.sponsor_id
    proposal.title = fields["title"]
    proposal.problem = fields["problem"]
    proposal.public_body = public_body
    proposal.hypothesis = hypothesis
    proposal.weeks = weeks
    proposal.budget_cap = budget_cap
    proposal.data_allowed = data_allowed
    if sponsor_changed:
        proposal.sponsor = sponsor
        proposal.sponsor_confirmed_at = None
    proposal._change_reason = "Proposal changed"
    proposal.save()
    proposal.capabilities.set(list(capabilities))
    _refresh_search_vector(proposal)
    if sponsor_changed and sponsor is not None:
        _ask_sponsor(proposal)
    return proposal


def _check_sponsor(actor, proposal: Proposal) -> None:
    if not permissions.can_confirm_sponsorship(actor, proposal):
        raise PermissionDenied(
            "Only the civil servant named as sponsor, acting for "
            f"{proposal.public_body.name}, can confirm."
        )


@transaction.atomic
def sponsorship_confirm(*, actor, proposal: Proposal) -> Proposal:
    """The named sponsor confirms. Confirming twice changes nothing.

    Before: ``actor`` is the named sponsor and acts for the proposal's public body (not
    merely any civil servant: someone named who has since moved body may not confirm).
    After: the sponsor is confirmed and counts as a proposer.
    """
    _check_sponsor(actor, proposal)
    proposal = _lock(proposal)
    _check_sponsor(actor, proposal)  # the sponsor or the body may have changed meanwhile
    if proposal.status != Status.DRAFT:
        raise DomainError("The sponsor confirms while the proposal is a draft.")
    if proposal.sponsor_confirmed_at is None:
        proposal.sponsor_confirmed_at = timezone.now()
        proposal._change_reason = "Sponsor confirmed"
        proposal.save(update_fields=["sponsor_confirmed_at", "updated_at"])
    return proposal


# --- Criteria, risks, partners ------------------------------------------------------------


@transaction.atomic
def success_criterion_add(
    *, actor, proposal: Proposal, description: str, measure: str, target: str
) -> SuccessCriterion:
    """Add a measurable success criterion with its target (locked once running)."""
    _check_editor(actor, proposal)
    proposal = _lock(proposal)
    _refuse_edit(proposal, CONTENT_EDITABLE, "the success criteria")
    fields = _required(description=description, measure=measure, target=target)
    if not re.search(r"\d", fields["target"]) and len(fields["target"].split()) < 2:
        # A target such as "better" cannot be checked afterwards.
        raise DomainError(
            {
                "target": "Give a target that can be checked, such as “80% of users” or "
                "“under 2 days”."
            }
        )
    return SuccessCriterion.objects.create(proposal=proposal, **fields)


@transaction.atomic
def success_criterion_remove(*, actor, criterion: SuccessCriterion) -> None:
    _check_editor(actor, criterion.proposal)
    proposal = _lock(criterion.proposal)
    _refuse_edit(proposal, CONTENT_EDITABLE, "the success criteria")
    criterion.delete()


@transaction.atomic
def stop_criterion_add(*, actor, proposal: Proposal, description: str) -> StopCriterion:
    """Add a condition on which the trial stops (locked once running)."""
    _check_editor(actor, proposal)
    proposal = _lock(proposal)
    _refuse_edit(proposal, CONTENT_EDITABLE, "the stop criteria")
    fields = _required(description=description)
    return StopCriterion.objects.create(proposal=proposal, **fields)


@transaction.atomic
def stop_criterion_remove(*, actor, criterion: StopCriterion) -> None:
    _check_editor(actor, criterion.proposal)
    proposal = _lock(criterion.proposal)
    _refuse_edit(proposal, CONTENT_EDITABLE, "the stop criteria")
    criterion.delete()


@transaction.atomic
def risk_add(*, actor, proposal: Proposal, description: str, mitigation: str) -> Risk:
    """Add a risk with its mitigation (also allowed while running, as risks emerge)."""
    _check_editor(actor, proposal)
    proposal = _lock(proposal)
    _refuse_edit(proposal, RISKS_EDITABLE, "the risks")
    fields = _required(description=description, mitigation=mitigation)
    return Risk.objects.create(proposal=proposal, **fields)


@transaction.atomic
def risk_remove(*, actor, risk: Risk) -> None:
    _check_editor(actor, risk.proposal)
    proposal = _lock(risk.proposal)
    _refuse_edit(proposal, CONTENT_EDITABLE, "the risks")
    risk.delete()


@transaction.atomic
def partner_add(*, actor, proposal: Proposal, supplier: Supplier) -> ProposalPartner:
    """Name a published supplier as a partner; its owners are asked to confirm.

    When the proposer is an owner of that supplier, taking part is confirmed at once.
    """
    _check_editor(actor, proposal)
    proposal = _lock(proposal)
    if proposal.status != Status.DRAFT:
        raise DomainError("Partner suppliers can only change while the proposal is a draft.")
    if supplier.status != Supplier.Status.PUBLISHED:
        raise DomainError("Only suppliers published on the registry can be partners.")
    owner = permissions.can_answer_partnership(actor, ProposalPartner(supplier=supplier))
    try:
        with transaction.atomic():
            partner = ProposalPartner.objects.create(
                proposal=proposal,
                supplier=supplier,
                added_by=actor,
                status=(
                    ProposalPartner.Status.CONFIRMED if owner else ProposalPartner.Status.PENDING
                ),
                answered_by=actor if owner else None,
                answered_at=timezone.now() if owner else None,
            )
    except IntegrityError:
        raise DomainError(f"{supplier.name} is already a partner in this trial.") from None
    if not owner:
        owners = User.objects.filter(
            supplier_memberships__supplier=supplier,
            supplier_memberships__role=SupplierMembership.Role.OWNER,
            is_active=True,
        )
        _notify(
            owners,
            subject="please confirm taking part in a trial",
            body=(
                f"{proposal.proposer} has named {supplier.name} as a partner in the trial "
                f"“{proposal.title}” in the innovation den.\n\n"
                f"Confirm or decline: {_url('innovation_den:proposal', proposal.pk)}\n"
            ),
            key=f"partner:{partner.pk}",
        )
    return partner


@transaction.atomic
def partner_remove(*, actor, partner: ProposalPartner) -> None:
    _check_editor(actor, partner.proposal)
    proposal = _lock(partner.proposal)
    if proposal.status != Status.DRAFT:
        raise DomainError("Partner suppliers can only change while the proposal is a draft.")
    partner.delete()


@transaction.atomic
def partner_answer(*, actor, partner: ProposalPartner, confirm: bool) -> ProposalPartner:
    """An owner of the partner supplier confirms or declines taking part, once."""
    if not permissions.can_answer_partnership(actor, partner):
        raise PermissionDenied(f"Only an owner of {partner.supplier.name} can answer for it.")
    proposal = _lock(partner.proposal)
    if proposal.status != Status.DRAFT:
        raise DomainError("Partners answer while the proposal is a draft.")
    partner = ProposalPartner.objects.select_for_update().get(pk=partner.pk)
    if partner.status != ProposalPartner.Status.PENDING:
        raise DomainError(
            f"{partner.supplier.name} has already answered: {partner.get_status_display()}."
        )
    partner.status = (
        ProposalPartner.Status.CONFIRMED if confirm else ProposalPartner.Status.DECLINED
    )
    partner.answered_by = actor
    partner.answered_at = timezone.now()
    partner._change_reason = partner.get_status_display()
    partner.save()
    _notify(
        [proposal.proposer],
        subject=f"{partner.supplier.name} {'confirmed' if confirm else 'declined'}",
        body=(
            f"{partner.supplier.name} has {'confirmed' if confirm else 'declined'} taking part "
            f"in “{proposal.title}”.\n\n{_url('innovation_den:proposal', proposal.pk)}\n"
        ),
        key=f"partner-answer:{partner.pk}",
    )
    return partner


# --- Lifecycle steps -----------------------------------------------------------------------


def submission_problems(proposal: Proposal) -> list[str]:
    """What still stops a draft from being submitted (empty when it is ready)."""
    problems = []
    if not HYPOTHESIS_RE.match(proposal.hypothesis or ""):
        problems.append("Write the hypothesis as “We believe … will … measured by …”.")
    if not proposal.success_criteria.exists():
        problems.append("Add at least one success criterion with a target.")
    if not proposal.stop_criteria.exists():
        problems.append("Add at least one stop criterion.")
    if not proposal.risks.exists():
        problems.append("Add at least one risk with its mitigation.")
    if proposal.sponsor_id and not proposal.sponsor_confirmed_at:
        problems.append(f"{proposal.sponsor} has not yet confirmed sponsoring the trial.")
    elif proposal.sponsor_id and not permissions.acts_for_body(proposal.sponsor, proposal):
        problems.append(
            f"{proposal.sponsor} no longer acts for {proposal.public_body.name}: "
            "name a sponsor who does."
        )
    for partner in proposal.partners.select_related("supplier"):
        if partner.status == ProposalPartner.Status.PENDING:
            problems.append(f"{partner.supplier.name} has not yet confirmed taking part.")
        elif partner.status == ProposalPartner.Status.DECLINED:
            problems.append(
                f"{partner.supplier.name} declined to take part: remove it from the partners."
            )
    return problems


@transaction.atomic
def proposal_submit(*, actor, proposal: Proposal) -> Proposal:
    """draft → submitted, once complete (criteria, risks, sponsor and partners confirmed)."""
    _check_transition(actor=actor, proposal=proposal, to=Status.SUBMITTED)
    proposal = _lock(proposal)
    _check_transition(actor=actor, proposal=proposal, to=Status.SUBMITTED)
    problems = submission_problems(proposal)
    if problems:
        raise DomainError(problems, code="incomplete")
    proposal.submitted_at = timezone.now()
    return _transition(actor=actor, proposal=proposal, to=Status.SUBMITTED)


def eligible_panel(proposal: Proposal, review_round: ReviewRound) -> tuple[list, list]:
    """The round's panel split into (may review, excused with their conflict)."""
    eligible, excused = [], []
    for member in review_round.members.select_related("reviewer"):
        conflict = permissions.conflict_of_interest(member.reviewer, proposal)
        if conflict:
            excused.append((member.reviewer, conflict))
        else:
            eligible.append(member.reviewer)
    return eligible, excused


@transaction.atomic
def proposal_start_review(*, actor, proposal: Proposal, review_round: ReviewRound) -> Proposal:
    """submitted → in review, in an open round whose panel has enough members free of conflict."""
    _check_transition(actor=actor, proposal=proposal, to=Status.IN_REVIEW)
    proposal = _lock(proposal)
    _check_transition(actor=actor, proposal=proposal, to=Status.IN_REVIEW)
    if review_round is None or not review_round.is_open:
        raise DomainError({"review_round": "Choose an open review round."})
    eligible, _ = eligible_panel(proposal, review_round)
    if len(eligible) < MIN_PANEL:
        raise DomainError(
            {
                "review_round": f"The panel of {review_round} has {len(eligible)} member(s) "
                f"free of a conflict of interest with this proposal; it needs at least "
                f"{MIN_PANEL}. Add civil servants to the panel first."
            }
        )
    proposal.review_round = review_round
    proposal = _transition(
        actor=actor, proposal=proposal, to=Status.IN_REVIEW, reason=f"Review round: {review_round}"
    )
    _notify(
        eligible,
        subject="a trial proposal is ready for you to score",
        body=(
            f"“{proposal.title}” is in review in {review_round}. Score it against the den's "
            f"criteria: {_url('innovation_den:review', proposal.pk)}\n"
        ),
        key=f"review-request:{proposal.pk}:{review_round.pk}",
    )
    return proposal


@transaction.atomic
def proposal_decide(*, actor, proposal: Proposal, accept: bool, reason: str) -> Proposal:
    """in review → accepted or declined, with a reason sent to the proposers.

    Before: every panel member free of conflict has scored. After: the decision,
    its reason, who and when are recorded; the proposers' emails are in the outbox.
    """
    to = Status.ACCEPTED if accept else Status.DECLINED
    _check_transition(actor=actor, proposal=proposal, to=to)
    proposal = _lock(proposal)
    _check_transition(actor=actor, proposal=proposal, to=to)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError({"reason": "Enter the reason for the decision."}, code="reason_required")
    eligible, _ = eligible_panel(proposal, proposal.review_round)
    scored = set(
        Review.objects.filter(proposal=proposal, review_round=proposal.review_round).values_list(
            "reviewer_id", flat=True
        )
    )
    waiting = [person for person in eligible if person.pk not in scored]
    if waiting or not scored:
        names = ", ".join(str(person) for person in waiting) or "nobody has"
        raise DomainError(
            f"The panel has not finished scoring: waiting for {names}. "
            "Wait for their scores or remove them from the panel.",
            code="panel_not_finished",
        )
    proposal.decision_reason = reason
    proposal.decided_at = timezone.now()
    proposal.decided_by = actor
    proposal = _transition(actor=actor, proposal=proposal, to=to, reason=reason)
    verdict = "accepted" if accept else "declined"
    _notify(
        _proposers(proposal),
        subject=f"your trial proposal was {verdict}",
        body=(
            f"The den's panel has {verdict} “{proposal.title}”.\n\nReason:\n{reason}\n\n"
            f"{_url('innovation_den:proposal', proposal.pk)}\n"
        ),
        key=f"decision:{proposal.pk}",
    )
    return proposal


@transaction.atomic
def proposal_start(
    *, actor, proposal: Proposal, start_date: datetime.date | None = None
) -> Proposal:
    """accepted → running. The end date is the start plus the sandbox's weeks.

    From here the hypothesis, success and stop criteria are locked.
    """
    _check_transition(actor=actor, proposal=proposal, to=Status.RUNNING)
    proposal = _lock(proposal)
    _check_transition(actor=actor, proposal=proposal, to=Status.RUNNING)
    if proposal.partners.exclude(status=ProposalPartner.Status.CONFIRMED).exists():
        raise DomainError("Every partner supplier must have confirmed before the trial starts.")
    today = timezone.localdate()
    start_date = start_date or today
    if start_date > today + datetime.timedelta(days=90) or start_date < today - datetime.timedelta(
        days=30
    ):
        raise DomainError(
            {"start_date": "The start date must be within the last 30 or the next 90 days."}
        )
    proposal.start_date = start_date
    proposal.end_date = start_date + datetime.timedelta(weeks=proposal.weeks)
    return _transition(
        actor=actor, proposal=proposal, to=Status.RUNNING, reason=f"Runs until {proposal.end_date}"
    )


@transaction.atomic
def progress_note_add(
    *, actor, proposal: Proposal, body: str, noted_on: datetime.date | None = None
) -> ProgressNote:
    """A dated note on a running trial, by a proposer, a moderator or a confirmed partner."""
    if not permissions.can_write_progress(actor, proposal):
        raise PermissionDenied("Only the trial's team can write progress notes.")
    if proposal.status != Status.RUNNING:
        raise DomainError("Progress notes are written while the trial is running.")
    fields = _required(body=body)
    noted_on = noted_on or timezone.localdate()
    if noted_on > timezone.localdate():
        raise DomainError({"noted_on": "The date of a progress note cannot be in the future."})
    if proposal.start_date and noted_on < proposal.start_date:
        raise DomainError(
            {"noted_on": f"The date cannot be before the trial started ({proposal.start_date})."}
        )
    return ProgressNote.objects.create(
        proposal=proposal, author=actor, noted_on=noted_on, body=fields["body"]
    )


def outcome_of(results: Iterable[bool]) -> str:
    results = list(results)
    if results and all(results):
        return Proposal.Outcome.MET
    if any(results):
        return Proposal.Outcome.PARTLY_MET
    return Proposal.Outcome.NOT_MET


@transaction.atomic
def proposal_evaluate(
    *,
    actor,
    proposal: Proposal,
    results: Mapping[int, tuple[str, bool | None]],
    lessons_learned: str,
    next_steps: str,
) -> Proposal:
    """running → evaluated: each success criterion's result and whether it was met.

    ``results`` maps criterion id to (result, met). The outcome (met, partly met,
    not met) follows from the criteria; the trial enters the lessons library.
    """
    _check_transition(actor=actor, proposal=proposal, to=Status.EVALUATED)
    proposal = _lock(proposal)
    _check_transition(actor=actor, proposal=proposal, to=Status.EVALUATED)
    criteria = list(proposal.success_criteria.all())
    errors: dict[str, str] = {}
    for criterion in criteria:
        result, met = results.get(criterion.pk, ("", None))
        if not (result or "").strip():
            errors[f"result_{criterion.pk}"] = f"Enter the result for “{criterion.description}”."
        if met is None:
            errors[f"met_{criterion.pk}"] = f"Say whether “{criterion.description}” was met."
    if not (lessons_learned or "").strip():
        errors["lessons_learned"] = (
            "Enter what was learned: lessons are published whether the trial worked or not."
        )
    if not (next_steps or "").strip():
        errors["next_steps"] = "Enter what should happen next."
    if errors:
        raise DomainError(errors, code="evaluation_incomplete")
    for criterion in criteria:
        result, met = results[criterion.pk]
        criterion.result = result.strip()
        criterion.met = bool(met)
        criterion._change_reason = "Evaluated"
        criterion.save(update_fields=["result", "met"])
    proposal.outcome = outcome_of(c.met for c in criteria)
    proposal.lessons_learned = lessons_learned.strip()
    proposal.next_steps = next_steps.strip()
    proposal.evaluated_at = timezone.now()
    proposal = _transition(
        actor=actor,
        proposal=proposal,
        to=Status.EVALUATED,
        reason=f"Outcome: {proposal.get_outcome_display()}",
    )
    _refresh_search_vector(proposal)
    return proposal


def _check_lessons(proposal: Proposal) -> None:
    if not proposal.lessons_learned.strip():
        raise DomainError(
            {"lessons_learned": "A trial cannot close without its lessons learned."},
            code="lessons_required",
        )


@transaction.atomic
def proposal_graduate(
    *,
    actor,
    proposal: Proposal,
    engagement_request=None,
    contract=None,
    graduation_url: str = "",
    graduation_note: str = "",
) -> Proposal:
    """evaluated → graduated: taken forward, linked to what followed.

    What followed is an engagement request (not a draft) or a contract on Techmap,
    or a web address for what happened elsewhere; at least one is required.
    """
    _check_transition(actor=actor, proposal=proposal, to=Status.GRADUATED)
    proposal = _lock(proposal)
    _check_transition(actor=actor, proposal=proposal, to=Status.GRADUATED)
    _check_lessons(proposal)
    url = (graduation_url or "").strip()
    if url and not re.match(r"^https?://[^\s/]+\.[^\s]+$", url):
        raise DomainError(
            {"graduation_url": "Enter a full web address starting with https://"},
            code="graduation_link",
        )
    if engagement_request is not None and engagement_request.status == "draft":
        raise DomainError(
            {
                "engagement_request": "That engagement request is still a draft: "
                "link a published one."
            }
        )
    if engagement_request is None and contract is None and not url:
        raise DomainError(
            "Link the trial to what followed: an engagement request, a contract, or a web address.",
            code="graduation_link",
        )
    proposal.engagement_request = engagement_request
    proposal.contract = contract
    proposal.graduation_url = url
    proposal.graduation_note = (graduation_note or "").strip()
    followed = engagement_request or contract or url
    return _transition(
        actor=actor, proposal=proposal, to=Status.GRADUATED, reason=f"Followed by {followed}"
    )


@transaction.atomic
def proposal_close(*, actor, proposal: Proposal, reason: str = "") -> Proposal:
    """evaluated → closed: not taken forward. Refused without lessons learned."""
    _check_transition(actor=actor, proposal=proposal, to=Status.CLOSED)
    proposal = _lock(proposal)
    _check_transition(actor=actor, proposal=proposal, to=Status.CLOSED)
    _check_lessons(proposal)
    return _transition(actor=actor, proposal=proposal, to=Status.CLOSED, reason=reason.strip())


def overdue_trials_remind() -> int:
    """Queue a reminder to the proposers of each running trial past its end date.

    Each email has a dedupe key per trial and end date, so calling this again sends
    nothing new. Returns the number of overdue trials.
    """
    today = timezone.localdate()
    overdue = Proposal.objects.filter(status=Status.RUNNING, end_date__lt=today).select_related(
        "proposer", "sponsor"
    )
    count = 0
    for proposal in overdue:
        with transaction.atomic():
            _notify(
                _proposers(proposal),
                subject="your trial is overdue for evaluation",
                body=(
                    f"“{proposal.title}” ended on {proposal.end_date:%d %B %Y}. Record its "
                    "results and what was learned, whether it worked or not: "
                    f"{_url('innovation_den:evaluate', proposal.pk)}\n"
                ),
                key=f"overdue:{proposal.pk}:{proposal.end_date.isoformat()}",
            )
        count += 1
    return count


# --- Review rounds and scoring -------------------------------------------------------------


def _check_moderator(actor) -> None:
    if not permissions.can_moderate(actor):
        raise PermissionDenied("Only moderators manage review rounds and panels.")


@transaction.atomic
def review_round_open(*, actor, name: str) -> ReviewRound:
    _check_moderator(actor)
    fields = _required(name=name)
    if ReviewRound.objects.filter(name__iexact=fields["name"]).exists():
        raise DomainError({"name": "A review round with that name already exists."})
    return ReviewRound.objects.create(name=fields["name"], opened_by=actor)


@transaction.atomic
def review_round_close(*, actor, review_round: ReviewRound) -> ReviewRound:
    """Close a round once none of its proposals is still in review."""
    _check_moderator(actor)
    if review_round.proposals.filter(status=Status.IN_REVIEW).exists():
        raise DomainError("Decide every proposal in this round before closing it.")
    if review_round.closed_at is None:
        review_round.closed_at = timezone.now()
        review_round.save(update_fields=["closed_at"])
    return review_round


@transaction.atomic
def panel_member_add(
    *, actor, review_round: ReviewRound, reviewer_email: str = "", reviewer=None
) -> PanelMember:
    """A moderator adds a civil servant to a round's panel (found by email, or given).

    Before: ``actor`` is a moderator, the round is open, the reviewer an active civil
    servant not yet on the panel. After: they sit on the panel. Conflicts of interest
    are per proposal: they are checked when a proposal goes into review and when a
    member scores.
    """
    _check_moderator(actor)
    if not review_round.is_open:
        raise DomainError("This review round is closed.")
    if reviewer is None:
        email = (reviewer_email or "").strip()
        reviewer = (
            User.objects.filter(email__iexact=email, is_active=True).first() if email else None
        )
    elif not reviewer.is_active:
        reviewer = None
    if reviewer is None:
        raise DomainError(
            {"reviewer_email": "No one with a Techmap account has that email address."}
        )
    if not permissions.can_sit_on_panel(reviewer):
        raise DomainError(
            {"reviewer_email": f"{reviewer} is not a civil servant: panels are civil servants."}
        )
    member, created = PanelMember.objects.get_or_create(
        review_round=review_round, reviewer=reviewer, defaults={"added_by": actor}
    )
    if not created:
        raise DomainError({"reviewer_email": f"{reviewer} is already on this panel."})
    return member


@transaction.atomic
def panel_member_remove(*, actor, member: PanelMember) -> None:
    """Remove a panel member who has not scored (scores given stay, with their author)."""
    _check_moderator(actor)
    if Review.objects.filter(
        review_round_id=member.review_round_id, reviewer_id=member.reviewer_id
    ).exists():
        raise DomainError(f"{member.reviewer} has already scored in this round and stays on it.")
    member.delete()


@transaction.atomic
def review_submit(*, actor, proposal: Proposal, scores: Mapping[str, object]) -> Review:
    """A panel member scores a proposal in review, once: 1–5 with a comment per criterion.

    Conflict of interest is checked from the data (proposer, sponsor, or anyone at a
    partner supplier), not declared. A review cannot be changed once given.
    """
    proposal = _lock(proposal)
    if proposal.status != Status.IN_REVIEW:
        raise DomainError("Only a proposal in review can be scored.")
    if not permissions.is_panel_member(actor, proposal):
        raise PermissionDenied("Only members of this round's panel can score the proposal.")
    conflict = permissions.conflict_of_interest(actor, proposal)
    if conflict:
        raise PermissionDenied(f"You cannot review this proposal: {conflict}")
    if Review.objects.filter(
        proposal=proposal, review_round_id=proposal.review_round_id, reviewer=actor
    ).exists():
        raise DomainError("You have already scored this proposal; scores cannot be changed.")
    values: dict[str, object] = {}
    errors: dict[str, str] = {}
    for code, label in Review.CRITERIA:
        try:
            score = int(scores.get(code))  # type: ignore[arg-type]
            if not 1 <= score <= 5:
                raise ValueError
            values[code] = score
        except (TypeError, ValueError):
            errors[code] = f"Score {label.lower()} from 1 to 5."
        comment = str(scores.get(f"{code}_comment") or "").strip()
        if not comment:
            errors[f"{code}_comment"] = f"Explain your score for {label.lower()}."
        values[f"{code}_comment"] = comment
    if errors:
        raise DomainError(errors, code="review_incomplete")
    return Review.objects.create(
        proposal=proposal, review_round_id=proposal.review_round_id, reviewer=actor, **values
    )
