"""Buyer parties to public bodies, supplier parties to suppliers.

Both indexes are loaded once per import and kept in memory (a few bytes a row, so a
national register fits easily), then grown as the import creates rows. Each change is
journalled, so when a release's savepoint rolls back the index forgets what that
release added (:meth:`_Journal.rollback`).

Rules (public data fills gaps; it never overrides what an organisation wrote itself):

- a buyer is matched by any identifier it is published under (``GB-SRS``, ``GB-CFS``,
  ``GB-GOR``, ``GB-PPON``, …, from ``identifier``, ``additionalIdentifiers`` and the party
  id), then by :func:`~suppliers.public_records.text.name_key`; an unknown buyer becomes a
  public body "from public records" carrying those identifiers;
- a supplier is matched by Companies House number (``GB-COH`` in ``identifier``,
  ``additionalIdentifiers`` or the party id, through ``parse_company_number``), then by
  name key, but never to a supplier holding a different number; an unknown one becomes
  a supplier from public records. Public data only fills what a supplier from public
  records lacks; a registered supplier's own values are never touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import PublicBody, PublicBodyIdentifier
from suppliers.companies_house import parse_company_number
from suppliers.models import Region, Supplier
from suppliers.public_records.regions import find_postcode, region_code_for_postcode
from suppliers.public_records.text import clean_text, display_name, name_key

COMPANIES_HOUSE_SCHEME = "GB-COH"
# An org-id party id: scheme (country code and list code) then the list's own id.
_ORG_ID = re.compile(r"^([A-Z]{2}-[A-Z0-9]{2,10})-(.+)$")
# OCDS partyScale → Supplier.Size ("sme" covers three sizes, so it sets none).
SCALE_TO_SIZE = {"micro": Supplier.Size.MICRO, "large": Supplier.Size.LARGE}


class PartyError(ValueError):
    """A party cannot be matched or made (the release is refused with this reason)."""


def party_identifiers(party: dict) -> list[tuple[str, str]]:
    """Every (scheme, id) a party is published under, in order, without repeats."""
    found: list[tuple[str, str]] = []
    candidates = [party.get("identifier"), *(party.get("additionalIdentifiers") or [])]
    for item in candidates:
        if isinstance(item, dict) and item.get("scheme") and item.get("id") not in (None, ""):
            found.append((str(item["scheme"]).strip().upper(), str(item["id"]).strip()))
    match = _ORG_ID.match(str(party.get("id") or "").strip())
    if match:
        found.append((match.group(1).upper(), match.group(2)))
    return list(dict.fromkeys(found))


def party_company_number(party: dict) -> str | None:
    """The party's Companies House number, normalised, or None (also when a ``GB-COH``
    id is not a company number, such as a 9-digit one)."""
    for scheme, identifier in party_identifiers(party):
        if scheme == COMPANIES_HOUSE_SCHEME:
            number = parse_company_number(identifier)
            if number:
                return number
    return None


def party_name(party: dict, fallback: object = None) -> str:
    """The party's name: ``name``, else ``identifier.legalName``, else ``fallback``."""
    identifier = party.get("identifier") if isinstance(party.get("identifier"), dict) else {}
    for value in (party.get("name"), identifier.get("legalName"), fallback):
        text = clean_text(value)
        if text:
            return text
    return ""


def party_postcode(party: dict) -> str | None:
    address = party.get("address")
    if not isinstance(address, dict):
        return None
    lines = [address.get(k) for k in ("postalCode", "streetAddress", "locality", "region")]
    for line in lines:
        postcode = find_postcode(line)
        if postcode:
            return postcode
    return None


@dataclass
class _Journal:
    """Keys added to the index dicts since :meth:`mark`, to forget on rollback."""

    added: list[tuple[dict, Any]] = field(default_factory=list)

    def put(self, mapping: dict, key: Any, value: Any) -> None:
        if key not in mapping:
            self.added.append((mapping, key))
            mapping[key] = value

    def mark(self) -> int:
        return len(self.added)

    def rollback(self, mark: int) -> None:
        while len(self.added) > mark:
            mapping, key = self.added.pop()
            mapping.pop(key, None)


class BuyerIndex:
    """Public bodies by identifier and by name key."""

    def __init__(self, journal: _Journal) -> None:
        self.journal = journal
        self.by_identifier: dict[tuple[str, str], int] = {}
        self.by_name: dict[str, int] = {}
        self.created: list[int] = []
        for pk, name in PublicBody.objects.values_list("pk", "name"):
            self.by_name.setdefault(name_key(name), pk)
        for pk, scheme, ident in PublicBodyIdentifier.objects.values_list(
            "public_body_id", "scheme", "identifier"
        ):
            self.by_identifier[(scheme, ident)] = pk

    def resolve(self, party: dict, *, fallback_name: object = None) -> int:
        """The public body for a buyer party, made if unknown. Raises PartyError."""
        identifiers = party_identifiers(party)
        name = party_name(party, fallback_name)
        pk = next((self.by_identifier[i] for i in identifiers if i in self.by_identifier), None)
        key = name_key(name)
        if pk is None and key:
            pk = self.by_name.get(key)
        if pk is None:
            if not key:
                raise PartyError(f"the buyer ({party.get('id') or 'no id'}) has no name")
            pk = self._create(display_name(name)[:200], key)
        new = [i for i in identifiers if i not in self.by_identifier]
        if new:
            PublicBodyIdentifier.objects.bulk_create(
                [PublicBodyIdentifier(public_body_id=pk, scheme=s, identifier=i) for s, i in new],
                ignore_conflicts=True,
            )
            for item in new:
                self.journal.put(self.by_identifier, item, pk)
        return pk

    def _create(self, name: str, key: str) -> int:
        base = slugify(name)[:190] or "public-body"
        taken = set(
            PublicBody.objects.filter(Q(slug=base) | Q(slug__startswith=f"{base}-")).values_list(
                "slug", flat=True
            )
        )
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        body = PublicBody.objects.create(
            name=name, slug=slug, kind=_guess_kind(name), from_public_records=True
        )
        self.journal.put(self.by_name, key, body.pk)
        self.created.append(body.pk)
        return body.pk


def _guess_kind(name: str) -> str:
    """A rough kind from the name; moderators correct it in admin."""
    lowered = name.lower()
    if "nhs" in lowered.split() or "foundation trust" in lowered or "health" in lowered:
        return PublicBody.Kind.NHS
    if any(w in lowered for w in ("council", "borough", "county", "city of", "district")):
        return PublicBody.Kind.LOCAL
    if any(w in lowered for w in ("scottish government", "welsh government", "northern ireland")):
        return PublicBody.Kind.DEVOLVED
    return PublicBody.Kind.AGENCY


@dataclass
class _Known:
    pk: int
    number: str | None
    public: bool


class SupplierIndex:
    """Suppliers by Companies House number and by name key."""

    def __init__(self, journal: _Journal) -> None:
        self.journal = journal
        self.by_number: dict[str, _Known] = {}
        self.by_name: dict[str, _Known] = {}
        self.created: list[int] = []
        self.changed: set[int] = set()
        self.regions = dict(Region.objects.values_list("code", "pk"))
        rows = Supplier.objects.values_list(
            "pk", "companies_house_number", "name", "from_public_records"
        ).order_by("-from_public_records", "pk")  # registered suppliers win a shared name
        for pk, number, name, public in rows:
            known = _Known(pk, number, public)
            if number:
                self.by_number[number] = known
            key = name_key(name)
            if key:
                self.by_name[key] = known

    def resolve(self, party: dict, *, fallback_name: object = None) -> int:
        """The supplier for a supplier party, made (from public records) if unknown."""
        number = party_company_number(party)
        name = party_name(party, fallback_name)
        key = name_key(name)
        known = self.by_number.get(number) if number else None
        if known is None and key:
            candidate = self.by_name.get(key)
            if candidate is not None and (not number or candidate.number in (None, number)):
                known = candidate
        if known is None:
            if not key and not number:
                raise PartyError(
                    f"supplier {party.get('id') or '(no id)'} has no name and no Companies "
                    "House number, so who won cannot be told"
                )
            return self._create(party, name or f"Company {number}", number, key)
        if known.public:
            self._fill_blanks(known, party, number)
        return known.pk

    def _values(self, party: dict) -> dict[str, Any]:
        details = party.get("details") if isinstance(party.get("details"), dict) else {}
        scale = str(details.get("scale") or "").strip().lower()[:10]
        region = region_code_for_postcode(party_postcode(party))
        return {
            "public_scale": scale,
            "size": SCALE_TO_SIZE.get(scale, ""),
            "hq_region_id": self.regions.get(region) if region else None,
        }

    def _create(self, party: dict, name: str, number: str | None, key: str) -> int:
        from suppliers.services import slug_for

        shown = display_name(name)[:200]
        now = timezone.now()
        supplier = Supplier(
            name=shown,
            slug=slug_for(shown),
            companies_house_number=number,
            status=Supplier.Status.PUBLISHED,
            published_at=now,
            from_public_records=True,
            **self._values(party),
        )
        supplier.save_without_historical_record()
        known = _Known(supplier.pk, number, True)
        if number:
            self.journal.put(self.by_number, number, known)
        if key:
            self.journal.put(self.by_name, key, known)
        self.created.append(supplier.pk)
        return supplier.pk

    def _fill_blanks(self, known: _Known, party: dict, number: str | None) -> None:
        """Give a supplier from public records what it lacks; never change what it has.
        Size and published scale go together, so they never disagree."""
        values = self._values(party)
        updates: list[tuple[dict, dict]] = []
        if values["public_scale"]:
            updates.append(({"public_scale": ""}, {k: values[k] for k in ("public_scale", "size")}))
        if values["hq_region_id"]:
            updates.append(({"hq_region_id": None}, {"hq_region_id": values["hq_region_id"]}))
        if number and known.number is None and number not in self.by_number:
            updates.append(({"companies_house_number": None}, {"companies_house_number": number}))
        updated = 0
        for blank, new in updates:
            updated += Supplier.objects.filter(
                pk=known.pk, from_public_records=True, **blank
            ).update(**new)
        if updated:
            self.changed.add(known.pk)
        if any("companies_house_number" in new for _, new in updates):
            known.number = number
            self.journal.put(self.by_number, number, known)
