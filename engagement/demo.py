"""Demo engagement requests for seed_demo: open and closed, with responses and Q&A.

Runs after accounts and suppliers have seeded users, public bodies and
suppliers, and works whatever they made (no suppliers: requests without
responses). Everything is written through engagement.services, so matching,
the participants register and history are real. Demo publications send no
alerts: their notification rows are marked skipped.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import time, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.utils import timezone

from accounts.models import PublicBody, User
from engagement import services
from engagement.models import EngagementRequest, Match, Notification
from suppliers.models import Capability, Region, Supplier
from suppliers.services import supplier_member_add

REQUESTS = [
    {
        "title": "Remote monitoring for people living alone",
        "policy_area": "Adult social care",
        "problem": (
            "Councils want to know when an older person living alone needs help, without "
            "cameras in their home. We do not know what sensors, data or services exist, "
            "what they cost, or how well they work outside a pilot."
        ),
        "help_kind": "market_sounding",
        "capabilities": ["internet-of-things", "data-analytics", "case-management"],
        "regions": ["TLE", "TLC"],
        "formats": ["written", "online"],
        "open": True,
        "questions": [
            (
                "Would you accept a solution that uses existing smart meters?",
                "Yes, if the person consents and the data stays in the UK.",
            ),
            (
                "Is there a preferred integration with council case systems?",
                "Not yet. Tell us what you have integrated with before.",
            ),
        ],
    },
    {
        "title": "Checking the condition of railway bridges with drones",
        "policy_area": "Transport infrastructure",
        "problem": (
            "Inspecting bridges means closing lines at night. We want to understand whether "
            "drones and image analysis could find defects as reliably as an engineer on foot."
        ),
        "help_kind": "technical_feasibility",
        "capabilities": ["drones-and-autonomous-systems", "machine-learning", "digital-twins"],
        "regions": [],
        "formats": ["written", "in_person"],
        "open": True,
        "questions": [
            (
                "Can suppliers visit a bridge before responding?",
                "No, but we will share sample images at the workshop.",
            )
        ],
    },
    {
        "title": "Translating court documents into Welsh",
        "policy_area": "Justice",
        "problem": (
            "Courts in Wales must offer documents in Welsh. Human translation is slow. We want "
            "to hear how machine translation with human review performs on legal text."
        ),
        "help_kind": "written_input",
        "capabilities": ["natural-language-processing", "machine-learning"],
        "regions": ["TLL"],
        "formats": ["written"],
        "open": True,
        "questions": [],
    },
    {
        "title": "Moving a benefits service off a mainframe",
        "policy_area": "Welfare",
        "problem": (
            "A benefits calculation runs on a 1980s mainframe. Before we design a migration, "
            "we want to learn how others have moved similar systems and what went wrong."
        ),
        "help_kind": "workshop",
        "capabilities": ["legacy-modernisation", "cloud-migration"],
        "regions": ["TLI", "TLD"],
        "formats": ["in_person", "online"],
        "open": False,
        "questions": [
            (
                "Is the COBOL source available to suppliers?",
                "A sample will be shared under a non-disclosure agreement.",
            )
        ],
    },
    {
        "title": "Cutting energy use in government data centres",
        "policy_area": "Net zero",
        "problem": (
            "Our data centres use more energy each year. We want to understand what can be "
            "measured, what can be moved to the cloud and what savings are realistic."
        ),
        "help_kind": "market_sounding",
        "capabilities": ["data-centres", "cloud-hosting", "managed-cloud-services"],
        "regions": [],
        "formats": ["written"],
        "open": False,
        "questions": [],
    },
]

SUMMARIES = [
    "We have run this kind of service for councils and an NHS trust, and can share what "
    "worked and what did not.",
    "Our team built a similar system at scale and would be glad to explain the trade-offs.",
    "We are a small specialist firm: we can offer a short technical note and a demonstration.",
]


def _author() -> User | None:
    demo = User.objects.filter(email="civil.servant@cabinetoffice.gov.uk").first()
    if demo and demo.is_civil_servant:
        if demo.public_body_id is None:
            demo.public_body = PublicBody.objects.order_by("name").first()
            demo.save(update_fields=["public_body"])
        return demo if demo.public_body_id else None
    return (
        User.objects.filter(civil_servant_since__isnull=False, public_body__isnull=False)
        .order_by("pk")
        .first()
    )


def _capabilities(codes: list[str], rng: random.Random) -> list[Capability]:
    found = list(Capability.objects.filter(code__in=codes))
    if not found:  # a taxonomy without these codes: any two capabilities
        everything = list(Capability.objects.order_by("pk"))
        found = rng.sample(everything, min(2, len(everything)))
    return found


def _member_of(supplier: Supplier) -> User:
    membership = supplier.memberships.select_related("user").order_by("pk").first()
    if membership:
        return membership.user
    user, created = User.objects.get_or_create(
        email=f"demo.{supplier.slug[:40]}@example.co.uk",
        defaults={"full_name": f"Demo contact at {supplier.name}"[:150]},
    )
    if created:
        user.set_password(settings.DEMO_PASSWORD)
        user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
    supplier_member_add(actor=None, supplier=supplier, user=user, role="owner")
    return user


def seed(*, rng: random.Random, options: dict, log: Callable[[str], None]) -> None:
    author = _author()
    if author is None:
        log("Engagement: no civil servant with a public body; no demo requests.")
        return
    if EngagementRequest.objects.filter(title=REQUESTS[0]["title"]).exists():
        log("Engagement: demo requests already there.")
        return
    now = timezone.now()
    published = Supplier.objects.filter(status=Supplier.Status.PUBLISHED).order_by("pk")
    made = 0
    for index, spec in enumerate(REQUESTS):
        er = services.engagement_request_create(actor=author, title=spec["title"])
        services.engagement_request_update_draft(
            actor=author,
            engagement_request=er,
            policy_area=spec["policy_area"],
            problem=spec["problem"],
            help_kind=spec["help_kind"],
            capabilities=_capabilities(spec["capabilities"], rng),
            regions=list(Region.objects.filter(code__in=spec["regions"])),
            formats=spec["formats"],
            session_date=(now + timedelta(days=10 + index)).date()
            if {"online", "in_person"} & set(spec["formats"])
            else None,
            session_start=time(10, 0) if {"online", "in_person"} & set(spec["formats"]) else None,
            session_end=time(12, 0) if {"online", "in_person"} & set(spec["formats"]) else None,
            session_place="1 Horse Guards Road, London SW1A 2HQ"
            if "in_person" in spec["formats"]
            else "",
            session_link_note="We will email a link to suppliers who respond"
            if "online" in spec["formats"]
            else "",
            response_deadline=services.deadline_from(
                (now + timedelta(days=21 + 7 * index)).date(), None
            ),
            budget_min=50000 * (index + 1),
            budget_max=250000 * (index + 1),
            procurement_timing=rng.choice(["Spring 2027", "Autumn 2027", "Not decided"]),
        )
        er = services.engagement_request_publish(actor=author, engagement_request=er)
        # Demo data emails no one.
        Notification.objects.filter(engagement_request=er).update(
            status=Notification.Status.SKIPPED, queued_at=now
        )
        matched = [
            m.supplier
            for m in Match.objects.filter(engagement_request=er).select_related("supplier")[:6]
        ]
        # Any published supplier may take part; matched ones first.
        matched = matched or list(published[index * 3 : index * 3 + 6])
        responders = rng.sample(matched, min(len(matched), rng.randint(2, 4)))
        for supplier in responders:
            member = _member_of(supplier)
            services.response_submit(
                actor=member,
                engagement_request=er,
                supplier=supplier,
                summary=rng.choice(SUMMARIES),
                availability=rng.choice(["Any weekday", "Tuesdays and Thursdays", ""]),
                case_studies=list(supplier.case_studies.all()[:2]),
            )
        for n, (question, answer) in enumerate(spec["questions"]):
            if not matched:
                break
            supplier = matched[n % len(matched)]
            item = services.question_ask(
                actor=_member_of(supplier),
                engagement_request=er,
                supplier=supplier,
                question=question,
            )
            services.question_answer(actor=author, question=item, answer=answer)
        if responders:
            services.response_mark(
                actor=author, response=er.responses.order_by("pk").first(), mark="useful"
            )
        if not spec["open"]:
            if responders:
                services.participant_record_attendance(
                    actor=author, engagement_request=er, supplier=responders[0]
                )
            services.engagement_request_close(actor=author, engagement_request=er)
        made += 1
    draft = services.engagement_request_create(
        actor=author, title="Digital identity checks for grant applicants"
    )
    services.engagement_request_update_draft(
        actor=author, engagement_request=draft, policy_area="Grants", problem="A draft in progress."
    )
    log(f"Engagement: {made} published requests (3 open, 2 closed) and 1 draft.")
