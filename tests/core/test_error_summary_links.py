"""Each entry of an error summary links to an element on the page (GOV.UK: to its field;
for radios and checkboxes to the first one, for a date to its day), on every form of the
project drawn by crispy-forms-gds, and on pages as people get them."""

from __future__ import annotations

import pytest
from django import forms
from django.template import Context, Template
from django.utils.datastructures import MultiValueDict

from core.templatetags.govuk_forms import error_anchor
from suppliers.forms_registration import STEPS, StepForm, build_step_form
from tests.core.test_every_form_length import BUILD, project_form_classes
from tests.helpers import broken_error_summary_links

# The crispy-forms-gds summary tag (drawn by templates/components/error_summary.html), then
# the form as its page draws it.
PAGE = Template(
    "{% load crispy_forms_gds crispy_forms_tags %}{% error_summary form %}{% crispy form %}"
)


def _choice_widgets(form) -> list[str]:
    return [
        name
        for name, field in form.fields.items()
        if isinstance(field.widget, (forms.RadioSelect, forms.MultiWidget))
    ]


def _wrong_answers(form) -> MultiValueDict:
    """A value no radio, checkbox or date takes, for each of them."""
    data = MultiValueDict()
    for name in _choice_widgets(form):
        widget = form.fields[name].widget
        if isinstance(widget, forms.MultiWidget):
            for i in range(len(widget.widgets)):
                data[form.add_prefix(f"{name}_{i}")] = "x"
        else:
            data.setlist(form.add_prefix(name), ["not-a-choice"])
    return data


def _drawn_by_crispy(form, name: str) -> bool:
    """Whether the form's layout draws the field (a few pages draw some fields by hand)."""
    helper = getattr(form, "helper", None)
    if helper is None or helper.layout is None:
        return True
    return name in {pointer.name for pointer in helper.layout.get_field_names()}


@pytest.mark.django_db
def test_every_error_summary_link_on_every_form_goes_to_an_element():
    builds = {
        f"{cls.__module__}.{cls.__qualname__}": (
            (lambda data, cls=cls: BUILD[cls](data))
            if cls in BUILD
            else (lambda data, cls=cls: cls(data=data))
        )
        for cls in project_form_classes()
        if cls is not StepForm and not cls.__name__.startswith("Govuk")
    }
    for step in STEPS:
        builds[f"register step {step}"] = lambda data, step=step: build_step_form(step, data)
    checked, problems = 0, []
    for label, build in builds.items():
        form = build(None)
        names = [name for name in _choice_widgets(form) if _drawn_by_crispy(form, name)]
        if not names:
            continue
        form = build(_wrong_answers(form))
        form.is_valid()
        html = PAGE.render(Context({"form": form}))
        checked += sum(1 for name in names if name in form.errors)
        problems += [f"{label}: {link}" for link in broken_error_summary_links(html)]
    assert not problems, "error summary links to no element:\n" + "\n".join(problems)
    assert checked > 15  # radios, checkboxes and dates across the apps had errors


class _Choices(forms.Form):
    colour = forms.ChoiceField(choices=[("r", "Red")], widget=forms.RadioSelect)
    sizes = forms.MultipleChoiceField(choices=[("s", "S")], widget=forms.CheckboxSelectMultiple)
    name = forms.CharField()


def test_the_anchor_is_the_first_radio_or_checkbox_and_the_field_otherwise():
    form = _Choices(data={}, prefix="p")
    assert [error_anchor(form[n]) for n in ("colour", "sizes", "name")] == [
        "id_p-colour_1",
        "id_p-sizes_1",
        "id_p-name",
    ]
