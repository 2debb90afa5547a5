"""Forms for self-registration, membership and moderation reasons.

They shape input only: every write goes through suppliers.services.
"""

from __future__ import annotations

import copy

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fluid, Layout, Size
from django import forms

from core.forms import GovukForm, GovukModelForm
from core.validators import no_line_breaks
from suppliers.models import SupplierMembership


def _helper(*fields) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = Layout(*fields)
    return helper


class InviteForm(GovukForm):
    email = forms.EmailField(
        label="Email address",
        help_text="They will need a Techmap account with this email address to accept.",
        error_messages={
            "required": "Enter the email address of the person you want to invite",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
    )
    role = forms.ChoiceField(
        label="What can they do?",
        choices=[
            (SupplierMembership.Role.MEMBER, "Member: can change the profile"),
            (SupplierMembership.Role.OWNER, "Owner: can also invite and remove people"),
        ],
        widget=forms.RadioSelect,
        initial=SupplierMembership.Role.MEMBER,
        error_messages={"required": "Choose what they can do"},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.text("email", field_width=Fluid.TWO_THIRDS, label_size=Size.SMALL),
            Field.radios("role", legend_size=Size.SMALL),
        )


class ReasonForm(GovukForm):
    """The reason a moderator gives for a decision (admin's intermediate page)."""

    reason = forms.CharField(
        label="Reason",
        help_text="The supplier's owners and members see this reason.",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        error_messages={"required": "Enter the reason for this decision"},
    )


# --- Question pages: one thing per page ---------------------------------------------

from django.utils import timezone  # noqa: E402

from suppliers import rules  # noqa: E402
from suppliers.companies_house import normalise_company_number  # noqa: E402
from suppliers.models import (  # noqa: E402
    Capability,
    CaseStudy,
    Certification,
    Framework,
    Region,
    Supplier,
)


class CompaniesHouseNumberField(forms.CharField):
    """A Companies House number in any spelling, cleaned to its stored form (or refused)
    by the one rule, ``suppliers.companies_house``."""

    def clean(self, value):
        value = super().clean(value)
        return normalise_company_number(value) if value else value


# How a too-long message names each field (the labels are questions).
SHORT_NAMES = {
    "name": "Organisation name",
    "companies_house_number": "Companies House number",
    "website": "Website",
    "summary": "Summary",
    "description": "Description",
    "contact_name": "Name",
    "contact_phone": "Telephone",
}


class CompaniesHouseNumberForm(GovukForm):
    short_names = SHORT_NAMES
    companies_house_number = CompaniesHouseNumberField(
        label="What is the organisation's Companies House number?",
        help_text="8 characters, for example 01234567 or SC123456.",
        max_length=20,
        error_messages={"required": "Enter the Companies House number"},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.text(
                "companies_house_number", field_width=10, label_size=Size.LARGE, label_tag="h1"
            )
        )


def _year_choices_max() -> int:
    return timezone.now().year


class StepForm(GovukForm):
    """A question page's form; ``STEPS`` says which fields each page has."""

    short_names = SHORT_NAMES

    heading = ""

    def __init__(self, *args, heading: str = "", layout=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.heading = heading
        self.helper = _helper(*layout)


def _model_choices(model, **filters):
    return forms.ModelMultipleChoiceField(
        queryset=model.objects.filter(**filters),
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


def build_step_form(step: str, data=None, initial=None) -> StepForm:
    """The form for one question page (``step`` is a key of ``STEPS``)."""
    spec = STEPS[step]
    fields = spec["fields"]()
    form = StepForm(data, initial=initial, heading=spec["heading"], layout=spec["layout"])
    form.fields.update(fields)
    return form


def _name_fields():
    return {
        "name": forms.CharField(
            label="What is the organisation's name?",
            max_length=200,
            validators=[no_line_breaks],  # it goes into email subjects
            error_messages={"required": "Enter the organisation's name"},
        )
    }


def _website_fields():
    return {
        "website": forms.URLField(
            label="What is the organisation's website? (optional)",
            help_text="For example, https://www.example.co.uk",
            required=False,
            max_length=300,
            assume_scheme="https",
            error_messages={"invalid": "Enter a web address, like https://www.example.co.uk"},
        )
    }


def _summary_fields():
    return {
        "summary": forms.CharField(
            label="Summarise what the organisation does",
            help_text="In 250 characters or fewer. Civil servants see this in search results.",
            max_length=250,
            widget=forms.Textarea(attrs={"rows": 3}),
            error_messages={"required": "Enter a summary of what the organisation does"},
        )
    }


def _description_fields():
    return {
        "description": forms.CharField(
            label="Describe the organisation (optional)",
            help_text="What you do, who for, and how.",
            required=False,
            max_length=10000,
            widget=forms.Textarea(attrs={"rows": 8}),
        )
    }


def _size_fields():
    return {
        "size": forms.ChoiceField(
            label="How big is the organisation?",
            choices=Supplier.Size.choices,
            widget=forms.RadioSelect,
            error_messages={"required": "Choose the size of the organisation"},
        )
    }


def _employees_fields():
    return {
        "employees": forms.IntegerField(
            label="How many people does the organisation employ? (optional)",
            required=False,
            min_value=0,
            max_value=rules.EMPLOYEES_MAX,
            error_messages={
                "invalid": "Enter the number of employees as a whole number, like 25",
                "min_value": "The number of employees cannot be negative",
                "max_value": "Enter a realistic number of employees",
            },
        )
    }


def _year_fields():
    return {
        "year_founded": forms.IntegerField(
            label="In what year was the organisation founded? (optional)",
            help_text="For example, 2012",
            required=False,
            min_value=rules.YEAR_FOUNDED_MIN,
            max_value=_year_choices_max(),
            error_messages={
                "invalid": "Enter the year as 4 digits, like 2012",
                "min_value": f"The year must be {rules.YEAR_FOUNDED_MIN} or later",
                "max_value": "The year cannot be in the future",
            },
        )
    }


def _hq_region_fields():
    return {
        "hq_region": forms.ModelChoiceField(
            label="Where is the organisation's head office?",
            queryset=Region.objects.all(),
            to_field_name="code",
            widget=forms.RadioSelect,
            empty_label=None,
            error_messages={"required": "Choose the region of the head office"},
        )
    }


def _regions_fields():
    field = _model_choices(Region)
    field.required = True
    field.label = "Which regions does the organisation serve?"
    field.help_text = "Select all that apply."
    field.error_messages["required"] = "Choose at least one region"
    return {"regions": field}


def _capabilities_fields():
    field = _model_choices(Capability)
    field.required = True
    field.label = "What can the organisation do?"
    field.error_messages["required"] = "Choose at least one capability"
    field.queryset = Capability.objects.select_related("group")
    return {"capabilities": field}


def _certifications_fields():
    field = _model_choices(Certification)
    field.label = "Which certifications does the organisation hold? (optional)"
    field.help_text = "Select all that apply."
    return {"certifications": field}


def _frameworks_fields():
    field = _model_choices(Framework)
    field.label = "Which public-sector frameworks is the organisation on? (optional)"
    field.help_text = "Select all that apply."
    return {"frameworks": field}


def _contact_fields():
    return {
        "contact_name": forms.CharField(label="Name (optional)", required=False, max_length=150),
        "contact_email": forms.EmailField(
            label="Email address",
            help_text="Civil servants use this to contact you.",
            error_messages={
                "required": "Enter a contact email address",
                "invalid": "Enter an email address in the correct format, like name@example.com",
            },
        ),
        "contact_phone": forms.CharField(
            label="Telephone (optional)", required=False, max_length=30
        ),
    }


def _h1(field, **kwargs):
    return Field.text(field, label_size=Size.LARGE, label_tag="h1", **kwargs)


STEPS: dict[str, dict] = {
    "name": {
        "title": "Organisation name",
        "heading": "",
        "fields": _name_fields,
        "layout": [_h1("name", field_width=Fluid.TWO_THIRDS)],
    },
    "companies-house-number": {
        "title": "Companies House number",
        "heading": "",
        "fields": lambda: {
            "companies_house_number": copy.deepcopy(
                CompaniesHouseNumberForm.base_fields["companies_house_number"]
            )
        },
        "layout": [_h1("companies_house_number", field_width=10)],
    },
    "website": {
        "title": "Website",
        "heading": "",
        "fields": _website_fields,
        "layout": [_h1("website", field_width=Fluid.TWO_THIRDS)],
    },
    "summary": {
        "title": "Summary",
        "heading": "",
        "fields": _summary_fields,
        "layout": [
            Field.textarea("summary", label_size=Size.LARGE, label_tag="h1", max_characters=250)
        ],
    },
    "description": {
        "title": "Description",
        "heading": "",
        "fields": _description_fields,
        "layout": [Field.textarea("description", label_size=Size.LARGE, label_tag="h1")],
    },
    "size": {
        "title": "Size",
        "heading": "",
        "fields": _size_fields,
        "layout": [Field.radios("size", legend_size=Size.LARGE, legend_tag="h1")],
    },
    "employees": {
        "title": "Employees",
        "heading": "",
        "fields": _employees_fields,
        "layout": [_h1("employees", field_width=10)],
    },
    "year-founded": {
        "title": "Year founded",
        "heading": "",
        "fields": _year_fields,
        "layout": [_h1("year_founded", field_width=4)],
    },
    "hq-region": {
        "title": "Head-office region",
        "heading": "",
        "fields": _hq_region_fields,
        "layout": [Field.radios("hq_region", legend_size=Size.LARGE, legend_tag="h1")],
    },
    "regions": {
        "title": "Regions served",
        "heading": "",
        "fields": _regions_fields,
        "layout": [
            Field.checkboxes("regions", legend_size=Size.LARGE, legend_tag="h1", small=True)
        ],
    },
    "capabilities": {
        "title": "Capabilities",
        "heading": "",
        "fields": _capabilities_fields,
        "layout": [],  # grouped checkboxes: rendered by register/capabilities.html
    },
    "certifications": {
        "title": "Certifications",
        "heading": "",
        "fields": _certifications_fields,
        "layout": [
            Field.checkboxes("certifications", legend_size=Size.LARGE, legend_tag="h1", small=True)
        ],
    },
    "frameworks": {
        "title": "Frameworks",
        "heading": "",
        "fields": _frameworks_fields,
        "layout": [
            Field.checkboxes("frameworks", legend_size=Size.LARGE, legend_tag="h1", small=True)
        ],
    },
    "contact": {
        "title": "Contact details",
        "heading": "Contact details",
        "fields": _contact_fields,
        "layout": [
            Field.text("contact_name", field_width=Fluid.TWO_THIRDS, label_size=Size.SMALL),
            Field.text("contact_email", field_width=Fluid.TWO_THIRDS, label_size=Size.SMALL),
            Field.text("contact_phone", field_width=20, label_size=Size.SMALL),
        ],
    },
}


class CaseStudyForm(GovukModelForm):
    class Meta:
        model = CaseStudy
        fields = ("title", "client_type", "client_name", "summary", "outcome", "year")
        labels = {
            "title": "Title",
            "client_type": "Who was the client?",
            "client_name": "Client name (optional)",
            "summary": "What did you do?",
            "outcome": "What was the outcome? (optional)",
            "year": "Year (optional)",
        }
        widgets = {
            "client_type": forms.RadioSelect,
            "summary": forms.Textarea(attrs={"rows": 5}),
            "outcome": forms.Textarea(attrs={"rows": 3}),
        }
        error_messages = {
            "title": {"required": "Enter a title for the case study"},
            "client_type": {"required": "Choose public sector or private sector"},
            "summary": {"required": "Enter what you did"},
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client_type"].choices = CaseStudy.ClientType.choices
        self.fields["year"].error_messages.update(
            {"invalid": "Enter the year as 4 digits, like 2023"}
        )
        self.helper = _helper(
            Field.text("title", field_width=Fluid.TWO_THIRDS, label_size=Size.SMALL),
            Field.radios("client_type", legend_size=Size.SMALL, inline=True),
            Field.text("client_name", field_width=Fluid.TWO_THIRDS, label_size=Size.SMALL),
            Field.textarea("summary", label_size=Size.SMALL),
            Field.textarea("outcome", label_size=Size.SMALL),
            Field.text("year", field_width=4, label_size=Size.SMALL),
        )
