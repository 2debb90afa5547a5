"""Registry reads: the supplier search and its facets, profiles, comparisons, the market map.

One search serves ``/suppliers/``, its CSV export and ``/api/v1/suppliers/``:
:class:`suppliers.filters.SupplierFilterSet` turns a query string into
:class:`SearchParams`, and :class:`SupplierSearch` answers it. Nothing here writes.

How the search works (the README's "Search" section says the same for people)
-----------------------------------------------------------------------------

- **Text.** ``q`` is read with PostgreSQL's ``websearch_to_tsquery`` ("quoted phrases",
  ``-word``, ``or``) in the ``english`` configuration, OR-ed with the same query in the
  ``simple`` configuration (names are also indexed unstemmed, so "The IT Works" is
  found) unless the query excludes words. It is matched against the stored, weighted
  ``Supplier.search_vector`` through its GIN index; nothing is parsed per row.
- **Capabilities and synonyms.** A capability's name, its group's name and its "also
  known as" terms (``Capability.synonyms``, edited in admin) are in the vector of every
  supplier offering it, so "pen testing" and "cyber" find them.
- **Spelling.** Each word of four letters or more that is not in the registry's
  vocabulary (``SearchWord``: every word of published suppliers and their capabilities,
  kept by ``suppliers.services.search_index.refresh_vocabulary``) is corrected to the
  closest vocabulary word (trigram similarity through its GIN index, then edit
  distance), at most :data:`MAX_CORRECTIONS` per query, in one small query. The search
  then runs for the corrected words; rows matching the words as typed still come first
  (:data:`EXACT_BOOST`). ``SearchParams.correct=False`` searches the words as typed.
- **Relevance.** ``ts_rank`` over the stored column with :data:`RANK_WEIGHTS`, plus
  :data:`CAPABILITY_BOOST` times the share of the words that a capability the supplier
  offers covers (by its name, group or synonyms): offering the capability searched for
  outranks a name that merely contains one of the words. Computed for the matching
  rows only, which are ordered and cut to the page with LIMIT/OFFSET; headlines
  (``ts_headline``) and "why it matched" are then built in a second statement for the
  page's 20 rows alone.
- **Fair ties.** Suppliers with equal relevance are ordered by
  ``md5(id || ':' || today's date)``: a different, unpredictable order every day that
  is stable within the day (so pages do not shuffle), and that no supplier can game
  by its name. The primary key is the last tie-breaker. Without words this order alone
  is the default (a filter-only search, a market-map cell); "name" is a choice.
- **Filters** (capability, region served, SME, certification, framework, and registered
  on Techmap or from public records) are OR within one filter and AND between filters.
  The public-contract filters (has won public contracts, won from a public body) narrow
  the matches before anything is counted (an ``EXISTS`` on the award links each).
  **Facets** count the matching suppliers per option with one grouped query each,
  ignoring the facet's own filter (standard faceting), so the counts show what ticking
  one more box would give. The total, the facets and the page's ids come from one
  statement that reads the matches once (:meth:`SupplierSearch._scan`); a search
  without words is cached for a minute.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
)
from django.core.cache import cache
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields import TextField
from django.db.models.functions import MD5, Cast, Coalesce, Concat, Upper
from django.utils import timezone

from core.db import read_connection
from core.search import (  # noqa: F401 - re-exported: the registry's search names them
    CORRECT_MAX_EDITS,
    CORRECT_MIN_LENGTH,
    EXACT_BOOST,
    MARK_START,
    MARK_STOP,
    MAX_CORRECTIONS,
    MAX_QUERY_LENGTH,
    NAME_CONFIG,
    SEARCH_CONFIG,
    Correction,
    Matches,
    QueryText,
    ToTsvector,
    Vocabulary,
    WeightFilter,
    correct,
    lexemes,
    marked,
    rank_expression,
    spell,
    websearch,
)
from suppliers.models import (
    AwardSupplier,
    CaseStudy,
    SearchWord,
    Supplier,
)
from suppliers.selectors.reference import Option, ReferenceData, reference_data

PAGE_SIZE = 20

# --- How results are ordered: every weight in one place ------------------------------
# The search page's "How results are ordered" shows these numbers.
#
# ts_rank's weight of each part of the stored vector (suppliers.services.search_index
# writes the name as A, the summary and capabilities as B, the description and case
# studies as C; nothing is D). ts_rank takes them in the order D, C, B, A.
FIELD_WEIGHTS = {
    "name": 1.0,  # A
    "summary": 0.4,  # B: the summary and capabilities (names, groups, synonyms)
    "description": 0.2,  # C: the description and case studies
}
RANK_WEIGHTS = [0.0, FIELD_WEIGHTS["description"], FIELD_WEIGHTS["summary"], FIELD_WEIGHTS["name"]]
# Added for offering a capability whose name, group or synonyms hold the words, times
# the share of the words it holds ("cyber security": all of them, for every capability
# of the Cyber security group). Above any ts_rank a name earns (it stays below 1), so
# offering what was searched for beats a name that merely contains a word.
CAPABILITY_BOOST = 1.0
# Added for serving a region the words name ("user research Scotland"): such a query
# finds the suppliers matching the other words that serve the region or mention it.
REGION_BOOST = 0.5

# Spelling correction, the text queries, EXACT_BOOST and highlights are the shared
# engine's (core.search): the registry's vocabulary is SearchWord, unscoped.
VOCABULARY = Vocabulary(SearchWord._meta.db_table)

ORDERING_RELEVANCE = "relevance"
ORDERING_NAME = "name"
ORDERING_UPDATED = "updated"
ORDERINGS = {
    ORDERING_RELEVANCE: "Relevance",
    ORDERING_NAME: "Name (A to Z)",
    ORDERING_UPDATED: "Recently updated",
}

SupplierRegion = Supplier.regions.through
SupplierCapability = Supplier.capabilities.through
SupplierCertification = Supplier.certifications.through
SupplierFramework = Supplier.frameworks.through


# --- Parameters ----------------------------------------------------------------------


@dataclass(frozen=True)
class SearchParams:
    """A validated search. Ids, never codes: :class:`suppliers.filters.SupplierFilterSet`
    maps the URL's codes and slugs to ids and explains what it had to ignore."""

    q: str = ""
    capabilities: tuple[int, ...] = ()
    regions: tuple[int, ...] = ()
    certifications: tuple[int, ...] = ()
    frameworks: tuple[int, ...] = ()
    sme: bool | None = None
    # Public contract data: won any award (True), none (False); won one from these public
    # bodies; registered on Techmap or from public records (one of SOURCES, "" for both).
    has_contracts: bool | None = None
    won_from: tuple[int, ...] = ()
    source: str = ""
    ordering: str = ""  # one of ORDERINGS, or "" for the default
    day: dt.date | None = None  # the tie-break's date; today (Europe/London) when None
    correct: bool = True  # False: search the words as typed (no spelling correction)

    @property
    def effective_ordering(self) -> str:
        """Relevance unless chosen otherwise: without words, that is the fair daily order."""
        return self.ordering if self.ordering in ORDERINGS else ORDERING_RELEVANCE


FACETS = ("capability", "region", "sme", "certification", "framework", "source")

SOURCE_REGISTERED = "registered"
SOURCE_PUBLIC_RECORDS = "public_records"
SOURCES = {
    SOURCE_REGISTERED: "Registered on Techmap",
    SOURCE_PUBLIC_RECORDS: "From public records",
}


# --- Results -------------------------------------------------------------------------


@dataclass
class SearchResult:
    """One row of a results page, with what the page shows about why it matched."""

    supplier: Supplier
    rank: float | None
    summary_html: str  # escaped, with <mark> around matched words
    name_matched: bool
    regions: list[Option]
    matched_capabilities: list[Option]
    description_snippet_html: str  # escaped fragment with <mark>s, "" when none matched
    matched_case_studies: list[str]
    public_contracts: int = 0  # awards in public contract data
    # Capability name → the synonym ("also known as") that matched, when one did.
    synonyms_used: dict[str, str] = field(default_factory=dict)

    @property
    def capability_labels(self) -> list[str]:
        """The matched capabilities as the page names them: "Penetration testing (also
        known as ‘pen testing’)"."""
        return [
            f"{o.name} (also known as ‘{self.synonyms_used[o.name]}’)"
            if o.name in self.synonyms_used
            else o.name
            for o in self.matched_capabilities
        ]

    @cached_property
    def why(self) -> list[str]:
        """Plain-language reasons (the template shows matched capabilities on their own)."""
        reasons = []
        if self.name_matched:
            reasons.append("name")
        if "<mark>" in self.summary_html:
            reasons.append("summary")
        if self.description_snippet_html:
            reasons.append("description")
        if self.matched_case_studies:
            reasons.append("case studies")
        return reasons

    @property
    def explained(self) -> bool:
        """Whether the page can say why it matched (else: "its profile uses words like yours")."""
        return bool(self.why or self.matched_capabilities or self.matched_case_studies)


@dataclass
class SearchPage:
    results: list[SearchResult]
    number: int
    page_size: int
    count: int
    requested: int  # the page asked for, before it was brought into range

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.count / self.page_size))

    @property
    def start_index(self) -> int:
        return 0 if not self.count else (self.number - 1) * self.page_size + 1

    @property
    def end_index(self) -> int:
        return min(self.count, self.number * self.page_size)

    @property
    def out_of_range(self) -> bool:
        return self.requested != self.number


@dataclass
class FacetOption:
    option: Option
    count: int
    selected: bool


@dataclass
class Facets:
    """Counts per option of each filter, each honouring the other active filters."""

    capability_groups: list[tuple[Option, list[FacetOption]]]
    regions: list[FacetOption]
    certifications: list[FacetOption]
    frameworks: list[FacetOption]
    sme: int  # matching SMEs
    not_sme: int  # matching large suppliers
    sme_selected: bool | None
    registered: int = 0  # matching suppliers registered on Techmap
    public_records: int = 0  # matching suppliers from public records
    source_selected: str = ""


@dataclass(frozen=True)
class CapabilityHit:
    """A capability the words name (by its name, group or synonyms)."""

    coverage: float  # the share of the words it holds (0 < coverage <= 1)
    synonym: str = ""  # the synonym that matched, when it explains more than the name


@dataclass
class _Stats:
    total: int = 0
    capability: dict[int, int] = field(default_factory=dict)
    region: dict[int, int] = field(default_factory=dict)
    certification: dict[int, int] = field(default_factory=dict)
    framework: dict[int, int] = field(default_factory=dict)
    sme: int = 0
    not_sme: int = 0
    registered: int = 0
    public_records: int = 0


@dataclass
class _Scan:
    stats: _Stats
    page: list[tuple[int, int, float | None]] = field(default_factory=list)  # position, pk, rank


_PLACEHOLDER = re.compile(r"%%|%s")


def search_cache_seconds() -> int:
    """How long a search without words is cached (settings.SUPPLIER_SEARCH_CACHE_SECONDS)."""
    return settings.SUPPLIER_SEARCH_CACHE_SECONDS


# A page number above this is treated as this (then brought into range).
MAX_PAGE = 1_000_000

# (parameter, SearchParams attribute, the supplier's id array: Supplier.capability_ids …)
FILTERS = (
    ("capability", "capabilities", "capability_ids"),
    ("region", "regions", "region_ids"),
    ("certification", "certifications", "certification_ids"),
    ("framework", "frameworks", "framework_ids"),
)


# --- The search ----------------------------------------------------------------------


class SupplierSearch:
    """One search over published suppliers. Build it from :class:`SearchParams`.

    Queries, whatever the page size: :meth:`page`, :meth:`count` and :meth:`facets`
    share one statement (the "scan": total, facets and the page's ids), and :meth:`page`
    adds one for the page's rows. :meth:`queryset` (the API, the CSV) runs nothing until
    evaluated. With a ``q``, small queries join in: the spelling check against the
    vocabulary, which also reads the words' lexemes (or, with ``correct`` off, a query for
    the lexemes alone), and the taxonomy's lexemes unless ``refdata`` already holds them
    (the API keeps its reference data).
    ``base`` narrows the suppliers searched (the API may pass its own queryset); only
    published suppliers are ever returned.
    """

    def __init__(
        self,
        params: SearchParams,
        *,
        refdata: ReferenceData | None = None,
        base: QuerySet[Supplier] | None = None,
    ) -> None:
        self.params = params
        self.refdata = refdata or reference_data()
        self.base = base if base is not None else Supplier.objects.all()
        self.day = params.day or timezone.localdate()
        self.text = QueryText.parse(params.q) if params.q else None
        self._scans: dict[tuple[int, int], _Scan] = {}
        self._cacheable = base is None  # a caller's own queryset may narrow the search

    # -- spelling

    @cached_property
    def _spelling(self) -> tuple[Correction | None, dict[str, tuple[str, ...]]]:
        """(the correction, the English lexemes of the words typed and of the corrections),
        one statement (:func:`core.search.spell`): the taxonomy match needs the lexemes."""
        if not self.text or not self.params.correct:
            return None, {}
        return spell(self.params.q, self.text, VOCABULARY, lexemes_of=self.text.positive_words)

    @cached_property
    def correction(self) -> Correction | None:
        """The query with up to MAX_CORRECTIONS misspelt words corrected against the
        registry's vocabulary (``SearchWord``), or None when every word is known (or
        correction is off)."""
        return self._spelling[0]

    @property
    def searched_text(self) -> QueryText | None:
        """The words searched: as corrected, else as typed."""
        if self.correction is None:
            return self.text
        return QueryText.parse(self.correction.corrected)

    @cached_property
    def _region_named(self) -> tuple[tuple[int, ...], str]:
        """(the regions the words name, the other words) for plain words naming a region
        and something else ("user research Scotland"); ((), "") otherwise. Quoted
        phrases, "or" and -words are left to the text search as they are."""
        text = self.searched_text
        if not text or text.negative_terms or '"' in text.raw:
            return (), ""
        words = " ".join(text.positive_words)
        if re.search(r"(?i)\bor\b", text.raw):
            return (), ""
        found = []
        for region in sorted(self.refdata.regions, key=lambda r: -len(r.name)):
            pattern = rf"(?i)(?<!\w)(the\s+)?{re.escape(region.name)}(?!\w)"
            if re.search(pattern, words):
                found.append(region.id)
                words = re.sub(pattern, " ", words)
        rest = " ".join(words.split())
        return (tuple(sorted(found)), rest) if found and rest else ((), "")

    # -- text queries

    def _websearch(self, q: str, negative: bool) -> SearchQuery:
        return websearch(q, negative=negative)

    @cached_property
    def _word_query(self) -> SearchQuery | None:
        """The words searched (corrected, if they were)."""
        if not self.text:
            return None
        text = self.searched_text
        return self._websearch(text.raw, bool(text.negative_terms))

    @cached_property
    def _typed_query(self) -> SearchQuery | None:
        """The words as typed, when a correction is searched instead (None otherwise)."""
        if self.correction is None:
            return None
        return self._websearch(self.params.q, bool(self.text.negative_terms))

    @cached_property
    def _any_word_query(self) -> SearchQuery | None:
        text = self.searched_text
        if not text or not text.positive_words:
            return None
        return SearchQuery(text.any_word_text, config=SEARCH_CONFIG, search_type="websearch")

    @cached_property
    def _capability_hits(self) -> dict[int, CapabilityHit]:
        """The capabilities the words name, by id: those whose name, group's name or
        synonyms hold some of the words, with the share they hold and the synonym
        that matched (when it holds more of the words than the name does).

        A text holds a word when it holds every English lexeme of it (as
        ``to_tsvector('english', text) @@ plainto_tsquery('english', word)``); stop words
        do not count. Matched in Python against the taxonomy's lexemes, which the
        reference data keeps (``ReferenceData.capability_terms``); the words' lexemes
        come with the spelling check (a query of their own only for words it did not
        read: correction off, or a region named inside a word).
        """
        text = self.searched_text
        if not text or not text.positive_words:
            return {}
        # A region named is not a capability's word ("user research Scotland" is all
        # about user research).
        words = self._region_named[1].split() or list(text.positive_words)
        known = self._spelling[1]

        def read(word: str) -> tuple[str, ...] | None:
            if word in known:
                return known[word]
            # A correction's lexemes are read in lower case (as the vocabulary holds it);
            # the English dictionary lower-cases before it stems, so ASCII case is moot.
            return known.get(word.lower()) if word.isascii() else None

        found_lexemes = {word: read(word) for word in words}
        missing = [word for word, found in found_lexemes.items() if found is None]
        if missing:
            found_lexemes.update(lexemes(missing))
        wanted = [frozenset(found_lexemes[word]) for word in words]
        wanted = [lexemes_of_word for lexemes_of_word in wanted if lexemes_of_word]
        if not wanted:
            return {}

        def held(document: frozenset[str]) -> int:
            return sum(lexemes_of_word <= document for lexemes_of_word in wanted)

        capabilities = self.refdata.by_id["capabilities"]
        found: dict[int, CapabilityHit] = {}
        for terms in self.refdata.capability_terms:
            count = held(terms.document)
            if not count or terms.id not in capabilities:
                continue
            synonym = ""
            by_synonym = [held(document) for document in terms.synonym_lexemes]
            if by_synonym and max(by_synonym) > held(terms.name):
                synonym = terms.synonyms[by_synonym.index(max(by_synonym))]
            found[terms.id] = CapabilityHit(min(1.0, count / len(wanted)), synonym)
        return found

    @cached_property
    def _negative_query(self) -> SearchQuery | None:
        if not self.text or not self.text.negative_terms:
            return None
        text = " or ".join(f'"{term}"' for term in self.text.negative_terms)
        return SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")

    # -- predicates

    def _filter_q(self) -> Q:
        """Published, and every filter other than the text."""
        p = self.params
        q = Q(status=Supplier.Status.PUBLISHED)
        for _, attr, array in FILTERS:
            ids = getattr(p, attr)
            if ids:
                q &= Q(**{f"{array}__overlap": list(ids)})
        if p.sme is not None:
            q &= Q(size__in=Supplier.SME_SIZES) if p.sme else Q(size=Supplier.Size.LARGE)
        if p.source in SOURCES:
            q &= Q(from_public_records=p.source == SOURCE_PUBLIC_RECORDS)
        return q & self._contracts_q()

    def _contracts_q(self) -> Q:
        """The public-contract filters (not faceted: they narrow every count)."""
        p = self.params
        q = Q()
        if p.has_contracts is not None:
            won = Exists(AwardSupplier.objects.filter(supplier_id=OuterRef("pk")))
            q &= Q(won) if p.has_contracts else ~Q(won)
        if p.won_from:
            q &= Q(
                Exists(
                    AwardSupplier.objects.filter(
                        supplier_id=OuterRef("pk"), award__buyer_id__in=list(p.won_from)
                    )
                )
            )
        return q

    def _exact_q(self) -> Q:
        """The words searched (as corrected) or, when corrected, the words as typed. With a
        region named: the other words, and serving the region or naming it."""
        regions, rest = self._region_named
        if regions:
            names = " or ".join(f'"{self.refdata.by_id["regions"][pk].name}"' for pk in regions)
            region_text = SearchQuery(names, config=SEARCH_CONFIG, search_type="websearch")
            q = Q(search_vector=self._websearch(rest, False)) & (
                Q(region_ids__overlap=list(regions)) | Q(search_vector=region_text)
            )
        else:
            q = Q(search_vector=self._word_query)
        if self._typed_query is not None:
            q |= Q(search_vector=self._typed_query)
        return q

    def _text_q(self) -> Q:
        return self._exact_q() if self.text else Q()

    def _matching(self) -> QuerySet[Supplier]:
        """Published suppliers matching the text and filters."""
        return self.base.filter(self._filter_q() & self._text_q())

    # -- one pass: the total, every facet and the ids of the page

    def _scan(self, *, number: int, size: int) -> _Scan:
        """The number of matches, the facet counts and one page's ids, in one statement.

        The suppliers matching the text (not the filters) are found once, through the
        GIN indexes, into a MATERIALIZED common table expression with their sort keys
        (``ts_rank`` on the stored column for relevance), the row's facet id arrays
        (``Supplier.region_ids`` …) and one true/false column per active filter. From
        it: the total (rows passing every filter); each facet as one grouped query over
        the rows passing every *other* filter, unnesting its id array (no link table is
        read: measured at half the statement's time at 1,000 to 10,000 matches); and
        the requested page, ordered and cut with LIMIT/OFFSET (brought into range
        against the total; with words, the daily tie-break is hashed only for the rows
        tied at the page's ranks). The supplier table is read once per search.
        """
        p = self.params
        qs = self.base.filter(Q(status=Supplier.Status.PUBLISHED) & self._contracts_q())
        qs = qs.filter(self._text_q())
        flags: dict[str, Any] = {}
        for name, attr, array in FILTERS:
            ids = getattr(p, attr)
            if ids:
                flags[f"f_{name}"] = ExpressionWrapper(
                    Q(**{f"{array}__overlap": list(ids)}), BooleanField()
                )
        if p.sme is not None:
            sme = Q(size__in=Supplier.SME_SIZES) if p.sme else Q(size=Supplier.Size.LARGE)
            flags["f_sme"] = ExpressionWrapper(sme, BooleanField())
        if p.source in SOURCES:
            public = Q(from_public_records=p.source == SOURCE_PUBLIC_RECORDS)
            flags["f_source"] = ExpressionWrapper(public, BooleanField())
        qs, order = self._annotate_order(qs.annotate(**flags))
        keys = [key.lstrip("-") for key in order if key.lstrip("-") != "pk"]
        # Ranked by words: the daily tie-break only orders equal ranks, so it is hashed for
        # the rows down to the page's last rank and every row tied with it (FETCH … WITH
        # TIES below), not for every match: md5 per match was 10 to 20% of the statement at
        # 1,000 and 10,000 matches.
        ties_only = keys[:2] == ["rank", "tiebreak"]
        if ties_only:
            keys.remove("tiebreak")
        if flags:
            # Rank (the costly part: it reads each vector) only rows that can be on the
            # page; rows kept for other facets' counts do not need a sort key.
            passes = Q(**dict.fromkeys(flags, True))
            for key in keys:
                if key in qs.query.annotations:
                    expression = qs.query.annotations[key]
                    qs = qs.annotate(
                        **{
                            key: Case(
                                When(passes, then=expression),
                                default=None,
                                output_field=expression.output_field,
                            )
                        }
                    )
        score = "m.rank" if "rank" in keys else "NULL::float8"
        arrays = [array for _, _, array in FILTERS]
        qs = qs.values("pk", "size", "from_public_records", *arrays, *flags, *keys).order_by()
        base_sql, base_params = qs.query.sql_with_params()
        order_sql = ", ".join(
            f"m.{key.lstrip('-')} {'DESC' if key.startswith('-') else 'ASC'}" for key in order
        )

        def passing(exclude: str | None = None) -> str:
            return " AND ".join(f"m.{f}" for f in flags if f != f"f_{exclude}") or "TRUE"

        parts = [f"SELECT 'total', 0::bigint, COUNT(*), NULL::float8 FROM m WHERE {passing()}"]
        for name, _, array in FILTERS:
            # unnest() in the select list (a ProjectSet), not in FROM (a function scan per
            # row, each materialised): measured 5 to 25% less time for the facets.
            parts.append(
                f"SELECT '{name}', x.id, COUNT(*), NULL FROM (SELECT unnest(m.{array}) AS id "
                f"FROM m WHERE {passing(name)}) x GROUP BY x.id"
            )
        # SMEs and large suppliers (a size left blank, possible only in a draft, is neither).
        parts.append(
            "SELECT 'sme', CASE WHEN m.size = ANY(%(sme)s) THEN 1 ELSE 0 END, COUNT(*), NULL "
            f"FROM m WHERE {passing('sme')} AND (m.size = ANY(%(sme)s) OR m.size = %(large)s) "
            "GROUP BY 2"
        )
        # Registered on Techmap (0) and from public records (1).
        parts.append(
            "SELECT 'source', CASE WHEN m.from_public_records THEN 1 ELSE 0 END, COUNT(*), NULL "
            f"FROM m WHERE {passing('source')} GROUP BY 2"
        )
        # The page: its position in the whole order travels in the third column. "o.skip"
        # is the rows before it (the page brought into range against the total).
        rows = f"SELECT * FROM m WHERE {passing()}"
        if ties_only:
            # The best ranks down to the page's last, every row tied with it included; only
            # those are hashed. The same order as the annotations': rank, tie-break, id.
            rows = (
                f"SELECT m.pk, m.rank FROM m WHERE {passing()} ORDER BY m.rank DESC "
                "FETCH FIRST ((SELECT skip FROM o) + %(size)s) ROWS WITH TIES"
            )
            order_sql = "m.rank DESC, md5(m.pk::text || %(tiebreak)s) ASC, m.pk ASC"
        parts.append(
            f"SELECT 'page', m.pk, (ROW_NUMBER() OVER ())::bigint, {score} FROM ("
            f"SELECT * FROM ({rows}) m ORDER BY {order_sql} LIMIT %(size)s "
            "OFFSET (SELECT skip FROM o)) m"
        )
        # Django's SQL uses %s placeholders; name them so the pieces above can use names.
        counter = itertools.count()
        base_sql = _PLACEHOLDER.sub(
            lambda match: match.group(0) if match.group(0) == "%%" else f"%(p{next(counter)})s",
            base_sql,
        )
        named = {f"p{i}": value for i, value in enumerate(base_params)}
        skip = (
            "SELECT (GREATEST(LEAST(%(number)s, CEIL(COUNT(*) / %(size)s::numeric)), 1) - 1)"
            f" * %(size)s AS skip FROM m WHERE {passing()}"
        )
        sql = f"WITH m AS MATERIALIZED ({base_sql}), o AS ({skip}) " + " UNION ALL ".join(parts)
        params = {
            **named,
            "sme": list(Supplier.SME_SIZES),
            "large": Supplier.Size.LARGE.value,
            "size": size,
            "number": number,
            "tiebreak": self._tiebreak_suffix,
        }
        scan = _Scan(stats=_Stats())
        stats = scan.stats
        with read_connection().cursor() as cursor:
            cursor.execute(sql, params)
            for kind, key, n, rank in cursor.fetchall():
                if kind == "page":
                    scan.page.append((n, key, rank))
                elif kind == "total":
                    stats.total = n
                elif kind == "sme":
                    stats.sme, stats.not_sme = (n, stats.not_sme) if key else (stats.sme, n)
                elif kind == "source":
                    if key:
                        stats.public_records = n
                    else:
                        stats.registered = n
                else:
                    getattr(stats, kind)[key] = n
        scan.page.sort()
        return scan

    def _scan_for(self, number: int = 1, size: int = PAGE_SIZE) -> _Scan:
        """The scan for this page (memoised, and cached without words)."""
        key = (number, size)
        if key not in self._scans and (cached := self._cached_scan(number, size)) is not None:
            self._scans[key] = cached
        if key not in self._scans:
            scan = self._scan(number=number, size=size)
            self._scans[key] = scan
            self._store_scan(number, size, scan)
        return self._scans[key]

    # A search without words reads every published supplier (the landing page, and
    # browsing by filters), so its counts and page are kept for a minute.

    def _scan_cache_key(self, number: int, size: int) -> str | None:
        if self.text or not self._cacheable or not search_cache_seconds():
            return None
        p = self.params
        parts = (
            p.capabilities,
            p.regions,
            p.certifications,
            p.frameworks,
            p.sme,
            p.has_contracts,
            p.won_from,
            p.source,
            p.effective_ordering,
            self.day.isoformat(),
            number,
            size,
        )
        return "suppliers:search:v2:" + hashlib.md5(repr(parts).encode()).hexdigest()

    def _cached_scan(self, number: int, size: int) -> _Scan | None:
        key = self._scan_cache_key(number, size)
        if key is None:
            return None
        try:
            return cache.get(key)
        except Exception:  # noqa: BLE001 - a cache outage must not break the search
            return None

    def _store_scan(self, number: int, size: int, scan: _Scan) -> None:
        key = self._scan_cache_key(number, size)
        if key is None:
            return
        try:
            cache.set(key, scan, search_cache_seconds())
        except Exception:  # noqa: BLE001 - a cache outage must not break the search
            return

    def _latest_scan(self) -> _Scan:
        return next(reversed(self._scans.values())) if self._scans else self._scan_for()

    # -- ranking and ordering

    def _rank(self):
        """ts_rank with RANK_WEIGHTS, + CAPABILITY_BOOST × the share of the words held by the
        best capability the supplier offers, + REGION_BOOST for serving a region the words
        name, + EXACT_BOOST for the words as typed when a correction is searched. (See
        "How results are ordered" on the search page.)"""
        levels: dict[float, list[int]] = {}
        for pk, hit in self._capability_hits.items():
            levels.setdefault(hit.coverage, []).append(pk)
        boosts = []
        if levels:
            boosts.append(
                Case(
                    *(
                        When(
                            capability_ids__overlap=sorted(levels[coverage]),
                            then=Value(CAPABILITY_BOOST * coverage),
                        )
                        for coverage in sorted(levels, reverse=True)
                    ),
                    default=Value(0.0),
                    output_field=FloatField(),
                )
            )
        regions = self._region_named[0]
        if regions:
            boosts.append(
                Case(
                    When(region_ids__overlap=list(regions), then=Value(REGION_BOOST)),
                    default=Value(0.0),
                    output_field=FloatField(),
                )
            )
        rank = rank_expression(
            "search_vector",
            self._word_query,
            RANK_WEIGHTS,
            boosts=boosts,
            typed=self._typed_query,
        )
        return rank

    @property
    def _tiebreak_suffix(self) -> str:
        """What the daily tie-break hashes after the id: ``md5(id || ':' || the day)``."""
        return f":{self.day.isoformat()}"

    def _annotate_order(self, qs: QuerySet[Supplier]) -> tuple[QuerySet[Supplier], list[str]]:
        ordering = self.params.effective_ordering
        if ordering == ORDERING_NAME:
            return qs.annotate(sort_name=Upper("name")), ["sort_name", "pk"]
        if ordering == ORDERING_UPDATED:
            return qs, ["-updated_at", "-pk"]
        tiebreak = MD5(
            Concat(Cast("pk", TextField()), Value(self._tiebreak_suffix), output_field=TextField())
        )
        if self.text:
            qs = qs.annotate(rank=self._rank())
            return qs.annotate(tiebreak=tiebreak), ["-rank", "tiebreak", "pk"]
        # Relevance without words: every supplier is equally relevant, so the fair
        # daily order alone decides.
        return qs.annotate(tiebreak=tiebreak), ["tiebreak", "pk"]

    def queryset(self) -> QuerySet[Supplier]:
        """Every matching supplier, annotated (``rank`` with a ``q``, ``tiebreak`` for
        relevance) and ordered by annotations and columns ending in the primary key."""
        return self._ordered.all()

    @cached_property
    def _ordered(self) -> QuerySet[Supplier]:
        qs, order = self._annotate_order(self._matching())
        return qs.order_by(*order)

    def first_keys(self, limit: int) -> list[dict[str, Any]]:
        """The first ``limit`` rows of :meth:`queryset` with words, as ``values("pk",
        "rank", "tiebreak")``: the same rows and values, but the daily tie-break is hashed
        only for the rows down to the last one's rank and every row tied with it (FETCH …
        WITH TIES), not for every match (the API's first page, which counts nothing)."""
        if not self.text or self.params.effective_ordering != ORDERING_RELEVANCE:
            raise ValueError("first_keys ranks by words in relevance order")
        base_sql, base_params = (
            self.queryset().values("pk", "rank").order_by().query.sql_with_params()
        )
        sql = (
            "SELECT w.pk, w.rank, md5(w.pk::text || %s) AS tiebreak FROM ("
            f"SELECT b.pk, b.rank FROM ({base_sql}) b ORDER BY b.rank DESC "
            "FETCH FIRST %s ROWS WITH TIES) w ORDER BY w.rank DESC, tiebreak ASC, w.pk ASC LIMIT %s"
        )
        with read_connection().cursor() as cursor:
            cursor.execute(sql, [self._tiebreak_suffix, *base_params, limit, limit])
            return [{"pk": pk, "rank": rank, "tiebreak": tb} for pk, rank, tb in cursor.fetchall()]

    # -- counts, pages, facets

    def count(self) -> int:
        """How many suppliers match (from the same statement as the facets and the page)."""
        return self._latest_scan().stats.total

    def exact_count(self) -> int:
        """How many suppliers match the words (as corrected) under the filters: one plain
        COUNT, without facets (for callers that need no more: the benchmark's sizes).
        The search itself never runs it."""
        qs = self.base.filter(self._filter_q())
        if self.text:
            qs = qs.filter(self._exact_q())
        return qs.count()

    def page(self, number: int = 1, *, size: int = PAGE_SIZE) -> SearchPage:
        """The ``number``th page (brought into range), with headlines and reasons.

        Two statements: the scan (see :meth:`_scan`), which ranks, orders and cuts the
        page; then the page's rows by primary key, with headlines and "why it matched"
        built for those rows alone.
        """
        requested = number
        number = min(max(1, number), MAX_PAGE)
        scan = self._scan_for(number, size)
        count = scan.stats.total
        number = min(number, max(1, math.ceil(count / size)))
        if not scan.page:
            return SearchPage([], number, size, count, requested)
        ranks = {pk: rank for _, pk, rank in scan.page}
        qs = self.base.filter(pk__in=list(ranks)).defer(
            "search_vector", "description", "contact_name", "contact_email", "contact_phone"
        )
        qs = qs.annotate(public_contract_count=public_contract_count_expression())
        if self.text and self._any_word_query is not None:
            qs = self._annotate_reasons(qs)
        rows = {row.pk: row for row in qs.order_by()}
        results = []
        for _, pk, rank in scan.page:
            if pk in rows:
                rows[pk].rank = rank
                results.append(self._result(rows[pk]))
        return SearchPage(results, number, size, count, requested)

    def _annotate_reasons(self, qs: QuerySet[Supplier]) -> QuerySet[Supplier]:
        # The summary marks the searched words only: ts_headline marks every word of a
        # phrase query separately, so similar-capability phrases would mark stray words.
        # The other checks (@@) honour phrases, so they may use the wider query.
        any_word = self._any_word_query
        highlight = {"start_sel": MARK_START, "stop_sel": MARK_STOP, "config": SEARCH_CONFIG}
        # Which part of the stored vector matched (A: name; C: description and case
        # studies) costs nothing to ask; parsing text is left to the few rows that need it.
        description_matches = Matches(ToTsvector(F("description")), any_word)
        case_studies_only = Q(Matches(WeightFilter(F("search_vector"), "c"), any_word)) & ~Q(
            description_matches
        )
        qs = qs.annotate(
            summary_headline=SearchHeadline(
                "summary", self._any_word_query, highlight_all=True, **highlight
            ),
            name_matched=Matches(WeightFilter(F("search_vector"), "a"), any_word),
            description_snippet=Case(
                When(
                    description_matches,
                    then=SearchHeadline(
                        "description",
                        any_word,
                        max_fragments=1,
                        max_words=24,
                        min_words=10,
                        fragment_delimiter=" … ",
                        **highlight,
                    ),
                ),
                default=Value(""),
                output_field=TextField(),
            ),
            # Case-study titles only when the description does not explain the match.
            matched_case_studies=Case(
                When(
                    case_studies_only,
                    then=ArraySubquery(
                        CaseStudy.objects.filter(supplier_id=OuterRef("pk"))
                        .alias(
                            text=Func(
                                Value(" "),
                                F("title"),
                                F("client_name"),
                                F("summary"),
                                F("outcome"),
                                function="concat_ws",
                                output_field=TextField(),
                            )
                        )
                        .filter(Matches(ToTsvector(F("text")), any_word))
                        .values("title")
                    ),
                ),
                default=None,
                output_field=ArrayField(CharField()),
            ),
        )
        return qs

    def _result(self, row: Supplier) -> SearchResult:
        regions = self.refdata.by_id["regions"]
        capabilities = self.refdata.by_id["capabilities"]
        hits = self._capability_hits if self.text else {}
        held = set(row.capability_ids or ()) & set(hits)
        matched = sorted(held, key=self.refdata.capability_position.get)

        summary = getattr(row, "summary_headline", None)
        snippet = getattr(row, "description_snippet", "") or ""
        return SearchResult(
            supplier=row,
            rank=getattr(row, "rank", None),
            summary_html=marked(summary if summary is not None else row.summary),
            name_matched=bool(getattr(row, "name_matched", False)),
            regions=sorted(
                (regions[pk] for pk in row.region_ids or () if pk in regions),
                key=lambda o: (o.position, o.name),
            ),
            matched_capabilities=[capabilities[pk] for pk in matched if pk in capabilities],
            description_snippet_html=marked(snippet) if MARK_START in snippet else "",
            matched_case_studies=list(getattr(row, "matched_case_studies", None) or ()),
            public_contracts=getattr(row, "public_contract_count", 0) or 0,
            synonyms_used={
                capabilities[pk].name: hits[pk].synonym
                for pk in matched
                if pk in capabilities and hits[pk].synonym
            },
        )

    def _facets(self) -> Facets:
        p = self.params
        ref = self.refdata
        stats = self._latest_scan().stats

        def options(items: Sequence[Option], counts: dict[int, int], chosen) -> list[FacetOption]:
            chosen = set(chosen)
            return [FacetOption(o, counts.get(o.id, 0), o.id in chosen) for o in items]

        return Facets(
            capability_groups=[
                (
                    group,
                    options(
                        ref.capabilities_by_group.get(group.id, []),
                        stats.capability,
                        p.capabilities,
                    ),
                )
                for group in ref.groups
            ],
            regions=options(ref.regions, stats.region, p.regions),
            certifications=options(ref.certifications, stats.certification, p.certifications),
            frameworks=options(ref.frameworks, stats.framework, p.frameworks),
            sme=stats.sme,
            not_sme=stats.not_sme,
            sme_selected=p.sme,
            registered=stats.registered,
            public_records=stats.public_records,
            source_selected=p.source if p.source in SOURCES else "",
        )

    def facets(self) -> Facets:
        """Counts for every filter option (the same statement as count() and page())."""
        return self._facets()

    # -- export

    def export_queryset(self) -> QuerySet:
        """Every matching supplier in search order, as rows for a CSV (see suppliers.exports)."""
        return with_export_columns(self.queryset())


def public_contract_count_expression() -> Coalesce:
    """How many awards in public contract data a supplier has won (an annotation: one
    correlated count per row, for a page of results or an API page)."""
    counted = (
        AwardSupplier.objects.filter(supplier_id=OuterRef("pk"))
        .order_by()
        .values("supplier_id")
        .annotate(n=Count("award_id"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_export_columns(qs: QuerySet[Supplier], *extra: str) -> QuerySet:
    """``values()`` rows with the names of a supplier's regions, capabilities, … as arrays
    (plus the ``extra`` fields named)."""

    def names(through, column: str) -> ArraySubquery:
        related = through.objects.filter(supplier_id=OuterRef("pk"))
        prefix = column.removesuffix("_id")
        return ArraySubquery(related.order_by(f"{prefix}__name").values(f"{prefix}__name"))

    return qs.annotate(
        region_names=names(SupplierRegion, "region_id"),
        capability_names=names(SupplierCapability, "capability_id"),
        certification_names=names(SupplierCertification, "certification_id"),
        framework_names=names(SupplierFramework, "framework_id"),
        hq_region_name=F("hq_region__name"),
    ).values(
        "pk",
        "slug",
        "companies_house_number",
        "name",
        "website",
        "summary",
        "description",
        "size",
        "employees",
        "year_founded",
        "hq_region_name",
        "region_names",
        "capability_names",
        "certification_names",
        "framework_names",
        "updated_at",
        *extra,
    )


# --- Profiles and comparisons --------------------------------------------------------
