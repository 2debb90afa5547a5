"""GOV.UK forms for the den's pages (crispy-forms-gds). They shape input; services decide."""

from __future__ import annotations

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Field, Fieldset, Layout, Size, Submit
from django import forms
from django.utils.html import escape

from accounts.models import PublicBody
from accounts.permissions import is_civil_servant
from core.forms import GovukForm
from core.validators import no_line_breaks
from innovation_den.models import (
    HYPOTHESIS_HELP,
    MAX_BUDGET_CAP,
    MAX_WEEKS,
    Proposal,
    Review,
    ReviewRound,
)
from suppliers.models import Capability


def _escape(text: str) -> str:
    """Escape text put into a crispy HTML() block, which is itself rendered as a template."""
    return escape(text).replace("{", "&#123;").replace("}", "&#125;").replace("%", "&#37;")


def _helper(*fields, submit: str = "Continue", form_tag: bool = True) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = form_tag
    helper.layout = Layout(*fields, Submit("submit", submit))
    return helper


class ProposalForm(GovukForm):
    short_names = {"sponsor_email": "Sponsor's email address"}

    title = forms.CharField(
        max_length=200,
        validators=[no_line_breaks],  # it goes into email subjects
        error_messages={"required": "Enter a title."},
    )
    problem = forms.CharField(
        label="The problem",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What is wrong now, for whom, and how you know.",
        error_messages={"required": "Describe the problem the trial addresses."},
    )
    public_body = forms.ModelChoiceField(
        queryset=PublicBody.objects.all(),
        empty_label="Choose a public body",
        error_messages={"required": "Choose the public body the trial is for."},
    )
    hypothesis = forms.CharField(
        label="The idea to test",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=HYPOTHESIS_HELP,
        error_messages={"required": "Enter the hypothesis. " + HYPOTHESIS_HELP},
    )
    capabilities = forms.ModelMultipleChoiceField(
        queryset=Capability.objects.select_related("group"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Capabilities involved",
        to_field_name="code",
    )
    weeks = forms.IntegerField(
        label="Length of the trial, in weeks",
        min_value=1,
        max_value=MAX_WEEKS,
        error_messages={
            "required": "Enter the length of the trial in weeks.",
            "invalid": "Enter the length as a whole number of weeks.",
            "min_value": "The trial must last at least 1 week.",
            "max_value": f"The trial can last at most {MAX_WEEKS} weeks.",
        },
    )
    budget_cap = forms.DecimalField(
        label="Budget cap, in pounds",
        min_value=0,
        max_value=MAX_BUDGET_CAP,
        decimal_places=2,
        error_messages={
            "required": "Enter the budget cap in pounds.",
            "invalid": "Enter the budget cap as a number of pounds, like 25000.",
            "min_value": "The budget cap cannot be negative.",
            "max_value": f"The budget cap can be at most £{MAX_BUDGET_CAP:,}.",
            "max_decimal_places": "Enter the budget cap in pounds and pence at most.",
        },
    )
    data_allowed = forms.MultipleChoiceField(
        label="Which data may the trial use?",
        choices=Proposal.Data.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Personal data is never allowed in the sandbox.",
        error_messages={"required": "Choose which data the trial may use."},
    )
    no_personal_data = forms.BooleanField(
        label="I confirm the trial will not use personal data",
        error_messages={"required": "Confirm the trial will not use personal data."},
    )
    sponsor_email = forms.EmailField(
        label="Email address of your civil-servant sponsor",
        required=False,
        help_text="A supplier's proposal needs a civil servant of the public body the trial "
        "is for to sponsor it. They will be asked to confirm.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        civil_servant = is_civil_servant(user)
        if civil_servant:
            del self.fields["sponsor_email"]
            if user.public_body_id and not self.initial.get("public_body"):
                self.initial["public_body"] = user.public_body_id
        else:
            self.fields["sponsor_email"].required = True
            self.fields["sponsor_email"].error_messages["required"] = (
                "Enter the email address of the civil servant sponsoring the trial."
            )
        fields = [
            Field.text("title"),
            Field.textarea("problem"),
            Field.select("public_body"),
            Field.textarea("hypothesis"),
            Fieldset(
                Field.text("weeks", field_width=5),
                Field.text("budget_cap", field_width=10),
                Field.checkboxes("data_allowed", legend_size=Size.SMALL),
                Field.checkbox("no_personal_data"),
                legend="Sandbox limits",
                legend_size=Size.MEDIUM,
            ),
            Field.checkboxes("capabilities", legend_size=Size.MEDIUM, small=True),
        ]
        if not civil_servant:
            fields.append(Field.text("sponsor_email"))
        self.helper = _helper(*fields, submit="Save proposal")


class SuccessCriterionForm(GovukForm):
    description = forms.CharField(
        label="Success criterion",
        max_length=300,
        error_messages={"required": "Describe the success criterion."},
    )
    measure = forms.CharField(
        label="How it is measured",
        max_length=300,
        error_messages={"required": "Say how the criterion is measured."},
    )
    target = forms.CharField(
        label="Target",
        max_length=200,
        help_text="The value that counts as success, such as “80% of users” or “under 2 days”.",
        error_messages={"required": "Enter the target."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.text("description"),
            Field.text("measure"),
            Field.text("target", field_width=20),
            submit="Add success criterion",
        )


class StopCriterionForm(GovukForm):
    description = forms.CharField(
        label="Stop criterion",
        max_length=300,
        help_text="A condition on which the trial stops at once.",
        error_messages={"required": "Describe when the trial must stop."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.text("description"), submit="Add stop criterion")


class RiskForm(GovukForm):
    description = forms.CharField(
        label="Risk", max_length=300, error_messages={"required": "Describe the risk."}
    )
    mitigation = forms.CharField(
        label="Mitigation",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say how the risk is mitigated."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.text("description"), Field.textarea("mitigation"), submit="Add risk"
        )


class PartnerSearchForm(GovukForm):
    q = forms.CharField(label="Supplier name", max_length=200, required=False)


class StartReviewForm(GovukForm):
    review_round = forms.ModelChoiceField(
        queryset=ReviewRound.objects.filter(closed_at__isnull=True),
        label="Review round",
        empty_label="Choose an open review round",
        error_messages={"required": "Choose an open review round."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.select("review_round"), submit="Put into review")


SCORE_CHOICES = [(str(n), str(n)) for n in range(1, 6)]


class ReviewForm(GovukForm):
    """One score (1 to 5) and one comment per den criterion."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        layout = []
        for code, label in Review.CRITERIA:
            self.fields[code] = forms.ChoiceField(
                label=f"{label}: your score",
                choices=SCORE_CHOICES,
                widget=forms.RadioSelect,
                help_text="1 is poor, 5 is excellent.",
                error_messages={"required": f"Score {label.lower()} from 1 to 5."},
            )
            self.fields[f"{code}_comment"] = forms.CharField(
                label=f"{label}: why this score",
                widget=forms.Textarea(attrs={"rows": 3}),
                error_messages={"required": f"Explain your score for {label.lower()}."},
            )
            layout.append(
                Fieldset(
                    Field.radios(code, inline=True, legend_size=Size.SMALL),
                    Field.textarea(f"{code}_comment"),
                    legend=label,
                    legend_size=Size.MEDIUM,
                )
            )
        self.helper = _helper(*layout, submit="Submit scores")


class DecisionForm(GovukForm):
    decision = forms.ChoiceField(
        label="Decision",
        choices=[("accept", "Accept the trial"), ("decline", "Decline the trial")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether to accept or decline the trial."},
    )
    reason = forms.CharField(
        label="Reason for the decision",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Sent to the proposers and shown on the proposal.",
        error_messages={"required": "Enter the reason for the decision."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.radios("decision", legend_size=Size.MEDIUM),
            Field.textarea("reason"),
            submit="Record decision",
        )


class ProgressNoteForm(GovukForm):
    body = forms.CharField(
        label="Progress note",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Dated today.",
        error_messages={"required": "Enter the progress note."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.textarea("body"), submit="Add progress note")


class EvaluationForm(GovukForm):
    """For each success criterion the result and whether it was met; then the lessons."""

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        layout = []
        for criterion in self.criteria:
            result, met = f"result_{criterion.pk}", f"met_{criterion.pk}"
            self.fields[result] = forms.CharField(
                label="Result",
                widget=forms.Textarea(attrs={"rows": 2}),
                error_messages={"required": f"Enter the result for “{criterion.description}”."},
            )
            self.fields[met] = forms.ChoiceField(
                label="Was the target met?",
                choices=[("yes", "Yes"), ("no", "No")],
                widget=forms.RadioSelect,
                error_messages={"required": f"Say whether “{criterion.description}” was met."},
            )
            layout.append(
                Fieldset(
                    HTML(f'<p class="govuk-body">Target: {_escape(criterion.target)}</p>'),
                    Field.textarea(result),
                    Field.radios(met, inline=True, legend_size=Size.SMALL),
                    legend=criterion.description,
                    legend_size=Size.MEDIUM,
                )
            )
        self.fields["lessons_learned"] = forms.CharField(
            label="What was learned",
            widget=forms.Textarea(attrs={"rows": 6}),
            help_text="Published in the lessons library whether the trial worked or not.",
            error_messages={
                "required": "Enter what was learned: lessons are published whether the "
                "trial worked or not."
            },
        )
        self.fields["next_steps"] = forms.CharField(
            label="What should happen next",
            widget=forms.Textarea(attrs={"rows": 4}),
            error_messages={"required": "Enter what should happen next."},
        )
        layout += [Field.textarea("lessons_learned"), Field.textarea("next_steps")]
        self.helper = _helper(*layout, submit="Record evaluation")

    def results(self) -> dict[int, tuple[str, bool]]:
        data = self.cleaned_data
        return {c.pk: (data[f"result_{c.pk}"], data[f"met_{c.pk}"] == "yes") for c in self.criteria}


class GraduateForm(GovukForm):
    """Link a graduated trial to what followed: a request, a contract or a web address."""

    short_names = {"contract_ocid": "The contract's ocid", "graduation_url": "The web address"}

    engagement_request = forms.IntegerField(
        label="Engagement request number (optional)",
        required=False,
        min_value=1,
        help_text="The number in the request's address, such as 12 in /engagement/12/.",
        error_messages={"invalid": "Enter the request number as a whole number, like 12."},
    )
    contract_ocid = forms.CharField(
        label="Contract's open contracting id (optional)",
        required=False,
        max_length=120,
        help_text="Such as ocds-b5fd17-1234.",
    )
    graduation_url = forms.URLField(
        label="Web address of what followed (optional)",
        required=False,
        assume_scheme="https",
        max_length=500,
        help_text="When what followed is not on Techmap.",
        error_messages={"invalid": "Enter a full web address starting with https://"},
    )
    graduation_note = forms.CharField(
        label="Note (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.text("engagement_request", field_width=5),
            Field.text("contract_ocid", field_width=20),
            Field.text("graduation_url"),
            Field.textarea("graduation_note"),
            submit="Graduate",
        )

    def clean_engagement_request(self):
        from engagement.models import EngagementRequest

        number = self.cleaned_data.get("engagement_request")
        if number is None:
            return None
        found = EngagementRequest.objects.filter(pk=number).first()
        if found is None:
            raise forms.ValidationError("There is no engagement request with that number.")
        return found

    def clean_contract_ocid(self):
        from reporting.models import Contract

        ocid = (self.cleaned_data.get("contract_ocid") or "").strip()
        if not ocid:
            return None
        found = Contract.objects.filter(ocid__iexact=ocid).first()
        if found is None:
            raise forms.ValidationError("There is no contract with that open contracting id.")
        return found


class CloseForm(GovukForm):
    reason = forms.CharField(
        label="Why the trial is closing (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.textarea("reason"), submit="Close the trial")


class ReviewRoundForm(GovukForm):
    short_names = {"name": "The name"}

    name = forms.CharField(
        label="Name of the round",
        max_length=150,
        help_text="For example, “Spring 2026”.",
        error_messages={"required": "Enter a name for the round."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.text("name", field_width=20), submit="Open round")


class PanelMemberForm(GovukForm):
    reviewer_email = forms.EmailField(
        label="Email address of a civil servant",
        error_messages={
            "required": "Enter the email address of the civil servant to add.",
            "invalid": "Enter an email address in the correct format, like name@example.gov.uk.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.text("reviewer_email"), submit="Add to panel")
