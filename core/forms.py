"""Shared form pieces: a service's refusal shown on a form (the one place a DomainError
becomes form errors), the GOV.UK message for text that is too long, and a time field that
takes times as people write them."""

from __future__ import annotations

import re
from datetime import time

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator

from core.templatetags.govuk_time import format_govuk_time


def apply_domain_error(
    form: forms.BaseForm,
    error: ValidationError,
    *,
    default_field: str | None = None,
    prefix: str = "",
) -> None:
    """Put each message of ``error`` beside the field it names, or at the top of the form.

    A message for a field the form does not have (or a message with no field) goes to
    ``default_field`` when the form has it, else to the form as a whole. ``prefix`` maps a
    service's field name to the form's (``metric_`` + ``uptime`` is ``metric_uptime``).
    """

    def target(name: str | None) -> str | None:
        for candidate in (name, f"{prefix}{name}" if name and prefix else None, default_field):
            if candidate and candidate in form.fields:
                return candidate
        return None

    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            for message in messages:
                form.add_error(target(name), message)
    else:
        for message in error.messages:
            form.add_error(target(None), message)


_TIME_RE = re.compile(
    r"^(?P<hour>\d{1,2})(?:[:.](?P<minute>\d{2}))?\s*(?P<half>[ap])?(?:\.?m\.?)?$", re.I
)
_TIME_WORDS = {"midday": time(12, 0), "noon": time(12, 0), "midnight": time(0, 0)}


def parse_time(text: str) -> time | None:
    """A time as people write it: "2pm", "2:30pm", "2.30 pm", "14:00", "09:30", "midday".

    Without am or pm the minutes are required ("14:00"), so a bare "2" is not guessed at.
    Returns None for anything else.
    """
    text = " ".join((text or "").split()).lower()
    if text in _TIME_WORDS:
        return _TIME_WORDS[text]
    found = _TIME_RE.match(text)
    if not found:
        return None
    hour, minute, half = int(found["hour"]), int(found["minute"] or 0), found["half"]
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "p" else 0)
    elif found["minute"] is None or hour > 23:
        return None
    return time(hour, minute) if minute < 60 else None


class GovukTimeInput(forms.TimeInput):
    """Shows a stored time as "2pm" or "9:30am", which :class:`GovukTimeField` reads back."""

    def format_value(self, value):
        return format_govuk_time(value) if isinstance(value, time) else value


class GovukTimeField(forms.TimeField):
    """A time field that accepts "2pm", "2:00pm" and "14:00" (see :func:`parse_time`)."""

    widget = GovukTimeInput

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, time):
            return value
        parsed = parse_time(str(value))
        if parsed is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


def too_long_message(name: str, limit: int) -> str:
    """The GOV.UK words for text over its limit: "Summary must be 5,000 characters or fewer"."""
    return f"{name} must be {limit:,} characters or fewer"


def max_length_of(field: forms.Field) -> int | None:
    """The most characters ``field`` takes: its ``max_length``, else a MaxLengthValidator's."""
    limits = [getattr(field, "max_length", None)] + [
        v.limit_value for v in field.validators if isinstance(v, MaxLengthValidator)
    ]
    return min((limit for limit in limits if isinstance(limit, int)), default=None)


class GovukLengthMessages:
    """Form mixin: every field with a ``max_length`` says so in GOV.UK words.

    The field is named by ``short_names[field name]`` (a label is often a whole question),
    else by its label without "(optional)". Put it before the form class in the bases, or
    use :class:`GovukForm` / :class:`GovukModelForm`. The messages are set when the form is
    validated, so fields added after ``__init__`` (question pages, report metrics) get them
    too; ``tests/core/test_every_form_length.py`` checks every form of the project.
    """

    short_names: dict[str, str] = {}

    def length_name(self, name: str, field: forms.Field) -> str:
        label = self.short_names.get(name) or str(field.label or name.replace("_", " "))
        label = re.sub(r"\s*\(optional\)\s*$", "", label)
        return label[:1].upper() + label[1:]

    def full_clean(self) -> None:
        for name, field in self.fields.items():
            limit = max_length_of(field)
            if limit:
                # Field.run_validators swaps this in for MaxLengthValidator's own message.
                field.error_messages["max_length"] = too_long_message(
                    self.length_name(name, field), limit
                )
        super().full_clean()


class GovukForm(GovukLengthMessages, forms.Form):
    """The base of the project's forms: length limits in GOV.UK words."""


class GovukModelForm(GovukLengthMessages, forms.ModelForm):
    """The base of the project's model forms: length limits in GOV.UK words."""
