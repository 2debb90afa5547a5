"""import_ocds with JSON nested 1,000 levels deep (2 KB): a clear refusal with its position,
exit 1, never a traceback; the other releases of the file still load."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from suppliers.models import PublicRelease
from suppliers.public_records.ocds import import_releases
from suppliers.public_records.reader import read_paths
from tests.suppliers.test_public_records_ocds import OCID, make_release

pytestmark = pytest.mark.django_db

DEEP = "[" * 1000 + "]" * 1000


def _other(n: int) -> dict:
    return make_release(ocid=OCID.replace("1", str(n)), release_id=f"r{n}")


def test_a_deep_release_in_a_package_is_refused_alone(tmp_path, capsys):
    path = tmp_path / "p.json"
    text = json.dumps({"releases": [make_release(), "DEEP", _other(7)]})
    path.write_text(text.replace('"DEEP"', DEEP))
    with pytest.raises(SystemExit) as exited:
        call_command("import_ocds", str(path))
    assert exited.value.code == 1
    out = capsys.readouterr().out
    assert "Refused: p.json, release 2 (no ocid): it nests more than 64 levels deep" in out
    assert "2 loaded" in out
    assert PublicRelease.objects.count() == 2


def test_a_deep_member_before_the_releases_is_read_past(tmp_path):
    path = tmp_path / "p.json"
    text = json.dumps({"extensions": "DEEP", "releases": [make_release()]})
    path.write_text(text.replace('"DEEP"', "[" * 5000 + "]" * 5000))
    report = import_releases(read_paths([path]))
    assert report.loaded == 1 and not report.refused


@pytest.mark.parametrize("deep", [DEEP, '{"x": ' + "[" * 100 + "]" * 100 + "}"])
def test_a_deep_line_of_json_lines_is_refused_alone(tmp_path, deep):
    """1,000 levels is json.loads' RecursionError; 100 parses, but nests deeper than any
    release, so it is refused before anything walks it."""
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join([json.dumps(make_release()), deep, json.dumps(_other(7))]) + "\n")
    report = import_releases(read_paths([path]))
    assert report.loaded == 2
    assert [(r.position, "levels deep" in r.reason) for r in report.refused] == [
        ("r.jsonl, line 2", True)
    ]


@pytest.mark.parametrize("depth", [1000, 80])
def test_a_single_deep_release_document_is_refused(tmp_path, depth):
    path = tmp_path / "one.json"
    path.write_text('{"ocid": "x", "tag": ' + "[" * depth + "]" * depth + "}")
    report = import_releases(read_paths([path]))
    assert report.loaded == 0
    assert len(report.refused) == 1 and "levels deep" in report.refused[0].reason
