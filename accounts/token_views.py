"""The "API access" pages of the user's account: create, list and revoke API tokens.

Thin views over ``accounts.tokens``. A new token's value is shown on the response to the
form that created it, and never again (the page is not cached and is not reachable by URL).
"""

from __future__ import annotations

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fluid, Layout, Size
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import permissions, tokens
from accounts.models import ApiToken
from core.errors import DomainError
from core.forms import GovukForm, apply_domain_error


class TokenForm(GovukForm):
    name = forms.CharField(
        label="Name",
        help_text="So you can tell your tokens apart, for example the system that uses it.",
        max_length=100,
        error_messages={"required": "Enter a name for the token"},
    )
    scope = forms.ChoiceField(
        label="What can the token do?",
        choices=[
            (ApiToken.Scope.READ, "Read only"),
            (ApiToken.Scope.WRITE, "Read and write"),
        ],
        widget=forms.RadioSelect,
        help_text="A read and write token can change your organisations' profiles. Choose "
        "read only unless the system needs to make changes.",
        error_messages={"required": "Select what the token can do"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field.text("name", field_width=Fluid.TWO_THIRDS),
            Field.radios("scope", legend_size=Size.MEDIUM),
        )


@login_required
@never_cache
def token_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/tokens/list.html",
        {"tokens": tokens.tokens_for_user(request.user)},
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = tokens.token_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            response = render(
                request, "accounts/tokens/created.html", {"token": token, "raw_token": raw}
            )
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "accounts/tokens/create.html", {"form": form})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = ApiToken.objects.select_related("user").filter(pk=pk).first()
    # Someone else's token is "not found" rather than "forbidden": ids are not disclosed.
    if token is None or not permissions.can_revoke_api_token(request.user, token):
        raise Http404("No such token.")
    if request.method == "POST":
        try:
            tokens.token_revoke(actor=request.user, token=token)
        except PermissionDenied:
            raise Http404("No such token.") from None
        messages.success(request, f"Token “{token.name}” revoked. It no longer works.")
        return redirect("accounts:api_tokens")
    return render(request, "accounts/tokens/revoke.html", {"token": token})
