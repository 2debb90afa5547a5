"""Supplier self-registration, the manage page, and invitations.

Thin views: forms shape input, every write is a ``suppliers.services`` call that
checks permission; a DomainError becomes a message beside the field.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from core.forms import apply_domain_error
from suppliers import permissions, selectors, services
from suppliers.forms_registration import (
    STEPS,
    CaseStudyForm,
    CompaniesHouseNumberForm,
    InviteForm,
    build_step_form,
)
from suppliers.models import (
    ModerationDecision,
    Supplier,
    SupplierClaim,
    SupplierInvitation,
    SupplierMembership,
    SupplierRevision,
)
from suppliers.selectors.revisions import (
    FIELD_LABELS,
    display_value,
    effective_values,
    open_revision,
    revision_rows,
)


def _editable_supplier(request: HttpRequest, slug: str) -> Supplier:
    supplier = get_object_or_404(Supplier, slug=slug)
    if not permissions.can_edit_supplier(request.user, supplier):
        raise Http404("No such supplier")
    return supplier


# --- Manage page ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def manage(request: HttpRequest, slug: str) -> HttpResponse:
    """``/suppliers/<slug>/manage/``: status, live vs pending, people, decisions."""
    supplier = _editable_supplier(request, slug)
    revision = open_revision(supplier)
    can_manage = permissions.can_manage_members(request.user, supplier)
    context = {
        "supplier": supplier,
        "revision": revision,
        "changes": revision_rows(revision) if revision else [],
        "memberships": supplier.memberships.select_related("user").order_by("role", "pk"),
        "invitations": (
            supplier.invitations.filter(accepted_at=None, revoked_at=None) if can_manage else []
        ),
        "decisions": (
            ModerationDecision.objects.filter(supplier=supplier).select_related("moderator")
            if permissions.can_view_moderation(request.user, supplier)
            else None
        ),
        "can_manage": can_manage,
        "is_live": supplier.status in permissions.LIVE_STATUSES,
    }
    return render(request, "suppliers/manage/manage.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest, slug: str) -> HttpResponse:
    """``/suppliers/<slug>/manage/invite/``: an owner invites a colleague by email."""
    supplier = _editable_supplier(request, slug)
    if not permissions.can_manage_members(request.user, supplier):
        raise PermissionDenied("Only owners can invite people.")
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _token = services.invitation_create(
                actor=request.user,
                supplier=supplier,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except DomainError as error:
            apply_domain_error(form, error, default_field="email")
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("suppliers:manage", slug=supplier.slug)
    return render(request, "suppliers/manage/invite.html", {"supplier": supplier, "form": form})


@login_required
@require_POST
def member_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    supplier = _editable_supplier(request, slug)
    membership = get_object_or_404(SupplierMembership, pk=pk, supplier=supplier)
    try:
        if membership.user_id == request.user.pk:
            services.supplier_leave(actor=request.user, supplier=supplier)
            messages.success(request, f"You have left {supplier.name}.")
            return redirect("home")
        services.supplier_member_remove(actor=request.user, membership=membership)
    except DomainError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{membership.user.email} removed.")
    return redirect("suppliers:manage", slug=supplier.slug)


@login_required
@require_POST
def member_role(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """An owner makes someone an owner or a member (the last owner stays an owner)."""
    supplier = _editable_supplier(request, slug)
    membership = get_object_or_404(SupplierMembership, pk=pk, supplier=supplier)
    role = request.POST.get("role", "")
    try:
        services.supplier_member_add(
            actor=request.user, supplier=supplier, user=membership.user, role=role
        )
    except DomainError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{membership.user.email} is now a {role}.")
    return redirect("suppliers:manage", slug=supplier.slug)


@login_required
@require_POST
def changes_resubmit(request: HttpRequest, slug: str) -> HttpResponse:
    """Send the changes a moderator returned, as fixed, for review again."""
    supplier = _editable_supplier(request, slug)
    try:
        revision = services.supplier_revision_resubmit(actor=request.user, supplier=supplier)
    except DomainError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            "Your changes are sent for review again."
            if revision
            else "Your changes now match the live profile, so there is nothing to review.",
        )
    return redirect("suppliers:manage", slug=supplier.slug)


@login_required
@require_POST
def changes_discard(request: HttpRequest, slug: str) -> HttpResponse:
    """Drop the changes a moderator returned; the live profile stays as it is."""
    supplier = _editable_supplier(request, slug)
    try:
        services.supplier_revision_discard(actor=request.user, supplier=supplier)
    except DomainError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Your changes are discarded. The live profile is unchanged.")
    return redirect("suppliers:manage", slug=supplier.slug)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    supplier = _editable_supplier(request, slug)
    invitation = get_object_or_404(SupplierInvitation, pk=pk, supplier=supplier)
    services.invitation_revoke(actor=request.user, invitation=invitation)
    messages.success(request, f"Invitation for {invitation.email} withdrawn.")
    return redirect("suppliers:manage", slug=supplier.slug)


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """``/suppliers/invitations/<token>/``: see the invitation; accept it when signed in."""
    invitation = services.invitation_for_token(token)
    error = None
    if request.method == "POST":
        if not request.user.is_authenticated:
            raise PermissionDenied("Sign in to accept the invitation.")
        try:
            membership = services.invitation_accept(actor=request.user, token=token)
        except DomainError as exc:
            error = " ".join(exc.messages)
        except PermissionDenied as exc:
            error = str(exc)
        else:
            messages.success(request, f"You have joined {membership.supplier.name}.")
            return redirect("suppliers:manage", slug=membership.supplier.slug)
    status = 200
    if invitation is None or not invitation.is_open:
        status = 404 if invitation is None else 410
    return render(
        request,
        "suppliers/manage/accept.html",
        {
            "invitation": invitation if invitation and invitation.is_open else None,
            "error": error,
            "email_matches": bool(
                invitation and permissions.can_accept_invitation(request.user, invitation)
            ),
        },
        status=status,
    )


@login_required
@require_POST
def invitation_answer(request: HttpRequest, pk: int, answer: str) -> HttpResponse:
    """Accept or decline, from ``/home/``, an invitation to the user's verified address."""
    invitation = get_object_or_404(SupplierInvitation.objects.select_related("supplier"), pk=pk)
    name = invitation.supplier.name
    try:
        if answer == "accept":
            membership = services.invitation_accept_signed_in(
                actor=request.user, invitation=invitation
            )
        else:
            services.invitation_decline(actor=request.user, invitation=invitation)
    except DomainError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("user_home")
    if answer == "accept":
        messages.success(request, f"You have joined {name}.")
        return redirect("suppliers:manage", slug=membership.supplier.slug)
    messages.success(request, f"You have declined the invitation to join {name}.")
    return redirect("user_home")


# --- Registration: question pages --------------------------------------------------

SESSION_NUMBER = "supplier_registration_number"
STEP_ORDER = [
    "companies-house-number",
    "name",
    "website",
    "summary",
    "description",
    "size",
    "employees",
    "year-founded",
    "hq-region",
    "regions",
    "capabilities",
    "certifications",
    "frameworks",
    "contact",
]
STEP_FIELDS = {
    "companies-house-number": ["companies_house_number"],
    "name": ["name"],
    "website": ["website"],
    "summary": ["summary"],
    "description": ["description"],
    "size": ["size"],
    "employees": ["employees"],
    "year-founded": ["year_founded"],
    "hq-region": ["hq_region"],
    "regions": ["regions"],
    "capabilities": ["capabilities"],
    "certifications": ["certifications"],
    "frameworks": ["frameworks"],
    "contact": ["contact_name", "contact_email", "contact_phone"],
}
# Optional questions count as done once the page has been saved (even if left empty).
OPTIONAL_STEPS = {
    "website",
    "description",
    "employees",
    "year-founded",
    "certifications",
    "frameworks",
}


def _require_registrant(request: HttpRequest) -> None:
    if not permissions.can_register_supplier(request.user):
        raise PermissionDenied(
            "Registering an organisation needs a supplier account (not a civil servant's "
            "or moderator's)."
        )


def _saved_steps(request: HttpRequest, supplier: Supplier) -> set[str]:
    return set(request.session.get(f"register_saved_{supplier.pk}", []))


def _mark_saved(request: HttpRequest, supplier: Supplier, step: str) -> None:
    key = f"register_saved_{supplier.pk}"
    request.session[key] = sorted({*request.session.get(key, []), step})


def _step_done(step: str, values: dict, saved: set[str]) -> bool:
    if step in OPTIONAL_STEPS:
        return step in saved or any(values.get(f) not in (None, "", []) for f in STEP_FIELDS[step])
    if step == "contact":
        return bool(values.get("contact_email"))
    return all(values.get(f) not in (None, "", []) for f in STEP_FIELDS[step])


@login_required
@require_http_methods(["GET"])
def register_start(request: HttpRequest) -> HttpResponse:
    """``/suppliers/register/``: what you need, and your unfinished registrations."""
    _require_registrant(request)
    drafts = Supplier.objects.filter(
        memberships__user=request.user,
        status__in=(Supplier.Status.DRAFT, Supplier.Status.REJECTED),
    ).order_by("name")
    return render(request, "suppliers/register/start.html", {"drafts": drafts})


@login_required
@require_http_methods(["GET", "POST"])
def register_number(request: HttpRequest) -> HttpResponse:
    """The first question: the Companies House number (refused if already on Techmap)."""
    _require_registrant(request)
    form = CompaniesHouseNumberForm(
        request.POST if request.method == "POST" else None,
        initial={"companies_house_number": request.session.get(SESSION_NUMBER, "")},
    )
    join_help = None
    if request.method == "POST" and form.is_valid():
        number = form.cleaned_data["companies_house_number"]
        existing = Supplier.objects.filter(companies_house_number=number).first()
        if existing is not None:
            # Named only when it is published (services.number_taken_message).
            form.add_error(
                "companies_house_number", services.number_taken_message(existing, number)
            )
            join_help = existing
        else:
            request.session[SESSION_NUMBER] = number
            return redirect("suppliers:register_name")
    return render(
        request,
        "suppliers/register/question.html",
        {
            "form": form,
            "title": "Companies House number",
            "join_help": join_help,
            "back_url": reverse("suppliers:register_start"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def register_name(request: HttpRequest) -> HttpResponse:
    """The second question: the name. Saving it creates the draft (you own it)."""
    _require_registrant(request)
    number = request.session.get(SESSION_NUMBER)
    if not number:
        return redirect("suppliers:register_number")
    form = build_step_form("name", request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            supplier = services.supplier_register(
                actor=request.user, companies_house_number=number, name=form.cleaned_data["name"]
            )
        except DomainError as error:
            apply_domain_error(form, error, default_field="name")
        else:
            del request.session[SESSION_NUMBER]
            return redirect("suppliers:register_step", slug=supplier.slug, step=STEP_ORDER[2])
    return render(
        request,
        "suppliers/register/question.html",
        {
            "form": form,
            "title": "Organisation name",
            "back_url": reverse("suppliers:register_number"),
        },
    )


@login_required
@require_http_methods(["GET"])
def register_tasks(request: HttpRequest, slug: str) -> HttpResponse:
    """The task list: each question done or not, case studies, then check and submit."""
    supplier = _editable_supplier(request, slug)
    values, revision = effective_values(supplier, actor=request.user)
    saved = _saved_steps(request, supplier)
    tasks = [
        {
            "step": step,
            "title": STEPS[step]["title"],
            "done": _step_done(step, values, saved),
            "url": reverse("suppliers:register_step", args=[supplier.slug, step]),
        }
        for step in STEP_ORDER
    ]
    context = {
        "supplier": supplier,
        "tasks": tasks,
        "done_count": sum(t["done"] for t in tasks),
        "case_study_count": len(values["case_studies"]),
        "revision": revision,
        "is_live": supplier.status in permissions.LIVE_STATUSES,
    }
    return render(request, "suppliers/register/tasks.html", context)


def _next_url(request: HttpRequest, supplier: Supplier, step: str) -> str:
    if request.GET.get("next") == "check":
        return reverse("suppliers:register_check", args=[supplier.slug])
    index = STEP_ORDER.index(step)
    if index + 1 < len(STEP_ORDER):
        return reverse("suppliers:register_step", args=[supplier.slug, STEP_ORDER[index + 1]])
    return reverse("suppliers:register_case_studies", args=[supplier.slug])


@login_required
@require_http_methods(["GET", "POST"])
def register_step(request: HttpRequest, slug: str, step: str) -> HttpResponse:
    """One question page. Saving writes to the draft, or to the pending revision if live."""
    supplier = _editable_supplier(request, slug)
    if step not in STEP_FIELDS:
        raise Http404("No such question")
    values, _revision = effective_values(supplier, actor=request.user)
    initial = {f: values.get(f) for f in STEP_FIELDS[step]}
    form = build_step_form(step, request.POST if request.method == "POST" else None, initial)
    if request.method == "POST" and form.is_valid():
        changes = dict(form.cleaned_data)
        for key in ("employees", "year_founded"):
            if key in changes and changes[key] == "":
                changes[key] = None
        try:
            result = services.supplier_profile_update(
                actor=request.user, supplier=supplier, **changes
            )
        except DomainError as error:
            apply_domain_error(form, error, default_field=STEP_FIELDS[step][0])
        else:
            _mark_saved(request, supplier, step)
            if isinstance(result, SupplierRevision):
                messages.info(request, _held_text(result, "Your change is saved"))
            return redirect(_next_url(request, supplier, step))
    context = {
        "supplier": supplier,
        "form": form,
        "step": step,
        "title": STEPS[step]["title"],
        "heading": STEPS[step]["heading"],
        "back_url": reverse("suppliers:register_tasks", args=[supplier.slug]),
    }
    if step == "capabilities":
        chosen = set(form["capabilities"].value() or [])
        groups: dict = {}
        for capability in form.fields["capabilities"].queryset:
            groups.setdefault(capability.group, []).append(
                {"capability": capability, "checked": capability.code in chosen}
            )
        context["capability_groups"] = list(groups.items())
        return render(request, "suppliers/register/capabilities.html", context)
    return render(request, "suppliers/register/question.html", context)


def _held_text(revision: SupplierRevision, saved: str) -> str:
    if revision.status == SupplierRevision.Status.DRAFT:
        return (
            f"{saved} with the changes a moderator did not approve. Send them for review "
            "again when they are ready."
        )
    return (
        f"{saved} and waiting for a moderator. The live profile is unchanged until it is approved."
    )


def _held_message(request: HttpRequest, result) -> None:
    if isinstance(result, SupplierRevision):
        messages.info(request, _held_text(result, "Your change to the case studies is saved"))


@login_required
@require_http_methods(["GET"])
def register_case_studies(request: HttpRequest, slug: str) -> HttpResponse:
    supplier = _editable_supplier(request, slug)
    return render(
        request,
        "suppliers/register/case_studies.html",
        {
            "supplier": supplier,
            "items": services.supplier_case_studies(supplier, actor=request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_study_edit(request: HttpRequest, slug: str, index: int | None = None) -> HttpResponse:
    """Add (``index`` None) or change one case study."""
    supplier = _editable_supplier(request, slug)
    items = services.supplier_case_studies(supplier, actor=request.user)
    if index is not None and not 0 <= index < len(items):
        raise Http404("No such case study")
    current = items[index] if index is not None else None
    initial = {k: v for k, v in (current or {}).items() if k != "id"}
    form = CaseStudyForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = {f: form.cleaned_data[f] for f in services.CASE_STUDY_FIELDS}
        try:
            if index is None:
                result = services.supplier_case_study_add(
                    actor=request.user, supplier=supplier, **values
                )
            else:
                result = services.supplier_case_study_change(
                    actor=request.user, supplier=supplier, index=index, **values
                )
        except DomainError as error:
            apply_domain_error(form, error, default_field="title")
        else:
            _held_message(request, result)
            return redirect("suppliers:register_case_studies", slug=supplier.slug)
    return render(
        request,
        "suppliers/register/case_study.html",
        {"supplier": supplier, "form": form, "adding": index is None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_study_remove(request: HttpRequest, slug: str, index: int) -> HttpResponse:
    supplier = _editable_supplier(request, slug)
    items = services.supplier_case_studies(supplier, actor=request.user)
    if not 0 <= index < len(items):
        raise Http404("No such case study")
    if request.method == "POST":
        result = services.supplier_case_study_remove(
            actor=request.user, supplier=supplier, index=index
        )
        _held_message(request, result)
        return redirect("suppliers:register_case_studies", slug=supplier.slug)
    return render(
        request,
        "suppliers/register/case_study_remove.html",
        {"supplier": supplier, "item": items[index]},
    )


@login_required
@require_http_methods(["GET", "POST"])
def register_check(request: HttpRequest, slug: str) -> HttpResponse:
    """Check your answers, then submit for review."""
    supplier = _editable_supplier(request, slug)
    values, revision = effective_values(supplier, actor=request.user)
    errors = {}
    if request.method == "POST":
        try:
            services.supplier_submit(actor=request.user, supplier=supplier)
        except DomainError as error:
            errors = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
        else:
            return redirect("suppliers:register_submitted", slug=supplier.slug)
    rows = []
    for step in STEP_ORDER:
        for field in STEP_FIELDS[step]:
            rows.append(
                {
                    "field": field,
                    "label": FIELD_LABELS[field],
                    "value": display_value(field, values.get(field)),
                    "url": reverse("suppliers:register_step", args=[supplier.slug, step])
                    + "?next=check",
                    "error": " ".join(errors.get(field, [])),
                    "step": step,
                }
            )
    context = {
        "supplier": supplier,
        "rows": rows,
        "case_studies": values["case_studies"],
        "errors": errors,
        "revision": revision,
        "can_submit": supplier.status in (Supplier.Status.DRAFT, Supplier.Status.REJECTED),
    }
    return render(request, "suppliers/register/check.html", context, status=400 if errors else 200)


@login_required
@require_http_methods(["GET"])
def register_submitted(request: HttpRequest, slug: str) -> HttpResponse:
    supplier = _editable_supplier(request, slug)
    return render(request, "suppliers/register/submitted.html", {"supplier": supplier})


# --- Claiming a supplier from public records ------------------------------------------
#
# The registration journey's first two questions, pre-filled from the public record, then
# check your answers; the claim then waits for a moderator (suppliers.services.claims).


def _claimable(slug: str) -> Supplier:
    """A published supplier from public records (anything else cannot be claimed: 404)."""
    return get_object_or_404(
        Supplier, slug=slug, status=Supplier.Status.PUBLISHED, from_public_records=True
    )


def _require_claimant(request: HttpRequest, supplier: Supplier) -> None:
    if not permissions.can_claim_supplier(request.user, supplier):
        raise PermissionDenied(
            "Claiming an organisation needs a supplier account (not a civil servant's or "
            "moderator's)."
        )


def _claim_answers(request: HttpRequest, supplier: Supplier) -> dict:
    """The answers so far, else what the public record says."""
    saved = request.session.get(f"supplier_claim_{supplier.pk}", {})
    return {
        "companies_house_number": saved.get(
            "companies_house_number", supplier.companies_house_number or ""
        ),
        "name": saved.get("name", supplier.name),
    }


def _save_claim_answer(request: HttpRequest, supplier: Supplier, **answers: str) -> None:
    key = f"supplier_claim_{supplier.pk}"
    request.session[key] = {**request.session.get(key, {}), **answers}


def _claim_next(request: HttpRequest, supplier: Supplier, default: str) -> HttpResponse:
    if request.GET.get("next") == "check":
        return redirect("suppliers:claim_check", slug=supplier.slug)
    return redirect(default, slug=supplier.slug)


@require_http_methods(["GET"])
def claim_start(request: HttpRequest, slug: str) -> HttpResponse:
    """``/suppliers/<slug>/claim/``: what claiming means; open to all (start asks to sign in)."""
    supplier = _claimable(slug)
    signed_in = request.user.is_authenticated
    context = {
        "supplier": supplier,
        "can_claim": not signed_in or permissions.can_claim_supplier(request.user, supplier),
        "your_claim": selectors.pending_claim(supplier, request.user),
    }
    return render(request, "suppliers/claim/start.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def claim_number(request: HttpRequest, slug: str) -> HttpResponse:
    """The Companies House number, pre-filled from the public record."""
    supplier = _claimable(slug)
    _require_claimant(request, supplier)
    answers = _claim_answers(request, supplier)
    form = CompaniesHouseNumberForm(
        request.POST if request.method == "POST" else None,
        initial={"companies_house_number": answers["companies_house_number"]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            number = services.supplier_claim_check_number(
                supplier=supplier,
                companies_house_number=form.cleaned_data["companies_house_number"],
            )
        except DomainError as error:
            apply_domain_error(form, error, default_field="companies_house_number")
        else:
            _save_claim_answer(request, supplier, companies_house_number=number)
            return _claim_next(request, supplier, "suppliers:claim_name")
    return render(
        request,
        "suppliers/register/question.html",
        {
            "supplier": supplier,
            "form": form,
            "title": "Companies House number",
            "back_url": reverse("suppliers:claim_start", args=[supplier.slug]),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def claim_name(request: HttpRequest, slug: str) -> HttpResponse:
    """The organisation's name, pre-filled from the public record (correct its capitals)."""
    supplier = _claimable(slug)
    _require_claimant(request, supplier)
    answers = _claim_answers(request, supplier)
    form = build_step_form(
        "name", request.POST if request.method == "POST" else None, {"name": answers["name"]}
    )
    if request.method == "POST" and form.is_valid():
        _save_claim_answer(request, supplier, name=form.cleaned_data["name"])
        return redirect("suppliers:claim_check", slug=supplier.slug)
    return render(
        request,
        "suppliers/register/question.html",
        {
            "supplier": supplier,
            "form": form,
            "title": "Organisation name",
            "back_url": reverse("suppliers:claim_number", args=[supplier.slug]),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def claim_check(request: HttpRequest, slug: str) -> HttpResponse:
    """Check your answers, then send the claim to a moderator."""
    supplier = _claimable(slug)
    _require_claimant(request, supplier)
    answers = _claim_answers(request, supplier)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            services.supplier_claim_submit(actor=request.user, supplier=supplier, **answers)
        except DomainError as error:
            errors = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
        else:
            request.session.pop(f"supplier_claim_{supplier.pk}", None)
            return redirect("suppliers:claim_submitted", slug=supplier.slug)
    change = "?next=check"
    rows = [
        {
            "field": "companies_house_number",
            "label": "Companies House number",
            "value": answers["companies_house_number"],
            "url": reverse("suppliers:claim_number", args=[supplier.slug]) + change,
            "error": " ".join(errors.get("companies_house_number", [])),
        },
        {
            "field": "name",
            "label": "Organisation name",
            "value": answers["name"],
            "url": reverse("suppliers:claim_name", args=[supplier.slug]) + change,
            "error": " ".join(errors.get("name", [])),
        },
    ]
    return render(
        request,
        "suppliers/claim/check.html",
        {"supplier": supplier, "rows": rows, "errors": errors},
        status=400 if errors else 200,
    )


@login_required
@require_http_methods(["GET"])
def claim_submitted(request: HttpRequest, slug: str) -> HttpResponse:
    """The claimant's confirmation (a moderator may have decided already)."""
    supplier = get_object_or_404(Supplier, slug=slug)
    claim = (
        SupplierClaim.objects.filter(supplier=supplier, claimant_id=request.user.pk)
        .order_by("-submitted_at", "-pk")
        .first()
    )
    if claim is None or not permissions.can_view_claim(request.user, claim):
        raise Http404("No such claim")
    return render(request, "suppliers/claim/submitted.html", {"supplier": supplier, "claim": claim})


urlpatterns = [
    path("suppliers/register/", register_start, name="register_start"),
    path(
        "suppliers/register/companies-house-number/",
        register_number,
        name="register_number",
    ),
    path("suppliers/register/name/", register_name, name="register_name"),
    path("suppliers/<slug:slug>/register/", register_tasks, name="register_tasks"),
    path("suppliers/<slug:slug>/register/check/", register_check, name="register_check"),
    path(
        "suppliers/<slug:slug>/register/submitted/",
        register_submitted,
        name="register_submitted",
    ),
    path(
        "suppliers/<slug:slug>/register/case-studies/",
        register_case_studies,
        name="register_case_studies",
    ),
    path(
        "suppliers/<slug:slug>/register/case-studies/add/",
        case_study_edit,
        name="register_case_study_add",
    ),
    path(
        "suppliers/<slug:slug>/register/case-studies/<int:index>/change/",
        case_study_edit,
        name="register_case_study_change",
    ),
    path(
        "suppliers/<slug:slug>/register/case-studies/<int:index>/remove/",
        case_study_remove,
        name="register_case_study_remove",
    ),
    path("suppliers/<slug:slug>/register/<slug:step>/", register_step, name="register_step"),
    path("suppliers/<slug:slug>/claim/", claim_start, name="claim_start"),
    path("suppliers/<slug:slug>/claim/companies-house-number/", claim_number, name="claim_number"),
    path("suppliers/<slug:slug>/claim/name/", claim_name, name="claim_name"),
    path("suppliers/<slug:slug>/claim/check/", claim_check, name="claim_check"),
    path("suppliers/<slug:slug>/claim/submitted/", claim_submitted, name="claim_submitted"),
    path("suppliers/invitations/<str:token>/", invitation_accept, name="invitation_accept"),
    path(
        "suppliers/invitations/<int:pk>/accept/",
        invitation_answer,
        {"answer": "accept"},
        name="invitation_accept_signed_in",
    ),
    path(
        "suppliers/invitations/<int:pk>/decline/",
        invitation_answer,
        {"answer": "decline"},
        name="invitation_decline",
    ),
    path("suppliers/<slug:slug>/manage/", manage, name="manage"),
    path("suppliers/<slug:slug>/manage/invite/", invite, name="invite"),
    path(
        "suppliers/<slug:slug>/manage/changes/resubmit/",
        changes_resubmit,
        name="changes_resubmit",
    ),
    path(
        "suppliers/<slug:slug>/manage/changes/discard/",
        changes_discard,
        name="changes_discard",
    ),
    path(
        "suppliers/<slug:slug>/manage/people/<int:pk>/remove/",
        member_remove,
        name="member_remove",
    ),
    path(
        "suppliers/<slug:slug>/manage/people/<int:pk>/role/",
        member_role,
        name="member_role",
    ),
    path(
        "suppliers/<slug:slug>/manage/invitations/<int:pk>/revoke/",
        invitation_revoke,
        name="invitation_revoke",
    ),
]
