"""The Companies House number: the one rule that every form, serializer, importer and service
calls.

A company number is 8 characters: 8 digits for companies registered in England and Wales,
or a prefix naming the register (``SC`` Scotland, ``NI`` Northern Ireland, ``OC`` an LLP, …)
followed by digits, zero-padded to 8 characters. People and published data write them
loosely: ``sc 12345``, ``1234567`` (a spreadsheet dropped the leading zero), ``GB-COH``
identifiers with spaces. :func:`normalise_company_number` turns any of those into the one
stored form or refuses with a message a person can act on.

The prefixes are those Companies House assigns (its "company number prefixes" guidance).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

# Two-letter prefixes, and ``R`` (Northern Ireland companies registered before 1922).
PREFIXES = frozenset(
    {
        "AC", "CE", "CS", "ES", "FC", "GE", "GN", "GS", "IC", "IP", "LP", "NA", "NC", "NF",
        "NI", "NL", "NO", "NP", "NR", "NV", "NZ", "OC", "PC", "R", "RC", "RS", "SA", "SC",
        "SE", "SF", "SG", "SI", "SL", "SO", "SP", "SR", "SZ", "ZC",
    }
)  # fmt: skip
LENGTH = 8
INVALID_MESSAGE = (
    "Enter a Companies House number, like 01234567 or SC123456: 8 digits, or a prefix "
    "such as SC, NI or OC followed by digits"
)
INVALID_CODE = "invalid_companies_house_number"

_SHAPE = re.compile(r"^([A-Z]{1,2})?([0-9]{1,8})$")
_IGNORED = re.compile(r"[\s\-\.]+")


def parse_company_number(value: object) -> str | None:
    """The stored form of ``value`` (upper case, no spaces, zero-padded), or None if it is not
    a Companies House number. For importers, which report or skip rather than raise."""
    if value is None:
        return None
    text = _IGNORED.sub("", str(value)).upper()
    match = _SHAPE.match(text)
    if not match:
        return None
    prefix, digits = match.group(1) or "", match.group(2)
    if prefix and prefix not in PREFIXES:
        return None
    width = LENGTH - len(prefix)
    if len(digits) > width or not digits.strip("0"):
        return None
    return f"{prefix}{digits.zfill(width)}"


def normalise_company_number(value: object) -> str:
    """The stored form of ``value``, or a ValidationError saying what a number looks like."""
    number = parse_company_number(value)
    if number is None:
        raise ValidationError(INVALID_MESSAGE, code=INVALID_CODE)
    return number
