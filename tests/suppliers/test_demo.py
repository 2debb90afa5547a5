"""Demo suppliers: deterministic, plausible, importable, and seeded once."""

from __future__ import annotations

import io
import random
from collections import Counter

import pytest

from accounts import demo as accounts_demo
from suppliers import demo
from suppliers.importer import import_suppliers_csv
from suppliers.models import CaseStudy, Supplier, SupplierMembership
from tests.suppliers.id_arrays import assert_id_arrays_match_links

pytestmark = pytest.mark.django_db


def _names(seed: int, n: int) -> list[str]:
    return [row["name"] for row in demo.generate_suppliers(n, rng=random.Random(seed))]


def test_same_seed_same_suppliers_and_another_seed_differs():
    assert _names(7, 40) == _names(7, 40)
    assert _names(7, 40) != _names(8, 40)
    first = list(demo.generate_suppliers(5, rng=random.Random(7)))
    assert first == list(demo.generate_suppliers(5, rng=random.Random(7)))


def test_names_are_distinct_plausible_and_never_the_demo_supplier():
    names = _names(1, 500)
    assert len(set(names)) == 500
    assert demo.DEMO_SUPPLIER_NAME not in names
    assert all(2 <= len(name.split()) <= 5 for name in names)


def test_a_realistic_mix():
    rows = list(demo.generate_suppliers(600, rng=random.Random(2026)))
    sizes = Counter(row["size"].lower() for row in rows)
    assert 0.08 <= sizes["large"] / len(rows) <= 0.18
    assert len({row["companies_house_number"] for row in rows}) == len(rows)
    assert any(row["companies_house_number"].startswith("SC") for row in rows)
    capability_words = {"cloud", "data", "security", "design", "testing", "research"}
    described = [r for r in rows if capability_words & set(r["description"].lower().split())]
    assert len(described) > len(rows) / 3
    studies = Counter(len(row["case_studies"]) for row in rows)
    assert set(studies) == {0, 1, 2, 3}
    assert all(len(row["summary"]) <= 250 for row in rows)


def test_the_csv_it_writes_imports_cleanly():
    buffer = io.StringIO()
    assert demo.write_suppliers_csv(buffer, 60, rng=random.Random(5)) == 60
    buffer.seek(0)
    report = import_suppliers_csv(buffer)
    assert report.rejected == []
    assert report.created == 60


def test_seed_makes_published_suppliers_the_demo_supplier_and_case_studies():
    accounts_demo.seed(rng=random.Random(1), options={}, log=lambda message: None)
    messages: list[str] = []
    demo.seed(rng=random.Random(2026), options={"suppliers": 25}, log=messages.append)
    assert Supplier.objects.count() == 26
    assert not Supplier.objects.exclude(status=Supplier.Status.PUBLISHED).exists()
    assert not Supplier.objects.filter(search_vector__isnull=True).exists()
    kestrel = Supplier.objects.get(companies_house_number=demo.DEMO_SUPPLIER_NUMBER)
    assert kestrel.slug == "kestrel-ledger-systems"
    owner = SupplierMembership.objects.get(supplier=kestrel)
    assert (owner.user.email, owner.role) == (demo.DEMO_OWNER_EMAIL, "owner")
    # Case studies are in history and in the search vector of their supplier.
    study = CaseStudy.objects.exclude(supplier=kestrel).order_by("pk").first()
    assert study is not None and study.history.count() == 1
    first_word = study.client_name.split()[-1].lower()[:4]
    assert f"'{first_word}" in str(Supplier.objects.get(pk=study.supplier_id).search_vector)
    assert any("Demo suppliers: 25 created" in m for m in messages)
    assert assert_id_arrays_match_links() == 26


def test_seeding_again_adds_nothing():
    demo.seed(rng=random.Random(2026), options={"suppliers": 10}, log=lambda message: None)
    counts = (Supplier.objects.count(), CaseStudy.objects.count(), Supplier.history.count())
    demo.seed(rng=random.Random(2026), options={"suppliers": 10}, log=lambda message: None)
    assert (Supplier.objects.count(), CaseStudy.objects.count(), Supplier.history.count()) == counts


def test_each_supplier_agrees_with_itself():
    """Its summary and description name only its own regions; a name that says where it is
    has its head office there; devolved administrations only for one in a devolved nation;
    its case studies' councils in regions it serves."""
    import re

    from suppliers.models import Region

    code_of = {name.lower(): code for code, name in Region.objects.values_list("code", "name")}
    code_of |= {code.lower(): code for code in code_of.values()}
    name_of = dict(Region.objects.values_list("code", "name"))
    rows = list(demo.generate_suppliers(1500, rng=random.Random(2026)))
    named_regionally = 0
    for row in rows:
        served = {code_of[r.lower()] for r in row["regions"].split(";")}
        hq = code_of[row["hq_region"].lower()]
        assert hq in served
        for field in ("summary", "description"):
            named = {
                code
                for code, name in name_of.items()
                if re.search(rf"\b{re.escape(name)}\b", row[field])
            }
            assert named <= served, (row["name"], field, row[field])
            if "devolved administrations" in row[field]:
                assert served & demo.DEVOLVED_REGIONS, (row["name"], sorted(served))
        places = demo.REGIONAL_PREFIXES.get(row["name"].split()[0])
        if places:
            named_regionally += 1
            assert hq in places, (row["name"], name_of[hq])
        for study in row["case_studies"]:
            place = demo.REGIONAL_CLIENTS.get(study["client_name"])
            assert place is None or place in served, (row["name"], study["client_name"])
    assert named_regionally > 50  # the rule was exercised
