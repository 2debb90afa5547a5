"""The innovation den, end to end in a real browser, with axe on every page of the journey.

A civil servant proposes a trial with a partner supplier, the supplier confirms, a
moderator forms a panel and puts the trial into review, two panel members score it,
the moderator accepts it, it runs, it is evaluated as "not met" with lessons, and the
lesson is found in the library by searching.
"""

from __future__ import annotations

import re

from innovation_den.models import Proposal
from tests import factories

LESSON = "Nurses ignored routes that broke their patients' morning routines"


def _as(page, sign_in, user) -> None:
    page.context.clear_cookies()
    sign_in(page, user)


def _score(page, assert_accessible, reviewer, sign_in, value: str) -> None:
    _as(page, sign_in, reviewer)
    page.goto("/den/")
    page.get_by_role("link", name=re.compile("^Score Route planning")).click()
    assert_accessible(page)
    for code in ("public_value", "feasibility", "innovation", "safety"):
        page.locator(f"input[name={code}][value='{value}']").check()
        page.locator(f"#id_{code}_comment").fill(f"My view on {code.replace('_', ' ')}.")
    page.get_by_role("button", name="Submit scores").click()
    page.get_by_text("Your scores are recorded").wait_for()
    # Having scored, the member now sees the panel's scores.
    page.locator("caption", has_text="The panel's scores").wait_for()
    assert_accessible(page)


def test_a_trial_from_proposal_to_lesson(page, assert_accessible, sign_in, sent_emails):
    proposer = factories.CivilServantFactory(full_name="Nia Proposer")
    owner_membership = factories.MembershipFactory(
        role="owner", supplier=factories.SupplierFactory(name="Wayfinder Routing Ltd")
    )
    owner = owner_membership.user
    panel = [
        factories.CivilServantFactory(full_name="Pat Panel"),
        factories.CivilServantFactory(full_name="Kim Panel"),
    ]
    moderator = factories.ModeratorFactory(full_name="Mo Derator")

    # --- The civil servant proposes the trial ---------------------------------------------
    _as(page, sign_in, proposer)
    page.goto("/den/")
    assert_accessible(page)
    page.get_by_role("button", name="Propose a trial").click()
    assert_accessible(page)
    page.get_by_role("button", name="Save proposal").click()  # empty: errors, not a 500
    page.locator(".govuk-error-summary").wait_for()
    assert "Enter a title." in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page)
    page.locator("#id_title").fill("Route planning for community nurses")
    page.locator("#id_problem").fill("Nurses spend two hours a day driving between visits.")
    page.locator("#id_hypothesis").fill(
        "We believe a route planner will cut driving time measured by minutes driven per visit."
    )
    page.locator("#id_weeks").fill("8")
    page.locator("#id_budget_cap").fill("40000")
    page.locator("input[name=data_allowed][value=anonymised]").check()
    page.locator("#id_no_personal_data").check()
    page.get_by_role("button", name="Save proposal").click()
    page.get_by_text("Your draft proposal is saved").wait_for()
    assert_accessible(page)
    proposal_url = page.url

    page.get_by_role("link", name="Add a success criterion").click()
    assert_accessible(page)
    page.locator("#id_description").fill("Less driving")
    page.locator("#id_measure").fill("Minutes driven per visit")
    page.locator("#id_target").fill("20% less")
    page.get_by_role("button", name="Add success criterion").click()
    page.get_by_text("Success criterion added.").wait_for()

    page.get_by_role("link", name="Add a stop criterion").click()
    assert_accessible(page)
    page.locator("#id_description").fill("A time-critical visit is missed")
    page.get_by_role("button", name="Add stop criterion").click()
    page.get_by_text("Stop criterion added.").wait_for()

    page.get_by_role("link", name="Add a risk").click()
    assert_accessible(page)
    page.locator("#id_description").fill("Routes ignore patient needs")
    page.locator("#id_mitigation").fill("Nurses can override every route")
    page.get_by_role("button", name="Add risk").click()
    page.get_by_text("Risk added.").wait_for()

    page.get_by_role("link", name="Add a partner supplier").click()
    page.locator("#id_q").fill("wayfinder")
    page.get_by_role("button", name="Search the registry").click()
    assert_accessible(page)
    page.get_by_role("button", name="Add Wayfinder Routing Ltd as partner").click()
    page.get_by_text("Its owners have been asked to confirm").wait_for()
    assert "Waiting for the supplier to confirm" in page.content()
    assert_accessible(page)

    # --- The supplier's owner confirms taking part ------------------------------------------
    _as(page, sign_in, owner)
    page.goto(proposal_url)
    assert_accessible(page)
    page.get_by_role("button", name="Confirm taking part").click()
    page.get_by_text("You have confirmed taking part").wait_for()

    # --- The proposer submits -----------------------------------------------------------------
    _as(page, sign_in, proposer)
    page.goto(proposal_url)
    assert "The proposal is complete" in page.content()
    page.get_by_role("button", name="Submit for review").click()
    page.get_by_text("Proposal submitted.").wait_for()
    assert_accessible(page)

    # --- A moderator forms a panel and puts the trial into review ------------------------------
    _as(page, sign_in, moderator)
    page.goto("/den/rounds/")
    assert_accessible(page)
    page.locator("#id_name").fill("Spring 2026")
    page.get_by_role("button", name="Open round").click()
    page.get_by_text("Round opened.").wait_for()
    for person in panel:
        page.locator("#id_reviewer_email").fill(person.email)
        page.get_by_role("button", name="Add to panel").click()
        page.get_by_text("Added to the panel.").wait_for()
    assert_accessible(page)
    page.goto(proposal_url)
    page.get_by_role("button", name="Put into review").click()
    assert_accessible(page)
    page.locator("#id_review_round").select_option(label="Spring 2026")
    page.get_by_role("button", name="Put into review").click()
    page.get_by_text("The proposal is in review.").wait_for()
    assert_accessible(page)

    # --- Two panel members score it, blind ------------------------------------------------------
    _score(page, assert_accessible, panel[0], sign_in, "4")
    _score(page, assert_accessible, panel[1], sign_in, "5")

    # --- The moderator accepts it with a reason ------------------------------------------------
    _as(page, sign_in, moderator)
    page.goto(proposal_url)
    page.get_by_role("button", name="Accept or decline").click()
    assert_accessible(page)
    page.locator("input[name=decision][value=accept]").check()
    page.locator("#id_reason").fill("Clear public value and a safe, bounded sandbox.")
    page.get_by_role("button", name="Record decision").click()
    page.get_by_text("Decision recorded.").wait_for()
    assert_accessible(page)
    assert any(
        email.to == proposer.email and "accepted" in email.subject for email in sent_emails()
    )

    # --- It runs ------------------------------------------------------------------------------
    _as(page, sign_in, proposer)
    page.goto(proposal_url)
    page.get_by_role("button", name="Start the trial").click()
    page.get_by_text("The trial is running.").wait_for()
    assert "Stop the trial at once if: A time-critical visit is missed." in page.content()
    assert_accessible(page)
    page.get_by_role("button", name="Add a progress note").click()
    assert_accessible(page)
    page.locator("#id_body").fill("Week one: routes planned for 12 nurses.")
    page.get_by_role("button", name="Add progress note").click()
    page.get_by_text("Progress note added.").wait_for()

    # --- It is evaluated as "not met", with lessons ----------------------------------------------
    page.get_by_role("button", name="Evaluate the trial").click()
    assert_accessible(page)
    page.locator("textarea[name^=result_]").fill("Driving fell by 4%, not 20%.")
    page.locator("input[name^=met_][value=no]").check()
    page.locator("#id_lessons_learned").fill(LESSON + ", so they stopped using them.")
    page.locator("#id_next_steps").fill("Co-design routes with nurses before trying again.")
    page.get_by_role("button", name="Record evaluation").click()
    page.get_by_text("Evaluation recorded.").wait_for()
    assert "Outcome: Not met" in page.content()
    assert_accessible(page)
    page.get_by_role("button", name="Close the trial").click()
    assert_accessible(page)
    page.get_by_role("button", name="Close the trial").click()
    page.get_by_text("The trial is closed.").wait_for()

    # --- Anyone finds the lesson in the library by searching -----------------------------------
    page.context.clear_cookies()
    page.goto("/den/lessons/")
    assert_accessible(page)
    page.locator("#id_q").fill("patients routines")
    page.get_by_role("button", name="Show lessons").click()
    page.get_by_role("heading", name="1 lesson").wait_for()
    card = page.locator(".app-lesson")
    assert card.count() == 1
    assert "Route planning for community nurses" in card.inner_text()
    assert "Outcome: Not met" in card.inner_text()
    assert LESSON in card.inner_text()
    assert_accessible(page)

    proposal = Proposal.objects.get()
    assert proposal.status == Proposal.Status.CLOSED
    assert [t.to_status for t in proposal.transitions.all()] == [
        "submitted",
        "in_review",
        "accepted",
        "running",
        "evaluated",
        "closed",
    ]
