"""The den's pages. Thin: parse input, find what the user may see, call a service, render."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.permissions import is_moderator
from core.forms import apply_domain_error
from innovation_den import forms, permissions, selectors, services
from innovation_den.filters import LessonFilter, ProposalFilter
from innovation_den.models import (
    PanelMember,
    Proposal,
    ProposalPartner,
    Review,
    ReviewRound,
    Risk,
    StopCriterion,
    SuccessCriterion,
)
from suppliers.filters import query_string
from suppliers.models import Supplier

Status = Proposal.Status
PAGE_SIZE = 20


def _messages_of(error: ValidationError) -> list[str]:
    return [str(m) for m in error.messages]


def _visible_proposal(request: HttpRequest, pk: int) -> Proposal:
    try:
        proposal = selectors.proposal_detail(pk)
    except Proposal.DoesNotExist:
        raise Http404("No such proposal.") from None
    if not permissions.can_view(request.user, proposal):
        if not request.user.is_authenticated:
            raise _LoginRequired
        raise Http404("No such proposal.")
    return proposal


class _LoginRequired(Exception):
    pass


def _proposal_view(view: Callable) -> Callable:
    """Fetch the proposal the user may see (sign-in first for anonymous visitors)."""

    def wrapper(request: HttpRequest, pk: int, *args, **kwargs) -> HttpResponse:
        try:
            proposal = _visible_proposal(request, pk)
        except _LoginRequired:
            return redirect_to_login(request.get_full_path())
        return view(request, proposal, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _form_page(
    request: HttpRequest,
    *,
    form_class,
    title: str,
    on_valid: Callable,
    proposal: Proposal | None = None,
    form_kwargs: dict | None = None,
    success: str = "",
    intro: str = "",
    back: str = "",
    template: str = "innovation_den/form_page.html",
    extra: dict | None = None,
) -> HttpResponse:
    """GET shows the form; POST calls ``on_valid(form)`` (a service) and redirects.

    A DomainError from the service is shown beside its field and in the error summary.
    """
    form_kwargs = form_kwargs or {}
    if request.method == "POST":
        form = form_class(request.POST, **form_kwargs)
        if form.is_valid():
            try:
                target = on_valid(form)
            except ValidationError as error:
                apply_domain_error(form, error)
            else:
                if success:
                    messages.success(request, success)
                return redirect(target)
    else:
        form = form_class(**form_kwargs)
    context = {
        "form": form,
        "title": title,
        "proposal": proposal,
        "intro": intro,
        "back": back or (_detail_url(proposal) if proposal else reverse("innovation_den:home")),
        **(extra or {}),
    }
    return render(request, template, context, status=400 if form.errors else 200)


def _detail_url(proposal: Proposal) -> str:
    return reverse("innovation_den:proposal", args=[proposal.pk])


# --- Home and lists ---------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    visible = selectors.proposals_visible_to(request.user)
    counts = Proposal.objects.filter(status__in=Proposal.PUBLIC_STATUSES).aggregate(
        running=Count("pk", filter=Q(status=Status.RUNNING)),
        evaluated=Count("pk", filter=Q(status__in=Proposal.EVALUATED_STATUSES)),
    )
    context = {
        "counts": counts,
        "outcome_counts": selectors.outcome_counts(selectors.lessons()),
        "running": selectors.with_list_related(
            Proposal.objects.filter(status=Status.RUNNING).order_by("end_date", "pk")
        )[:5],
        "recent_lessons": selectors.lessons()[:3],
        "can_propose": permissions.can_propose(request.user),
        "is_moderator": is_moderator(request.user),
    }
    if request.user.is_authenticated:
        context["mine"] = selectors.with_list_related(
            visible.filter(Q(proposer=request.user) | Q(sponsor=request.user))
            .exclude(status__in=Proposal.EVALUATED_STATUSES)
            .order_by("-updated_at")
        )[:10]
        context["to_score"] = (
            visible.filter(status=Status.IN_REVIEW, review_round__members__reviewer=request.user)
            .exclude(reviews__reviewer=request.user)
            .select_related("public_body")
            .distinct()
        )
        partner_ids = ProposalPartner.objects.filter(
            status=ProposalPartner.Status.PENDING,
            proposal__status=Status.DRAFT,
            supplier__memberships__user=request.user,
            supplier__memberships__role="owner",
        ).values("proposal_id")
        context["to_confirm"] = Proposal.objects.filter(
            Q(pk__in=partner_ids)
            | Q(sponsor=request.user, sponsor_confirmed_at__isnull=True, status=Status.DRAFT)
        ).select_related("public_body")
    if context["is_moderator"]:
        context["awaiting_review"] = Proposal.objects.filter(
            status__in=[Status.SUBMITTED, Status.IN_REVIEW]
        ).select_related("public_body", "review_round")
    return render(request, "innovation_den/home.html", context)


def proposal_list(request: HttpRequest) -> HttpResponse:
    queryset = selectors.proposals_visible_to(request.user).order_by("-updated_at", "-pk")
    filterset = ProposalFilter(request.GET or None, queryset=queryset)
    page = Paginator(selectors.with_list_related(filterset.qs), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "innovation_den/proposal_list.html",
        {"filterset": filterset, "page": page},
    )


def lessons(request: HttpRequest) -> HttpResponse:
    """Every evaluated trial: search and filters; failures shown as prominently as successes."""
    filterset = LessonFilter(request.GET or None, queryset=selectors.lessons())
    results = filterset.qs
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    # The search's engine (core.search): "why it matched" for the page, the correction.
    found = filterset.text_search
    page.object_list = list(page.object_list)
    found.explain(page.object_list)
    return render(
        request,
        "innovation_den/lessons.html",
        {
            "filterset": filterset,
            "page": page,
            # Each outcome's count under the words and the other filters (a facet).
            "outcome_counts": selectors.lesson_outcome_counts(filterset),
            "search": found,
            "correction": found.correction,
            "as_typed_url": "?" + query_string(request.GET, correct="false")
            if found.correction
            else "",
            "outcomes": Proposal.Outcome.choices,
            "searched": bool(request.GET),
        },
    )


# --- One proposal -----------------------------------------------------------------------


def _detail_context(request: HttpRequest, proposal: Proposal) -> dict:
    user = request.user
    review = selectors.review_state(user, proposal)
    can_edit = permissions.can_edit(user, proposal)
    moderator = is_moderator(user)
    answerable = [
        partner
        for partner in proposal.partners.all()
        if partner.status == ProposalPartner.Status.PENDING
        and proposal.status == Status.DRAFT
        and permissions.can_answer_partnership(user, partner)
    ]
    context = {
        "proposal": proposal,
        "review": review,
        "can_edit": can_edit,
        "content_editable": can_edit and proposal.status in services.CONTENT_EDITABLE,
        "risks_editable": can_edit and proposal.status in services.RISKS_EDITABLE,
        "partners_editable": can_edit and proposal.status == Status.DRAFT,
        "is_moderator": moderator,
        "answerable_partners": answerable,
        "can_confirm_sponsorship": permissions.can_confirm_sponsorship(user, proposal)
        and proposal.status == Status.DRAFT
        and proposal.sponsor_confirmed_at is None,
        "can_run": permissions.can_run(user, proposal),
        "can_write_progress": proposal.status == Status.RUNNING
        and permissions.can_write_progress(user, proposal),
        "submission_problems": services.submission_problems(proposal)
        if can_edit and proposal.status == Status.DRAFT
        else [],
        "show_people": can_edit or moderator,
    }
    if moderator and proposal.review_round_id and proposal.status == Status.IN_REVIEW:
        eligible, excused = services.eligible_panel(proposal, proposal.review_round)
        scored = {r.reviewer_id for r in review["reviews"]}
        context["panel"] = [(person, person.pk in scored) for person in eligible]
        context["excused"] = excused
    return context


@_proposal_view
def proposal_detail(request: HttpRequest, proposal: Proposal) -> HttpResponse:
    context = _detail_context(request, proposal)
    return render(request, "innovation_den/proposal_detail.html", context)


def _action(request: HttpRequest, proposal: Proposal, call: Callable, success: str):
    """Run a POST-only step; on a broken rule show the proposal page with the reasons."""
    try:
        call()
    except ValidationError as error:
        context = _detail_context(request, selectors.proposal_detail(proposal.pk))
        context["action_errors"] = _messages_of(error)
        return render(request, "innovation_den/proposal_detail.html", context, status=400)
    messages.success(request, success)
    return redirect(_detail_url(proposal))


@login_required
def proposal_create(request: HttpRequest) -> HttpResponse:
    if not permissions.can_propose(request.user):
        raise PermissionDenied(
            "Only civil servants and members of a registered supplier can propose a trial."
        )

    def create(form):
        proposal = services.proposal_create(actor=request.user, **_proposal_fields(form))
        return _detail_url(proposal)

    return _form_page(
        request,
        form_class=forms.ProposalForm,
        form_kwargs={"user": request.user},
        title="Propose a trial",
        on_valid=create,
        success="Your draft proposal is saved. Add its success and stop criteria, risks and "
        "partners, then submit it.",
        intro="Design the trial before it starts: bound it in time, money and data, and fix "
        "how it will be judged.",
    )


def _proposal_fields(form) -> dict:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "problem": data["problem"],
        "public_body": data["public_body"],
        "hypothesis": data["hypothesis"],
        "weeks": data["weeks"],
        "budget_cap": data["budget_cap"],
        "data_allowed": data["data_allowed"],
        "capabilities": data["capabilities"],
        "sponsor_email": data.get("sponsor_email", ""),
    }


@login_required
@_proposal_view
def proposal_edit(request: HttpRequest, proposal: Proposal) -> HttpResponse:
    if not permissions.can_edit(request.user, proposal):
        raise PermissionDenied("Only the proposer or the confirmed sponsor can change a proposal.")
    initial = {
        "title": proposal.title,
        "problem": proposal.problem,
        "public_body": proposal.public_body_id,
        "hypothesis": proposal.hypothesis,
        "weeks": proposal.weeks,
        "budget_cap": proposal.budget_cap,
        "data_allowed": proposal.data_allowed,
        "no_personal_data": True,
        "capabilities": [c.code for c in proposal.capabilities.all()],
        "sponsor_email": proposal.sponsor.email if proposal.sponsor_id else "",
    }

    def update(form):
        services.proposal_update(actor=request.user, proposal=proposal, **_proposal_fields(form))
        return _detail_url(proposal)

    return _form_page(
        request,
        form_class=forms.ProposalForm,
        form_kwargs={"user": proposal.proposer, "initial": initial},
        title="Change the proposal",
        proposal=proposal,
        on_valid=update,
        success="Proposal saved.",
    )


def _add_item(request, proposal, form_class, title, service, success):
    def add(form):
        service(actor=request.user, proposal=proposal, **form.cleaned_data)
        return _detail_url(proposal)

    if not permissions.can_edit(request.user, proposal):
        raise PermissionDenied("Only the proposer or the confirmed sponsor can change a proposal.")
    return _form_page(
        request,
        form_class=form_class,
        title=title,
        proposal=proposal,
        on_valid=add,
        success=success,
    )


@login_required
@_proposal_view
def success_criterion_add(request: HttpRequest, proposal: Proposal) -> HttpResponse:
    return _add_item(
        request,
        proposal,
        forms.SuccessCriterionForm,
        "Add a success criterion",
        services.success_criterion_add,
        "Success criterion added.",
    )


@login_required
@_proposal_view
def stop_criterion_add(request: HttpRequest, proposal: Proposal) -> HttpResponse:
    return _add_item(
        request,
        proposal,
        forms.StopCriterionForm,
        "Add a stop criterion",
        services.stop_criterion_add,
        "Stop criterion added.",
    )


@login_required
@_proposal_view
def risk_add(request: HttpRequest, proposal: Proposal) -> HttpResponse:
    return _add_item(
        request, proposal, forms.RiskForm, "Add a risk", services.risk_add, "Risk added."
    )


@require_POST
@login_required
@_proposal_view
def item_remove(request: HttpRequest, proposal: Proposal, kind: str, item: int) -> HttpResponse:
    models = {
        "success-criteria": (SuccessCriterion, services.success_criterion_remove, "criterion"),
        "stop-criteria": (StopCriterion, services.stop_criterion_remove, "criterion"),
        "risks": (Risk, services.risk_remove, "risk"),
        "partners": (ProposalPartner, services.partner_remove, "partner"),
    }
    if kind not in models:
        raise Http404("Nothing of that kind to remove.")
    model, service, argument = models[kind]
    obj = get_object_or_404(model, pk=item, proposal=proposal)
    return _action(
        request,
        proposal,
        lambda: service(actor=request.user, **{argument: obj}),
        "Removed.",
    )


@login_required
@_proposal_view
def partner_add(request: HttpRequest, proposal: Proposal) -> HttpResponse:
    """Search the registry (GET q) and add a published supplier as a partner (POST)."""
    if not permissions.can_edit(request.user, proposal):
        raise PermissionDenied("Only the proposer or the confirmed sponsor can change a proposal.")
    error = None
    if request.method == "POST":
        supplier = Supplier.objects.filter(
            pk=_int(request.POST.get("supplier")), status=Supplier.Status.PUBLISHED
        ).first()
        if supplier is None:
            error = "Choose a supplier published on the registry."
        else:
            try:
                services.partner_add(actor=request.user, proposal=proposal, supplier=supplier)
            except ValidationError as problem:
                error = " ".join(_messages_of(problem))
            else:
                messages.success(
                    request,
                    f"{supplier.name} added. Its owners have been asked to confirm taking part.",
                )
                return redirect(_detail_url(proposal))
    search = forms.PartnerSearchForm(request.GET or None)
    results, correction, as_typed_url = [], None, ""
    if search.is_valid() and search.cleaned_data["q"].strip():
        found = selectors.partner_search(
            proposal,
            search.cleaned_data["q"].strip(),
            correct=request.GET.get("correct") != "false",
        )
        results = found.page(1).results
        correction = found.correction
        if correction:
            as_typed_url = "?" + urlencode({"q": correction.original, "correct": "false"})
    return render(
        request,
        "innovation_den/partner_add.html",
        {
            "proposal": proposal,
            "search": search,
            "results": results,
            "correction": correction,
            "as_typed_url": as_typed_url,
            "error": error,
        },
        status=400 if error else 200,
    )


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@require_POST
@login_required
@_proposal_view
def partner_answer(request: HttpRequest, proposal: Proposal, partner: int) -> HttpResponse:
    obj = get_object_or_404(ProposalPartner, pk=partner, proposal=proposal)
    confirm = request.POST.get("answer") == "confirm"
    return _action(
        request,
        proposal,
        lambda: services.partner_answer(actor=request.user, partner=obj, confirm=confirm),
        f"You have {'confirmed' if confirm else 'declined'} taking part for {obj.supplier.name}.",
    )


@require_POST
@login_required
@_proposal_view
def sponsor_confirm(request: HttpRequest, proposal: Proposal) -> HttpResponse:
    return _action(
        request,
        proposal,
        lambda: services.sponsorship_confirm(actor=request.user, proposal=proposal),
        "You have confirmed sponsoring this trial.",
    )


@require_POST
@login_required
@_proposal_view
def proposal_submit(request: HttpRequest, proposal: Proposal) -> HttpResponse:
    return _action(
        request,
        proposal,
        lambda: services.proposal_submit(actor=request.user, proposal=proposal),
        "Proposal submitted. A moderator will put it to a review panel.",
    )


@login_required
@_proposal_view
def proposal_start_review(request: HttpRequest, proposal: Proposal) -> HttpResponse:
    if not is_moderator(request.user):
        raise PermissionDenied("Only a moderator can put a proposal into review.")
    return _form_page(
        request,
        form_class=forms.StartReviewForm,
        title="Put into review",
        proposal=proposal,
        on_valid=lambda form: (
            services.proposal_start_review(
                actor=request.user,
                proposal=proposal,
                review_round=form.cleaned_data["review_round"],
            )
            and _detail_url(proposal)
        ),
        success="The proposal is in review. The panel has been asked to score it.",
        intro="The round's panel scores the proposal; members with a conflict of interest "
        "are excused automatically.",
    )


@login_required
@_proposal_view
def review(request: HttpRequest, proposal: Proposal) -> HttpResponse:
    """Score a proposal: blind until you have scored."""
    state = selectors.review_state(request.user, proposal)
    if state["has_scored"]:
        messages.success(request, "You have scored this proposal.")
        return redirect(_detail_url(proposal))
    if not permissions.can_score(request.user, proposal):
        conflict = state.get("conflict")
        raise PermissionDenied(
            f"You cannot review this proposal: {conflict}"
            if conflict
            else "Only members of this round's panel can score a proposal in review."
        )
    return _form_page(
        request,
        form_class=forms.ReviewForm,
        title="Score this proposal",
        proposal=proposal,
        on_valid=lambda form: (
            services.review_submit(actor=request.user, proposal=proposal, scores=form.cleaned_data)
            and _detail_url(proposal)
        ),
        success="Your scores are recorded. You can now see the panel's scores.",
        intro="You will see the other panel members' scores once you have given yours. "
        "Scores cannot be changed once submitted.",
        template="innovation_den/review_form.html",
    )


@login_required
@_proposal_view
def decide(request: HttpRequest, proposal: Proposal) -> HttpResponse:
    if not is_moderator(request.user):
        raise PermissionDenied("Only a moderator can accept or decline a proposal.")
    return _form_page(
        request,
        form_class=forms.DecisionForm,
        title="Decide",
        proposal=proposal,
        on_valid=lambda form: (
            services.proposal_decide(
                actor=request.user,
                proposal=proposal,
                accept=form.cleaned_data["decision"] == "accept",
                reason=form.cleaned_data["reason"],
            )
            and _detail_url(proposal)
        ),
        success="Decision recorded. The proposers have been told, with the reason.",
        extra={"review": selectors.review_state(request.user, proposal)},
        template="innovation_den/decide.html",
    )


@require_POST
@login_required
@_proposal_view
def proposal_start(request: HttpRequest, proposal: Proposal) -> HttpResponse:
    return _action(
        request,
        proposal,
        lambda: services.proposal_start(actor=request.user, proposal=proposal),
        "The trial is running. Its hypothesis, success and stop criteria are now locked.",
    )


@login_required
@_proposal_view
def progress_add(request: HttpRequest, proposal: Proposal) -> HttpResponse:
    if not permissions.can_write_progress(request.user, proposal):
        raise PermissionDenied("Only the trial's team can write progress notes.")
    return _form_page(
        request,
        form_class=forms.ProgressNoteForm,
        title="Add a progress note",
        proposal=proposal,
        on_valid=lambda form: (
            services.progress_note_add(
                actor=request.user, proposal=proposal, body=form.cleaned_data["body"]
            )
            and _detail_url(proposal)
        ),
        success="Progress note added.",
    )


@login_required
@_proposal_view
def evaluate(request: HttpRequest, proposal: Proposal) -> HttpResponse:
    if not permissions.can_run(request.user, proposal):
        raise PermissionDenied("Only a proposer or a moderator can evaluate the trial.")
    return _form_page(
        request,
        form_class=forms.EvaluationForm,
        form_kwargs={"criteria": proposal.success_criteria.all()},
        title="Evaluate the trial",
        proposal=proposal,
        on_valid=lambda form: (
            services.proposal_evaluate(
                actor=request.user,
                proposal=proposal,
                results=form.results(),
                lessons_learned=form.cleaned_data["lessons_learned"],
                next_steps=form.cleaned_data["next_steps"],
            )
            and _detail_url(proposal)
        ),
        success="Evaluation recorded. The lessons are now in the lessons library.",
        intro="Judge the trial against the criteria fixed before it started. What was learned "
        "is published whether or not it worked.",
    )


@login_required
@_proposal_view
def graduate(request: HttpRequest, proposal: Proposal) -> HttpResponse:
    if not permissions.can_run(request.user, proposal):
        raise PermissionDenied("Only a proposer or a moderator can graduate the trial.")
    return _form_page(
        request,
        form_class=forms.GraduateForm,
        title="Graduate the trial",
        proposal=proposal,
        on_valid=lambda form: (
            services.proposal_graduate(
                actor=request.user,
                proposal=proposal,
                engagement_request=form.cleaned_data["engagement_request"],
                contract=form.cleaned_data["contract_ocid"],
                graduation_url=form.cleaned_data["graduation_url"],
                graduation_note=form.cleaned_data["graduation_note"],
            )
            and _detail_url(proposal)
        ),
        success="The trial has graduated.",
        intro="A graduated trial is taken forward: link it to the engagement request or "
        "contract that followed (or, if it is not on Techmap, give its web address).",
    )


@login_required
@_proposal_view
def close(request: HttpRequest, proposal: Proposal) -> HttpResponse:
    if not permissions.can_run(request.user, proposal):
        raise PermissionDenied("Only a proposer or a moderator can close the trial.")
    return _form_page(
        request,
        form_class=forms.CloseForm,
        title="Close the trial",
        proposal=proposal,
        on_valid=lambda form: (
            services.proposal_close(
                actor=request.user, proposal=proposal, reason=form.cleaned_data["reason"]
            )
            and _detail_url(proposal)
        ),
        success="The trial is closed. Its lessons stay in the library.",
    )


# --- Review rounds (moderators) ---------------------------------------------------------------


def _moderator_only(request: HttpRequest) -> None:
    if not is_moderator(request.user):
        raise PermissionDenied("Only moderators manage review rounds.")


@login_required
def rounds(request: HttpRequest) -> HttpResponse:
    _moderator_only(request)
    round_list = ReviewRound.objects.annotate(
        member_count=Count("members", distinct=True),
        proposal_count=Count("proposals", distinct=True),
    ).order_by("closed_at", "-opened_at")
    return _form_page(
        request,
        form_class=forms.ReviewRoundForm,
        title="Review rounds",
        on_valid=lambda form: reverse(
            "innovation_den:round",
            args=[services.review_round_open(actor=request.user, **form.cleaned_data).pk],
        ),
        success="Round opened. Add civil servants to its panel.",
        template="innovation_den/rounds.html",
        extra={"rounds": round_list},
    )


@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _moderator_only(request)
    review_round = get_object_or_404(ReviewRound, pk=pk)
    members = list(review_round.members.select_related("reviewer"))
    proposals = list(review_round.proposals.select_related("public_body").order_by("pk"))
    scored = set(
        Review.objects.filter(review_round=review_round).values_list("reviewer_id", flat=True)
    )
    return _form_page(
        request,
        form_class=forms.PanelMemberForm,
        title=str(review_round),
        on_valid=lambda form: (
            services.panel_member_add(
                actor=request.user, review_round=review_round, **form.cleaned_data
            )
            and reverse("innovation_den:round", args=[review_round.pk])
        ),
        success="Added to the panel.",
        template="innovation_den/round_detail.html",
        back=reverse("innovation_den:rounds"),
        extra={
            "review_round": review_round,
            "members": [(m, m.reviewer_id in scored) for m in members],
            "round_proposals": proposals,
        },
    )


@require_POST
@login_required
def round_member_remove(request: HttpRequest, pk: int, member: int) -> HttpResponse:
    _moderator_only(request)
    obj = get_object_or_404(PanelMember, pk=member, review_round_id=pk)
    try:
        services.panel_member_remove(actor=request.user, member=obj)
    except ValidationError as error:
        messages.error(request, " ".join(_messages_of(error)))
    else:
        messages.success(request, f"{obj.reviewer} removed from the panel.")
    return redirect("innovation_den:round", pk=pk)


@require_POST
@login_required
def round_close(request: HttpRequest, pk: int) -> HttpResponse:
    _moderator_only(request)
    review_round = get_object_or_404(ReviewRound, pk=pk)
    try:
        services.review_round_close(actor=request.user, review_round=review_round)
    except ValidationError as error:
        messages.error(request, " ".join(_messages_of(error)))
    else:
        messages.success(request, "Round closed.")
    return redirect("innovation_den:round", pk=pk)
