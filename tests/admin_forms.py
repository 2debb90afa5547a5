"""Posting an admin change or add page as a person would: what the page shows, plus changes.

``admin_form_data`` reads the page's form and inline formsets as they stand (the values
a browser would send back unchanged); a test then changes a few values and POSTs it, so
each test of an admin bypass goes through the same form, inlines and save as a moderator.
"""

from __future__ import annotations

import datetime

from django import forms


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def _fields(form: forms.BaseForm) -> dict:
    data: dict = {}
    for bound in form:
        value = bound.value()
        widget = bound.field.widget
        if isinstance(widget, forms.MultiWidget):
            parts = widget.decompress(value) if not isinstance(value, list) else value
            for suffix, part in zip(widget.widgets_names, parts, strict=False):
                data[f"{bound.html_name}{suffix}"] = _text(part)
        elif isinstance(bound.field, forms.BooleanField):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [_text(item) for item in value]
        else:
            data[bound.html_name] = _text(value)
    return data


def admin_form_data(client, url: str) -> dict:
    """The POST body the admin page at ``url`` would send if saved as it stands."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    data = _fields(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data |= _fields(formset.management_form)
        for form in formset.forms:
            data |= _fields(form)
    return data


def inline_prefix(client, url: str, model_name: str) -> str:
    """The prefix of the inline formset for ``model_name`` on the page at ``url``."""
    page = client.get(url)
    for inline in page.context["inline_admin_formsets"]:
        if inline.formset.model._meta.model_name == model_name:
            return inline.formset.prefix
    raise AssertionError(f"no {model_name} inline on {url}")


def admin_errors(page) -> list[str]:
    """Every error the re-shown admin page carries (form, fields and inlines)."""
    assert page.status_code == 200, f"expected the form again, got {page.status_code}"
    form = page.context["adminform"].form
    found = [str(m) for m in form.non_field_errors()]
    found += [str(m) for errors in form.errors.values() for m in errors]
    for inline in page.context["inline_admin_formsets"]:
        found += [str(m) for m in inline.formset.non_form_errors()]
        found += [str(m) for errors in inline.formset.errors for ms in errors.values() for m in ms]
    return found
