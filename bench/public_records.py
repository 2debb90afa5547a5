"""The public-records import benchmark: OCDS releases in, and a Companies House file.

1. Generates release packages in the shape Contracts Finder publishes, using the real
   fixture (``../shared/data/contracts-finder-2025/package.json``, 200 releases: awards,
   award updates, tenders, planning notices, and its quirks) as templates. Each release
   copies one template and varies its ids, dates, amounts and parties: buyers from a pool
   of 3,000, suppliers from a pool of 25,000 (half the awards go to the 2,000 busiest;
   some are registered suppliers already in the bench database, named by their Companies
   House number), and one release in twenty is a later release of an earlier process (an
   update). Without the fixture, a built-in award release is the only template.
2. Imports 10,000 and then 100,000 releases into an empty public record, each with a real
   ``manage.py import_ocds`` in a child process: wall time (Django's start included) and
   peak memory (the child's ``ru_maxrss`` from ``os.wait4``).
3. Runs the 100,000 again, unchanged (everything is already loaded).
4. Writes a 1,000,000-row BasicCompanyData CSV (the published 55 columns, header quirks
   and all) naming every company Techmap knows among strangers, and times
   ``manage.py import_companies_house`` on it (known companies only, the default).

Targets: 100,000 releases in under 60 s with peak memory under 500 MB; memory flat from
10,000 to 100,000 (the 100,000 run's peak within 25 % of the 10,000 run's); the unchanged
re-run under 10 s; the Companies House file in under 2 minutes. ``--quick`` (a smoke test)
imports 1,000 and 10,000 releases and reads 100,000 Companies House rows instead.
"""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.timing import table

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT.parent / "shared" / "data" / "contracts-finder-2025" / "package.json"
SEED = 2016
SIZES = (10_000, 100_000)
BUYERS, SUPPLIERS, BUSY_SUPPLIERS = 3_000, 25_000, 2_000
COMPANIES_HOUSE_ROWS = 1_000_000
TARGETS = {"seconds_100k": 60, "peak_mb": 500, "flat_ratio": 1.25, "rerun_s": 10, "ch_s": 120}

_FALLBACK_TEMPLATE = {
    "ocid": "ocds-b5fd17-00000000-0000-0000-0000-000000000001",
    "id": "template-1",
    "date": "2025-01-23T10:00:00Z",
    "tag": ["award"],
    "tender": {
        "title": "Cloud hosting",
        "classification": {"scheme": "CPV", "id": "72000000", "description": "IT services"},
        "procurementMethod": "open",
    },
    "parties": [
        {"id": "GB-CFS-1", "name": "Buyer", "roles": ["buyer"]},
        {"id": "GB-CFS-2", "name": "Supplier", "roles": ["supplier"]},
    ],
    "buyer": {"id": "GB-CFS-1", "name": "Buyer"},
    "awards": [
        {
            "id": "ocds-b5fd17-00000000-0000-0000-0000-000000000001-1",
            "status": "active",
            "value": {"amount": 1000, "currency": "GBP"},
            "suppliers": [{"id": "GB-CFS-2", "name": "Supplier"}],
            "documents": [{"id": "1", "documentType": "awardNotice", "url": "https://x.test/n"}],
        }
    ],
}

# --- Releases --------------------------------------------------------------------------

_WORDS = ("Acorn", "Beacon", "Cedar", "Delta", "Ember", "Falcon", "Granite", "Harbour", "Iris",
          "Juniper", "Kestrel", "Lantern", "Meridian", "Northern", "Oak", "Pioneer", "Quarry",
          "River", "Summit", "Thistle", "Upland", "Vale", "Willow", "Yarrow", "Zenith", "Atlas",
          "Bridge", "Copper", "Dale", "Elm")  # fmt: skip
_TRADES = ("Digital", "Data", "Consulting", "Systems", "Facilities", "Care", "Construction",
           "Engineering", "Analytics", "Software", "Services", "Solutions", "Networks",
           "Transport", "Cleaning", "Training")  # fmt: skip
_POSTCODES = ("LS1 4AP", "M1 1AE", "SW1A 1AA", "B1 1AA", "EH1 1YZ", "CF10 1AA", "BS1 4DJ",
              "NE1 7RU", "MK5 8HJ", "BT1 5GS", "NG1 5FS", "CB2 1TN", "EC3N 2LB")  # fmt: skip


def _templates() -> tuple[list[str], list[str]]:
    """The fixture's releases as JSON text (copied by parsing: the fastest deep copy),
    and its buyers' names."""
    if not FIXTURE.exists():
        return [json.dumps(_FALLBACK_TEMPLATE)], ["Borough Council"]
    releases = json.loads(FIXTURE.read_text(encoding="utf-8"))["releases"]
    names = sorted(
        {
            p["name"]
            for r in releases
            for p in r.get("parties") or []
            if "buyer" in (p.get("roles") or []) and p.get("name")
        }
    )
    return [json.dumps(r) for r in releases], names


def _supplier_party(s: int, registered: list[tuple[str, str]]) -> dict:
    """Supplier s of the pool, always published the same way."""
    if registered and s % 5 == 0:
        number, name = registered[(s // 5) % len(registered)]
        return {
            "id": f"GB-COH-{number}",
            "name": name.upper() if s % 2 else name,
            "identifier": {"scheme": "GB-COH", "id": number.lstrip("0"), "legalName": name},
            "details": {"scale": "sme"},
            "roles": ["supplier"],
        }
    name = f"{_WORDS[s % len(_WORDS)]} {_WORDS[(s // 31) % len(_WORDS)]} "
    name += f"{_TRADES[(s // 7) % len(_TRADES)]} {s} Ltd"
    party: dict[str, Any] = {
        "name": name.upper() if s % 7 == 0 else name,
        "address": {"streetAddress": f"{s} High Street, {_POSTCODES[s % len(_POSTCODES)]}"},
        "details": {"scale": "large" if s % 11 == 0 else "sme"},
        "roles": ["supplier"],
    }
    if s % 3 == 0:  # with a Companies House number, sometimes unpadded
        number = f"{20_000_000 + s}"
        party["id"] = f"GB-COH-{number}"
        party["identifier"] = {"scheme": "GB-COH", "id": number, "legalName": name}
    else:  # Contracts Finder's own id, no number
        party["id"] = f"GB-CFS-{700_000 + s}"
        party["identifier"] = {"legalName": name}
    return party


def _buyer_party(b: int, names: list[str]) -> dict:
    base = names[b % len(names)]
    name = base if b < len(names) else f"{base} {b // len(names) + 1}"
    if b % 3 == 0:
        ident = f"sid4gov.cabinetoffice.gov.uk/bench{b}"
        return {
            "id": f"GB-SRS-{ident}",
            "name": name,
            "identifier": {"scheme": "GB-SRS", "id": ident, "legalName": name},
            "roles": ["buyer"],
        }
    return {
        "id": f"GB-CFS-{800_000 + b}",
        "name": name,
        "identifier": {"legalName": name},
        "roles": ["buyer"],
    }


def generate_release(
    n: int,
    template: str,
    *,
    rng: random.Random,
    ocids: list[str],
    buyer_names: list[str],
    registered: list[tuple[str, str]],
) -> dict:
    """Release n: a copy of ``template`` with its own ids, date, amounts and parties."""
    release = json.loads(template)
    old_ocid = release.get("ocid", "")
    if n >= 1_000 and rng.random() < 0.05:
        ocid = ocids[rng.randrange(n - 1_000, n - 500)]  # a later release of a process
        release["tag"] = ["awardUpdate"] if release.get("awards") else release.get("tag")
    else:
        ocid = f"ocds-b5fd17-{uuid.UUID(int=rng.getrandbits(128), version=4)}"
    ocids.append(ocid)
    release["ocid"] = ocid
    release["id"] = f"{uuid.UUID(int=rng.getrandbits(128), version=4)}-{n}"
    when = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=20 * n)
    release["date"] = when.isoformat().replace("+00:00", "Z")
    mapping: dict[str, dict] = {}
    for party in release.get("parties") or []:
        roles = party.get("roles") or []
        if not party.get("name") and not party.get("identifier", {}).get("legalName"):
            continue  # a nameless party stays nameless (the release is refused, as published)
        if "buyer" in roles:
            new = _buyer_party(int(rng.paretovariate(1.1)) % BUYERS, buyer_names)
        elif rng.random() < 0.5:
            new = _supplier_party(rng.randrange(BUSY_SUPPLIERS), registered)
        else:
            new = _supplier_party(rng.randrange(SUPPLIERS), registered)
        mapping[str(party.get("id"))] = new
    release["parties"] = [mapping.get(str(p.get("id")), p) for p in release.get("parties") or []]
    buyer = release.get("buyer")
    if isinstance(buyer, dict) and str(buyer.get("id")) in mapping:
        new = mapping[str(buyer["id"])]
        release["buyer"] = {"id": new["id"], "name": new["name"]}
    for award in release.get("awards") or []:
        award["id"] = str(award.get("id", "")).replace(old_ocid, ocid)
        value = award.get("value") or {}
        if value.get("amount"):
            value["amount"] = round(value["amount"] * rng.uniform(0.5, 2.0), 2)
        for ref in award.get("suppliers") or []:
            new = mapping.get(str(ref.get("id")))
            if new:
                ref["id"], ref["name"] = new["id"], new["name"]
    for contract in release.get("contracts") or []:
        contract["awardID"] = str(contract.get("awardID", "")).replace(old_ocid, ocid)
    return release


def write_package(path: Path, count: int, *, registered: list[tuple[str, str]]) -> None:
    """A release package of ``count`` generated releases, written as it is made."""
    templates, buyer_names = _templates()
    rng = random.Random(SEED)
    ocids: list[str] = []
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '{"uri": "https://www.contractsfinder.service.gov.uk/bench", '
            '"publishedDate": "2025-01-24T00:00:00Z", '
            '"publisher": {"name": "Contracts Finder"}, "version": "1.1", "releases": [\n'
        )
        for n in range(count):
            release = generate_release(
                n,
                templates[n % len(templates)],
                rng=rng,
                ocids=ocids,
                buyer_names=buyer_names,
                registered=registered,
            )
            out.write(("," if n else "") + json.dumps(release) + "\n")
        out.write("]}\n")


# --- Companies House -------------------------------------------------------------------

CH_HEADER = [
    "CompanyName", " CompanyNumber", "RegAddress.CareOf", "RegAddress.POBox",
    "RegAddress.AddressLine1", " RegAddress.AddressLine2", "RegAddress.PostTown",
    "RegAddress.County", "RegAddress.Country", "RegAddress.PostCode", "CompanyCategory",
    "CompanyStatus", "CountryOfOrigin", "DissolutionDate", "IncorporationDate",
    "Accounts.AccountRefDay", "Accounts.AccountRefMonth", "Accounts.NextDueDate",
    "Accounts.LastMadeUpDate", "Accounts.AccountCategory", "Returns.NextDueDate",
    "Returns.LastMadeUpDate", "Mortgages.NumMortCharges", "Mortgages.NumMortOutstanding",
    "Mortgages.NumMortPartSatisfied", "Mortgages.NumMortSatisfied", "SICCode.SicText_1",
    "SICCode.SicText_2", "SICCode.SicText_3", "SICCode.SicText_4",
    "LimitedPartnerships.NumGenPartners", "LimitedPartnerships.NumLimPartners", "URI",
    *(f"PreviousName_{i}.{c}" for i in range(1, 11) for c in ("CONDATE", " CompanyName")),
    "ConfStmtNextDueDate", " ConfStmtLastMadeUpDate",
]  # fmt: skip
_STATUSES = ["Active"] * 90 + ["Liquidation", "Dissolved", "Active - Proposal to Strike off"] * 3
_SIC = ("62020 - Information technology consultancy activities",
        "62012 - Business and domestic software development", "70229 - Management consultancy "
        "activities other than financial management", "43210 - Electrical installation",
        "None Supplied")  # fmt: skip


def write_companies_house(path: Path, rows: int, known: list[str]) -> None:
    """``rows`` rows, the ``known`` numbers among them at random places."""
    rng = random.Random(SEED)
    places = set(rng.sample(range(rows), min(len(known), rows)))
    known_iter = iter(known)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(CH_HEADER)
        empty_tail = [""] * (len(CH_HEADER) - 33)
        for i in range(rows):
            number = next(known_iter) if i in places else f"{40_000_000 + i:08d}"
            status = rng.choice(_STATUSES)
            writer.writerow(
                [
                    f"{_WORDS[i % 30].upper()} {_TRADES[i % 16].upper()} {i} LTD",
                    number, "", "", f"{i % 300} HIGH STREET", "", "LEEDS", "", "UNITED KINGDOM",
                    _POSTCODES[i % len(_POSTCODES)], "Private Limited Company", status,
                    "United Kingdom", "01/02/2024" if status == "Dissolved" else "",
                    f"{1 + i % 28:02d}/{1 + i % 12:02d}/{1990 + i % 35}", "31", "3",
                    "31/12/2025", "31/03/2024", "MICRO ENTITY", "", "", "0", "0", "0", "0",
                    _SIC[i % len(_SIC)], _SIC[(i + 1) % len(_SIC)] if i % 4 == 0 else "", "", "",
                    "0", "0", f"http://business.data.gov.uk/id/company/{number}", *empty_tail,
                ]
            )  # fmt: skip


# --- Running ---------------------------------------------------------------------------


def _child(args, command: list[str]) -> dict[str, Any]:
    """Run ``manage.py command`` in a child process: wall seconds, peak MB, output."""
    env = {**os.environ, "DATABASE_URL": args.database_url, "DEBUG": "0"}
    started = time.monotonic()
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, stdout=out, stderr=out
        )
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    last = [line for line in text.splitlines() if line.strip()][-1:] or [""]
    if child.returncode not in (0, 1):  # 1: some releases refused, as in the real data
        raise RuntimeError(f"{' '.join(command[:1])} exited {child.returncode}: {text[-2000:]}")
    return {
        "seconds": round(seconds, 1),
        # The child's own CPU time: with a busy machine, wall time also counts waiting.
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_mb": round(usage.ru_maxrss / 1024, 1),  # kilobytes on Linux
        "exit": child.returncode,
        "summary": last[0],
    }


def _empty_public_record() -> None:
    """Forget every release, award, notice, and supplier and public body from public
    records (what the import makes); registered suppliers stay."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE suppliers_awardsupplier, suppliers_awardrecord, suppliers_publicrelease, "
            "suppliers_externalengagementnotice, suppliers_importedfile, suppliers_supplierrefresh"
        )
        cursor.execute(
            "DELETE FROM suppliers_historicalsupplier WHERE id IN "
            "(SELECT id FROM suppliers_supplier WHERE from_public_records)"
        )
        cursor.execute(
            "DELETE FROM suppliers_supplier_capabilities WHERE supplier_id IN "
            "(SELECT id FROM suppliers_supplier WHERE from_public_records)"
        )
        cursor.execute("DELETE FROM suppliers_supplier WHERE from_public_records")
        cursor.execute(
            "DELETE FROM accounts_publicbodyidentifier WHERE public_body_id IN "
            "(SELECT id FROM accounts_publicbody WHERE from_public_records)"
        )
        cursor.execute("DELETE FROM accounts_publicbody WHERE from_public_records")
        cursor.execute("VACUUM ANALYZE suppliers_supplier")


def run(args) -> dict[str, Any]:
    from suppliers.models import AwardRecord, AwardSupplier, PublicRelease, Supplier

    registered = list(
        Supplier.objects.filter(from_public_records=False, companies_house_number__isnull=False)
        .order_by("pk")
        .values_list("companies_house_number", "name")[:5_000]
    )
    register = Supplier.objects.filter(from_public_records=False).count()
    print(
        f"Register: {register:,} registered suppliers; templates from "
        f"{FIXTURE.name if FIXTURE.exists() else 'the built-in release (no fixture)'}"
    )
    sizes = (1_000, 10_000) if args.quick else SIZES
    ch_rows = 100_000 if args.quick else COMPANIES_HOUSE_ROWS
    results: dict[str, Any] = {"register": register, "imports": {}, "quick": args.quick}
    with tempfile.TemporaryDirectory(prefix="bench-public-") as folder:
        for size in sizes:
            path = Path(folder) / f"releases-{size}.json"
            started = time.monotonic()
            write_package(path, size, registered=registered)
            print(
                f"Generated {size:,} releases ({path.stat().st_size / 1e6:,.0f} MB) in "
                f"{time.monotonic() - started:.0f} s"
            )
            _empty_public_record()
            run_ = _child(args, ["import_ocds", str(path)])
            run_["rate"] = round(size / run_["seconds"])
            run_["awards"] = AwardRecord.objects.count()
            run_["links"] = AwardSupplier.objects.count()
            run_["suppliers_made"] = Supplier.objects.filter(from_public_records=True).count()
            run_["releases_kept"] = PublicRelease.objects.count()
            results["imports"][size] = run_
            print(
                f"  import {size:,}: {run_['seconds']} s ({run_['cpu_seconds']} s CPU), "
                f"{run_['peak_mb']} MB peak"
            )
            print(f"  {run_['summary']}")
            if size == sizes[-1]:
                rerun = _child(args, ["import_ocds", str(path)])
                results["rerun"] = rerun
                print(
                    f"  unchanged re-run: {rerun['seconds']} s ({rerun['cpu_seconds']} s CPU), "
                    f"{rerun['peak_mb']} MB peak"
                )
                # The same, made to parse every release again (as a changed file would be).
                reread = _child(args, ["import_ocds", "--reread", str(path)])
                results["reread"] = reread
                print(
                    f"  re-run with --reread: {reread['seconds']} s "
                    f"({reread['cpu_seconds']} s CPU), {reread['peak_mb']} MB peak"
                )
            path.unlink()
        known = list(
            Supplier.objects.filter(companies_house_number__isnull=False).values_list(
                "companies_house_number", flat=True
            )
        )
        path = Path(folder) / "BasicCompanyData-bench.csv"
        started = time.monotonic()
        write_companies_house(path, ch_rows, known)
        print(
            f"Generated {ch_rows:,} Companies House rows "
            f"({path.stat().st_size / 1e6:,.0f} MB, {len(known):,} known companies) in "
            f"{time.monotonic() - started:.0f} s"
        )
        ch = _child(args, ["import_companies_house", str(path)])
        ch["known"] = len(known)
        results["companies_house"] = ch
        print(
            f"  import_companies_house: {ch['seconds']} s ({ch['cpu_seconds']} s CPU), "
            f"{ch['peak_mb']} MB peak"
        )
        print(f"  {ch['summary']}")

    small, big = (results["imports"][s] for s in sizes)
    ratio = big["peak_mb"] / small["peak_mb"]
    checks = {
        "100k_under_60s": big["seconds"] < TARGETS["seconds_100k"],
        "peak_under_500mb": big["peak_mb"] < TARGETS["peak_mb"],
        "memory_flat": ratio <= TARGETS["flat_ratio"],
        "rerun_under_10s": results["rerun"]["seconds"] < TARGETS["rerun_s"],
        "companies_house_under_2min": ch["seconds"] < TARGETS["ch_s"],
    }
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print()
    print(f"Public records, load average {load:.1f} on {os.cpu_count()} CPUs")

    def mark(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    print(
        table(
            ["releases / rows", "seconds", "CPU s", "per second", "peak MB", "target"],
            [
                [
                    f"import {sizes[0]:,}",
                    small["seconds"],
                    small["cpu_seconds"],
                    small["rate"],
                    small["peak_mb"],
                    "",
                ],
                [
                    f"import {sizes[1]:,}",
                    big["seconds"],
                    big["cpu_seconds"],
                    big["rate"],
                    big["peak_mb"],
                    f"<60 s {mark(checks['100k_under_60s'])}, <500 MB "
                    f"{mark(checks['peak_under_500mb'])}, flat ({ratio:.2f}×) "
                    f"{mark(checks['memory_flat'])}",
                ],
                [
                    f"re-run {sizes[1]:,} unchanged",
                    results["rerun"]["seconds"],
                    results["rerun"]["cpu_seconds"],
                    round(sizes[1] / results["rerun"]["seconds"]),
                    results["rerun"]["peak_mb"],
                    f"<10 s {mark(checks['rerun_under_10s'])}",
                ],
                [
                    f"re-run {sizes[1]:,} with --reread",
                    results["reread"]["seconds"],
                    results["reread"]["cpu_seconds"],
                    round(sizes[1] / results["reread"]["seconds"]),
                    results["reread"]["peak_mb"],
                    "parses every release again",
                ],
                [
                    f"Companies House {ch_rows:,} rows",
                    ch["seconds"],
                    ch["cpu_seconds"],
                    round(ch_rows / ch["seconds"]),
                    ch["peak_mb"],
                    f"<120 s {mark(checks['companies_house_under_2min'])}",
                ],
            ],
        )
    )
    return {**results, "checks": checks, "load_average": load, "cpus": os.cpu_count()}
