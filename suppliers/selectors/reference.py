"""Reference data: regions, the capability taxonomy, certifications and frameworks, read
in one statement and cached until the register changes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

from core.db import read_connection
from suppliers.models import (
    Capability,
    CapabilityGroup,
    Certification,
    Framework,
    Region,
)

# --- Reference data ------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """One region, capability group, capability, certification or framework."""

    id: int
    code: str  # the value used in URLs: the region's slug, the others' code
    name: str
    position: int = 0
    group_id: int | None = None
    itl_code: str = ""  # regions only (TLC …), also accepted in URLs

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class ReferenceData:
    """The taxonomy and lists that filters, facets and labels need, loaded in one query."""

    regions: tuple[Option, ...]
    groups: tuple[Option, ...]
    capabilities: tuple[Option, ...]
    certifications: tuple[Option, ...]
    frameworks: tuple[Option, ...]

    @cached_property
    def by_id(self) -> dict[str, dict[int, Option]]:
        return {
            kind: {option.id: option for option in getattr(self, kind)}
            for kind in ("regions", "groups", "capabilities", "certifications", "frameworks")
        }

    @cached_property
    def capability_position(self) -> dict[int, int]:
        """Capability id → its place in the taxonomy's order (group, then position)."""
        return {option.id: i for i, option in enumerate(self.capabilities)}

    @cached_property
    def capabilities_by_group(self) -> dict[int, list[Option]]:
        grouped: dict[int, list[Option]] = defaultdict(list)
        for capability in self.capabilities:
            grouped[capability.group_id].append(capability)
        return grouped

    @cached_property
    def capability_terms(self) -> tuple[CapabilityTerms, ...]:
        """What the search matches its words against in the taxonomy (one query, the first
        time a search with words asks: a cached ReferenceData keeps them)."""
        return capability_terms()

    def lookup(self, kind: str) -> dict[str, int]:
        """Accepted URL values (lower case) → id: codes, and for regions the ITL code too."""
        table = {option.code.lower(): option.id for option in getattr(self, kind)}
        if kind == "regions":
            table.update({option.itl_code.lower(): option.id for option in self.regions})
        return table


@dataclass(frozen=True)
class CapabilityTerms:
    """A capability's English lexemes (``to_tsvector('english', …)``): of its name, its
    group's name and its synonyms together (``document``), of its name, and of each of its
    ``synonyms`` ("also known as")."""

    id: int
    document: frozenset[str]
    name: frozenset[str]
    synonyms: tuple[str, ...]
    synonym_lexemes: tuple[frozenset[str], ...]


_TERMS_SQL = f"""
    SELECT c.id,
        tsvector_to_array(to_tsvector('english',
            concat_ws(' ', c.name, g.name, array_to_string(c.synonyms, ' ')))),
        tsvector_to_array(to_tsvector('english', c.name)),
        c.synonyms,
        (SELECT json_agg(tsvector_to_array(to_tsvector('english', x.s)) ORDER BY x.n)
         FROM unnest(c.synonyms) WITH ORDINALITY AS x(s, n))
    FROM {Capability._meta.db_table} c JOIN {CapabilityGroup._meta.db_table} g ON g.id = c.group_id
"""


def capability_terms() -> tuple[CapabilityTerms, ...]:
    """Every capability's :class:`CapabilityTerms`, in one query."""
    with read_connection().cursor() as cursor:
        cursor.execute(_TERMS_SQL)
        return tuple(
            CapabilityTerms(
                pk,
                frozenset(document),
                frozenset(name),
                tuple(synonyms or ()),
                tuple(frozenset(found) for found in by_synonym or ()),
            )
            for pk, document, name, synonyms, by_synonym in cursor.fetchall()
        )


_REFERENCE_SQL = f"""
    SELECT 'regions', id, slug, name, position, NULL::bigint, code FROM {Region._meta.db_table}
    UNION ALL
    SELECT 'groups', id, code, name, position, NULL, '' FROM {CapabilityGroup._meta.db_table}
    UNION ALL
    SELECT 'capabilities', id, code, name, position, group_id, '' FROM {Capability._meta.db_table}
    UNION ALL
    SELECT 'certifications', id, code, name, 0, NULL, '' FROM {Certification._meta.db_table}
    UNION ALL
    SELECT 'frameworks', id, code, name, 0, NULL, '' FROM {Framework._meta.db_table}
"""


def reference_data() -> ReferenceData:
    """Regions, the capability taxonomy, certifications and frameworks, in one query."""
    rows: dict[str, list[Option]] = defaultdict(list)
    with read_connection().cursor() as cursor:
        cursor.execute(_REFERENCE_SQL)
        for kind, pk, code, name, position, group_id, itl_code in cursor.fetchall():
            rows[kind].append(Option(pk, code, name, position, group_id, itl_code))
    groups = sorted(rows["groups"], key=lambda o: (o.position, o.name))
    group_rank = {group.id: index for index, group in enumerate(groups)}
    return ReferenceData(
        regions=tuple(sorted(rows["regions"], key=lambda o: (o.position, o.name))),
        groups=tuple(groups),
        capabilities=tuple(
            sorted(
                rows["capabilities"],
                key=lambda o: (group_rank.get(o.group_id, 0), o.position, o.name),
            )
        ),
        certifications=tuple(sorted(rows["certifications"], key=lambda o: o.name)),
        frameworks=tuple(sorted(rows["frameworks"], key=lambda o: o.name)),
    )


# --- The query text ------------------------------------------------------------------
