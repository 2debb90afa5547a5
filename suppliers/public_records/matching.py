"""Buyer parties to public bodies, supplier parties to suppliers.

Both indexes are loaded once per import and kept in memory (a few bytes a row, so a
national register fits easily), then grown as the import plans rows. Matching writes
nothing: a party that matches no row becomes a *pending* row, and the import writes a
whole batch's pending rows at once (:meth:`BuyerIndex.flush`, :meth:`SupplierIndex.flush`:
a few statements a batch, whatever its size). Each change to an index is journalled, so
when a release is refused the index forgets what that release added
(:meth:`_Journal.rollback`).

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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import PublicBody, PublicBodyIdentifier
from suppliers.companies_house import parse_company_number
from suppliers.models import Region, Supplier
from suppliers.public_records.bulk import copy_insert
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
    """Undo steps for the changes made to the indexes since :meth:`mark`."""

    steps: list[Callable[[], object]] = field(default_factory=list)

    def put(self, mapping: dict, key: Any, value: Any) -> None:
        """``mapping[key] = value`` unless the key is there already."""
        if key not in mapping:
            mapping[key] = value
            self.steps.append(lambda: mapping.pop(key, None))

    def append(self, items: list, item: Any) -> None:
        items.append(item)
        self.steps.append(items.pop)

    def set(self, obj: object, name: str, value: Any) -> None:
        old = getattr(obj, name)
        setattr(obj, name, value)
        self.steps.append(lambda: setattr(obj, name, old))

    def mark(self) -> int:
        return len(self.steps)

    def rollback(self, mark: int) -> None:
        while len(self.steps) > mark:
            self.steps.pop()()

    def forget(self) -> None:
        """The changes so far are written: nothing left to undo."""
        self.steps.clear()


class Ref:
    """A row matched or to be made: ``pk`` is None until the batch's pending rows are
    written."""

    __slots__ = ("pk",)

    def __init__(self, pk: int | None = None) -> None:
        self.pk = pk


def _free_slugs(model: type, wanted: list[str], taken: set[str]) -> list[str]:
    """``wanted`` (slug bases, in order) made unique against ``taken`` (the slugs known
    when the import started, grown as it goes) and against rows another process made
    since (one query a round)."""
    from suppliers.services import first_free_slug

    chosen: list[str] = []
    for base in wanted:
        slug = first_free_slug(base, taken)
        taken.add(slug)
        chosen.append(slug)
    while True:
        clash = set(model.objects.filter(slug__in=chosen).values_list("slug", flat=True))
        if not clash:
            return chosen
        taken |= clash
        for i, (base, slug) in enumerate(zip(wanted, chosen, strict=True)):
            if slug in clash:
                chosen[i] = first_free_slug(base, taken)
                taken.add(chosen[i])


class BuyerIndex:
    """Public bodies by identifier and by name key."""

    def __init__(self, journal: _Journal) -> None:
        self.journal = journal
        self.by_identifier: dict[tuple[str, str], Ref] = {}
        self.by_name: dict[str, Ref] = {}
        self.created: list[int] = []
        self.pending: list[tuple[Ref, str]] = []  # (ref, name) to make
        self.pending_identifiers: list[tuple[Ref, str, str]] = []
        self.slugs: set[str] | None = None  # loaded when first needed
        refs: dict[int, Ref] = {}
        for pk, name in PublicBody.objects.values_list("pk", "name"):
            self.by_name.setdefault(name_key(name), refs.setdefault(pk, Ref(pk)))
        for pk, scheme, ident in PublicBodyIdentifier.objects.values_list(
            "public_body_id", "scheme", "identifier"
        ):
            self.by_identifier[(scheme, ident)] = refs.setdefault(pk, Ref(pk))

    def resolve(self, party: dict, *, fallback_name: object = None) -> Ref:
        """The public body for a buyer party, pending if unknown. Raises PartyError."""
        identifiers = party_identifiers(party)
        name = party_name(party, fallback_name)
        ref = next((self.by_identifier[i] for i in identifiers if i in self.by_identifier), None)
        key = name_key(name)
        if ref is None and key:
            ref = self.by_name.get(key)
        if ref is None:
            if not key:
                raise PartyError(f"the buyer ({party.get('id') or 'no id'}) has no name")
            ref = Ref()
            self.journal.append(self.pending, (ref, display_name(name)[:200]))
            self.journal.put(self.by_name, key, ref)
        for scheme, identifier in identifiers:
            if (scheme, identifier) not in self.by_identifier:
                self.journal.put(self.by_identifier, (scheme, identifier), ref)
                self.journal.append(self.pending_identifiers, (ref, scheme, identifier))
        return ref

    def flush(self) -> None:
        """Write the pending public bodies and identifiers (inside the batch's transaction)."""
        if self.pending:
            if self.slugs is None:
                self.slugs = set(PublicBody.objects.values_list("slug", flat=True))
            bases = [slugify(name)[:190] or "public-body" for _, name in self.pending]
            slugs = _free_slugs(PublicBody, bases, self.slugs)
            bodies = PublicBody.objects.bulk_create(
                [
                    PublicBody(
                        name=name, slug=slug, kind=_guess_kind(name), from_public_records=True
                    )
                    for (_, name), slug in zip(self.pending, slugs, strict=True)
                ]
            )
            for (ref, _), body in zip(self.pending, bodies, strict=True):
                self.journal.set(ref, "pk", body.pk)
                self.journal.append(self.created, body.pk)
        if self.pending_identifiers:
            PublicBodyIdentifier.objects.bulk_create(
                [
                    PublicBodyIdentifier(public_body_id=ref.pk, scheme=scheme, identifier=ident)
                    for ref, scheme, ident in self.pending_identifiers
                ],
                ignore_conflicts=True,
            )

    def written(self) -> None:
        """The batch committed: nothing is pending any more."""
        self.pending = []
        self.pending_identifiers = []


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


class _Known(Ref):
    """A supplier as the index knows it. For one from public records, whether its size and
    region are still blank (public data may fill them, once)."""

    __slots__ = ("number", "public", "scale_blank", "region_blank", "values")

    def __init__(
        self,
        pk: int | None,
        number: str | None,
        public: bool,
        *,
        scale_blank: bool = False,
        region_blank: bool = False,
    ) -> None:
        super().__init__(pk)
        self.number = number
        self.public = public
        self.scale_blank = scale_blank
        self.region_blank = region_blank
        self.values: dict[str, Any] | None = None  # a pending supplier's values


# Public data fills a blank of a supplier from public records, never anything else: each
# UPDATE says so in its WHERE clause, so a profile claimed meanwhile is left alone.
_FILL_SQL = {
    "scale": (
        "UPDATE {table} AS s SET public_scale = v.scale, size = v.size "
        "FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS v(id, scale, size) "
        "WHERE s.id = v.id AND s.from_public_records AND s.public_scale = '' RETURNING s.id"
    ),
    "region": (
        "UPDATE {table} AS s SET hq_region_id = v.region "
        "FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, region) "
        "WHERE s.id = v.id AND s.from_public_records AND s.hq_region_id IS NULL RETURNING s.id"
    ),
    "number": (
        "UPDATE {table} AS s SET companies_house_number = v.number "
        "FROM unnest(%s::bigint[], %s::text[]) AS v(id, number) "
        "WHERE s.id = v.id AND s.from_public_records AND s.companies_house_number IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.companies_house_number = v.number) "
        "RETURNING s.id"
    ),
}


class SupplierIndex:
    """Suppliers by Companies House number and by name key."""

    def __init__(self, journal: _Journal) -> None:
        self.journal = journal
        self.by_number: dict[str, _Known] = {}
        self.by_name: dict[str, _Known] = {}
        self.created: list[int] = []
        self.changed: set[int] = set()
        self.pending: list[_Known] = []
        # Blanks to fill on suppliers from public records already written, by kind.
        self.fills: dict[str, dict[_Known, tuple]] = {k: {} for k in _FILL_SQL}
        self.slugs: set[str] | None = None  # loaded when first needed
        self.regions = dict(Region.objects.values_list("code", "pk"))
        rows = Supplier.objects.values_list(
            "pk",
            "companies_house_number",
            "name",
            "from_public_records",
            "public_scale",
            "hq_region_id",
        ).order_by("-from_public_records", "pk")  # registered suppliers win a shared name
        for pk, number, name, public, scale, region in rows:
            known = _Known(
                pk, number, public, scale_blank=public and not scale,
                region_blank=public and region is None,
            )  # fmt: skip
            if number:
                self.by_number[number] = known
            key = name_key(name)
            if key:
                self.by_name[key] = known

    def resolve(self, party: dict, *, fallback_name: object = None) -> _Known:
        """The supplier for a supplier party, pending (from public records) if unknown."""
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
            return self._pending(party, name or f"Company {number}", number, key)
        if known.public:
            self._fill_blanks(known, party, number)
        return known

    def _values(self, party: dict) -> dict[str, Any]:
        details = party.get("details") if isinstance(party.get("details"), dict) else {}
        scale = str(details.get("scale") or "").strip().lower()[:10]
        region = region_code_for_postcode(party_postcode(party))
        return {
            "public_scale": scale,
            "size": SCALE_TO_SIZE.get(scale, ""),
            "hq_region_id": self.regions.get(region) if region else None,
        }

    def _pending(self, party: dict, name: str, number: str | None, key: str) -> _Known:
        values = {"name": display_name(name)[:200], **self._values(party)}
        known = _Known(
            None,
            number,
            True,
            scale_blank=not values["public_scale"],
            region_blank=values["hq_region_id"] is None,
        )
        known.values = values
        if number:
            self.journal.put(self.by_number, number, known)
        if key:
            self.journal.put(self.by_name, key, known)
        self.journal.append(self.pending, known)
        return known

    def _fill_blanks(self, known: _Known, party: dict, number: str | None) -> None:
        """Give a supplier from public records what it lacks; never change what it has.
        Size and published scale go together, so they never disagree. The first release
        that gives a value wins, as if each were written in turn."""
        values = self._values(party)
        fills: list[tuple[str, str, tuple]] = []
        if values["public_scale"] and known.scale_blank:
            fills.append(("scale", "scale_blank", (values["public_scale"], values["size"])))
        if values["hq_region_id"] and known.region_blank:
            fills.append(("region", "region_blank", (values["hq_region_id"],)))
        for kind, flag, new in fills:
            self.journal.set(known, flag, False)
            if known.values is not None:  # pending: its row is not written yet
                self.journal.set(known, "values", {**known.values, **_fill_fields(kind, new)})
            else:
                self.journal.put(self.fills[kind], known, new)
        if number and known.number is None and number not in self.by_number:
            self.journal.set(known, "number", number)
            self.journal.put(self.by_number, number, known)
            if known.values is None:
                self.journal.put(self.fills["number"], known, (number,))

    def flush(self) -> list[int]:
        """Write the pending suppliers and the blanks filled (inside the batch's
        transaction). Returns the ids made; ``changed`` gains the ids filled."""
        from suppliers.services import RESERVED_SLUGS, slug_base

        made: list[int] = []
        if self.pending:
            if self.slugs is None:
                self.slugs = set(Supplier.objects.values_list("slug", flat=True)) | set(
                    RESERVED_SLUGS
                )
            slugs = _free_slugs(
                Supplier, [slug_base(k.values["name"]) for k in self.pending], self.slugs
            )
            now = timezone.now()
            rows = [
                {
                    "slug": slug,
                    "companies_house_number": known.number,
                    "status": Supplier.Status.PUBLISHED,
                    "published_at": now,
                    "from_public_records": True,
                    **known.values,
                }
                for known, slug in zip(self.pending, slugs, strict=True)
            ]
            copy_insert(Supplier, rows)
            for known, row in zip(self.pending, rows, strict=True):
                self.journal.set(known, "pk", row["id"])
                self.journal.set(known, "values", None)
                self.journal.append(self.created, row["id"])
                made.append(row["id"])
        table = Supplier._meta.db_table
        with connection.cursor() as cursor:
            for kind, sql in _FILL_SQL.items():
                fills = self.fills[kind]
                if not fills:
                    continue
                columns = [[k.pk for k in fills], *map(list, zip(*fills.values(), strict=True))]
                cursor.execute(sql.format(table=table), columns)
                self.changed.update(pk for (pk,) in cursor.fetchall())
        return made

    def written(self) -> None:
        """The batch committed: nothing is pending any more."""
        self.pending = []
        self.fills = {k: {} for k in _FILL_SQL}


def _fill_fields(kind: str, new: tuple) -> dict[str, Any]:
    if kind == "scale":
        return {"public_scale": new[0], "size": new[1]}
    return {"hq_region_id": new[0]}
