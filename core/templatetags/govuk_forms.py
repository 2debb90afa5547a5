"""Template helpers for GOV.UK forms: where an error summary entry links to."""

from __future__ import annotations

from django import forms, template

register = template.Library()


@register.filter
def error_anchor(bound_field) -> str:
    """The id an error summary entry links to, as GOV.UK asks: the field's own; for
    radios and checkboxes the first one's (crispy-forms-gds draws them as
    ``id_<name>_1``, ``id_<name>_2``…, so the field's own id is on no element); for a
    date (a MultiWidget: day, month, year) its first input's."""
    widget = bound_field.field.widget
    if isinstance(widget, forms.RadioSelect):  # CheckboxSelectMultiple is one too
        return f"id_{bound_field.html_name}_1"
    if isinstance(widget, forms.MultiWidget):
        return f"{bound_field.auto_id}_0"
    return bound_field.auto_id
