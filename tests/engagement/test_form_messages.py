"""Engagement form errors in GOV.UK words: length limits, and times, each naming the
field once."""

from __future__ import annotations

import pytest

from engagement import forms

pytestmark = pytest.mark.django_db


def test_too_long_text_gets_the_govuk_message(client, open_request, responder):
    client.force_login(responder)
    got = client.post(
        f"/engagement/{open_request.pk}/respond/", {"summary": "x" * 5001, "availability": ""}
    )
    assert got.status_code == 200
    html = got.content.decode()
    assert "Summary must be 5,000 characters or fewer" in html
    assert "Ensure this value" not in html


@pytest.mark.parametrize(
    ("form_class", "field", "limit", "message"),
    [
        (forms.TitleForm, "title", 200, "Title must be 200 characters or fewer"),
        (forms.ProblemForm, "problem", 5000, "Problem must be 5,000 characters or fewer"),
        (forms.QuestionForm, "question", 2000, "Question must be 2,000 characters or fewer"),
        (forms.WithdrawForm, "reason", 2000, "Reason must be 2,000 characters or fewer"),
        (forms.MessageForm, "body", 5000, "Message must be 5,000 characters or fewer"),
    ],
)
def test_each_length_limit_names_its_field(form_class, field, limit, message):
    form = form_class({field: "y" * (limit + 1)})
    assert not form.is_valid()
    assert message in form.errors[field]


@pytest.mark.parametrize("value", ["2", "25:00", "teatime", "13pm"])
def test_a_time_that_is_not_a_time_names_the_field_once(client, draft, author, value):
    client.force_login(author)
    got = client.post(
        f"/engagement/{draft.pk}/edit/session/",
        {
            "session_date_0": draft.session_date.day,
            "session_date_1": draft.session_date.month,
            "session_date_2": draft.session_date.year,
            "session_start": value,
            "session_end": "",
        },
    )
    assert got.status_code == 200
    form = got.context["form"]
    assert form.errors["session_start"] == ["Start time must be a real time, like 2pm or 14:30"]


@pytest.mark.parametrize("value", ["2pm", "14:00", "2:00pm"])
def test_session_times_are_read_as_people_write_them_and_shown_govuk_style(
    client, draft, author, value
):
    client.force_login(author)
    got = client.post(
        f"/engagement/{draft.pk}/edit/session/",
        {
            "session_date_0": draft.session_date.day,
            "session_date_1": draft.session_date.month,
            "session_date_2": draft.session_date.year,
            "session_start": value,
            "session_end": "3:30pm",
        },
    )
    assert got.status_code == 302
    draft.refresh_from_db()
    assert (draft.session_start.hour, draft.session_end.minute) == (14, 30)
    check = client.get(f"/engagement/{draft.pk}/check/").content.decode()
    assert "2pm to 3:30pm" in check
    page = client.get(f"/engagement/{draft.pk}/edit/session/").content.decode()
    assert 'value="2pm"' in page
