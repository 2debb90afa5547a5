"""GOV.UK forms for early engagement (crispy-forms-gds). Forms shape input only.

The request is written through question pages, one thing per page: each
step is a small form listed in :data:`STEPS`, saved to the draft by
``engagement.services.engagement_request_update_draft``.
"""

from __future__ import annotations

from dataclasses import dataclass

from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout, Size
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import PublicBody
from core.forms import GovukForm, GovukTimeField
from core.validators import no_line_breaks
from engagement.models import AlertPreference, EngagementRequest, SupplierResponse
from suppliers.models import Capability, Region

# How a too-long message names each field (its label is often a whole question).
SHORT_NAMES = {
    "title": "Title",
    "policy_area": "Policy area",
    "problem": "Problem",
    "session_place": "Place",
    "session_link_note": "How to join",
    "procurement_timing": "Expected timing",
    "reason": "Reason",
    "reference": "Reference",
    "summary": "Summary",
    "availability": "Availability",
    "question": "Question",
    "question_text": "Question",
    "answer": "Answer",
    "note": "Note",
    "subject": "Subject",
    "body": "Message",
    "companies_house_number": "Companies House number",
}


class Form(GovukForm):
    """An engagement form: length limits in GOV.UK words (core.forms)."""

    short_names = SHORT_NAMES


def _helper(*layout, submit: str = "Save and continue", warning: bool = False) -> FormHelper:
    helper = FormHelper()
    button = Button.warning("submit", submit) if warning else Button("submit", submit)
    helper.layout = Layout(*layout, button)
    return helper


class CapabilityChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Capability) -> str:
        return obj.name


def _time_field(label: str, required: bool = False) -> GovukTimeField:
    # Each message names the field once: the label is not repeated around it.
    return GovukTimeField(
        label=label,
        required=required,
        help_text="For example, 2pm or 14:30",
        error_messages={
            "invalid": f"{label} must be a real time, like 2pm or 14:30",
            "required": f"Enter the {label.lower()}",
        },
    )


# --- The question pages --------------------------------------------------------


class StepForm(Form):
    """One question page. ``changes()`` is what the draft service saves."""

    def __init__(self, *args, instance: EngagementRequest | None = None, **kwargs):
        self.instance = instance
        super().__init__(*args, **kwargs)

    def changes(self) -> dict:
        return dict(self.cleaned_data)


class TitleForm(StepForm):
    title = forms.CharField(
        label="What is the title of your request?",
        max_length=200,
        validators=[no_line_breaks],  # it goes into email subjects
        help_text="Say what you want to learn, in a few words. Suppliers see this first.",
        error_messages={"required": "Enter a title for your request"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.text("title", label_size=Size.LARGE, label_tag="h1"))


class PublicBodyForm(StepForm):
    public_body = forms.ModelChoiceField(
        label="Which public body is asking?",
        queryset=PublicBody.objects.all(),
        empty_label="Select your public body",
        error_messages={"required": "Select your public body"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.select("public_body", legend_size=Size.LARGE))


class PolicyAreaForm(StepForm):
    policy_area = forms.CharField(
        label="What policy area is this about?",
        max_length=200,
        help_text="For example, adult social care, border security or net zero.",
        error_messages={"required": "Enter the policy area"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.text("policy_area", label_size=Size.LARGE, label_tag="h1"))


class ProblemForm(StepForm):
    problem = forms.CharField(
        label="What problem are you trying to solve?",
        max_length=5000,
        widget=forms.Textarea,
        help_text=(
            "Describe it in plain words, as you would to someone outside government. "
            "Do not describe a solution."
        ),
        error_messages={"required": "Describe the problem in plain words"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.textarea("problem", label_size=Size.LARGE, label_tag="h1", max_characters=5000)
        )


class HelpKindForm(StepForm):
    help_kind = forms.ChoiceField(
        label="What kind of help are you looking for?",
        choices=EngagementRequest.HelpKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the kind of help you are looking for"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.radios("help_kind", legend_size=Size.LARGE, legend_tag="h1"))


class CapabilitiesForm(StepForm):
    capabilities = CapabilityChoiceField(
        label="Which capabilities are you interested in?",
        queryset=Capability.objects.select_related("group"),
        widget=forms.CheckboxSelectMultiple,
        help_text="Select all that apply. We match suppliers who offer them.",
        error_messages={"required": "Select at least one capability"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.checkboxes("capabilities", legend_size=Size.LARGE, legend_tag="h1", small=True)
        )


class RegionsForm(StepForm):
    regions = forms.ModelMultipleChoiceField(
        label="Which regions are you interested in?",
        queryset=Region.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Select all that apply, or none if suppliers can be anywhere in the UK.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.checkboxes("regions", legend_size=Size.LARGE, legend_tag="h1", small=True)
        )


class FormatsForm(StepForm):
    formats = forms.MultipleChoiceField(
        label="How can suppliers take part?",
        choices=EngagementRequest.Format.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Select all that apply.",
        error_messages={"required": "Select how suppliers can take part"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.checkboxes("formats", legend_size=Size.LARGE, legend_tag="h1"))


class SessionForm(StepForm):
    session_date = DateInputField(
        label="Date of the session",
        help_text="For example, 27 3 2027",
        require_all_fields=False,
    )
    session_start = _time_field("Start time", required=True)
    session_end = _time_field("End time")
    session_place = forms.CharField(
        label="Place of the in-person event",
        max_length=300,
        required=False,
        help_text="The full address, including the postcode.",
    )
    session_link_note = forms.CharField(
        label="How to join the online session",
        max_length=300,
        required=False,
        help_text="For example, 'We will email a Teams link to suppliers who respond'.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session_date"].error_messages["required"] = "Enter the date of the session"
        formats = self.instance.formats if self.instance else []
        layout = [
            Field("session_date", legend_size=Size.SMALL),
            Field.text("session_start", field_width=5),
            Field.text("session_end", field_width=5),
        ]
        if EngagementRequest.Format.IN_PERSON in formats:
            layout.append(Field.text("session_place"))
        else:
            del self.fields["session_place"]
        if EngagementRequest.Format.ONLINE in formats:
            layout.append(Field.text("session_link_note"))
        else:
            del self.fields["session_link_note"]
        self.helper = _helper(*layout)

    def clean(self):
        data = super().clean()
        session_date = data.get("session_date")
        if session_date and session_date < timezone.localdate():
            self.add_error("session_date", "The session date must be today or in the future")
        if "session_place" in self.fields and not (data.get("session_place") or "").strip():
            self.add_error("session_place", "Enter where the event will take place")
        start, end = data.get("session_start"), data.get("session_end")
        if start and end and end <= start:
            self.add_error("session_end", "The end time must be after the start time")
        return data


class DeadlineForm(StepForm):
    deadline_date = DateInputField(
        label="Date responses close",
        help_text="For example, 27 3 2027",
        require_all_fields=False,
    )
    deadline_time = _time_field("Time responses close")

    def __init__(self, *args, **kwargs):
        instance = kwargs.get("instance")
        if instance and instance.response_deadline and "initial" not in kwargs:
            local = timezone.localtime(instance.response_deadline)
            kwargs["initial"] = {"deadline_date": local.date(), "deadline_time": local.time()}
        super().__init__(*args, **kwargs)
        self.fields["deadline_date"].error_messages["required"] = "Enter the date responses close"
        self.fields[
            "deadline_time"
        ].help_text = "In UK time, for example 2pm. Leave it empty for 5pm"
        self.helper = _helper(
            Field("deadline_date", legend_size=Size.SMALL),
            Field.text("deadline_time", field_width=5),
        )

    def clean(self):
        from engagement.services import deadline_from

        data = super().clean()
        if data.get("deadline_date"):
            deadline = deadline_from(data["deadline_date"], data.get("deadline_time"))
            if deadline <= timezone.now():
                self.add_error("deadline_date", "The date responses close must be in the future")
            data["response_deadline"] = deadline
        return data

    def changes(self) -> dict:
        return {"response_deadline": self.cleaned_data.get("response_deadline")}


class BudgetForm(StepForm):
    budget_min = forms.DecimalField(
        label="Lowest amount, in pounds (optional)",
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        error_messages={
            "invalid": "Enter the lowest amount as a number, like 50000",
            "min_value": "Enter an amount of £0 or more",
        },
    )
    budget_max = forms.DecimalField(
        label="Highest amount, in pounds (optional)",
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        error_messages={
            "invalid": "Enter the highest amount as a number, like 250000",
            "min_value": "Enter an amount of £0 or more",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.text("budget_min", field_width=10),
            Field.text("budget_max", field_width=10),
        )

    def clean(self):
        data = super().clean()
        low, high = data.get("budget_min"), data.get("budget_max")
        if low is not None and high is not None and low > high:
            self.add_error(
                "budget_max", "The highest amount must be the same as or more than the lowest"
            )
        return data


class TimingForm(StepForm):
    procurement_timing = forms.CharField(
        label="When do you expect any procurement to start? (optional)",
        max_length=200,
        required=False,
        help_text="For example, 'Spring 2027' or 'Not decided'.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.text("procurement_timing", label_size=Size.LARGE, label_tag="h1")
        )


@dataclass(frozen=True)
class Step:
    slug: str
    form: type[StepForm]
    title: str  # the page title, and the row name on the check answers page
    heading: bool = False  # True when the page needs its own <h1> (several fields)

    def applies(self, engagement_request: EngagementRequest, user) -> bool:
        if self.slug == "public-body":
            return (
                not user.public_body_id or user.public_body_id != engagement_request.public_body_id
            )
        if self.slug == "session":
            return bool(
                {EngagementRequest.Format.ONLINE, EngagementRequest.Format.IN_PERSON}
                & set(engagement_request.formats)
            )
        return True


STEPS = [
    Step("title", TitleForm, "Title"),
    Step("public-body", PublicBodyForm, "Public body"),
    Step("policy-area", PolicyAreaForm, "Policy area"),
    Step("problem", ProblemForm, "Problem"),
    Step("help", HelpKindForm, "Kind of help"),
    Step("capabilities", CapabilitiesForm, "Capabilities"),
    Step("regions", RegionsForm, "Regions"),
    Step("take-part", FormatsForm, "How suppliers can take part"),
    Step("session", SessionForm, "Session details", heading=True),
    Step("deadline", DeadlineForm, "Response deadline", heading=True),
    Step("budget", BudgetForm, "Indicative budget range", heading=True),
    Step("timing", TimingForm, "Expected timing of any procurement"),
]
STEPS_BY_SLUG = {step.slug: step for step in STEPS}
# Which page asks for each field, so a problem found at publication links to it.
FIELD_STEPS = {
    "title": "title",
    "public_body": "public-body",
    "policy_area": "policy-area",
    "problem": "problem",
    "help_kind": "help",
    "capabilities": "capabilities",
    "regions": "regions",
    "formats": "take-part",
    "session_date": "session",
    "session_start": "session",
    "session_end": "session",
    "session_place": "session",
    "response_deadline": "deadline",
    "budget_min": "budget",
    "budget_max": "budget",
    "procurement_timing": "timing",
}


def step_initial(step: Step, engagement_request: EngagementRequest) -> dict:
    initial = {}
    for name in step.form.base_fields:
        if name in {"capabilities", "regions"}:
            initial[name] = list(getattr(engagement_request, name).all())
        elif hasattr(engagement_request, name):
            initial[name] = getattr(engagement_request, name)
    return initial


# --- Actions on a request ------------------------------------------------------


class WithdrawForm(Form):
    reason = forms.CharField(
        label="Why are you withdrawing this request?",
        widget=forms.Textarea,
        max_length=2000,
        help_text="Suppliers will see this reason on the request.",
        error_messages={"required": "Enter why you are withdrawing the request"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.textarea("reason", label_size=Size.LARGE, label_tag="h1", rows=5),
            submit="Withdraw request",
            warning=True,
        )


class ConfirmForm(Form):
    def __init__(self, *args, submit: str, warning: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(submit=submit, warning=warning)


class ProcurementForm(Form):
    reference = forms.CharField(
        label="What is the procurement's reference or notice link?",
        max_length=200,
        error_messages={"required": "Enter the procurement reference or notice link"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.text("reference", label_size=Size.LARGE, label_tag="h1"),
            submit="Record procurement",
        )


class CoOwnerForm(Form):
    email = forms.EmailField(
        label="Email address of your colleague",
        help_text="They must have a Techmap account and work for the same public body.",
        error_messages={
            "required": "Enter the email address of your colleague",
            "invalid": "Enter an email address in the correct format, like name@example.gov.uk",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.text("email", field_width=20), submit="Add co-owner")


class ResponseForm(Form):
    summary = forms.CharField(
        label="Summary of your relevant expertise",
        widget=forms.Textarea,
        max_length=5000,
        help_text="What your organisation knows or has done that would help. Text only.",
        error_messages={"required": "Enter a summary of your relevant expertise"},
    )
    case_studies = forms.ModelMultipleChoiceField(
        label="Relevant case studies from your profile (optional)",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    availability = forms.CharField(
        label="Your availability for the session (optional)",
        widget=forms.Textarea,
        max_length=1000,
        required=False,
        help_text="For example, who would attend and any dates you cannot make.",
    )

    def __init__(self, *args, supplier, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case_studies"].queryset = supplier.case_studies.all()
        layout = [Field.textarea("summary", rows=8, max_characters=5000)]
        if supplier.case_studies.exists():
            layout.append(Field.checkboxes("case_studies", legend_size=Size.SMALL, small=True))
        else:
            del self.fields["case_studies"]
        layout.append(Field.textarea("availability", rows=3))
        self.helper = _helper(*layout, submit="Send response")


class QuestionForm(Form):
    question = forms.CharField(
        label="Your question",
        widget=forms.Textarea,
        max_length=2000,
        help_text=(
            "The answer will be published to everyone with your question. "
            "Your name and organisation will not be shown."
        ),
        error_messages={"required": "Enter your question"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.textarea("question", rows=5, max_characters=2000), submit="Send question"
        )


class AnswerForm(Form):
    question_text = forms.CharField(
        label="The question as it will be published",
        widget=forms.Textarea,
        max_length=2000,
        required=False,  # left empty, the question is published as asked
        help_text=(
            "Edit it to remove anything that identifies who asked. We keep the words they sent."
        ),
    )
    answer = forms.CharField(
        label="Your answer",
        widget=forms.Textarea,
        max_length=5000,
        help_text="The question and your answer will be published to everyone.",
        error_messages={"required": "Enter your answer"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.textarea("question_text", rows=4, max_characters=2000),
            Field.textarea("answer", rows=6, max_characters=5000),
            submit="Publish answer",
        )


class DeclineForm(Form):
    reason = forms.CharField(
        label="Why are you declining this question?",
        widget=forms.Textarea,
        max_length=2000,
        help_text="We email this to the supplier that asked. It is not published.",
        error_messages={"required": "Enter why you are declining the question"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.textarea("reason", label_size=Size.MEDIUM, rows=4),
            submit="Decline question",
            warning=True,
        )


class ExtendDeadlineForm(DeadlineForm):
    """The deadline page's fields, for a published request: the new, later deadline."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deadline_date"].label = "New date responses close"
        self.helper = _helper(
            Field("deadline_date", legend_size=Size.SMALL),
            Field.text("deadline_time", field_width=5),
            submit="Extend deadline",
        )


class CorrectionForm(Form):
    """Correct a published request's wording; the note is shown in its change log."""

    title = TitleForm.base_fields["title"]
    policy_area = PolicyAreaForm.base_fields["policy_area"]
    problem = ProblemForm.base_fields["problem"]
    session_place = SessionForm.base_fields["session_place"]
    session_link_note = SessionForm.base_fields["session_link_note"]
    procurement_timing = TimingForm.base_fields["procurement_timing"]
    note = forms.CharField(
        label="What did you correct?",
        max_length=300,
        help_text="For example, 'Fixed a typo in the problem'. Everyone sees this note.",
        error_messages={"required": "Enter what you corrected"},
    )

    def __init__(self, *args, instance: EngagementRequest, **kwargs):
        kwargs.setdefault(
            "initial",
            {name: getattr(instance, name) for name in self.base_fields if name != "note"},
        )
        super().__init__(*args, **kwargs)
        for name, label in (
            ("title", "Title"),
            ("policy_area", "Policy area"),
            ("problem", "Problem"),
            ("procurement_timing", "Expected timing of any procurement (optional)"),
        ):
            self.fields[name].label = label
        layout = [
            Field.text("title"),
            Field.text("policy_area"),
            Field.textarea("problem", rows=8, max_characters=5000),
        ]
        if EngagementRequest.Format.IN_PERSON in instance.formats:
            layout.append(Field.text("session_place"))
        else:
            del self.fields["session_place"]
        if EngagementRequest.Format.ONLINE in instance.formats:
            layout.append(Field.text("session_link_note"))
        else:
            del self.fields["session_link_note"]
        layout += [Field.text("procurement_timing"), Field.text("note")]
        self.helper = _helper(*layout, submit="Save correction")

    def changes(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "note"}


class MessageForm(Form):
    subject = forms.CharField(
        label="Subject",
        max_length=150,
        validators=[no_line_breaks],  # an email subject
        error_messages={"required": "Enter a subject"},
    )
    body = forms.CharField(
        label="Message",
        widget=forms.Textarea,
        max_length=5000,
        help_text="For example, the link to join the session and how to prepare.",
        error_messages={"required": "Enter your message"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.text("subject"),
            Field.textarea("body", rows=8, max_characters=5000),
            submit="Send message",
        )


class MarkForm(Form):
    mark = forms.ChoiceField(
        choices=SupplierResponse.Mark.choices, required=False, widget=forms.HiddenInput
    )


class AttendanceForm(Form):
    companies_house_number = forms.CharField(
        label="Companies House number of the supplier that attended",
        max_length=8,
        help_text="8 characters, for example 01234567 or SC123456.",
        error_messages={"required": "Enter the supplier's Companies House number"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.text("companies_house_number", field_width=10), submit="Record attendance"
        )

    def clean_companies_house_number(self):
        from suppliers.companies_house import normalise_company_number
        from suppliers.models import Supplier

        number = normalise_company_number(self.cleaned_data["companies_house_number"])
        supplier = Supplier.objects.filter(companies_house_number=number).first()
        if supplier is None:
            raise ValidationError("No supplier on Techmap has that Companies House number")
        self.cleaned_data["supplier"] = supplier
        return number


class AlertPreferenceForm(Form):
    frequency = forms.ChoiceField(
        label="How often do you want to hear about new requests?",
        choices=AlertPreference.Frequency.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select how often you want alerts"},
    )
    capabilities = CapabilityChoiceField(
        label="Only requests for these capabilities (optional)",
        queryset=Capability.objects.select_related("group"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Select none to hear about every request you match.",
    )
    regions = forms.ModelMultipleChoiceField(
        label="Only requests in these regions (optional)",
        queryset=Region.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Select none for any region.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.radios("frequency", legend_size=Size.MEDIUM),
            Field.checkboxes("capabilities", legend_size=Size.MEDIUM, small=True),
            Field.checkboxes("regions", legend_size=Size.MEDIUM, small=True),
            submit="Save alert preferences",
        )
