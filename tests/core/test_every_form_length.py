"""Every form of the project says a length limit in GOV.UK words ("Summary must be 5,000
characters or fewer"), whichever app it is in and however its fields are made.

The forms are found by walking the project's modules, so a new form is checked without
being listed here; one that needs arguments is built by ``BUILD`` (and fails loudly until
it is added there). Django admin's forms are left out: the admin is not a GOV.UK page.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from datetime import date

import pytest
from django import forms

from accounts.forms import AddEmailForm
from core.forms import GovukForm, GovukLengthMessages, GovukModelForm, max_length_of
from engagement.forms import ConfirmForm, CorrectionForm, ResponseForm
from engagement.models import EngagementRequest
from innovation_den.forms import EvaluationForm, ProposalForm
from reporting.forms import ReportForm
from reporting.models import ReportingScheme
from suppliers.forms_registration import STEPS, StepForm, build_step_form
from tests.factories import SupplierFactory, UserFactory

APPS = ("core", "accounts", "suppliers", "engagement", "reporting", "innovation_den")
# "Summary", "Comment on uptime", "Companies House number": a short name, never a question.
NAME = r"[A-Z][\w ,'’-]{0,39}"


def _is_admin(module: str) -> bool:
    return any(part == "admin" or part.startswith("admin_") for part in module.split("."))


def project_form_classes() -> list[type[forms.BaseForm]]:
    for app in APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if not any(part in info.name for part in ("migrations", "management", "tests")):
                importlib.import_module(info.name)
    found, todo = set(), [forms.BaseForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return sorted(
        (
            cls
            for cls in found
            if cls.__module__.split(".")[0] in APPS and not _is_admin(cls.__module__)
        ),
        key=lambda cls: f"{cls.__module__}.{cls.__qualname__}",
    )


# Forms whose __init__ needs more than data: how to build each for the check.
BUILD = {
    AddEmailForm: lambda data: AddEmailForm(data=data, user=UserFactory()),
    ConfirmForm: lambda data: ConfirmForm(data, submit="Confirm"),
    CorrectionForm: lambda data: CorrectionForm(
        data, instance=EngagementRequest(formats=list(EngagementRequest.Format.values))
    ),
    ResponseForm: lambda data: ResponseForm(data, supplier=SupplierFactory()),
    ProposalForm: lambda data: ProposalForm(data, user=UserFactory()),
    EvaluationForm: lambda data: EvaluationForm(data, criteria=()),
    ReportForm: lambda data: ReportForm(
        data, scheme=ReportingScheme.objects.first(), periods=[date(2026, 1, 1)]
    ),
}


def too_long_data(form: forms.BaseForm) -> dict[str, str]:
    data = {}
    for name, field in form.fields.items():
        limit = max_length_of(field)
        if limit:
            text = "a" * (limit + 1)
            if isinstance(field, forms.EmailField):
                text = "a" * limit + "@example.com"
            data[form.add_prefix(name)] = text
    return data


def length_problems(build, label: str) -> tuple[int, list[str]]:
    """Fill each limited field of the form ``build(data)`` makes with one character too
    many and check its message: how many fields were checked, and what is wrong."""
    form = build(None)
    data = too_long_data(form)
    if not data:
        return 0, []
    form = build(data)
    form.is_valid()
    checked, problems = 0, []
    for name, field in form.fields.items():
        limit = max_length_of(field)
        if not limit:
            continue
        pattern = rf"{NAME} must be {limit:,} characters or fewer"
        errors = [str(e) for e in form.errors.get(name, [])]
        if not any(re.fullmatch(pattern, e) for e in errors):
            problems.append(
                f"{label}.{name}: an over-long value gives {errors}, not “<Name> must be "
                f"{limit:,} characters or fewer” (add the field to the form's short_names)"
            )
        checked += 1
    return checked, problems


@pytest.mark.django_db
def test_every_project_form_words_length_limits_as_govuk_does():
    checked, problems, classes = 0, [], project_form_classes()
    assert len(classes) > 40  # the walk found the apps' forms
    for cls in classes:
        if cls in (GovukForm, GovukModelForm, StepForm):
            continue  # the bases; StepForm's fields come from STEPS (checked below)
        assert issubclass(cls, GovukLengthMessages), (
            f"{cls.__module__}.{cls.__qualname__} does not use core.forms.GovukForm"
        )

        def build(data, cls=cls):
            return BUILD[cls](data) if cls in BUILD else cls(data=data)

        try:
            build(None)
        except TypeError as error:
            pytest.fail(f"Add {cls.__qualname__} to BUILD: {error}")
        found = length_problems(build, f"{cls.__module__}.{cls.__qualname__}")
        checked, problems = checked + found[0], problems + found[1]
    for step in STEPS:
        found = length_problems(
            lambda data, step=step: build_step_form(step, data), f"register step {step}"
        )
        checked, problems = checked + found[0], problems + found[1]
    assert not problems, "\n".join(problems)
    assert checked > 60  # the limited fields were found and checked


def test_a_field_added_after_init_gets_the_message_too():
    class Late(GovukForm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["note"] = forms.CharField(label="Note (optional)", max_length=10)

    form = Late({"note": "x" * 11})
    assert not form.is_valid()
    assert form.errors["note"] == ["Note must be 10 characters or fewer"]
