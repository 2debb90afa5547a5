"""Who may do what in the den, as yes/no functions.

Services, views, the API and admin call these; a rule is never written twice.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from accounts.permissions import is_civil_servant, is_moderator
from innovation_den.models import PanelMember, Proposal, ProposalPartner
from suppliers.models import SupplierMembership

Status = Proposal.Status


def _signed_in(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def is_supplier_member(user) -> bool:
    return _signed_in(user) and SupplierMembership.objects.filter(user=user).exists()


def can_propose(user) -> bool:
    """Civil servants propose; supplier members propose with a civil-servant sponsor."""
    return is_civil_servant(user) or is_supplier_member(user)


def acts_for_body(user, proposal: Proposal) -> bool:
    """``user`` is a civil servant acting for the proposal's public body (see accounts).

    Sponsoring a trial is acting for its body: the named sponsor, confirming, and the
    confirmed sponsor's powers all rest on it. Panel members score; they act for no body.
    """
    return (
        is_civil_servant(user)
        and user.public_body_id is not None
        and user.public_body_id == proposal.public_body_id
    )


def is_proposer(user, proposal: Proposal) -> bool:
    """The proposer, or the civil-servant sponsor once they have confirmed.

    A confirmed sponsor who no longer acts for the proposal's body is no longer one.
    """
    if not _signed_in(user):
        return False
    if proposal.proposer_id == user.pk:
        return True
    return (
        proposal.sponsor_id == user.pk
        and proposal.sponsor_confirmed_at is not None
        and acts_for_body(user, proposal)
    )


def is_panel_member(user, proposal: Proposal) -> bool:
    return (
        _signed_in(user)
        and proposal.review_round_id is not None
        and PanelMember.objects.filter(
            review_round_id=proposal.review_round_id, reviewer=user
        ).exists()
    )


def conflict_of_interest(user, proposal: Proposal) -> str | None:
    """Why ``user`` may not review ``proposal``, or None. Checked from the data, not declared."""
    if not _signed_in(user):
        return None
    if proposal.proposer_id == user.pk:
        return "You proposed this trial."
    if proposal.sponsor_id == user.pk:
        return "You are the sponsor of this trial."
    supplier = (
        SupplierMembership.objects.filter(user=user, supplier__den_partnerships__proposal=proposal)
        .select_related("supplier")
        .first()
    )
    if supplier is not None:
        return f"You work for {supplier.supplier.name}, a partner in this trial."
    return None


def visible_proposals_q(user) -> Q:
    """A filter for the proposals this user may see: the den's one visibility rule.

    Trials from acceptance onwards are public; moderators see everything; otherwise the
    proposer, the named sponsor and the people of a partner supplier see the proposal,
    and the panel of its review round sees it once submitted (and after the decision).
    Selectors, the API and :func:`can_view` all use this.
    """
    if is_moderator(user):
        return Q()
    public = Q(status__in=Proposal.PUBLIC_STATUSES)
    if not _signed_in(user):
        return public
    partner = Exists(
        SupplierMembership.objects.filter(
            user=user, supplier__den_partnerships__proposal=OuterRef("pk")
        )
    )
    panel = Exists(
        PanelMember.objects.filter(reviewer=user, review_round=OuterRef("review_round"))
    ) & ~Q(status=Status.DRAFT)
    return public | Q(proposer=user) | Q(sponsor=user) | partner | panel


def can_view(user, proposal: Proposal) -> bool:
    if proposal.is_public or is_moderator(user):
        return True  # what visible_proposals_q says, without a query
    if proposal.pk is None:
        return False
    return Proposal.objects.filter(visible_proposals_q(user), pk=proposal.pk).exists()


def can_edit(user, proposal: Proposal) -> bool:
    return is_proposer(user, proposal)


def can_change_content(user, proposal: Proposal) -> bool:
    """Change the proposal, its criteria and risks: the proposers, or a moderator in admin.

    The services apply the same locks to both (criteria are locked once running).
    """
    return can_edit(user, proposal) or is_moderator(user)


def can_confirm_sponsorship(user, proposal: Proposal) -> bool:
    """The named sponsor, while they act for the proposal's public body."""
    return (
        proposal.sponsor_id is not None
        and _signed_in(user)
        and proposal.sponsor_id == user.pk
        and acts_for_body(user, proposal)
    )


def can_answer_partnership(user, partner: ProposalPartner) -> bool:
    """Only an owner of the partner supplier confirms (or declines) taking part."""
    return (
        _signed_in(user)
        and SupplierMembership.objects.filter(
            user=user, supplier_id=partner.supplier_id, role=SupplierMembership.Role.OWNER
        ).exists()
    )


def can_moderate(user) -> bool:
    return is_moderator(user)


def can_sit_on_panel(user) -> bool:
    return is_civil_servant(user)


def can_score(user, proposal: Proposal) -> bool:
    return (
        proposal.status == Status.IN_REVIEW
        and is_panel_member(user, proposal)
        and conflict_of_interest(user, proposal) is None
    )


def scorable_q(user) -> Q:
    """The queryset form of :func:`can_score`: in review, on the user's panel, with no
    conflict of interest (:func:`conflict_of_interest`: proposer, sponsor, partner)."""
    if not _signed_in(user):
        return Q(pk__in=[])
    panel = Exists(PanelMember.objects.filter(reviewer=user, review_round=OuterRef("review_round")))
    partner = Exists(
        SupplierMembership.objects.filter(
            user=user, supplier__den_partnerships__proposal=OuterRef("pk")
        )
    )
    return Q(status=Status.IN_REVIEW) & panel & ~Q(proposer=user) & ~Q(sponsor=user) & ~partner


def can_see_individual_scores(user, proposal: Proposal, *, has_scored: bool) -> bool:
    """Blind scoring: a panel member sees others' scores only once they have scored.

    Moderators (who decide, and never score) see them all.
    """
    if is_moderator(user):
        return True
    return has_scored and is_panel_member(user, proposal)


def can_see_score_summary(user, proposal: Proposal, *, has_scored: bool) -> bool:
    """The panel's means are shown to everyone who may see the proposal once it is decided."""
    if can_see_individual_scores(user, proposal, has_scored=has_scored):
        return True
    return proposal.status not in (Status.DRAFT, Status.SUBMITTED, Status.IN_REVIEW) and can_view(
        user, proposal
    )


def can_run(user, proposal: Proposal) -> bool:
    """Start the trial, write progress notes, evaluate: the proposers, or a moderator."""
    return is_proposer(user, proposal) or is_moderator(user)


def can_write_progress(user, proposal: Proposal) -> bool:
    if can_run(user, proposal):
        return True
    return (
        _signed_in(user)
        and SupplierMembership.objects.filter(
            user=user,
            supplier__den_partnerships__proposal=proposal,
            supplier__den_partnerships__status=ProposalPartner.Status.CONFIRMED,
        ).exists()
    )
