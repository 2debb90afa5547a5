"""Text, names, dates and amounts as public data publishes them.

Every comparison of organisation names goes through :func:`name_key`, the one
normalised-name rule.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation

import ftfy

# Legal-form words that say nothing about which organisation it is.
LEGAL_FORM_WORDS = frozenset({"ltd", "limited", "plc", "llp"})
_NOT_WORD = re.compile(r"[^a-z0-9]+")
# Text that ftfy would leave as it is: printable ASCII, tabs and newlines, with no HTML
# entity to unescape (ftfy unescapes only ones matching its ``HTML_ENTITY_RE``, this, so
# "Repairs & Maintenance" is left alone). Most published text is such, and ftfy costs
# ~0.1 ms a field (more for a long description).
_NOTHING_TO_FIX = re.compile(r"[\t\n\x20-\x7e]*")
_HTML_ENTITY = re.compile(r"&#?[0-9A-Za-z]{1,24};")
# Upper-case words kept so when a name in capitals is made readable.
_SMALL_WORDS = {"LTD": "Ltd", "AND": "and", "OF": "of", "THE": "the", "FOR": "for", "T/A": "t/a"}
_KEEP_UPPER = frozenset({"LLP", "PLC", "UK", "NHS", "IT", "CIC", "LP", "GB", "BBC", "HMRC"})


def clean_text(value: object, *, limit: int | None = None) -> str:
    """``value`` as text with mis-decoded characters repaired (``â€¢`` → ``•``,
    ``Â£`` → ``£``) and outer space trimmed; "" for None. Cut to ``limit`` characters."""
    if value is None:
        return ""
    text = str(value)
    if not _NOTHING_TO_FIX.fullmatch(text) or ("&" in text and _HTML_ENTITY.search(text)):
        text = ftfy.fix_text(text)
    text = text.strip()
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def name_key(name: object) -> str:
    """The normalised form of an organisation name, for matching: case, accents,
    punctuation and the legal form ("Ltd", "Limited", "plc", "LLP") ignored, ``&`` read
    as "and". "ACME Digital Ltd." and "Acme-Digital Limited" give the same key."""
    text = unicodedata.normalize("NFKD", clean_text(name)).encode("ascii", "ignore").decode()
    text = text.lower().replace("&", " and ")
    words = [w for w in _NOT_WORD.split(text) if w]
    while words and words[-1] in LEGAL_FORM_WORDS:
        words.pop()
    return " ".join(words)


def display_name(name: object) -> str:
    """A readable name: one published all in capitals ("ACME DIGITAL LTD") is shown as
    "Acme Digital Ltd", keeping acronyms (LLP, NHS, words without vowels such as KPMG)."""
    text = " ".join(clean_text(name).split())
    letters = [c for c in text if c.isalpha()]
    if not letters or not all(c.isupper() for c in letters) or len(letters) < 4:
        return text

    def word(w: str) -> str:
        core = w.strip("().,&-'")
        if core in _SMALL_WORDS:
            return w.replace(core, _SMALL_WORDS[core])
        if core in _KEEP_UPPER or (core.isalpha() and not set(core) & set("AEIOUY")):
            return w
        return w.capitalize() if w[:1].isalpha() else w[:1] + w[1:].capitalize()

    shown = " ".join(word(w) for w in text.split(" "))
    return shown[:1].upper() + shown[1:]


def parse_datetime(value: object) -> datetime | None:
    """An OCDS date (``2025-01-23T22:10:19Z``, ``…+01:00``, or a bare date) as an aware
    datetime in UTC; None when absent or unreadable. Mixed offsets compare correctly."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(text[:10]), time.min)
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_uk_date(value: object) -> date | None:
    """A ``dd/mm/yyyy`` date (Companies House), or None."""
    if not value or not isinstance(value, str):
        return None
    try:
        day, month, year = value.strip().split("/")
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def parse_amount(value: object) -> Decimal | None:
    """An amount published as an int, a float or a string; None when absent, unreadable,
    negative or zero (Contracts Finder publishes 0 for "no value given")."""
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount <= 0 or amount >= Decimal("1e16"):
        return None
    return amount.quantize(Decimal("0.01"))
