"""GOV.UK forms for contract reporting (crispy-forms-gds). Forms shape input only:
the rules live in reporting.validation and reporting.services."""

from __future__ import annotations

from datetime import date

from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout, Size
from django import forms
from django.core.exceptions import ValidationError

from core.forms import GovukForm
from core.validators import no_line_breaks
from reporting.models import Contract, MetricDefinition, Rating, ReportingScheme, Unit
from reporting.periods import period_code, period_label
from reporting.validation import clean_values, fmt, lower_first, rating_key
from suppliers.models import CapabilityGroup, Supplier

UNIT_HINTS = {
    Unit.PERCENT: "A percentage",
    Unit.POUNDS: "An amount in pounds",
    Unit.COUNT: "A whole number",
    Unit.DAYS: "A number of days",
    Unit.SCORE: "A whole number from 1 (worst) to 5 (best)",
}


def metric_hint(metric: MetricDefinition) -> str:
    parts = [metric.description] if metric.description else []
    if metric.unit != Unit.RATING:
        unit = UNIT_HINTS.get(metric.unit, "A number")
        low, high = metric.min_value, metric.max_value
        if low is not None and high is not None and metric.unit != Unit.SCORE:
            unit += f" from {fmt(low)} to {fmt(high)}"
        elif low is not None and metric.unit != Unit.SCORE and low != 0:
            unit += f", {fmt(low)} or more"
        parts.append(unit + ".")
    parts.append("Lower is better." if metric.lower_is_better else "Higher is better.")
    return " ".join(parts)


class ReportForm(GovukForm):
    """A quarter's report, generated from the scheme: for each metric a value (radios for
    the UK9 rating, a text input otherwise) and an optional comment."""

    def __init__(
        self,
        *args,
        scheme: ReportingScheme,
        periods: list[date] | None = None,
        submit_label: str = "Submit report",
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.metrics = list(scheme.metrics.all())
        layout = []
        if periods is not None:
            self.fields["period"] = forms.ChoiceField(
                label="Which quarter are you reporting on?",
                choices=[(period_code(p), period_label(p)) for p in periods],
                widget=forms.RadioSelect,
                error_messages={"required": "Choose the quarter you are reporting on"},
            )
            layout.append(Field.radios("period", legend_size=Size.MEDIUM, small=True))
        for metric in self.metrics:
            name = f"value_{metric.code}"
            required_text = "" if metric.required else " (optional)"
            if metric.unit == Unit.RATING:
                # Required values are checked by the scheme (reporting.validation), so that
                # every problem is shown at once, not the missing ones first.
                self.fields[name] = forms.ChoiceField(
                    label=f"{metric.name}{required_text}",
                    help_text=metric_hint(metric),
                    required=False,
                    choices=[
                        (rating_key(r), r.label) for r in sorted(Rating, key=lambda r: -r.value)
                    ],
                    widget=forms.RadioSelect,
                    error_messages={"required": f"Choose the {lower_first(metric.name)}"},
                )
                value_field = Field.radios(name, legend_size=Size.SMALL, small=True)
            else:
                self.fields[name] = forms.CharField(
                    label=f"{metric.name}{required_text}",
                    help_text=metric_hint(metric),
                    required=False,
                    max_length=30,
                    error_messages={"required": f"Enter {lower_first(metric.name)}"},
                )
                value_field = Field.text(
                    name, label_size=Size.SMALL, field_width=10, inputmode="decimal"
                )
            self.fields[f"comment_{metric.code}"] = forms.CharField(
                label=f"Comment on {lower_first(metric.name)} (optional)",
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            layout += [value_field, Field.textarea(f"comment_{metric.code}", rows=2)]
        self.helper = FormHelper()
        self.helper.layout = Layout(*layout, Button("submit", submit_label))

    def clean(self):
        cleaned = super().clean()
        # The scheme's own check (reporting.validation, which the service runs again), here
        # too so that a form missing its quarter still lists every missing value at once.
        checked = clean_values(self.metrics, self.values(), self.comments())
        for code, problem in checked.errors.items():
            name = f"value_{code}"
            if name in self.fields and name not in self.errors:
                self.add_error(name, problem.message)
        return cleaned

    def values(self) -> dict[str, str]:
        return {m.code: self.cleaned_data.get(f"value_{m.code}") or "" for m in self.metrics}

    def comments(self) -> dict[str, str]:
        return {m.code: self.cleaned_data.get(f"comment_{m.code}") or "" for m in self.metrics}


def report_initial(report) -> dict:
    """The form's initial data from a report's values (to correct a queried report)."""
    initial = {}
    for value in report.values.all():
        metric = value.metric
        if metric.unit == Unit.RATING:
            initial[f"value_{metric.code}"] = rating_key(int(value.value))
        else:
            initial[f"value_{metric.code}"] = fmt(value.value)
        initial[f"comment_{metric.code}"] = value.comment
    return initial


class QueryForm(GovukForm):
    short_names = {"reason": "What is wrong"}
    reason = forms.CharField(
        label="What is wrong with the report?",
        help_text="The supplier sees this and can reply or correct the report.",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Say what is wrong with the report"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False  # the page wraps it in a form posting to the query URL
        self.helper.layout = Layout(
            Field.textarea("reason", label_size=Size.SMALL, rows=4),
            Button.secondary("query", "Query the report"),
        )


class ReplyForm(GovukForm):
    short_names = {"message": "Your reply"}
    message = forms.CharField(
        label="Your reply to the buyer",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter your reply"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.textarea("message", label_size=Size.SMALL, rows=4), Button("reply", "Send reply")
        )


class CsvUploadForm(GovukForm):
    file = forms.FileField(
        label="Upload a CSV file",
        help_text="One row per contract and quarter. At most 50,000 rows, 20 MB.",
        error_messages={"required": "Choose a CSV file to upload"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field("file", context={"label_size": Size.for_label(Size.MEDIUM)}),
            Button("upload", "Upload reports"),
        )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 20 * 1024 * 1024:
            raise ValidationError("The file must be 20 MB or smaller")
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise ValidationError("The file must be a CSV")
        return upload


class ContractForm(GovukForm):
    short_names = {"ocid": "The ocid"}

    ocid = forms.CharField(
        label="Open contracting id (ocid)",
        help_text="From the contract's notice on Find a Tender, like ocds-h6vhtk-04f1c2.",
        max_length=120,
        error_messages={"required": "Enter the contract's ocid"},
    )
    title = forms.CharField(
        label="Title",
        max_length=300,
        validators=[no_line_breaks],  # it goes into email subjects
        error_messages={"required": "Enter the contract's title"},
    )
    supplier = forms.ModelChoiceField(
        label="Supplier",
        queryset=Supplier.objects.filter(status=Supplier.Status.PUBLISHED).only("id", "name"),
        empty_label="Choose the supplier",
        error_messages={"required": "Choose the supplier", "invalid_choice": "Choose a supplier"},
    )
    category = forms.ModelChoiceField(
        label="Category",
        help_text="What the contract mainly buys. Contracts are compared within a category.",
        queryset=CapabilityGroup.objects.all(),
        empty_label="Choose a category",
        error_messages={"required": "Choose a category"},
    )
    value = forms.DecimalField(
        label="Total value in pounds (optional)",
        required=False,
        min_value=0,
        max_digits=15,
        decimal_places=2,
        error_messages={"invalid": "Enter the value as a number, like 250000"},
    )
    start_date = DateInputField(label="Start date (optional)", required=False)
    end_date = DateInputField(label="End date (optional)", required=False)
    status = forms.ChoiceField(label="Status", choices=Contract.Status.choices, initial="active")
    description = forms.CharField(
        label="Description (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        fields = [
            Field.text("title"),
            Field.select("supplier"),
            Field.select("category"),
            Field.text("value", field_width=10),
            Field("start_date"),
            Field("end_date"),
            Field.select("status"),
            Field.textarea("description", rows=3),
        ]
        if editing:
            del self.fields["ocid"]
        else:
            fields.insert(0, Field.text("ocid", field_width=20))
        self.helper = FormHelper()
        self.helper.layout = Layout(*fields, Button("save", "Save contract"))
