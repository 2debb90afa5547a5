"""Demo trials for seed_demo: proposals in every state of the lifecycle.

Includes evaluated trials that met, partly met and did not meet their criteria, so
the lessons library is never empty. Trials move through the real services, so each
step is recorded with who and when. Works whatever number of suppliers exists (none
included): partners are left out when there are no published suppliers.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable

from allauth.account.models import EmailAddress
from django.conf import settings
from django.utils import timezone

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.demo import DEMO_USERS
from accounts.models import PublicBody, User
from accounts.permissions import MODERATORS_GROUP
from innovation_den import services
from innovation_den.models import Proposal, ProposalPartner, ReviewRound
from suppliers.models import Capability, Supplier, SupplierMembership

Status = Proposal.Status

PANEL = [
    ("den.panel.one@digital.cabinet-office.gov.uk", "Priya Shah"),
    ("den.panel.two@dwp.gov.uk", "Tom Evans"),
    ("den.panel.three@hmrc.gov.uk", "Grace Okafor"),
]
SPONSOR = ("den.sponsor@dft.gov.uk", "Rhys Llewellyn")

# (title, problem, hypothesis, success criteria [(description, measure, target, met)],
#  stop criteria, risks [(risk, mitigation)], lessons, next steps, target state)
TRIALS = [
    (
        "Plain-English letters drafted with a language model",
        "Benefit letters are hard to read: a third of calls to the helpline ask what a letter "
        "means.",
        "We believe drafting letters with a language model reviewed by caseworkers will halve "
        "calls asking what a letter means, measured by helpline call reasons over 8 weeks.",
        [
            ("Fewer calls about letters", "Helpline call reason codes", "50% fewer calls", True),
            ("Caseworker time per letter", "Timed sample of 200 letters", "Under 10 minutes", True),
        ],
        ["Any letter sent with a factual error", "Caseworkers reject more than 30% of drafts"],
        [("Model invents facts", "Every draft is checked by a caseworker before sending")],
        "Plain-English drafts worked when a caseworker stayed in the loop. The model was most "
        "useful for restructuring, not for facts.",
        "Run a procurement for a supported service across two more letter types.",
        Status.GRADUATED,
    ),
    (
        "Predicting pothole repairs from open road data",
        "Potholes are repaired after complaints; the backlog grows every winter.",
        "We believe a model trained on open road-condition data will find potholes before "
        "they are reported, measured by the share of repairs found proactively.",
        [
            ("Repairs found before a complaint", "Share of repairs", "40% of repairs", True),
            ("False alarms", "Inspections with no defect", "Under 20% of inspections", False),
        ],
        ["Inspection crews diverted from urgent work"],
        [("Open data is out of date", "Compare with a fortnightly survey sample")],
        "The model found real defects early, but too many false alarms wasted inspection "
        "visits. Road-survey data needs to be fresher than quarterly for this to pay off.",
        "Retry with monthly survey data before any wider rollout.",
        Status.EVALUATED,
    ),
    (
        "Chatbot for planning application questions",
        "Planning officers spend a day a week answering the same questions by email.",
        "We believe a chatbot trained on published planning guidance will answer routine "
        "questions, measured by the share of emails it deflects.",
        [
            ("Emails deflected", "Emails to the planning inbox", "30% fewer emails", False),
            ("Answers rated correct", "Officer review of 300 answers", "95% correct", False),
        ],
        ["Any answer that contradicts published policy"],
        [("Wrong answers mislead applicants", "Show the source for every answer")],
        "It did not work: applicants asked about their own case, which published guidance "
        "cannot answer, and 1 answer in 8 was wrong. Routine questions were fewer than we "
        "thought; the guidance pages needed rewriting more than a chatbot.",
        "Rewrite the top 20 guidance pages; do not procure a chatbot.",
        Status.CLOSED,
    ),
    (
        "Synthetic data to test a new tax credit calculator",
        "Testing the calculator needs realistic cases, which we cannot copy from live data.",
        "We believe synthetic households generated from published statistics will find as "
        "many calculator defects as live data, measured by defects found per 1,000 cases.",
        [
            ("Defects found", "Defects per 1,000 test cases", "At least 4 per 1,000", True),
            ("Realism", "Tester rating of 100 cases", "80% rated realistic", False),
        ],
        ["Any live record found in the test set"],
        [("Synthetic data too clean", "Seed it with known edge cases from policy")],
        "Synthetic data found defects well, but testers judged many households implausible. "
        "Generators need policy experts, not just statistics.",
        "Pair a data scientist with a policy expert for the next generator.",
        Status.EVALUATED,
    ),
    (
        "Open data dashboard of school building conditions",
        "Condition surveys exist as PDFs; nobody can compare schools.",
        "We believe publishing survey data as open data will let trusts plan repairs, "
        "measured by trusts using it in their estate plans.",
        [
            ("Trusts using the data", "Survey of trusts", "25 trusts", False),
        ],
        ["A school identified as unsafe before it is told"],
        [("Data misread", "Publish guidance with every dataset")],
        "Trusts wanted the data but not a dashboard: they downloaded the CSV and used their own "
        "tools. The dashboard was wasted effort.",
        "Publish the CSV monthly; drop the dashboard.",
        Status.EVALUATED,
    ),
    (
        "Route optimisation for community nurses",
        "Nurses spend up to 2 hours a day driving between visits.",
        "We believe route optimisation on anonymised visit lists will cut driving time, "
        "measured by minutes driven per visit.",
        [("Driving time", "Minutes per visit from mileage logs", "20% less", None)],
        ["A missed or late time-critical visit"],
        [("Schedules ignore patient needs", "Nurses can override every route")],
        "",
        "",
        Status.RUNNING,
    ),
    (
        "Automatic redaction of court documents",
        "Redacting court bundles by hand takes days and misses names.",
        "We believe automatic redaction of anonymised test bundles will catch more names, "
        "measured by names missed per 100 pages.",
        [("Names missed", "Manual audit", "Under 1 per 100 pages", None)],
        ["Any unredacted name in an output bundle"],
        [("Tool misses unusual names", "A second reviewer samples every bundle")],
        "",
        "",
        "overdue",
    ),
    (
        "Satellite images to spot illegal waste sites",
        "Illegal waste sites are found by chance, months after they start.",
        "We believe open satellite imagery will reveal new waste sites, measured by confirmed "
        "sites found per month.",
        [("Sites confirmed", "Site visits", "5 a month", None)],
        ["Officers sent to unsafe sites"],
        [("Too many false positives", "Desk check before any visit")],
        "",
        "",
        Status.ACCEPTED,
    ),
    (
        "Voice assistant for council tax payments",
        "Phone payments need an agent for every call.",
        "We believe a voice assistant will take routine payments, measured by calls completed "
        "without an agent.",
        [("Calls without an agent", "Call logs", "60% of payment calls", None)],
        ["Any payment taken twice"],
        [("Callers cannot reach a person", "Say 'agent' at any time")],
        "",
        "",
        Status.DECLINED,
    ),
    (
        "Machine translation of public health notices",
        "Notices reach people in 40 languages late, through volunteers.",
        "We believe machine translation checked by volunteers will publish notices faster, "
        "measured by hours from English notice to translation.",
        [("Time to translate", "Hours to publication", "Under 24 hours", None)],
        ["A mistranslated dose or instruction"],
        [("Mistranslation", "A volunteer checks every notice")],
        "",
        "",
        Status.IN_REVIEW,
    ),
    (
        "Digital twin of a hospital car park",
        "Patients miss appointments because they cannot park.",
        "We believe a digital twin fed by open sensor data will cut missed appointments, "
        "measured by missed appointments blamed on parking.",
        [("Missed appointments", "Patient survey", "25% fewer", None)],
        ["Sensors collect number plates"],
        [("Sensors fail", "Fall back to manual counts")],
        "",
        "",
        Status.SUBMITTED,
    ),
    (
        "Smart bins in a city park",
        "Bins overflow at weekends and are emptied when half full on weekdays.",
        "We believe fill-level sensors will let crews empty bins only when needed, measured by "
        "collections per week.",
        [("Collections", "Crew logs", "30% fewer collections", None)],
        ["Any overflowing bin reported twice in a week"],
        [("Sensors vandalised", "Fit sensors inside the lid")],
        "",
        "",
        Status.DRAFT,
    ),
]


def _user(email: str, name: str, *, body: PublicBody | None) -> User:
    user, created = User.objects.get_or_create(email=email, defaults={"full_name": name})
    if created:
        user.set_password(settings.DEMO_PASSWORD)
    user.civil_servant_since = user.civil_servant_since or timezone.now()
    user.public_body = user.public_body or body
    user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user


def _sponsor(*, fallback: PublicBody) -> User:
    """The supplier proposal's sponsor, acting for the body their address proves (DfT)."""
    proved = account_selectors.public_body_verified_by(SPONSOR[0])
    sponsor = _user(*SPONSOR, body=None if proved else fallback)
    if proved is not None and sponsor.public_body_id is None:
        # The same path a real civil servant takes: the domain proves the membership.
        account_services.public_body_request(actor=sponsor, user=sponsor, public_body=proved)
    return sponsor


def _demo_user(role: str) -> User | None:
    spec = next((u for u in DEMO_USERS if u["role"] == role), None)
    return User.objects.filter(email=spec["email"]).first() if spec else None


def seed(*, rng: random.Random, options: dict, log: Callable[[str], None]) -> None:
    if Proposal.objects.exists():
        log("Den demo: already seeded")
        return
    bodies = list(PublicBody.objects.order_by("name"))
    if not bodies:
        log("Den demo: no public bodies, nothing seeded")
        return
    body = PublicBody.objects.filter(slug="cabinet-office").first() or bodies[0]
    moderator = (
        _demo_user("moderator")
        or User.objects.filter(is_staff=True, groups__name=MODERATORS_GROUP).first()
    )
    if moderator is None:
        moderator = account_services.moderator_add(
            user=User.objects.create_user(
                "den.moderator@techmap.service.gov.uk", settings.DEMO_PASSWORD
            )
        )
    proposer = _demo_user("civil servant") or _user(
        "den.proposer@cabinetoffice.gov.uk", "Alex Morgan", body=body
    )
    panel = [_user(email, name, body=rng.choice(bodies)) for email, name in PANEL]
    sponsor = _sponsor(fallback=body)
    supplier_owner = _demo_user("supplier owner")

    review_round = ReviewRound.objects.create(name="Spring 2026", opened_by=moderator)
    for person in panel:
        services.panel_member_add(
            actor=moderator, review_round=review_round, reviewer_email=person.email
        )

    capabilities = list(Capability.objects.all())
    suppliers = list(Supplier.objects.filter(status=Supplier.Status.PUBLISHED).order_by("pk")[:50])
    made = 0
    for index, trial in enumerate(TRIALS):
        _make_trial(
            trial,
            index=index,
            rng=rng,
            proposer=proposer,
            moderator=moderator,
            panel=panel,
            review_round=review_round,
            body=proposer.public_body or body,  # a civil servant proposes for their own body
            capabilities=capabilities,
            suppliers=suppliers,
        )
        made += 1
    if (
        supplier_owner is not None
        and SupplierMembership.objects.filter(user=supplier_owner).exists()
    ):
        # The trial is for the sponsor's own body: a sponsor acts for the trial's body.
        _supplier_proposal(owner=supplier_owner, sponsor=sponsor, body=sponsor.public_body)
        made += 1
    log(f"Den demo: {made} trials in every state, review round {review_round}")


def _make_trial(
    trial,
    *,
    index: int,
    rng: random.Random,
    proposer: User,
    moderator: User,
    panel: list[User],
    review_round: ReviewRound,
    body: PublicBody,
    capabilities: list,
    suppliers: list,
) -> Proposal:
    title, problem, hypothesis, criteria, stops, risks, lessons, next_steps, target = trial
    proposal = services.proposal_create(
        actor=proposer,
        title=title,
        problem=problem,
        public_body=body,
        hypothesis=hypothesis,
        weeks=2 if target == "overdue" else rng.choice([6, 8, 12]),
        budget_cap=rng.choice([15000, 40000, 75000, 120000]),
        data_allowed=rng.sample(["synthetic", "open", "anonymised"], k=rng.randint(1, 2)),
        capabilities=rng.sample(capabilities, k=min(2, len(capabilities))),
    )
    for description, measure, goal, _ in criteria:
        services.success_criterion_add(
            actor=proposer, proposal=proposal, description=description, measure=measure, target=goal
        )
    for description in stops:
        services.stop_criterion_add(actor=proposer, proposal=proposal, description=description)
    for risk, mitigation in risks:
        services.risk_add(
            actor=proposer, proposal=proposal, description=risk, mitigation=mitigation
        )
    if suppliers:
        supplier = suppliers[index % len(suppliers)]
        owner = (
            SupplierMembership.objects.filter(supplier=supplier, role="owner")
            .select_related("user")
            .first()
        )
        # Demo shortcut: suppliers without an owner account are recorded as confirmed.
        ProposalPartner.objects.create(
            proposal=proposal,
            supplier=supplier,
            added_by=proposer,
            status=ProposalPartner.Status.CONFIRMED,
            answered_by=owner.user if owner else None,
            answered_at=timezone.now(),
        )
    if target == Status.DRAFT:
        return proposal
    services.proposal_submit(actor=proposer, proposal=proposal)
    if target == Status.SUBMITTED:
        return proposal
    services.proposal_start_review(actor=moderator, proposal=proposal, review_round=review_round)
    scorers = panel[:1] if target == Status.IN_REVIEW else panel
    for person in scorers:
        base = 2 if target == Status.DECLINED else 4
        scores = {
            code: max(1, min(5, base + rng.choice([-1, 0, 0, 1])))
            for code in ("public_value", "feasibility", "innovation", "safety")
        }
        if index == 1 and person == panel[-1]:
            scores["feasibility"] = 1  # the panel disagreed about this one
        for code in list(scores):
            scores[f"{code}_comment"] = rng.choice(
                [
                    "Clear problem and a sandbox that keeps the risk small.",
                    "The target is ambitious but measurable.",
                    "Needs a stronger plan for the data, but safe as bounded.",
                    "Good value if it works, and cheap to learn if it does not.",
                ]
            )
        services.review_submit(actor=person, proposal=proposal, scores=scores)
    if target == Status.IN_REVIEW:
        return proposal
    if target == Status.DECLINED:
        services.proposal_decide(
            actor=moderator,
            proposal=proposal,
            accept=False,
            reason="A supplier service already does this on an existing framework: buy it "
            "rather than trial it.",
        )
        return proposal
    services.proposal_decide(
        actor=moderator,
        proposal=proposal,
        accept=True,
        reason="Strong public value, a safe sandbox and criteria we can check.",
    )
    if target == Status.ACCEPTED:
        return proposal
    start = timezone.localdate() - datetime.timedelta(days=25 if target == "overdue" else 10)
    services.proposal_start(actor=proposer, proposal=proposal, start_date=start)
    services.progress_note_add(
        actor=proposer,
        proposal=proposal,
        body="Kick-off held with the partner; sandbox set up with the agreed data only.",
        noted_on=start,
    )
    if target in (Status.RUNNING, "overdue"):
        return proposal
    results = {
        criterion.pk: (
            "Measured at the end of the trial: " + ("target reached." if met else "target missed."),
            met,
        )
        for criterion, (_, _, _, met) in zip(
            proposal.success_criteria.order_by("pk"), criteria, strict=True
        )
    }
    services.proposal_evaluate(
        actor=proposer,
        proposal=proposal,
        results=results,
        lessons_learned=lessons,
        next_steps=next_steps,
    )
    if target == Status.GRADUATED:
        services.proposal_graduate(
            actor=proposer,
            proposal=proposal,
            graduation_url="https://www.find-tender.service.gov.uk/",
            graduation_note="Followed by an open procurement.",
        )
    elif target == Status.CLOSED:
        services.proposal_close(actor=proposer, proposal=proposal, reason="Not taken forward.")
    return proposal


def _supplier_proposal(*, owner: User, sponsor: User, body: PublicBody) -> Proposal:
    """A supplier member's draft, waiting for its civil-servant sponsor to confirm."""
    proposal = services.proposal_create(
        actor=owner,
        title="Ledger reconciliation with synthetic transactions",
        problem="Month-end reconciliation takes finance teams five days.",
        public_body=body,
        hypothesis="We believe automated matching will cut reconciliation to two days, "
        "measured by days from month end to sign-off.",
        weeks=8,
        budget_cap=30000,
        data_allowed=["synthetic"],
        sponsor_email=sponsor.email,
    )
    services.success_criterion_add(
        actor=owner,
        proposal=proposal,
        description="Faster month end",
        measure="Days from month end to sign-off",
        target="2 days",
    )
    return proposal
