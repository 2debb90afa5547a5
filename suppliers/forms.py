"""Forms for shortlists. They shape input only: every write goes through suppliers.services.

The search itself is a GET form rendered by templates/suppliers/search.html from the
FilterSet and its facets (checkboxes with live counts); it has no Django form here.
"""

from __future__ import annotations

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fluid, Layout, Size
from django import forms

from core.forms import GovukForm
from suppliers.models import Shortlist
from suppliers.services import SHORTLIST_DESCRIPTION_MAX_LENGTH, SHORTLIST_NOTE_MAX_LENGTH

NEW_SHORTLIST = "new"
NAME_MAX_LENGTH = Shortlist._meta.get_field("name").max_length


def _helper(*fields) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = Layout(*fields)
    return helper


class ShortlistForm(GovukForm):
    """Create or rename a shortlist."""

    short_names = {"name": "Name"}

    name = forms.CharField(
        label="Name of the shortlist",
        help_text="For example, ‘Cyber security discovery, March’",
        max_length=NAME_MAX_LENGTH,
        error_messages={"required": "Enter a name for the shortlist"},
    )
    description = forms.CharField(
        label="Description (optional)",
        help_text="What the shortlist is for. Only you can see it.",
        required=False,
        max_length=SHORTLIST_DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.text("name", field_width=Fluid.TWO_THIRDS, label_size=Size.SMALL),
            Field.textarea("description", label_size=Size.SMALL),
        )


class ShortlistAddForm(GovukForm):
    """Add one supplier to an existing shortlist or a new one, with a note."""

    short_names = {"new_name": "Name", "search": "The search"}

    shortlist = forms.ChoiceField(
        label="Which shortlist?",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a shortlist, or choose a new one and give it a name",
            "invalid_choice": "Choose one of your shortlists",
        },
    )
    new_name = forms.CharField(
        label="Name of the new shortlist",
        help_text="Only if you chose a new shortlist",
        required=False,
        max_length=NAME_MAX_LENGTH,
    )
    note = forms.CharField(
        label="Note (optional)",
        help_text="Why this supplier might fit. Only you can see it; it is in the CSV download.",
        required=False,
        max_length=SHORTLIST_NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    search = forms.CharField(required=False, widget=forms.HiddenInput, max_length=4000)

    def __init__(self, *args, shortlists=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(s.pk), s.name) for s in shortlists]
        choices.append((NEW_SHORTLIST, "A new shortlist"))
        self.fields["shortlist"].choices = choices
        if not shortlists:
            self.fields["shortlist"].initial = NEW_SHORTLIST
        self.helper = _helper(
            Field.radios("shortlist", legend_size=Size.SMALL),
            Field.text("new_name", field_width=Fluid.TWO_THIRDS, label_size=Size.SMALL),
            Field.textarea("note", label_size=Size.SMALL),
            Field("search"),
        )

    def clean(self):
        data = super().clean()
        if data.get("shortlist") == NEW_SHORTLIST and not (data.get("new_name") or "").strip():
            self.add_error("new_name", "Enter a name for the new shortlist")
        return data


class EntryNoteForm(GovukForm):
    note = forms.CharField(
        label="Note",
        help_text="Only you can see it, and it is in the CSV download.",
        required=False,
        max_length=SHORTLIST_NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.textarea("note", label_size=Size.SMALL))
