"""The one CSV rule (core.csv): every download defuses formulas and starts with a BOM."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from core.csv import BOM, csv_text, safe_cell

HOSTILE = ['=HYPERLINK("http://evil")', "+1+2", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_cell_a_spreadsheet_would_run_is_defused(text):
    assert safe_cell(text) == "'" + text


def test_plain_values_pass_through():
    assert safe_cell(None) == ""
    assert safe_cell(["TLI", "TLC"]) == "TLI;TLC"
    assert safe_cell(dt.date(2026, 1, 2)) == "2026-01-02"
    assert safe_cell(12.5) == "12.5"
    assert safe_cell("Acme -- Ltd") == "Acme -- Ltd"


def test_a_file_has_a_bom_and_its_header():
    text = csv_text(["name"], [["=x"]])
    assert text.startswith(BOM + "name")
    assert list(csv.reader(io.StringIO(text.removeprefix(BOM)))) == [["name"], ["'=x"]]
