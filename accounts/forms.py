"""Account forms in GOV.UK Design System markup (crispy-forms-gds).

The allauth forms are subclassed (settings.ACCOUNT_FORMS) only to speak the
Design System's language: plain labels, hints instead of placeholders, error
messages that say what to do, and a FormHelper. Their rules stay allauth's.
"""

from __future__ import annotations

from allauth.account import forms as allauth_forms
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fluid, Layout, Size
from django import forms
from django.core.validators import MaxLengthValidator
from django.db.models import Case, Value, When

from accounts.models import PublicBody
from core.forms import GovukForm, GovukLengthMessages

INVALID_EMAIL = "Enter an email address in the correct format, like name@example.com"
PASSWORD_HINT = (
    "Use at least 10 characters. Do not use a common password, one made only of "
    "numbers, or one like your email address."
)


class GovukFormMixin(GovukLengthMessages):
    """Set GOV.UK labels, hints and messages on the fields, and build the FormHelper.

    ``govuk_fields`` maps a field name to ``(label, hint, required_message)``; a
    ``None`` keeps what the field already has.
    """

    govuk_fields: dict[str, tuple[str | None, str | None, str | None]] = {}
    # Inputs narrower than the column (GOV.UK: match the width to the expected answer).
    govuk_widths: dict[str, str] = {}

    def setup_govuk(self) -> None:
        for name, field in self.fields.items():
            field.widget.attrs.pop("placeholder", None)
            label, hint, required_message = self.govuk_fields.get(name, (None, None, None))
            if label is not None:
                field.label = label
            if hint is not None:
                field.help_text = hint
            if required_message:
                field.error_messages["required"] = required_message
            if field.widget.attrs.get("type") == "email" or name in {"email", "login"}:
                field.widget.attrs.update({"spellcheck": "false", "autocapitalize": "none"})
                field.error_messages["invalid"] = INVALID_EMAIL
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = self.govuk_layout()

    def govuk_layout(self) -> Layout:
        layout = []
        errors = self._errors or {}
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.CheckboxInput):
                layout.append(Field.checkbox(name, small=True))
                continue
            classes = []
            if name in self.govuk_widths:
                classes.append(Fluid.for_input(self.govuk_widths[name]))
            # crispy-forms-gds marks text inputs that have errors, not password inputs.
            if name in errors and isinstance(field.widget, forms.PasswordInput):
                classes.append("govuk-input--error")
            layout.append(Field(name, css_class=" ".join(classes) or None))
        return Layout(*layout)

    def full_clean(self) -> None:
        super().full_clean()
        if hasattr(self, "helper"):  # the layout marks the fields that now have errors
            self.helper.layout = self.govuk_layout()


class LoginForm(GovukFormMixin, allauth_forms.LoginForm):
    govuk_fields = {
        "login": ("Email address", None, "Enter your email address"),
        "password": ("Password", "", "Enter your password"),
        "remember": ("Keep me signed in on this device", None, None),
    }
    govuk_widths = {"login": Fluid.TWO_THIRDS, "password": Fluid.TWO_THIRDS}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.setup_govuk()


class SignupForm(GovukFormMixin, allauth_forms.SignupForm):
    full_name = forms.CharField(
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
    )
    govuk_fields = {
        "full_name": ("Full name", None, "Enter your full name"),
        "email": (
            "Email address",
            "Use your work email address. If it ends in gov.uk you will be able to use "
            "Techmap as a civil servant.",
            "Enter your email address",
        ),
        "password1": ("Create a password", PASSWORD_HINT, "Enter a password"),
        "password2": ("Confirm password", "", "Enter the password again"),
    }
    govuk_widths = {
        "full_name": Fluid.TWO_THIRDS,
        "email": Fluid.TWO_THIRDS,
        "password1": Fluid.TWO_THIRDS,
        "password2": Fluid.TWO_THIRDS,
    }
    field_order = ["full_name", "email", "password1", "password2"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.setup_govuk()

    def custom_signup(self, request, user) -> None:
        user.full_name = self.cleaned_data["full_name"].strip()
        user.save(update_fields=["full_name"])


class ResetPasswordForm(GovukFormMixin, allauth_forms.ResetPasswordForm):
    govuk_fields = {
        "email": (
            "Email address",
            "We will email you a link to reset your password.",
            "Enter your email address",
        ),
    }
    govuk_widths = {"email": Fluid.TWO_THIRDS}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.setup_govuk()


class ResetPasswordKeyForm(GovukFormMixin, allauth_forms.ResetPasswordKeyForm):
    govuk_fields = {
        "password1": ("New password", PASSWORD_HINT, "Enter a new password"),
        "password2": ("Confirm new password", "", "Enter the new password again"),
    }
    govuk_widths = {"password1": Fluid.TWO_THIRDS, "password2": Fluid.TWO_THIRDS}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.setup_govuk()


class ChangePasswordForm(GovukFormMixin, allauth_forms.ChangePasswordForm):
    govuk_fields = {
        "oldpassword": ("Current password", "", "Enter your current password"),
        "password1": ("New password", PASSWORD_HINT, "Enter a new password"),
        "password2": ("Confirm new password", "", "Enter the new password again"),
    }
    govuk_widths = {
        "oldpassword": Fluid.TWO_THIRDS,
        "password1": Fluid.TWO_THIRDS,
        "password2": Fluid.TWO_THIRDS,
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.setup_govuk()


class AddEmailForm(GovukFormMixin, allauth_forms.AddEmailForm):
    govuk_fields = {
        "email": (
            "Email address",
            "We will send a link to this address to check it is yours.",
            "Enter an email address",
        ),
    }
    govuk_widths = {"email": Fluid.TWO_THIRDS}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.setup_govuk()


class PublicBodyForm(GovukForm):
    """A civil servant says which public body they work for.

    The bodies on the domains of the user's verified addresses come first: choosing one
    of those is immediate; any other waits for a moderator.
    """

    public_body = forms.ModelChoiceField(
        queryset=PublicBody.objects.order_by("name"),
        label="Which public body do you work for?",
        help_text=(
            "If you work for an agency, choose the agency rather than its department. "
            "If your email address is not on the body's own domain, a moderator will check "
            "before you can act for it."
        ),
        empty_label="Choose a public body",
        error_messages={
            "required": "Choose the public body you work for",
            "invalid_choice": "Choose a public body from the list",
        },
    )

    def __init__(self, *args, first: list[PublicBody] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if first:
            rank = Case(
                *(When(pk=body.pk, then=Value(i)) for i, body in enumerate(first)),
                default=Value(len(first)),
            )
            self.fields["public_body"].queryset = PublicBody.objects.annotate(_first=rank).order_by(
                "_first", "name"
            )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        # One question on the page: its label is the page heading (GOV.UK pattern).
        self.helper.layout = Layout(
            Field(
                "public_body",
                context={"label_size": Size.for_label(Size.LARGE), "label_tag": "h1"},
            )
        )


class FeedbackForm(GovukForm):
    """The beta banner's feedback (GOV.UK "give feedback" pattern); the rules are in
    ``services.feedback_send``, which also checks them."""

    short_names = {"improve": "Your answer"}

    satisfaction = forms.ChoiceField(
        label="Overall, how do you feel about Techmap?",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select how you feel about the service",
            "invalid_choice": "Select how you feel about the service",
        },
    )
    improve = forms.CharField(
        label="How could we improve this service?",
        help_text="Do not include personal or financial information, like your National "
        "Insurance number or credit card details.",
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
    )
    page = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs) -> None:
        from accounts.services import FEEDBACK_MAX_LENGTH, FEEDBACK_SATISFACTION

        super().__init__(*args, **kwargs)
        self.fields["satisfaction"].choices = list(FEEDBACK_SATISFACTION.items())
        # Set here, not on the field, as the limit is the service's (imported late).
        improve = self.fields["improve"]
        improve.max_length = FEEDBACK_MAX_LENGTH
        improve.validators.append(MaxLengthValidator(FEEDBACK_MAX_LENGTH))
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field.radios("satisfaction", legend_size=Size.MEDIUM),
            Field.textarea("improve", label_size=Size.MEDIUM, max_characters=FEEDBACK_MAX_LENGTH),
            "page",
        )
