"""The one GOV.UK message for text over its limit, shared by every app's forms."""

from __future__ import annotations

from django import forms

from core.forms import GovukLengthMessages, too_long_message


class _Form(GovukLengthMessages, forms.Form):
    short_names = {"summary": "Summary"}

    summary = forms.CharField(label="Summary of your relevant expertise", max_length=5000)
    name = forms.CharField(label="Organisation name", max_length=150)
    count = forms.IntegerField(required=False)


def test_the_message_reads_as_govuk_writes_it():
    assert too_long_message("Summary", 5000) == "Summary must be 5,000 characters or fewer"


def test_every_limited_field_gets_it_by_short_name_or_label():
    form = _Form({"summary": "x" * 5001, "name": "y" * 151})
    assert not form.is_valid()
    assert form.errors == {
        "summary": ["Summary must be 5,000 characters or fewer"],
        "name": ["Organisation name must be 150 characters or fewer"],
    }
    assert _Form({"summary": "x" * 5000, "name": "ok"}).is_valid()
