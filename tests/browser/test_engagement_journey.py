"""Early engagement in Chromium, with axe on every page of the journey.

A civil servant writes and publishes a request through the question pages; a
matched supplier gets the alert email, asks a question and responds; the
author answers the question, marks the response and downloads the responses.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from engagement.models import ClarificationQuestion, EngagementRequest, SupplierResponse
from suppliers.models import Capability, Region
from tests import factories

TITLE = "Sensors that help people live safely at home"


@pytest.fixture
def eager_celery():
    """Tasks queued after commit run at once in the server thread (no broker in this test)."""
    from techmap.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = before


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state("load")


def test_civil_servant_publishes_supplier_asks_and_responds_author_answers_and_downloads(
    page, assert_accessible, sign_in, sent_emails, eager_celery, tmp_path
):
    capability = Capability.objects.get(code="internet-of-things")
    region = Region.objects.get(code="TLE")
    body = factories.PublicBodyFactory(name="Department of Health and Social Care")
    author = factories.CivilServantFactory(public_body=body, full_name="Ada Author")
    supplier = factories.SupplierFactory(
        name="Hearth Sensors Ltd", size="micro", capabilities=[capability], regions=[region]
    )
    factories.CaseStudyFactory(supplier=supplier, title="Falls alerts for a county council")
    responder = factories.MembershipFactory(supplier=supplier, role="owner").user
    bystander = factories.MembershipFactory().user  # another supplier, not matched

    # --- The civil servant writes the request, one question per page ----------------
    sign_in(page, author)
    page.goto("/engagement/")
    assert_accessible(page)
    page.get_by_role("button", name="Ask the market").click()

    page.wait_for_url("**/engagement/new/")
    assert_accessible(page)
    page.get_by_role("button", name="Save and continue").click()  # empty: an error first
    page.locator(".govuk-error-summary").wait_for()
    expect(page).to_have_title(re.compile(r"^Error: "))
    assert_accessible(page)
    page.get_by_label("What is the title of your request?").fill(TITLE)
    page.get_by_role("button", name="Save and continue").click()

    def answer(check) -> None:
        assert_accessible(page)
        check()
        before = page.url
        page.get_by_role("button", name="Save and continue").click()
        page.wait_for_url(lambda url: url != before)  # the next question, not an error

    page.wait_for_url("**/edit/policy-area/")
    answer(lambda: page.get_by_label("What policy area is this about?").fill("Adult social care"))
    answer(
        lambda: page.get_by_label("What problem are you trying to solve?").fill(
            "People who live alone fall and wait hours for help."
        )
    )
    answer(lambda: page.get_by_label("Market sounding").check())
    answer(lambda: page.get_by_label("Internet of Things", exact=True).check())
    answer(lambda: page.get_by_label("Yorkshire and The Humber").check())
    answer(
        lambda: (
            page.get_by_label("Written response").check(),
            page.get_by_label("Online session").check(),
        )
    )

    session = timezone.localdate() + timedelta(days=7)

    def session_details() -> None:
        page.locator("input[name=session_date_0]").fill(str(session.day))
        page.locator("input[name=session_date_1]").fill(str(session.month))
        page.locator("input[name=session_date_2]").fill(str(session.year))
        page.get_by_label("Start time").fill("10:00")
        page.get_by_label("End time").fill("11:30")
        page.get_by_label("How to join the online session").fill("We will email a link")

    page.wait_for_url("**/edit/session/")
    answer(session_details)
    deadline = timezone.localdate() + timedelta(days=14)

    def deadline_details() -> None:
        page.locator("input[name=deadline_date_0]").fill(str(deadline.day))
        page.locator("input[name=deadline_date_1]").fill(str(deadline.month))
        page.locator("input[name=deadline_date_2]").fill(str(deadline.year))

    page.wait_for_url("**/edit/deadline/")
    answer(deadline_details)
    answer(lambda: page.get_by_label("Highest amount, in pounds (optional)").fill("200000"))
    answer(lambda: page.get_by_label(re.compile("When do you expect")).fill("Spring 2027"))

    page.wait_for_url("**/check/")
    expect(page.get_by_role("heading", name="Check your request before publishing")).to_be_visible()
    expect(page.get_by_text("Spring 2027")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Publish request").click()

    page.wait_for_url("**/matches/")
    assert (
        page.get_by_role("cell", name="Hearth Sensors Ltd").count()
        + page.get_by_role("link", name="Hearth Sensors Ltd").count()
        >= 1
    )
    expect(page.get_by_text("Offers 1 of the capabilities asked for")).to_be_visible()
    assert_accessible(page)
    er = EngagementRequest.objects.get(title=TITLE)
    assert er.status == "open"
    page.goto(f"/engagement/{er.pk}/")
    assert_accessible(page)
    page.goto(f"/engagement/{er.pk}/notice.json")
    assert '"planning"' in page.content()
    page.goto("/engagement/")
    sign_out(page)

    # --- The matched supplier gets the email, asks and responds -------------------
    emails = [e for e in sent_emails() if e.to == responder.email]
    assert len(emails) == 1 and TITLE in emails[0].subject
    assert not [e for e in sent_emails() if e.to == bystander.email]
    path = re.search(r"/engagement/\d+/", emails[0].body).group(0)

    sign_in(page, responder)
    page.goto(path)
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Ask a question").click()
    page.wait_for_url("**/ask/**")
    assert_accessible(page)
    page.get_by_label("Your question").fill("Can the pilot use existing pendant alarms?")
    page.get_by_role("button", name="Send question").click()
    page.wait_for_url(f"**{path}")
    expect(page.get_by_text("Your question is sent")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name=re.compile("^Respond")).click()
    page.wait_for_url("**/respond/**")
    assert_accessible(page)
    page.get_by_role("button", name="Send response").click()  # empty: an error first
    page.locator(".govuk-error-summary").wait_for()
    assert_accessible(page)
    page.get_by_label("Summary of your relevant expertise").fill(
        "We fit fall sensors for two councils and monitor them around the clock."
    )
    page.get_by_label("Falls alerts for a county council").check()
    page.get_by_label("Your availability for the session (optional)").fill("Any weekday")
    page.get_by_role("button", name="Send response").click()
    page.wait_for_url(f"**{path}")
    expect(page.get_by_text("Your response is saved")).to_be_visible()
    assert_accessible(page)
    sign_out(page)

    # --- The author answers the question and downloads the responses -------------
    sign_in(page, author)
    page.goto(path)
    page.get_by_role("link", name="Questions to answer (1)").click()
    page.wait_for_url("**/questions/")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("^Answer")).click()
    page.wait_for_url("**/answer/")
    assert_accessible(page)
    page.get_by_label("Your answer").fill("Yes, if they meet the telecare standard.")
    page.get_by_role("button", name="Publish answer").click()
    page.wait_for_url("**/questions/")
    assert_accessible(page)

    page.goto(path)
    expect(page.get_by_text("Yes, if they meet the telecare standard.")).to_be_visible()
    assert page.get_by_text("Hearth Sensors Ltd").count() == 0  # the asker is not named
    page.get_by_role("link", name="Responses (1)").click()
    page.wait_for_url("**/responses/")
    assert_accessible(page)
    page.get_by_role("button", name="Mark useful").click()
    page.wait_for_url("**/responses/**")
    assert_accessible(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download all responses (CSV)").click()
    target = tmp_path / "responses.csv"
    download_info.value.save_as(target)
    content = target.read_text()
    assert "Hearth Sensors Ltd" in content and "Falls alerts for a county council" in content
    assert "Useful" in content

    page.get_by_role("link", name="Back to the request").click()
    page.get_by_role("link", name="Participants register").click()
    page.wait_for_url("**/participants/")
    assert_accessible(page)

    assert SupplierResponse.objects.get().mark == "useful"
    assert ClarificationQuestion.objects.get().is_published
    # The asker heard about the answer, once.
    answered = [e for e in sent_emails() if "answered" in e.subject]
    assert [e.to for e in answered] == [responder.email]

    # --- After publishing: a new deadline, a correction, a message to respondents ------
    page.goto(path)
    page.get_by_role("link", name="Extend the deadline").click()
    page.wait_for_url("**/extend-deadline/")
    assert_accessible(page)
    later = deadline + timedelta(days=7)
    page.locator("input[name=deadline_date_0]").fill(str(later.day))
    page.locator("input[name=deadline_date_1]").fill(str(later.month))
    page.locator("input[name=deadline_date_2]").fill(str(later.year))
    page.get_by_label("Time responses close").fill("2pm")
    page.get_by_role("button", name="Extend deadline").click()
    page.wait_for_url(f"**{path}")
    expect(page.get_by_text(f"2pm on {later.day} {later:%B %Y}").first).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Correct the wording").click()
    page.wait_for_url("**/correct/")
    assert_accessible(page)
    page.get_by_label("Policy area").fill("Adult social care and health")
    page.get_by_label("What did you correct?").fill("Added health to the policy area")
    page.get_by_role("button", name="Save correction").click()
    page.wait_for_url(f"**{path}")
    expect(page.get_by_text("Added health to the policy area")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Message respondents").click()
    page.wait_for_url("**/message/")
    assert_accessible(page)
    page.get_by_label("Subject").fill("Joining the session")
    page.get_by_label("Message").fill("Join at https://example.org/session")
    page.get_by_role("button", name="Send message").click()
    page.wait_for_url("**/message/")
    assert_accessible(page)
    assert [e.to for e in sent_emails() if e.subject.startswith("Joining the session")] == [
        responder.email
    ]
