"""Write ``queries.json``: the judged queries of the relevance set, over the demo data.

Run once against a database seeded by ``seed_demo`` (default seed and size) and commit
the result; it is kept as data, and the test reads only the JSON. Judgements come from
the suppliers' recorded facts, never from the search: a known item is the supplier
named; a capability or synonym query is relevant for the suppliers offering that
capability (or any of the group's); a description word for the suppliers whose
description holds it; a region-qualified query for those offering the capability and
serving the region. Typos are made by fixed rules (drop, swap or change a letter).

    python manage.py shell -c "from tests.suppliers.relevance import make_queries as m; m.main()"
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from suppliers.models import Capability, CapabilityGroup, Region, Supplier

HERE = Path(__file__).parent

CAPABILITIES = [
    "Penetration testing",
    "Machine learning",
    "Cloud migration",
    "User research",
    "Geospatial data",
    "Service desk",
    "Data engineering",
    "Identity verification",
    "Digital twins",
    "Accessibility auditing",
    "Quantum computing",
    "Payments",
]
GROUPS = ["Cyber security", "User-centred design", "Networks and infrastructure"]
SYNONYMS = {
    "pen testing": "Penetration testing",
    "IT health check": "Penetration testing",
    "ML": "Machine learning",
    "GIS": "Geospatial data",
    "RPA": "Robotics and automation",
    "NLP": "Natural language processing",
    "SOC": "Security operations centre",
    "CRM": "Customer relationship management",
    "IoT": "Internet of Things",
    "business intelligence": "Data analytics",
}
DESCRIPTION_WORDS = [
    "dashboards",
    "landing zones",
    "explainable",
    "CREST",
    "multidisciplinary",
    "access needs",
    "depots",
    "coaches",
]
REGIONAL = [
    ("User research", "Scotland"),
    ("Payments", "London"),
    ("Digital twins", "Wales"),
    ("Service desk", "North West"),
    ("Data engineering", "South East"),
    ("Content design", "Yorkshire and The Humber"),
    ("Accessibility auditing", "London"),
    ("Wide area networks", "Scotland"),
]


def typo(word: str, rule: int) -> str:
    """One typo in a word of 4 letters or more, by a fixed rule (the next rule when one
    would leave the word as it was, as swapping "ll" in "Willow" would)."""
    for attempt in range(3):
        changed = _typo(word, rule + attempt)
        if changed.lower() != word.lower():
            return changed
    raise ValueError(word)


def _typo(word: str, rule: int) -> str:
    middle = len(word) // 2
    if rule % 3 == 0:  # drop a letter
        return word[:middle] + word[middle + 1 :]
    if rule % 3 == 1:  # swap two letters
        return word[: middle - 1] + word[middle] + word[middle - 1] + word[middle + 1 :]
    vowels = "aeiou"  # change a vowel (or the middle letter)
    for i in range(middle, len(word)):
        if word[i].lower() in vowels:
            new = vowels[(vowels.index(word[i].lower()) + 1) % 5]
            return word[:i] + new + word[i + 1 :]
    return word[:middle] + "x" + word[middle + 1 :]


def main() -> None:
    published = Supplier.objects.filter(status=Supplier.Status.PUBLISHED).prefetch_related(
        "capabilities__group", "regions"
    )
    suppliers = list(published.order_by("name"))
    caps = {s.name: {c.name for c in s.capabilities.all()} for s in suppliers}
    groups = {s.name: {c.group.name for c in s.capabilities.all()} for s in suppliers}
    regions = {s.name: {r.name for r in s.regions.all()} for s in suppliers}
    assert set(CAPABILITIES) | set(SYNONYMS.values()) <= set(
        Capability.objects.values_list("name", flat=True)
    )
    assert set(GROUPS) <= set(CapabilityGroup.objects.values_list("name", flat=True))
    assert {r for _, r in REGIONAL} <= set(Region.objects.values_list("name", flat=True))
    rng = random.Random(17)
    # Names of three words whose words are all long enough to carry a typo.
    named = [s.name for s in suppliers if len(s.name.split()) == 3]
    typoable = [n for n in named if all(len(w) >= 5 for w in n.split()[:2])]
    queries = []

    def add(kind: str, q: str, relevant, need: int = 1) -> None:
        relevant = sorted(relevant)
        assert relevant, q
        queries.append({"class": kind, "q": q, "relevant": relevant, "need": need})

    for name in rng.sample(named, 8) + ["Kestrel Ledger Systems"]:
        add("known-item", name, [name])
    for name in rng.sample(typoable, 3):  # the first two words, as people remember names
        add(
            "known-item",
            " ".join(name.split()[:2]),
            [n for n in named if n.startswith(" ".join(name.split()[:2]) + " ")],
        )
    for capability in CAPABILITIES:
        add("capability", capability.lower(), [s for s in caps if capability in caps[s]], need=3)
    for group in GROUPS:
        add("capability", group.lower(), [s for s in groups if group in groups[s]], need=3)
    for q, capability in SYNONYMS.items():
        add("synonym", q, [s for s in caps if capability in caps[s]], need=3)
    for i, name in enumerate(rng.sample(typoable, 10)):
        words = name.split()
        words[i % 2] = typo(words[i % 2], i)
        add("one-typo", " ".join(words), [name])
    for capability in ("Penetration testing", "Machine learning"):
        add("one-typo", typo(capability.lower(), 0), [s for s in caps if capability in caps[s]])
    add("one-typo", "dashbords", [s.name for s in suppliers if "dashboards" in s.description])
    for i, name in enumerate(rng.sample(typoable, 9) + ["Kestrel Ledger Systems"]):
        words = name.split()
        words[0], words[1] = typo(words[0], i), typo(words[1], i + 1)
        add("two-typo", " ".join(words[:2]), [name])
    for word in DESCRIPTION_WORDS:
        add(
            "description-word",
            word,
            [s.name for s in suppliers if word.lower() in s.description.lower()],
            need=3,
        )
    for capability, region in REGIONAL:
        relevant = [s for s in caps if capability in caps[s] and region in regions[s]]
        add("region-qualified", f"{capability.lower()} {region}", relevant)
    path = HERE / "queries.json"
    path.write_text(json.dumps(queries, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(queries)} queries written to {path}")
