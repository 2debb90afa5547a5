"""Filters the apps' FilterSets share (pages and API alike)."""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError


class TrueFalseField(forms.Field):
    """``true``/``false`` in the usual spellings, or nothing; anything else is a field
    error saying what to write (subclasses word it for their filter)."""

    true_values = frozenset({"true", "1", "yes", "on"})
    false_values = frozenset({"false", "0", "no", "off"})
    default_error_messages = {"invalid": 'Choose "true" or "false".'}

    def to_python(self, value) -> bool | None:
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in self.true_values:
            return True
        if text in self.false_values:
            return False
        raise ValidationError(self.error_messages["invalid"], code="invalid")


class CorrectField(TrueFalseField):
    default_error_messages = {
        "invalid": 'Choose "false" to search your words as typed, without spelling correction.'
    }


class CorrectFilter(django_filters.BooleanFilter):
    """``?correct=false``: search the words as typed (core.search's ``correct_spelling``)."""

    field_class = CorrectField
