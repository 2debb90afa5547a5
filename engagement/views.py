"""Early engagement pages. Thin: parse, authorise, call a service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.models import PublicBody, User
from core.forms import apply_domain_error
from core.templatetags.govuk_time import format_govuk_datetime, format_govuk_time
from engagement import exports, forms, permissions, selectors, services
from engagement.matching import __doc__ as MATCHING_FORMULA
from engagement.models import (
    AlertPreference,
    ClarificationQuestion,
    EngagementRequest,
    SupplierResponse,
)
from suppliers.filters import query_string

PAGE_SIZE = 20


def _deny(request: HttpRequest) -> HttpResponse:
    """Anonymous visitors are sent to sign in; signed-in people without the right get a 403."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    raise PermissionDenied


def _data(request: HttpRequest):
    """The POST data to bind a form to (an empty POST still binds: "no regions" is an answer)."""
    return request.POST if request.method == "POST" else None


def _get_request(request: HttpRequest, pk) -> EngagementRequest:
    return selectors.request_get(user=request.user, pk=pk)


def _csv_response(content: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- Lists ------------------------------------------------------------------------


@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    """/engagement/: public list with filters and full-text search."""
    filterset = selectors.request_list(user=request.user, data=request.GET)
    # Invalid values are dropped from the filtering and explained above the list.
    filter_errors = [
        f"{filterset.form.fields[name].label}: {message}"
        for name, errors in filterset.form.errors.items()
        if name in filterset.form.fields
        for message in errors
    ]
    paginator = Paginator(filterset.qs, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    # The search's engine (core.search): "why it matched" for the page, the correction.
    found = filterset.text_search
    requests = list(page.object_list)
    found.explain(requests)
    # Engagement published elsewhere, listed beside ours with its own pages.
    notices = Paginator(selectors.external_notices(filterset), PAGE_SIZE).get_page(
        request.GET.get("notices_page")
    )
    return render(
        request,
        "engagement/list.html",
        {
            "filterset": filterset,
            "form": filterset.form,
            "page_obj": page,
            "requests": requests,
            "search": found,
            "correction": found.correction,
            "as_typed_url": "?" + query_string(request.GET, correct="false")
            if found.correction
            else "",
            "facets": selectors.request_facets(filterset),
            "notices_page": notices,
            "notices": notices.object_list,
            "now": timezone.now(),
            "filter_errors": filter_errors,
            "can_create": permissions.can_create_request(request.user),
        },
    )


@require_GET
def request_yours(request: HttpRequest) -> HttpResponse:
    """The civil servant's own requests, drafts included."""
    if not permissions.can_create_request(request.user):
        return _deny(request)
    return render(
        request,
        "engagement/yours.html",
        {"requests": selectors.requests_owned_by(request.user)},
    )


# --- Writing a request ------------------------------------------------------------------


def _next_step_url(engagement_request: EngagementRequest, user, after: str) -> str:
    slugs = [step.slug for step in forms.STEPS]
    for step in forms.STEPS[slugs.index(after) + 1 :]:
        if step.applies(engagement_request, user):
            return reverse("engagement:step", args=[engagement_request.pk, step.slug])
    return reverse("engagement:check", args=[engagement_request.pk])


def _previous_step_url(engagement_request: EngagementRequest, user, before: str) -> str:
    slugs = [step.slug for step in forms.STEPS]
    for step in reversed(forms.STEPS[: slugs.index(before)]):
        if step.applies(engagement_request, user):
            return reverse("engagement:step", args=[engagement_request.pk, step.slug])
    return reverse("engagement:yours")


def request_new(request: HttpRequest) -> HttpResponse:
    """The first question: a title starts the draft."""
    if not permissions.can_create_request(request.user):
        return _deny(request)
    form = forms.TitleForm(_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            engagement_request = services.engagement_request_create(
                actor=request.user,
                title=form.cleaned_data["title"],
                public_body=None if request.user.public_body_id else _fallback_body(),
            )
        except ValidationError as error:
            apply_domain_error(form, error)
        else:
            return redirect(_next_step_url(engagement_request, request.user, "title"))
    return render(
        request,
        "engagement/question.html",
        {
            "form": form,
            "step": forms.STEPS_BY_SLUG["title"],
            "back_url": reverse("engagement:list"),
        },
    )


def _fallback_body():
    """A civil servant with no public body yet picks one on the next page; start with the first."""
    return PublicBody.objects.order_by("name").first()


def request_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """One question page of a draft. Saving keeps the draft; "check" comes after the last."""
    engagement_request = _get_request(request, pk)
    if not permissions.can_edit_draft(request.user, engagement_request):
        if engagement_request.is_draft or not request.user.is_authenticated:
            return _deny(request)
        if permissions.can_manage_request(request.user, engagement_request):
            messages.info(
                request, "A published request is corrected from its page: Correct the wording."
            )
            return redirect("engagement:detail", pk=engagement_request.pk)
        return _deny(request)
    step_def = forms.STEPS_BY_SLUG.get(step)
    if step_def is None:
        raise Http404("No such question")
    returning = request.GET.get("from") == "check"
    form = step_def.form(
        _data(request),
        instance=engagement_request,
        initial=forms.step_initial(step_def, engagement_request),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.engagement_request_update_draft(
                actor=request.user, engagement_request=engagement_request, **form.changes()
            )
        except ValidationError as error:
            apply_domain_error(form, error)
        else:
            if returning and not (
                step == "take-part"
                and forms.STEPS_BY_SLUG["session"].applies(engagement_request, request.user)
            ):
                return redirect("engagement:check", pk=engagement_request.pk)
            return redirect(_next_step_url(engagement_request, request.user, step))
    back_url = (
        reverse("engagement:check", args=[engagement_request.pk])
        if returning
        else _previous_step_url(engagement_request, request.user, step)
    )
    return render(
        request,
        "engagement/question.html",
        {
            "form": form,
            "step": step_def,
            "engagement_request": engagement_request,
            "back_url": back_url,
        },
    )


def _check_rows(engagement_request: EngagementRequest, user) -> list[dict]:
    er = engagement_request
    session_bits = []
    if er.session_date:
        session_bits.append(er.session_date.strftime("%-d %B %Y"))
    if er.session_start:
        times = format_govuk_time(er.session_start)
        if er.session_end:
            times += f" to {format_govuk_time(er.session_end)}"
        session_bits.append(times)
    if er.session_place:
        session_bits.append(er.session_place)
    if er.session_link_note:
        session_bits.append(er.session_link_note)
    budget = ""
    if er.budget_min is not None or er.budget_max is not None:
        low = f"£{er.budget_min:,.0f}" if er.budget_min is not None else "not given"
        high = f"£{er.budget_max:,.0f}" if er.budget_max is not None else "not given"
        budget = f"{low} to {high}"
    values = {
        "title": er.title,
        "public-body": er.public_body.name,
        "policy-area": er.policy_area,
        "problem": er.problem,
        "help": er.get_help_kind_display() if er.help_kind else "",
        "capabilities": ", ".join(c.name for c in er.capabilities.all()),
        "regions": ", ".join(r.name for r in er.regions.all()) or "Anywhere in the UK",
        "take-part": ", ".join(er.get_formats_display()),
        "session": ", ".join(session_bits),
        "deadline": format_govuk_datetime(er.response_deadline),
        "budget": budget or "Not given",
        "timing": er.procurement_timing or "Not given",
    }
    rows = []
    for step in forms.STEPS:
        if step.slug == "public-body":
            # Shown always; changeable only by someone without a body of their own.
            rows.append(
                {
                    "key": step.title,
                    "value": values[step.slug],
                    "url": reverse("engagement:step", args=[er.pk, step.slug]) + "?from=check"
                    if step.applies(er, user)
                    else None,
                    "slug": step.slug,
                }
            )
            continue
        if not step.applies(er, user):
            continue
        rows.append(
            {
                "key": step.title,
                "value": values[step.slug],
                "url": reverse("engagement:step", args=[er.pk, step.slug]) + "?from=check",
                "slug": step.slug,
            }
        )
    return rows


def request_check(request: HttpRequest, pk: int) -> HttpResponse:
    """Check your answers (the preview), and publish."""
    engagement_request = _get_request(request, pk)
    if not permissions.can_edit_draft(request.user, engagement_request):
        if not engagement_request.is_draft and permissions.can_manage_request(
            request.user, engagement_request
        ):
            return redirect("engagement:detail", pk=engagement_request.pk)
        return _deny(request)
    problems: dict[str, str] = {}
    if request.method == "POST":
        try:
            services.engagement_request_publish(
                actor=request.user, engagement_request=engagement_request
            )
        except ValidationError as error:
            problems = (
                {k: v[0] for k, v in error.message_dict.items()}
                if hasattr(error, "error_dict")
                else {"": error.messages[0]}
            )
        else:
            messages.success(
                request, "Your request is published. We have matched suppliers and told them."
            )
            return redirect("engagement:matches", pk=engagement_request.pk)
    error_links = [
        {
            "message": message,
            "url": reverse(
                "engagement:step", args=[engagement_request.pk, forms.FIELD_STEPS[field]]
            )
            + "?from=check"
            if field in forms.FIELD_STEPS
            else "#publish",
        }
        for field, message in problems.items()
    ]
    return render(
        request,
        "engagement/check.html",
        {
            "engagement_request": engagement_request,
            "rows": _check_rows(engagement_request, request.user),
            "errors": error_links,
        },
        status=400 if problems else 200,
    )


# --- A request and what owners do with it ----------------------------------------------------


def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    engagement_request = _get_request(request, pk)
    user = request.user
    is_owner = permissions.is_request_owner(user, engagement_request)
    supplier_options = list(selectors.suppliers_acting_for(user))
    supplier_ids = [s.pk for s in supplier_options]
    own_responses = (
        SupplierResponse.objects.filter(
            engagement_request=engagement_request, supplier_id__in=supplier_ids
        ).select_related("supplier")
        if supplier_ids
        else []
    )
    context = {
        "engagement_request": engagement_request,
        "questions": selectors.published_questions(engagement_request),
        "is_owner": is_owner,
        "is_author": permissions.is_request_author(user, engagement_request),
        "can_view_participants": permissions.can_view_participants(user, engagement_request),
        "can_view_matches": permissions.can_view_matches(user, engagement_request),
        "supplier_options": supplier_options,
        "own_responses": own_responses,
        "own_questions": selectors.questions_asked_by(engagement_request, supplier_ids)
        if supplier_ids
        else [],
        "can_take_part": bool(supplier_options) and engagement_request.accepting_responses,
        "changes": selectors.request_changes(engagement_request),
    }
    if is_owner:
        context["counts"] = EngagementRequest.objects.filter(pk=engagement_request.pk).aggregate(
            responses=Count("responses", distinct=True),
            unanswered=Count(
                "questions",
                filter=Q(questions__answered_at__isnull=True, questions__declined_at__isnull=True),
                distinct=True,
            ),
            matches=Count("matches", distinct=True),
        )
    return render(request, "engagement/detail.html", context)


def _action_page(
    request: HttpRequest,
    pk: int,
    *,
    allowed,
    form_class,
    form_kwargs: dict | None,
    call,
    title: str,
    template: str = "engagement/action.html",
    done: str,
    lead: str = "",
    heading: bool = False,
) -> HttpResponse:
    engagement_request = _get_request(request, pk)
    if not allowed(request.user, engagement_request):
        return _deny(request)
    if callable(form_kwargs):
        form_kwargs = form_kwargs(engagement_request)
    form = form_class(_data(request), **(form_kwargs or {}))
    if request.method == "POST" and form.is_valid():
        try:
            call(engagement_request, form.cleaned_data)
        except ValidationError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, done)
            return redirect("engagement:detail", pk=engagement_request.pk)
    return render(
        request,
        template,
        {
            "engagement_request": engagement_request,
            "form": form,
            "title": title,
            "lead": lead,
            "heading": heading or not form.fields,
        },
    )


def request_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    return _action_page(
        request,
        pk,
        allowed=permissions.can_manage_request,
        form_class=forms.WithdrawForm,
        form_kwargs=None,
        call=lambda er, data: services.engagement_request_withdraw(
            actor=request.user, engagement_request=er, reason=data["reason"]
        ),
        title="Withdraw this request",
        done="The request is withdrawn.",
    )


def request_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _action_page(
        request,
        pk,
        allowed=permissions.can_manage_request,
        form_class=forms.ConfirmForm,
        form_kwargs={"submit": "Close request now", "warning": True},
        call=lambda er, data: services.engagement_request_close(
            actor=request.user, engagement_request=er
        ),
        title="Are you sure you want to close this request early?",
        lead="Suppliers will no longer be able to respond or ask questions.",
        done="The request is closed.",
    )


def request_procurement(request: HttpRequest, pk: int) -> HttpResponse:
    return _action_page(
        request,
        pk,
        allowed=permissions.can_manage_request,
        form_class=forms.ProcurementForm,
        form_kwargs=None,
        call=lambda er, data: services.engagement_request_mark_procurement(
            actor=request.user, engagement_request=er, reference=data["reference"]
        ),
        title="Record the procurement that followed",
        done="The procurement is recorded.",
    )


def request_extend_deadline(request: HttpRequest, pk: int) -> HttpResponse:
    return _action_page(
        request,
        pk,
        allowed=permissions.can_manage_request,
        form_class=forms.ExtendDeadlineForm,
        form_kwargs=lambda er: {"instance": er},
        call=lambda er, data: services.engagement_request_extend_deadline(
            actor=request.user,
            engagement_request=er,
            response_deadline=data["response_deadline"],
        ),
        title="Extend the deadline",
        heading=True,
        lead="Everyone who has responded or asked a question will be emailed the new deadline.",
        done="The deadline is extended and participants have been told.",
    )


def request_correct(request: HttpRequest, pk: int) -> HttpResponse:
    return _action_page(
        request,
        pk,
        allowed=permissions.can_manage_request,
        form_class=forms.CorrectionForm,
        form_kwargs=lambda er: {"instance": er},
        call=lambda er, data: services.engagement_request_correct(
            actor=request.user,
            engagement_request=er,
            note=data["note"],
            **{k: v for k, v in data.items() if k != "note"},
        ),
        title="Correct this request",
        lead=(
            "Correct mistakes in the wording. The request page lists every correction, "
            "with your note, so suppliers can see what changed."
        ),
        done="Your correction is published.",
        heading=True,
    )


def request_message(request: HttpRequest, pk: int) -> HttpResponse:
    engagement_request = _get_request(request, pk)
    if not permissions.can_manage_request(request.user, engagement_request):
        return _deny(request)
    form = forms.MessageForm(_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            message = services.engagement_request_message_respondents(
                actor=request.user,
                engagement_request=engagement_request,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
            )
        except ValidationError as error:
            apply_domain_error(form, error)
        else:
            messages.success(
                request,
                f"Your message is being sent to {message.recipient_count} "
                f"{'person' if message.recipient_count == 1 else 'people'}.",
            )
            return redirect("engagement:message", pk=engagement_request.pk)
    return render(
        request,
        "engagement/message.html",
        {
            "engagement_request": engagement_request,
            "form": form,
            "sent": selectors.messages_sent(engagement_request),
        },
    )


def request_co_owners(request: HttpRequest, pk: int) -> HttpResponse:
    engagement_request = _get_request(request, pk)
    if not permissions.can_manage_request(request.user, engagement_request):
        return _deny(request)
    can_manage = permissions.can_manage_co_owners(request.user, engagement_request)
    form = forms.CoOwnerForm(_data(request))
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                colleague = services.engagement_request_add_co_owner(
                    actor=request.user,
                    engagement_request=engagement_request,
                    email=form.cleaned_data["email"],
                )
            except ValidationError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, f"{colleague.get_full_name()} is now a co-owner.")
                return redirect("engagement:co_owners", pk=engagement_request.pk)
    return render(
        request,
        "engagement/co_owners.html",
        {"engagement_request": engagement_request, "form": form, "can_manage": can_manage},
    )


@require_POST
def request_co_owner_remove(request: HttpRequest, pk: int, user_id: int) -> HttpResponse:
    engagement_request = _get_request(request, pk)
    if not permissions.can_manage_co_owners(request.user, engagement_request):
        return _deny(request)
    co_owner = get_object_or_404(User, pk=user_id)
    services.engagement_request_remove_co_owner(
        actor=request.user, engagement_request=engagement_request, co_owner=co_owner
    )
    messages.success(request, f"{co_owner.get_full_name()} is no longer a co-owner.")
    return redirect("engagement:co_owners", pk=engagement_request.pk)


@require_GET
def request_matches(request: HttpRequest, pk: int) -> HttpResponse:
    engagement_request = _get_request(request, pk)
    if not permissions.can_view_matches(request.user, engagement_request):
        return _deny(request)
    paginator = Paginator(selectors.matches_for(engagement_request), 50)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "engagement/matches.html",
        {
            "engagement_request": engagement_request,
            "page_obj": page,
            "matches": page.object_list,
            "formula": MATCHING_FORMULA,
        },
    )


@require_GET
def request_responses(request: HttpRequest, pk: int) -> HttpResponse:
    engagement_request = _get_request(request, pk)
    if not permissions.can_view_responses(request.user, engagement_request):
        return _deny(request)
    return render(
        request,
        "engagement/responses.html",
        {
            "engagement_request": engagement_request,
            "responses": selectors.responses_for(engagement_request),
        },
    )


@require_POST
def response_mark(request: HttpRequest, pk: int, response_id: int) -> HttpResponse:
    engagement_request = _get_request(request, pk)
    if not permissions.can_view_responses(request.user, engagement_request):
        return _deny(request)
    response = get_object_or_404(
        SupplierResponse.objects.select_related("engagement_request"),
        pk=response_id,
        engagement_request=engagement_request,
    )
    form = forms.MarkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Select useful or not relevant.")
    else:
        services.response_mark(
            actor=request.user, response=response, mark=form.cleaned_data["mark"]
        )
        messages.success(request, f"Response from {response.supplier.name} marked.")
    return redirect(reverse("engagement:responses", args=[pk]) + f"#response-{response.pk}")


@require_GET
def request_responses_csv(request: HttpRequest, pk: int) -> HttpResponse:
    engagement_request = _get_request(request, pk)
    if not permissions.can_view_responses(request.user, engagement_request):
        return _deny(request)
    return _csv_response(
        exports.responses_csv(selectors.responses_for(engagement_request)),
        f"{engagement_request.reference}-responses.csv",
    )


# --- Suppliers take part ------------------------------------------------------------


def _acting_supplier(request: HttpRequest):
    """The supplier the user acts for here: ?supplier=<slug> or their only (first) one."""
    options = list(selectors.suppliers_acting_for(request.user))
    wanted = request.POST.get("supplier") or request.GET.get("supplier")
    if wanted:
        chosen = next((s for s in options if s.slug == wanted), None)
        return chosen, options
    return (options[0] if options else None), options


def request_respond(request: HttpRequest, pk: int) -> HttpResponse:
    engagement_request = _get_request(request, pk)
    supplier, options = _acting_supplier(request)
    if supplier is None:
        return _deny(request)
    if not engagement_request.accepting_responses:
        messages.info(request, "This request is no longer taking responses.")
        return redirect("engagement:detail", pk=engagement_request.pk)
    existing = selectors.response_of(engagement_request, supplier)
    initial = (
        {
            "summary": existing.summary,
            "availability": existing.availability,
            "case_studies": list(existing.case_studies.all()),
        }
        if existing
        else None
    )
    form = forms.ResponseForm(_data(request), supplier=supplier, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.response_submit(
                actor=request.user,
                engagement_request=engagement_request,
                supplier=supplier,
                summary=form.cleaned_data["summary"],
                availability=form.cleaned_data["availability"],
                case_studies=form.cleaned_data.get("case_studies") or [],
            )
        except ValidationError as error:
            apply_domain_error(form, error)
        else:
            messages.success(
                request,
                "Your response is saved. You can change it until the deadline."
                if existing is None
                else "Your response is updated.",
            )
            return redirect("engagement:detail", pk=engagement_request.pk)
    return render(
        request,
        "engagement/respond.html",
        {
            "engagement_request": engagement_request,
            "form": form,
            "supplier": supplier,
            "options": options,
            "existing": existing,
        },
    )


def request_ask(request: HttpRequest, pk: int) -> HttpResponse:
    engagement_request = _get_request(request, pk)
    supplier, options = _acting_supplier(request)
    if supplier is None:
        return _deny(request)
    if not engagement_request.accepting_responses:
        messages.info(request, "This request is no longer taking questions.")
        return redirect("engagement:detail", pk=engagement_request.pk)
    form = forms.QuestionForm(_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.question_ask(
                actor=request.user,
                engagement_request=engagement_request,
                supplier=supplier,
                question=form.cleaned_data["question"],
            )
        except ValidationError as error:
            apply_domain_error(form, error)
        else:
            messages.success(
                request,
                "Your question is sent. The answer will be published on this page for everyone.",
            )
            return redirect("engagement:detail", pk=engagement_request.pk)
    return render(
        request,
        "engagement/ask.html",
        {
            "engagement_request": engagement_request,
            "form": form,
            "supplier": supplier,
            "options": options,
        },
    )


@require_GET
def request_questions(request: HttpRequest, pk: int) -> HttpResponse:
    """The owners' list of questions, unanswered first."""
    engagement_request = _get_request(request, pk)
    if not permissions.can_manage_request(request.user, engagement_request):
        return _deny(request)
    return render(
        request,
        "engagement/questions.html",
        {
            "engagement_request": engagement_request,
            "unanswered": selectors.unanswered_questions(engagement_request),
            "answered": selectors.published_questions(engagement_request),
            "declined": selectors.declined_questions(engagement_request),
        },
    )


def question_answer(request: HttpRequest, pk: int, question_id: int) -> HttpResponse:
    engagement_request = _get_request(request, pk)
    if not permissions.can_manage_request(request.user, engagement_request):
        return _deny(request)
    question = get_object_or_404(
        ClarificationQuestion.objects.select_related("engagement_request", "asked_by"),
        pk=question_id,
        engagement_request=engagement_request,
    )
    if question.is_declined:
        messages.info(request, "This question was declined, so it cannot be answered.")
        return redirect("engagement:questions", pk=engagement_request.pk)
    form = forms.AnswerForm(
        _data(request), initial={"answer": question.answer, "question_text": question.question}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.question_answer(
                actor=request.user,
                question=question,
                answer=form.cleaned_data["answer"],
                question_text=form.cleaned_data["question_text"] or None,
            )
        except ValidationError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "The question and your answer are published.")
            return redirect("engagement:questions", pk=engagement_request.pk)
    return render(
        request,
        "engagement/answer.html",
        {"engagement_request": engagement_request, "form": form, "question": question},
    )


def question_decline(request: HttpRequest, pk: int, question_id: int) -> HttpResponse:
    engagement_request = _get_request(request, pk)
    if not permissions.can_manage_request(request.user, engagement_request):
        return _deny(request)
    question = get_object_or_404(
        ClarificationQuestion.objects.select_related("engagement_request", "asked_by"),
        pk=question_id,
        engagement_request=engagement_request,
    )
    form = forms.DeclineForm(_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.question_decline(
                actor=request.user, question=question, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "The question is declined and the supplier has been told.")
            return redirect("engagement:questions", pk=engagement_request.pk)
    return render(
        request,
        "engagement/answer.html",
        {
            "engagement_request": engagement_request,
            "form": form,
            "question": question,
            "heading": "Decline a question",
        },
    )


def request_participants(request: HttpRequest, pk: int) -> HttpResponse:
    """The engagement participants register; owners also record attendance here."""
    engagement_request = _get_request(request, pk)
    if not permissions.can_view_participants(request.user, engagement_request):
        return _deny(request)
    can_record = permissions.can_manage_request(request.user, engagement_request)
    form = forms.AttendanceForm(_data(request)) if can_record else None
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied
        if form.is_valid():
            try:
                participant = services.participant_record_attendance(
                    actor=request.user,
                    engagement_request=engagement_request,
                    supplier=form.cleaned_data["supplier"],
                )
            except ValidationError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, f"{participant.supplier.name} recorded as attending.")
                return redirect("engagement:participants", pk=engagement_request.pk)
    return render(
        request,
        "engagement/participants.html",
        {
            "engagement_request": engagement_request,
            "participants": selectors.participants_for(engagement_request),
            "form": form,
        },
    )


@require_GET
def request_participants_csv(request: HttpRequest, pk: int) -> HttpResponse:
    engagement_request = _get_request(request, pk)
    if not permissions.can_view_participants(request.user, engagement_request):
        return _deny(request)
    return _csv_response(
        exports.participants_csv(selectors.participants_for(engagement_request)),
        f"{engagement_request.reference}-participants.csv",
    )


@require_GET
def request_notice(request: HttpRequest, pk: int) -> JsonResponse:
    """The UK2-style preliminary market engagement notice, as an OCDS 1.1 release."""
    engagement_request = _get_request(request, pk)
    return JsonResponse(
        exports.notice_release(engagement_request),
        json_dumps_params={"indent": 2, "ensure_ascii": False},
        content_type="application/json",
    )


# --- Alerts -----------------------------------------------------------------------


def alert_preferences(request: HttpRequest) -> HttpResponse:
    supplier, options = _acting_supplier(request)
    if supplier is None:
        return _deny(request)
    preference = (
        AlertPreference.objects.filter(supplier=supplier)
        .prefetch_related("capabilities", "regions")
        .first()
    )
    initial = (
        {
            "frequency": preference.frequency,
            "capabilities": list(preference.capabilities.all()),
            "regions": list(preference.regions.all()),
        }
        if preference
        else {"frequency": AlertPreference.Frequency.IMMEDIATE}
    )
    form = forms.AlertPreferenceForm(_data(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.alert_preference_set(
                actor=request.user,
                supplier=supplier,
                frequency=form.cleaned_data["frequency"],
                capabilities=form.cleaned_data["capabilities"],
                regions=form.cleaned_data["regions"],
            )
        except ValidationError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, f"Alert preferences for {supplier.name} saved.")
            return redirect(reverse("engagement:alerts") + f"?supplier={supplier.slug}")
    return render(
        request,
        "engagement/alerts.html",
        {"form": form, "supplier": supplier, "options": options, "preference": preference},
    )
