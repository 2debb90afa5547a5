"""Deterministic, realistic synthetic suppliers for ``seed_demo`` and the benchmark.

``generate_suppliers(n, rng=…)`` yields plausible suppliers as rows of the
supplier CSV (plus their case studies); ``write_suppliers_csv`` writes them as a
file ``import_suppliers`` reads, so the benchmark can make 100,000 in seconds.
The same seed always gives the same suppliers.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable, Iterator
from typing import IO, Any

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from accounts.models import User
from suppliers.importer import COLUMNS, import_suppliers_csv
from suppliers.models import (
    Capability,
    CapabilityGroup,
    CaseStudy,
    Certification,
    Framework,
    Region,
    Supplier,
)
from suppliers.services import (
    case_study_create,
    refresh_search_vectors,
    supplier_create,
    supplier_member_add,
)

DEMO_SUPPLIER_NAME = "Kestrel Ledger Systems"
DEMO_SUPPLIER_NUMBER = "09876543"
DEMO_OWNER_EMAIL = "owner@kestrel-ledger.example"


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


PREFIXES = _words(
    "Kestrel Northgate Ashfield Harbour Granite Heron Juniper Larch Meridian Oakridge "
    "Pennine Quarry Riverside Saltire Thistle Wren Yarrow Alder Beacon Bramble Cairn "
    "Copper Dunmore Elm Falcon Fenwick Glen Hawthorn Holloway Ironbridge Kingfisher Lark "
    "Linnet Lowland Marlow Merlin Moorland Nettle Osprey Otter Peregrine Pinewood Puffin "
    "Redkite Rowan Sandstone Severn Skylark Sparrow Stirling Tamar Teal Thames Tweed Upland "
    "Westgate Whitby Willow Windrush Yew Avon Bastion Blackwood Brookfield Castlegate Chalk "
    "Clyde Coastal Cobalt Corran Derwent Eden Exmoor Foxglove Greystone Hadrian Harrier "
    "Highland Humber Iona Kelvin Lindum Loxley Mersey Morrow Norfolk Orchard Ouse Pembroke "
    "Quantock Ribble Solway Swale Tay Trent Tyne Wensley Wessex Wharfe Calder Medway"
)
CORES = _words(
    "Ledger Data Cloud Digital Signal Bridge Code Forge Pixel Vector Logic Insight Network "
    "Secure Cyber Quantum Civic Service Design Analytics Platform Stack Circuit Matrix "
    "Sentinel Lattice Compass Atlas Orbit Spark Thread Relay Keystone Cipher Nimbus Prism "
    "Summit Vantage Horizon Pathway Fusion Axis Catalyst Delta Element Flux Grid Kernel "
    "Metric Nexus Quill Render Scribe Tensor Vault Weave Zenith Ember"
)
SUFFIXES = (
    "Systems",
    "Data Works",
    "Consulting",
    "Technologies",
    "Labs",
    "Digital",
    "Solutions",
    "Partners",
    "Analytics",
    "Software",
    "Group",
    "Studio",
    "Services",
    "Networks",
    "Security",
    "Cloud",
    "Engineering",
    "Associates",
    "Innovations",
    "Collective",
    "Consultancy",
    "Design",
    "IT",
    "Tech",
    "Works",
    "Informatics",
    "Computing",
    "Co-operative",
    "Digital Services",
    "Technology Partners",
    "Cyber Defence",
    "Insight",
    "Platforms",
    "Automation",
    "Research",
)

PUBLIC_CLIENTS = (
    "HM Revenue and Customs",
    "Department for Work and Pensions",
    "NHS England",
    "Ministry of Justice",
    "Leeds City Council",
    "National Highways",
    "Environment Agency",
    "Met Office",
    "Ordnance Survey",
    "Scottish Government",
    "Welsh Government",
    "Home Office",
    "Driver and Vehicle Licensing Agency",
    "Companies House",
    "HM Land Registry",
    "Bristol City Council",
    "Transport for London",
    "Department for Education",
    "Cabinet Office",
    "Manchester City Council",
    "Northern Ireland Civil Service",
    "Ministry of Defence",
    "Defra",
    "Crown Commercial Service",
)
# Public clients of one place: a supplier's case studies name them only where it works.
REGIONAL_CLIENTS = {
    "Leeds City Council": "TLE",
    "Scottish Government": "TLM",
    "Welsh Government": "TLL",
    "Bristol City Council": "TLK",
    "Transport for London": "TLI",
    "Manchester City Council": "TLD",
    "Northern Ireland Civil Service": "TLN",
}
# Name words that say where a company is (a river, a landmark, a county): a supplier so
# named has its head office in one of these regions, so its summary never contradicts it.
REGIONAL_PREFIXES = {
    **dict.fromkeys(
        ("Saltire", "Thistle", "Clyde", "Tay", "Kelvin", "Iona", "Stirling", "Highland"),
        ("TLM",),
    ),
    "Pembroke": ("TLL",),
    **dict.fromkeys(("Tyne", "Hadrian"), ("TLC",)),
    **dict.fromkeys(("Mersey", "Ribble"), ("TLD",)),
    **dict.fromkeys(("Humber", "Whitby", "Wharfe", "Swale", "Calder", "Wensley"), ("TLE",)),
    "Lindum": ("TLF",),
    "Ironbridge": ("TLG",),
    "Norfolk": ("TLH",),
    "Holloway": ("TLI",),
    "Medway": ("TLJ",),
    **dict.fromkeys(("Tamar", "Exmoor", "Quantock"), ("TLK",)),
    "Pennine": ("TLC", "TLD", "TLE"),
    "Severn": ("TLG", "TLK", "TLL"),
    **dict.fromkeys(("Solway", "Tweed"), ("TLC", "TLM")),
    "Thames": ("TLI", "TLJ"),
}
# Only Scotland, Wales and Northern Ireland have devolved administrations.
DEVOLVED_REGIONS = {"TLL", "TLM", "TLN"}
PRIVATE_CLIENTS = (
    "a national retailer",
    "a regional water company",
    "a FTSE 250 insurer",
    "a housing association",
    "a university",
    "a rail operator",
    "an energy network",
    "a building society",
)
CLIENT_KINDS = (
    "central government departments",
    "local authorities",
    "NHS trusts",
    "arm's-length bodies",
    "devolved administrations",
    "police forces",
    "universities and colleges",
)
GROUP_SENTENCES = {
    "cloud": (
        "We design secure landing zones and move legacy workloads to the cloud without "
        "disrupting live services.",
        "Our engineers run cost reviews that typically cut hosting bills by a third.",
    ),
    "data-and-ai": (
        "We build reliable data pipelines and explainable machine learning models that "
        "follow the Algorithmic Transparency Recording Standard.",
        "Our analysts turn operational data into dashboards decision-makers trust.",
    ),
    "cyber-security": (
        "We are CHECK and CREST accredited and test services before they go live.",
        "Our security operations centre monitors systems around the clock.",
    ),
    "software-development": (
        "We build accessible, well-tested digital services in small multidisciplinary teams.",
        "We modernise legacy systems one slice at a time, keeping services running.",
    ),
    "user-centred-design": (
        "We run user research with people who find services hard to use, including those "
        "with access needs.",
        "Our designers follow the GOV.UK Design System and the Service Standard.",
    ),
    "networks-and-infrastructure": (
        "We install and run resilient networks across offices, depots and remote sites.",
        "We manage end-user devices for organisations of every size.",
    ),
    "consultancy": (
        "We help leaders shape digital strategy and build in-house capability.",
        "Our coaches support teams moving to agile ways of working.",
    ),
    "digital-platforms": (
        "We configure and integrate proven platforms so teams do not build from scratch.",
        "We connect case management, payments and identity checks into one service.",
    ),
    "emerging-technology": (
        "We run safe, time-boxed trials of new technology with clear success measures.",
        "Our engineers prototype digital twins and automation for operational teams.",
    ),
    "support-and-operations": (
        "We provide 24/7 service desk and application support with clear service levels.",
        "Our site reliability engineers keep critical services available.",
    ),
}
OUTCOMES = (
    "Cut average processing time by {n}%.",
    "Moved {n} services to the new platform with no unplanned downtime.",
    "Saved £{m} million a year in running costs.",
    "Raised user satisfaction from {a}% to {b}%.",
    "Reduced calls to the contact centre by {n}%.",
    "Passed the service assessment at the first attempt.",
)
# Sizes as the UK business population of technology suppliers: most are SMEs.
SIZE_WEIGHTS = (("micro", 34), ("small", 33), ("medium", 20), ("large", 13))
EMPLOYEE_RANGES = {"micro": (1, 9), "small": (10, 49), "medium": (50, 249), "large": (250, 8000)}
# Head offices cluster in London and the South East; every region has some.
REGION_WEIGHTS = {
    "TLC": 4,
    "TLD": 9,
    "TLE": 7,
    "TLF": 5,
    "TLG": 7,
    "TLH": 7,
    "TLI": 24,
    "TLJ": 13,
    "TLK": 7,
    "TLL": 5,
    "TLM": 8,
    "TLN": 4,
}
CERTIFICATION_CHANCE = {
    "cyber-essentials": 0.65,
    "cyber-essentials-plus": 0.35,
    "iso-27001": 0.35,
    "iso-9001": 0.3,
    "iso-14001": 0.15,
    "iso-22301": 0.08,
    "iso-20000": 0.06,
    "csa-star": 0.05,
    "soc-2": 0.06,
    "pci-dss": 0.04,
    "nhs-dsp-toolkit": 0.1,
}
FRAMEWORK_CHANCE = {
    "g-cloud": 0.5,
    "digital-outcomes": 0.25,
    "digital-specialists-and-programmes": 0.15,
    "tepas": 0.08,
    "technology-services": 0.1,
    "network-services": 0.05,
    "big-data-and-analytics": 0.06,
    "cyber-security-services": 0.06,
    "management-consultancy": 0.05,
}


class _Reference:
    """The seeded reference data the generator draws from, loaded once."""

    def __init__(self) -> None:
        self.regions = list(Region.objects.values_list("code", "name"))
        self.groups: dict[str, list[str]] = {}
        for group_code, name in Capability.objects.values_list("group__code", "name"):
            self.groups.setdefault(group_code, []).append(name)
        self.group_codes = list(
            CapabilityGroup.objects.filter(code__in=self.groups).values_list("code", flat=True)
        )
        self.certifications = dict(Certification.objects.values_list("code", "name"))
        self.frameworks = dict(Framework.objects.values_list("code", "name"))


def _names(n: int, rng: random.Random) -> list[str]:
    """``n`` distinct names, "Prefix Core Suffix" (and a few "Prefix Suffix")."""
    short = len(PREFIXES) * len(SUFFIXES)
    total = short + len(PREFIXES) * len(CORES) * len(SUFFIXES)
    if n > total // 2:
        raise ValueError(f"The generator makes at most {total // 2:,} distinct suppliers.")
    names: list[str] = []
    seen = {DEMO_SUPPLIER_NAME}
    while len(names) < n:
        for index in rng.sample(range(total), min(total, (n - len(names)) * 11 // 10 + 20)):
            if index < short:
                prefix, suffix = divmod(index, len(SUFFIXES))
                name = f"{PREFIXES[prefix]} {SUFFIXES[suffix]}"
            else:
                index -= short
                prefix, rest = divmod(index, len(CORES) * len(SUFFIXES))
                core, suffix = divmod(rest, len(SUFFIXES))
                if CORES[core].lower() in SUFFIXES[suffix].lower().split():
                    continue  # "Data Data Works"
                name = f"{PREFIXES[prefix]} {CORES[core]} {SUFFIXES[suffix]}"
            if name not in seen:
                seen.add(name)
                names.append(name)
                if len(names) == n:
                    break
    return names


def _in_sentence(name: str) -> str:
    """ "Cloud migration" → "cloud migration", keeping "API", "5G", "DevOps" as they are."""
    return " ".join(
        word if sum(ch.isupper() or ch.isdigit() for ch in word) > 1 else word.lower()
        for word in name.split()
    )


def _place(region: str) -> str:
    """ "South East" → "the South East"; "Wales" and "London" stay as they are."""
    return f"the {region}" if region.split()[0] in ("North", "South", "East", "West") else region


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _client_kinds(served: list[str]) -> list[str]:
    """The kinds of public body a supplier serving ``served`` works for."""
    if DEVOLVED_REGIONS & set(served):
        return list(CLIENT_KINDS)
    return [kind for kind in CLIENT_KINDS if kind != "devolved administrations"]


def _case_study(rng: random.Random, capability: str, served: list[str]) -> dict[str, Any]:
    public = rng.random() < 0.75
    public_clients = [
        c for c in PUBLIC_CLIENTS if c not in REGIONAL_CLIENTS or REGIONAL_CLIENTS[c] in served
    ]
    client = rng.choice(public_clients if public else PRIVATE_CLIENTS)
    a = rng.randint(55, 75)
    outcome = rng.choice(OUTCOMES).format(
        n=rng.randint(12, 60), m=rng.randint(1, 9), a=a, b=a + rng.randint(8, 20)
    )
    return {
        "title": f"{capability} for {client}"[:200],
        "client_type": CaseStudy.ClientType.PUBLIC if public else CaseStudy.ClientType.PRIVATE,
        "client_name": client,
        "summary": (
            f"{client[0].upper()}{client[1:]} needed help with {capability.lower()}. "
            f"We worked alongside their team for {rng.randint(3, 18)} months, "
            "sharing skills so they could run the service themselves."
        ),
        "outcome": outcome,
        "year": rng.randint(2016, 2025),
    }


def generate_suppliers(n: int, *, rng: random.Random) -> Iterator[dict[str, Any]]:
    """Yield ``n`` suppliers as supplier-CSV rows (strings) plus a ``case_studies`` list.

    Deterministic for a given ``rng`` state. Companies House numbers are
    02000000 upwards (SC/NI/OC-prefixed for some), never the demo supplier's.
    Each agrees with itself: its summary and description name only its own regions, a name
    that says where it is (``REGIONAL_PREFIXES``) has its head office there, only one in a
    devolved nation works for devolved administrations, and its case studies' councils are
    in regions it serves. Needs the reference data (migration 0003) in the database.
    """
    ref = _Reference()
    region_codes = [code for code, _ in ref.regions]
    region_name = dict(ref.regions)
    weights = [REGION_WEIGHTS.get(code, 5) for code in region_codes]
    sizes, size_weights = zip(*SIZE_WEIGHTS, strict=True)
    for k, name in enumerate(_names(n, rng)):
        size = rng.choices(sizes, size_weights)[0]
        low, high = EMPLOYEE_RANGES[size]
        employees = int(low + (high - low) * rng.random() ** 2)
        prefix = rng.choices(("", "SC", "NI", "OC"), (90, 6, 2, 2))[0]
        number = f"{prefix}{100000 + k:06d}" if prefix else f"0{2000000 + k:07d}"
        places = REGIONAL_PREFIXES.get(name.split()[0])
        if places:
            hq = rng.choices(places, [REGION_WEIGHTS.get(code, 5) for code in places])[0]
        else:
            hq = rng.choices(region_codes, weights)[0]
        if size == "large" and rng.random() < 0.6:
            served = list(region_codes)
        else:
            extra = rng.randint(0, 5 if size in ("medium", "large") else 2)
            served = sorted({hq, *rng.sample(region_codes, extra)}, key=region_codes.index)
        groups = rng.sample(ref.group_codes, rng.choices((1, 2, 3), (55, 35, 10))[0])
        capabilities: list[str] = []
        for group in groups:
            options = ref.groups[group]
            capabilities += rng.sample(options, rng.randint(1, min(4, len(options))))
        certifications = [
            code
            for code, chance in CERTIFICATION_CHANCE.items()
            if code in ref.certifications
            and rng.random() < chance * (1.5 if size == "large" else 1)
        ]
        frameworks = [
            code
            for code, chance in FRAMEWORK_CHANCE.items()
            if code in ref.frameworks and rng.random() < chance
        ]
        lower = [_in_sentence(c) for c in capabilities]
        if len(served) == len(region_codes):
            where = "the UK"
        else:
            where = _join([_place(region_name[r]) for r in served[:3]])
        kinds = _client_kinds(served)
        summary = (f"{name} provides {_join(lower[:3])} for {rng.choice(kinds)} in {where}.")[:250]
        year = rng.randint(1975, 2024) if size == "large" else rng.randint(1995, 2024)
        sentences = [
            f"We help {rng.choice(kinds)} with {_join(lower[:2])}, "
            "from discovery through to live service.",
            *(rng.choice(GROUP_SENTENCES.get(g, ("",))) for g in groups),
            f"Founded in {year}, we are based in {_place(region_name[hq])} and employ "
            f"{employees:,} {'person' if employees == 1 else 'people'}.",
        ]
        if len(lower) > 2:
            sentences.append(f"We also offer {_join(lower[2:])}.")
        if certifications:
            sentences.append(f"We hold {_join([ref.certifications[c] for c in certifications])}.")
        if frameworks:
            sentences.append(
                f"Buy from us through {_join([ref.frameworks[f] for f in frameworks])}."
            )
        # Regions and capabilities by name or code, in mixed case, as real files are.
        use_codes = rng.random() < 0.3
        yield {
            "companies_house_number": number,
            "name": name,
            "website": f"https://www.{name.lower().replace(' ', '-')}.example.co.uk",
            "summary": summary,
            "description": " ".join(s for s in sentences if s),
            "size": size if rng.random() < 0.8 else size.capitalize(),
            "employees": str(employees),
            "year_founded": str(year),
            "hq_region": hq if use_codes else region_name[hq],
            "regions": ";".join(served if use_codes else [region_name[r] for r in served]),
            "capabilities": ";".join(capabilities),
            "certifications": ";".join(
                c if use_codes else ref.certifications[c] for c in certifications
            ),
            "frameworks": ";".join(f if use_codes else ref.frameworks[f] for f in frameworks),
            "case_studies": [
                _case_study(rng, rng.choice(capabilities), served)
                for _ in range(rng.choices((0, 1, 2, 3), (30, 35, 22, 13))[0])
            ],
        }


def write_suppliers_csv(file: IO[str], n: int, *, rng: random.Random) -> int:
    """Write ``n`` generated suppliers to ``file`` as a supplier CSV; returns rows written."""
    writer = csv.writer(file)
    writer.writerow(COLUMNS)
    count = 0
    for row in generate_suppliers(n, rng=rng):
        writer.writerow([row[column] for column in COLUMNS])
        count += 1
    return count


def _seed_demo_supplier(log: Callable[[str], None]) -> None:
    """Kestrel Ledger Systems, owned by the demo supplier user, as the docs describe it."""
    if Supplier.objects.filter(companies_house_number=DEMO_SUPPLIER_NUMBER).exists():
        return
    regions = Region.objects.filter(code__in=["TLE", "TLD", "TLC", "TLI"])
    supplier = supplier_create(
        actor=None,
        change_reason="Demo data",
        name=DEMO_SUPPLIER_NAME,
        companies_house_number=DEMO_SUPPLIER_NUMBER,
        website="https://www.kestrel-ledger.example",
        summary=(
            "Kestrel Ledger Systems builds finance and case management platforms for "
            "local authorities and central government, with data engineering and cloud hosting."
        ),
        description=(
            "We are a Leeds-based team of 42 engineers, designers and analysts. We build "
            "accessible case management and payments services, move finance systems to the "
            "cloud, and set up data pipelines so councils can report on spending in real time. "
            "We work in the open and follow the Service Standard."
        ),
        size=Supplier.Size.SMALL,
        employees=42,
        year_founded=2012,
        hq_region=Region.objects.get(code="TLE"),
        contact_name="Sam Patel",
        contact_email=DEMO_OWNER_EMAIL,
        status=Supplier.Status.PUBLISHED,
        regions=list(regions),
        capabilities=list(
            Capability.objects.filter(
                code__in=["case-management", "payments", "cloud-migration", "data-engineering"]
            )
        ),
        certifications=list(
            Certification.objects.filter(code__in=["cyber-essentials-plus", "iso-27001"])
        ),
        frameworks=list(Framework.objects.filter(code__in=["g-cloud", "digital-outcomes"])),
    )
    case_study_create(
        actor=None,
        supplier=supplier,
        title="Council tax case management for Leeds City Council",
        client_type=CaseStudy.ClientType.PUBLIC,
        client_name="Leeds City Council",
        summary="Replaced a 20-year-old system with a cloud case management service.",
        outcome="Cut the time to process a change of circumstances from 9 days to 2.",
        year=2024,
    )
    owner = User.objects.filter(email=DEMO_OWNER_EMAIL).first()
    if owner:
        supplier_member_add(actor=None, supplier=supplier, user=owner, role="owner")
    log(f"Demo supplier: {supplier.name} (owner {DEMO_OWNER_EMAIL})")


def seed(*, rng: random.Random, options: dict, log: Callable[[str], None]) -> None:
    """Make ``options["suppliers"]`` published synthetic suppliers and the demo supplier.

    Runs the real CSV import (so history and search vectors are made the same
    way), then adds case studies in bulk to the suppliers it created. Running it
    again adds nothing: existing suppliers are left as they are.
    """
    count = int(options.get("suppliers", 300))
    _seed_demo_supplier(log)
    if count <= 0:
        return
    rows = list(generate_suppliers(count, rng=rng))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows([row[column] for column in COLUMNS] for row in rows)
    buffer.seek(0)
    report = import_suppliers_csv(buffer, reason="Demo data")
    for rejected in report.rejected:  # a bug in the generator, not bad user data
        log(f"Demo supplier on line {rejected.line} rejected: {rejected.reason}")
    by_number = dict(
        Supplier.objects.filter(pk__in=report.created_ids).values_list(
            "companies_house_number", "pk"
        )
    )
    case_studies = [
        CaseStudy(supplier_id=by_number[row["companies_house_number"]], **study)
        for row in rows
        if row["companies_house_number"] in by_number
        for study in row["case_studies"]
    ]
    with transaction.atomic():
        bulk_create_with_history(
            case_studies, CaseStudy, batch_size=2000, default_change_reason="Demo data"
        )
        refresh_search_vectors(supplier_ids={c.supplier_id for c in case_studies})
    log(f"Demo suppliers: {report.summary()}, {len(case_studies):,} case studies")
