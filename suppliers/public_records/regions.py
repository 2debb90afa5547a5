"""Postcode to ITL1 region, by postcode area (the letters at the start: ``SW1A 1AA`` → ``SW``).

Where the table comes from: the Office for National Statistics' ONS Postcode Directory
(ONSPD, Open Government Licence), whose ``itl`` column gives every postcode's ITL
region; each postcode area below is given the ITL1 region that most of its postcodes
fall in. A few areas straddle a boundary (CH, DA, DN, EN, HP, KT, PE, S, SY, TD, …),
so some addresses near a border land in the neighbouring region: good enough for a
supplier's head office on a map, and a registered supplier's own answer always wins.
Guernsey, Jersey and the Isle of Man (GY, JE, IM) are not in any UK ITL1 region.
"""

from __future__ import annotations

import re

_AREAS_BY_REGION: dict[str, str] = {
    "TLC": "DH DL NE SR TS",  # North East
    "TLD": "BB BL CA CH CW FY L LA M OL PR SK WA WN",  # North West
    "TLE": "BD DN HD HG HU HX LS S WF YO",  # Yorkshire and The Humber
    "TLF": "DE LE LN NG NN",  # East Midlands
    "TLG": "B CV DY HR ST SY TF WR WS WV",  # West Midlands
    "TLH": "AL CB CM CO EN IP LU NR PE SG SS WD",  # East of England
    "TLI": "BR CR E EC HA IG N NW RM SE SM SW TW UB W WC",  # London
    "TLJ": "BN CT DA GU HP KT ME MK OX PO RG RH SL SO TN",  # South East
    "TLK": "BA BH BS DT EX GL PL SN SP TA TQ TR",  # South West
    "TLL": "CF LD LL NP SA",  # Wales
    "TLM": "AB DD DG EH FK G HS IV KA KW KY ML PA PH TD ZE",  # Scotland
    "TLN": "BT",  # Northern Ireland
}
POSTCODE_AREA_TO_ITL1: dict[str, str] = {
    area: code for code, areas in _AREAS_BY_REGION.items() for area in areas.split()
}

# A full UK postcode anywhere in a piece of text (addresses put it in any line). Some
# published addresses lost their line breaks' backslashes ("rnMK5 8HJ" for "\\r\\nMK5 8HJ"),
# so a postcode may also follow a literal "rn".
_POSTCODE = re.compile(
    r"(?:(?<![A-Za-z])|(?<=rn))([A-Z]{1,2})([0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b", re.IGNORECASE
)
_OUTWARD = re.compile(r"^([A-Z]{1,2})[0-9]", re.IGNORECASE)


def find_postcode(text: object) -> str | None:
    """The last full UK postcode in ``text``, upper case with one space, or None."""
    if not text:
        return None
    matches = _POSTCODE.findall(str(text))
    if not matches:
        return None
    area, district, inward = matches[-1]
    return f"{area}{district} {inward}".upper()


def region_code_for_postcode(postcode: object) -> str | None:
    """The ITL1 code (``TLI`` …) for a postcode or outward code, or None if unknown."""
    if not postcode:
        return None
    match = _OUTWARD.match(str(postcode).strip())
    if not match:
        return None
    return POSTCODE_AREA_TO_ITL1.get(match.group(1).upper())
