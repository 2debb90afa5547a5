"""Showing a service's refusal on a form: the one place a DomainError becomes form errors."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


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
