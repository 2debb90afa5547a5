"""Public contract data in (suppliers.public_records): matching, quirks, idempotence and the
real Contracts Finder fixture."""

from __future__ import annotations

import copy
import gzip
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.models import PublicBody, PublicBodyIdentifier
from suppliers.models import (
    AwardRecord,
    AwardSupplier,
    ExternalEngagementNotice,
    ImportedFile,
    PublicRelease,
    Region,
    Supplier,
)
from suppliers.public_records.ocds import import_releases
from suppliers.public_records.reader import SourcedRelease, read_paths
from suppliers.public_records.regions import POSTCODE_AREA_TO_ITL1, region_code_for_postcode
from suppliers.public_records.text import clean_text, display_name, name_key, parse_datetime
from tests.factories import PublicBodyFactory, SupplierFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT.parent / "shared" / "data" / "contracts-finder-2025" / "package.json"
OCID = "ocds-b5fd17-00000000-0000-0000-0000-000000000001"


def make_release(
    *,
    ocid: str = OCID,
    release_id: str = "r1",
    date: str = "2025-01-23T10:00:00Z",
    tag: str = "award",
    suppliers: list[dict] | None = None,
    amount: object = 1000,
    title: str = "Cloud hosting",
    buyer: dict | None = None,
    documents: list[dict] | None = None,
) -> dict:
    buyer = buyer or {
        "id": "GB-CFS-18525",
        "name": "London Borough of Merton",
        "identifier": {"legalName": "London Borough of Merton"},
        "roles": ["buyer"],
    }
    suppliers = (
        suppliers
        if suppliers is not None
        else [
            {
                "id": "GB-COH-04142000",
                "name": "Acme Digital Ltd",
                "identifier": {"scheme": "GB-COH", "id": "4142000", "legalName": "Acme"},
                "address": {"streetAddress": "1 High St, Leeds, LS1 4AP"},
                "details": {"scale": "sme"},
                "roles": ["supplier"],
            }
        ]
    )
    return {
        "ocid": ocid,
        "id": release_id,
        "date": date,
        "tag": [tag],
        "tender": {
            "title": title,
            "classification": {"scheme": "CPV", "id": "72000000", "description": "IT services"},
            "procurementMethod": "open",
            "procurementMethodDetails": "Other - ",
        },
        "parties": [buyer, *suppliers],
        "buyer": {"id": buyer["id"], "name": buyer.get("name")},
        "awards": [
            {
                "id": f"{ocid}-1",
                "status": "active",
                "date": "2024-12-22T00:00:00Z",
                "value": {"amount": amount, "currency": "GBP"},
                "suppliers": [{"id": s["id"], "name": s.get("name")} for s in suppliers],
                "documents": documents
                if documents is not None
                else [
                    {
                        "id": "1",
                        "documentType": "awardNotice",
                        "url": "https://www.contractsfinder.service.gov.uk/Notice/abc",
                    }
                ],
            }
        ],
    }


def load(*releases: dict):
    return import_releases(
        [SourcedRelease(r, f"test, release {i}") for i, r in enumerate(releases, start=1)]
    )


def counts() -> dict[str, int]:
    return {
        "awards": AwardRecord.objects.count(),
        "links": AwardSupplier.objects.count(),
        "suppliers": Supplier.objects.count(),
        "bodies": PublicBody.objects.count(),
        "identifiers": PublicBodyIdentifier.objects.count(),
        "notices": ExternalEngagementNotice.objects.count(),
        "releases": PublicRelease.objects.count(),
    }


# --- the one name rule, dates, regions ---------------------------------------------------


@pytest.mark.parametrize(
    ("published", "kept"),
    [
        ("Repairs & Maintenance", "Repairs & Maintenance"),  # plain text, left as it is
        ("AT&T;", "AT&T;"),
        ("Fish &amp; Chips", "Fish & Chips"),  # an HTML entity, unescaped by ftfy
        ("P&EACUTE;REZ &#163;5", "PÉREZ £5"),
        ("Â£5,000 â€“ cleaning", "£5,000 – cleaning"),  # mis-decoded, repaired
    ],
)
def test_clean_text_repairs_what_ftfy_repairs_and_leaves_plain_text(published, kept):
    import ftfy

    assert clean_text(published) == kept == ftfy.fix_text(published)


def test_name_key_ignores_legal_form_case_and_punctuation():
    assert name_key("ACME DIGITAL LTD.") == name_key("Acme-Digital Limited") == "acme digital"
    assert name_key("Smith & Jones plc") == name_key("SMITH AND JONES") == "smith and jones"
    assert name_key("Limited Edition Design Ltd") == "limited edition design"
    assert name_key("Acme Digital") != name_key("Acme Data")


def test_capitals_made_readable_keeping_acronyms():
    assert display_name("ACME DIGITAL SERVICES LTD") == "Acme Digital Services Ltd"
    assert display_name("KPMG LLP") == "KPMG LLP"
    assert display_name("Mixed Case Ltd") == "Mixed Case Ltd"


def test_mixed_time_zones_compare_as_instants():
    summer = parse_datetime("2025-04-23T23:59:59+01:00")
    assert summer == parse_datetime("2025-04-23T22:59:59Z")
    assert parse_datetime("2025-01-23").isoformat() == "2025-01-23T00:00:00+00:00"
    assert parse_datetime("not a date") is None


def test_postcode_area_table_covers_every_region_once():
    assert set(POSTCODE_AREA_TO_ITL1.values()) == set(Region.objects.values_list("code", flat=True))
    assert region_code_for_postcode("SW1A 1AA") == "TLI"
    assert region_code_for_postcode("ls1 4ap") == "TLE"
    assert region_code_for_postcode("WV1 1AA") == "TLG"  # WV, not W
    assert region_code_for_postcode("JE2 3AB") is None


# --- matching ----------------------------------------------------------------------------


def test_supplier_matched_by_unpadded_companies_house_number_and_nothing_overwritten():
    london = Region.objects.get(code="TLI")
    registered = SupplierFactory(
        companies_house_number="04142000", name="Acme Holdings", size="medium", hq_region=london
    )
    report = load(make_release())
    assert report.loaded == 1 and not report.refused
    award = AwardRecord.objects.get()
    assert list(award.suppliers.all()) == [registered]
    registered.refresh_from_db()
    # The notice says "Acme Digital Ltd", scale sme, Leeds: the supplier's own values stay.
    assert (registered.name, registered.size, registered.hq_region) == (
        "Acme Holdings",
        "medium",
        london,
    )
    assert not registered.from_public_records


def test_supplier_matched_by_name_in_capitals_when_no_number():
    registered = SupplierFactory(name="Kestrel Ledger Systems Limited")
    party = {
        "id": "GB-CFS-307567",
        "identifier": {"legalName": "KESTREL LEDGER SYSTEMS LTD"},
        "name": "KESTREL LEDGER SYSTEMS LTD",
        "roles": ["supplier"],
    }
    load(make_release(suppliers=[party]))
    assert list(AwardRecord.objects.get().suppliers.all()) == [registered]


def test_name_match_never_joins_two_different_company_numbers():
    other = SupplierFactory(name="Acme Digital Ltd", companies_house_number="09999999")
    load(make_release())  # Acme Digital Ltd, but number 04142000
    supplier = AwardRecord.objects.get().suppliers.get()
    assert supplier != other
    assert supplier.companies_house_number == "04142000" and supplier.from_public_records


def test_unknown_supplier_becomes_public_record_with_size_and_region():
    party = {
        "id": "GB-CFS-1",
        "name": "NORTHERN WIDGETS LTD",
        "identifier": {"legalName": "NORTHERN WIDGETS LTD"},  # no scheme, no id
        "address": {"streetAddress": "Partis House, rnDavy Avenue, rnMilton Keys, rnMK5 8HJ"},
        "details": {"scale": "large"},
        "roles": ["supplier"],
    }
    load(make_release(suppliers=[party]))
    supplier = Supplier.objects.get(from_public_records=True)
    assert supplier.name == "Northern Widgets Ltd"
    assert supplier.companies_house_number is None
    assert (supplier.size, supplier.public_scale) == ("large", "large")
    assert supplier.hq_region.code == "TLJ"  # MK
    assert supplier.status == Supplier.Status.PUBLISHED and supplier.claimed_at is None
    assert supplier.search_vector is not None
    assert supplier.history.count() == 1


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ({"scheme": "GB-COH", "id": "458577871"}, None),  # 9 digits: not a company number
        ({"scheme": "GB-COH", "id": "sc 123456"}, "SC123456"),
        ({"id": "12345678"}, None),  # an id without a scheme is not taken for one
    ],
)
def test_company_numbers_from_identifiers(identifier, expected):
    party = {"id": "X-1", "name": "Nominet UK", "identifier": identifier, "roles": ["supplier"]}
    load(make_release(suppliers=[party]))
    assert Supplier.objects.get(from_public_records=True).companies_house_number == expected


def test_number_in_additional_identifiers():
    party = {
        "id": "GB-CFS-9",
        "name": "Beta Ltd",
        "identifier": {"legalName": "Beta Ltd"},
        "additionalIdentifiers": [{"scheme": "GB-COH", "id": "123"}],
        "roles": ["supplier"],
    }
    load(make_release(suppliers=[party]))
    assert Supplier.objects.get(from_public_records=True).companies_house_number == "00000123"


def test_same_supplier_twice_on_one_award_is_one_link():
    party = make_release()["parties"][1]
    release = make_release(suppliers=[party])
    release["awards"][0]["suppliers"] *= 2
    load(release)
    assert AwardSupplier.objects.count() == 1


def test_buyer_matched_by_identifier_then_name_unknown_made_from_public_records():
    seeded = PublicBodyFactory(name="London Borough of Merton")
    load(make_release())
    award = AwardRecord.objects.get()
    assert award.buyer == seeded
    assert set(seeded.identifiers.values_list("scheme", "identifier")) == {("GB-CFS", "18525")}
    # Next time by identifier, whatever the name says.
    renamed = make_release(ocid=OCID.replace("1", "2"), release_id="r9")
    renamed["parties"][0]["name"] = renamed["buyer"]["name"] = "LB Merton"
    load(renamed)
    assert AwardRecord.objects.filter(buyer=seeded).count() == 2
    srs = {
        "id": "GB-SRS-sid4gov.cabinetoffice.gov.uk/jH9F9wAB",
        "name": "ENTERPRISE CHESHIRE AND WARRINGTON",
        "identifier": {"scheme": "GB-SRS", "id": "sid4gov.cabinetoffice.gov.uk/jH9F9wAB"},
        "roles": ["buyer"],
    }
    load(make_release(ocid=OCID.replace("1", "3"), buyer=srs))
    body = PublicBody.objects.get(from_public_records=True)
    assert body.name == "Enterprise Cheshire and Warrington"
    assert list(body.identifiers.values_list("scheme", flat=True)) == ["GB-SRS"]


# --- what is kept, and quirks ------------------------------------------------------------


def test_award_record_fields():
    load(make_release(title="Parking pilot â€¢ CEO costs Â£5"))
    award = AwardRecord.objects.get()
    assert award.title == "Parking pilot • CEO costs £5"  # mojibake repaired
    assert (award.value_amount, award.currency) == (Decimal("1000.00"), "GBP")
    assert (award.cpv_code, award.procurement_method) == ("72000000", "open")
    assert award.procurement_method_details == ""  # "Other - " says nothing
    assert award.notice_url.endswith("/Notice/abc")
    assert award.publisher == "Contracts Finder"  # from the ocid prefix


def test_zero_value_is_no_value_and_float_amounts_kept():
    load(make_release(amount=0))
    assert AwardRecord.objects.get().value_amount is None
    load(make_release(release_id="r2", date="2025-01-24T10:00:00Z", amount=3036.96))
    assert AwardRecord.objects.get().value_amount == Decimal("3036.96")


def test_missing_document_type_still_gives_a_notice_link():
    docs = [{"id": "1", "url": "https://example.org/notice/1"}, {"id": "2", "documentType": "Link"}]
    load(make_release(documents=docs))
    assert AwardRecord.objects.get().notice_url == "https://example.org/notice/1"


def test_later_release_updates_older_one_arriving_late_changes_nothing():
    load(make_release(amount=1000, date="2025-03-11T12:00:00+01:00"))  # 11:00 UTC
    load(make_release(release_id="r2", tag="awardUpdate", amount=2000, date="2025-03-11T11:30Z"))
    award = AwardRecord.objects.get()
    assert award.value_amount == 2000 and award.release_id == "r2"
    load(make_release(release_id="r0", amount=500, date="2025-03-10T09:00:00Z"))
    award.refresh_from_db()
    assert award.value_amount == 2000 and AwardRecord.objects.count() == 1


def test_planning_release_with_engagement_notice_is_kept():
    release = {
        "ocid": OCID,
        "id": "p1",
        "date": "2025-01-23T17:02:00Z",
        "tag": ["planning"],
        "title": "Analytical Testing Support RFI",
        "planning": {
            "milestones": [{"type": "engagement", "dueDate": "2025-01-31T23:59:59Z"}],
            "documents": [
                {"id": "2", "url": "https://contracts.mod.uk/x"},
                {
                    "id": "1",
                    "documentType": "marketEngagementNotice",
                    "url": "https://www.contractsfinder.service.gov.uk/Notice/9c97",
                },
            ],
        },
        "tender": {"classification": {"scheme": "CPV", "id": "09100000"}},
        "parties": [make_release()["parties"][0]],
        "buyer": {"id": "GB-CFS-18525", "name": "London Borough of Merton"},
    }
    report = load(release)
    notice = ExternalEngagementNotice.objects.get()
    assert report.loaded == 1
    assert notice.notice_url.endswith("/Notice/9c97")
    assert notice.closes_at.isoformat() == "2025-01-31T23:59:59+00:00"
    assert notice.buyer.name == "London Borough of Merton"


def test_tender_release_passed_over_with_reason():
    release = make_release(tag="tender")
    del release["awards"]
    report = load(release)
    assert report.loaded == 0 and not report.refused
    assert list(report.skipped) == ["tender notice: no award or market engagement notice to keep"]
    assert PublicRelease.objects.get().outcome == "skipped"


def test_bad_releases_refused_with_position_and_reason_rest_load():
    nameless = {"id": "GB-CFS-173", "details": {"scale": "large"}, "roles": ["supplier"]}
    report = load(
        "not a release",
        {"id": "x"},
        make_release(ocid=OCID.replace("1", "4"), suppliers=[nameless]),
        make_release(),
    )
    reasons = [(r.position, r.reason) for r in report.refused]
    assert reasons[0] == ("test, release 1", "not a release (expected a JSON object)")
    assert reasons[1] == ("test, release 2", "the release has no ocid")
    assert reasons[2][1].startswith("supplier GB-CFS-173 has no name")
    assert report.loaded == 1 and AwardRecord.objects.count() == 1
    # The refused release left nothing behind (its buyer was made, then undone).
    assert Supplier.objects.count() == 1


def test_second_run_changes_nothing():
    load(make_release(), make_release(ocid=OCID.replace("1", "5")))
    before = counts()
    report = load(make_release(), make_release(ocid=OCID.replace("1", "5")))
    assert report.already == 2 and report.loaded == 0
    assert counts() == before


# --- reading the published shapes --------------------------------------------------------


def test_reads_packages_records_json_lines_gz_and_folders(tmp_path):
    one, two = make_release(), make_release(ocid=OCID.replace("1", "6"), release_id="r6")
    folder = tmp_path / "data"
    folder.mkdir()
    package = {"publisher": {"name": "Find a Tender"}, "releases": [one]}
    (folder / "a.json").write_text(json.dumps(package))
    record = {"records": [{"ocid": two["ocid"], "compiledRelease": two}]}
    with gzip.open(folder / "b.json.gz", "wt") as handle:
        json.dump(record, handle)
    (folder / "c.jsonl").write_text(json.dumps(one) + "\n\n" + json.dumps(two) + "\n")
    (folder / "ignored.txt").write_text("not OCDS")
    found = list(read_paths([folder]))
    assert [(f.release["ocid"], f.position, f.publisher) for f in found] == [
        (one["ocid"], "a.json, release 1", "Find a Tender"),
        (two["ocid"], "b.json.gz, release 1", ""),
        (one["ocid"], "c.jsonl, line 1", ""),
        (two["ocid"], "c.jsonl, line 3", ""),
    ]


def test_truncated_file_refused_releases_before_it_load(tmp_path):
    text = json.dumps({"releases": [make_release(), make_release(ocid=OCID.replace("1", "7"))]})
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) - 40])
    report = import_releases(read_paths([path]))
    assert report.loaded == 1
    assert len(report.refused) == 1 and "cannot be read" in report.refused[0].reason


def test_command_exits_1_and_lists_each_refusal(tmp_path, capsys):
    bad = copy.deepcopy(make_release())
    del bad["ocid"]
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"releases": [make_release(), bad]}))
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_ocds", str(path))
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert "Refused: p.json, release 2 (no ocid): the release has no ocid" in out
    assert "1 loaded" in out


def test_a_file_read_to_its_end_is_passed_over_whole_until_it_changes(tmp_path, capsys):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"releases": [make_release()]}))
    call_command("import_ocds", str(path))
    assert ImportedFile.objects.get().releases == 1
    first = counts()
    call_command("import_ocds", str(path))
    assert "1 already loaded (in 1 unchanged file)" in capsys.readouterr().out
    call_command("import_ocds", "--reread", str(path))  # parsed again: still nothing new
    out = capsys.readouterr().out
    assert "1 already loaded, 0 refused" in out and "unchanged file" not in out
    assert counts() == first
    # A changed file (a later release appended) is read again: only the new release loads.
    later = make_release(release_id="r2", date="2025-02-01T00:00:00Z", amount=2000)
    path.write_text(json.dumps({"releases": [make_release(), later]}))
    call_command("import_ocds", str(path))
    assert "1 loaded, 0 with nothing to keep, 1 already loaded, 0 refused" in (
        capsys.readouterr().out
    )
    assert AwardRecord.objects.get().value_amount == Decimal("2000.00")
    assert ImportedFile.objects.count() == 2


def test_a_file_with_refusals_is_passed_over_next_time_and_its_refusals_said_again(
    tmp_path, capsys
):
    bad = copy.deepcopy(make_release(ocid=OCID.replace("1", "7")))
    del bad["id"]
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"releases": [make_release(), bad]}))
    with pytest.raises(SystemExit) as first:
        call_command("import_ocds", str(path))
    refusal = f"p.json, release 2 ({OCID.replace('1', '7')}): the release has no id"
    assert f"Refused: {refusal}" in capsys.readouterr().out
    assert ImportedFile.objects.get().refusals == [
        ["p.json, release 2", OCID.replace("1", "7"), "the release has no id"]
    ]
    # The same content under another name: passed over, the refusal said again (by the
    # new name), the same exit status.
    again = tmp_path / "q.json"
    again.write_bytes(path.read_bytes())
    with pytest.raises(SystemExit) as second:
        call_command("import_ocds", str(again))
    out = capsys.readouterr().out
    assert first.value.code == second.value.code == 1
    assert f"Refused: {refusal.replace('p.json', 'q.json')}" in out
    assert "1 already loaded (in 1 unchanged file), 1 refused" in out
    # --reread parses it again: the same refusal, found again.
    with pytest.raises(SystemExit):
        call_command("import_ocds", "--reread", str(path))
    out = capsys.readouterr().out
    assert f"Refused: {refusal}" in out
    assert "1 already loaded, 1 refused" in out and "unchanged file" not in out
    # Changed (the release mended): read again, it loads, and nothing is refused.
    bad["id"] = "r7"
    path.write_text(json.dumps({"releases": [make_release(), bad]}))
    call_command("import_ocds", str(path))
    assert "1 loaded, 0 with nothing to keep, 1 already loaded, 0 refused" in (
        capsys.readouterr().out
    )
    assert AwardRecord.objects.filter(ocid=OCID.replace("1", "7")).exists()


def test_a_file_the_database_refused_a_release_of_is_read_again_next_time(tmp_path, capsys):
    """A refusal by the database (here a NUL character, which PostgreSQL does not store)
    may not happen to a later run, so the file is not recorded as read."""
    odd = make_release(ocid=OCID.replace("1", "8"))
    odd["tag"] = ["award\u0000"]
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"releases": [make_release(), odd]}))
    for _ in range(2):
        with pytest.raises(SystemExit):
            call_command("import_ocds", str(path))
        out = capsys.readouterr().out
        assert "the database refused it" in out and "unchanged file" not in out
    assert not ImportedFile.objects.exists()
    assert PublicRelease.objects.count() == 1


# --- the real fixture ----------------------------------------------------------------------


@pytest.mark.skipif(not FIXTURE.exists(), reason=f"real fixture not present at {FIXTURE}")
def test_real_contracts_finder_fixture_loads_or_refuses_each_release_and_reruns_clean(capsys):
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_ocds", str(FIXTURE))
    assert exit_info.value.code == 1  # one release is refused, so it says so
    out = capsys.readouterr().out
    assert "Traceback" not in out
    first = counts()
    refused = [line for line in out.splitlines() if line.startswith("Refused: ")]
    assert refused == [
        "Refused: package.json, release 164 (ocds-b5fd17-1dfbc9b2-d863-427c-9a37-856d6c4b364d): "
        "supplier GB-CFS-173 has no name and no Companies House number, so who won cannot be told"
    ]
    outcomes = Counter(PublicRelease.objects.values_list("outcome", flat=True))
    assert outcomes == {"loaded": 151, "skipped": 48}  # + 1 refused = 200
    assert first["notices"] == 5
    assert first["awards"] == 142
    # 35-supplier award with GB-COH-03794455 twice: 34 distinct links.
    big = AwardRecord.objects.get(
        ocid="ocds-b5fd17-3acef0bd-20d7-4df8-bbd7-01a3540dc2d6", award_id__endswith="-13"
    )
    assert big.award_suppliers.count() >= 1
    # NOMINET's 9-digit "GB-COH" is not taken as a company number.
    assert not Supplier.objects.filter(companies_house_number__startswith="4585778").exists()
    assert not AwardRecord.objects.filter(title__contains="â€").exists()
    assert not AwardRecord.objects.filter(value_amount=0).exists()
    with pytest.raises(SystemExit):
        call_command("import_ocds", str(FIXTURE))
    assert "199 already loaded" in capsys.readouterr().out
    assert counts() == first


# --- set-based batches ---------------------------------------------------------------------


def test_one_batch_applies_its_releases_in_order():
    """An award and its update in the same batch: created once, updated once, and an
    older release later in the batch changes nothing."""
    report = load(
        make_release(amount=1000, date="2025-03-11T11:00:00Z"),
        make_release(release_id="r2", tag="awardUpdate", amount=2000, date="2025-03-11T12:00Z"),
        make_release(release_id="r0", amount=500, date="2025-03-10T09:00:00Z"),
    )
    assert (report.loaded, report.awards_created, report.awards_updated) == (3, 1, 1)
    award = AwardRecord.objects.get()
    assert (award.value_amount, award.release_id) == (2000, "r2")
    assert AwardSupplier.objects.count() == 1 and PublicRelease.objects.count() == 3


def test_blank_filled_once_in_a_batch_first_release_wins():
    """A supplier from public records made without a region gets the first region a later
    party gives; a registered supplier with the same name is never touched."""
    bare = {"id": "GB-CFS-5", "name": "Gamma Ltd", "roles": ["supplier"]}
    leeds = {**bare, "address": {"postalCode": "LS1 4AP"}, "details": {"scale": "micro"}}
    london = {**bare, "address": {"postalCode": "SW1A 1AA"}, "details": {"scale": "large"}}
    load(
        make_release(suppliers=[bare]),
        make_release(ocid=OCID.replace("1", "8"), suppliers=[leeds]),
        make_release(ocid=OCID.replace("1", "9"), suppliers=[london]),
    )
    gamma = Supplier.objects.get(from_public_records=True)
    assert (gamma.hq_region.code, gamma.public_scale, gamma.size) == ("TLE", "micro", "micro")
    load(make_release(ocid=OCID.replace("1", "a"), suppliers=[london]))
    gamma.refresh_from_db()
    assert (gamma.hq_region.code, gamma.public_scale) == ("TLE", "micro")


def test_database_refusal_refuses_only_that_release_rest_of_batch_loads():
    """Another process registers a company number after the import read the register:
    the batch's insert is refused, so it is written one release at a time and only the
    release naming that company is refused, with the database's reason."""
    from suppliers.public_records.ocds import OcdsReport, _Importer

    report = OcdsReport()
    importer = _Importer(report)
    SupplierFactory(companies_house_number="04142000", name="Registered Meanwhile")
    other = {
        "id": "GB-COH-05555555",
        "name": "Delta Ltd",
        "identifier": {"scheme": "GB-COH", "id": "05555555"},
        "roles": ["supplier"],
    }
    importer.run_batch(
        [
            SourcedRelease(make_release(ocid=OCID.replace("1", "b"), suppliers=[other]), "t, 1"),
            SourcedRelease(make_release(), "t, 2"),
        ]
    )
    assert report.loaded == 1 and report.suppliers_created == 1
    assert [(r.position, r.ocid) for r in report.refused] == [("t, 2", OCID)]
    assert report.refused[0].reason.startswith("the database refused it")
    assert AwardRecord.objects.get().ocid == OCID.replace("1", "b")
    assert PublicRelease.objects.count() == 1
    assert set(Supplier.objects.values_list("companies_house_number", flat=True)) == {
        "04142000",
        "05555555",
    }


def test_an_import_gives_public_record_suppliers_the_capabilities_of_their_cpv_codes(client):
    from suppliers.models import Capability, CpvCapability

    cloud = Capability.objects.get(code="cloud-hosting")
    CpvCapability.objects.all().delete()  # this test's table, not the seeded one
    CpvCapability.objects.create(cpv_prefix="72", capability=cloud)
    load(make_release())  # tender classification 72000000: IT services
    supplier = Supplier.objects.get(from_public_records=True)
    assert list(supplier.capabilities.all()) == [cloud]
    supplier.refresh_from_db()
    assert supplier.capability_ids == [cloud.pk]  # so facets and search follow
    page = client.get("/suppliers/", {"capability": "cloud-hosting"}).content.decode()
    assert supplier.name in page


def test_the_seeded_cpv_table_finds_technology_suppliers_by_capability():
    """The starting table (migration 0011): IT services (72), software (48) and the rest
    mean capabilities, the longest prefix winning."""
    release = make_release()
    release["tender"]["classification"]["id"] = "72262000"  # software development services
    load(release)
    supplier = Supplier.objects.get(from_public_records=True)
    assert list(supplier.capabilities.values_list("code", flat=True)) == [
        "web-application-development"
    ]
