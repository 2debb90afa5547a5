"""The one search engine: query parsing, spelling correction against a vocabulary, weighted
tsqueries, the rank, highlights and "why it matched", parameterised per model.

The supplier registry (``suppliers.selectors.search.SupplierSearch``), the engagement
request list and the den's lessons library all search through this module; each says
what differs in a small spec (:class:`Vocabulary`, :class:`SearchSpec`). It knows no
model: it reads tables and columns the spec names.

- **Words.** :class:`QueryText` splits the box the way ``websearch_to_tsquery`` reads
  it ("quoted phrases", ``-word``, ``or``).
- **Spelling.** :func:`correct` replaces up to :data:`MAX_CORRECTIONS` words of
  :data:`CORRECT_MIN_LENGTH` letters or more that are not in the vocabulary (neither as
  typed nor by English stem) by the closest vocabulary word: trigram-similar (GIN) or
  sharing the first letter, at most :data:`CORRECT_MAX_EDITS` edits, a name's word
  first, then the most similar. One query.
- **Text queries.** :func:`websearch` ('english', OR-ed with 'simple' for the unstemmed
  name/title copy unless words are excluded); :func:`rank_expression` is ``ts_rank``
  with the spec's weights plus :data:`EXACT_BOOST` for rows that match the words as
  typed when a corrected query is searched (exact matches always come first).
- **Highlights.** ``ts_headline`` wraps matches in :data:`MARK_START`/:data:`MARK_STOP`
  (private-use characters); :func:`marked` escapes the text, then swaps them for
  ``<mark>``, so stored text is never trusted as HTML. :class:`TextSearch` adds, for a
  page's rows only, the snippet and "why it matched" (the spec's fields holding a word).
- **Facets.** :func:`facet_counts` counts each facet's values over the rows passing the
  words and every *other* filter of a FilterSet (one grouped query per facet). The
  registry counts its facets in its own single-statement scan
  (``SupplierSearch._scan``), which its 100,000-supplier speed targets need.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVectorField,
)
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.fields import TextField
from django.db.models.functions import Cast, Coalesce
from django.utils.html import escape

from core.db import read_connection

SEARCH_CONFIG = "english"
NAME_CONFIG = "simple"  # names and titles are also indexed unstemmed
MAX_QUERY_LENGTH = 200

# Added for matching the words as typed when a corrected query is searched too, so
# exact matches always come first (above any ts_rank and any capability boost).
EXACT_BOOST = 10.0

# --- Spelling correction --------------------------------------------------------------
MAX_CORRECTIONS = 2  # words corrected per query
CORRECT_MIN_LENGTH = 4  # shorter words (IT, AI, ML, GIS) are taken as typed
CORRECT_MAX_EDITS = 2  # a correction is at most this many letters away (levenshtein)
# A word of a vocabulary (SQL over the word ``w``): 3 to 100 characters, no digits (a typo
# is never corrected to a number or a code).
VOCABULARY_WORD_SQL = "length(w) BETWEEN 3 AND 100 AND w !~ '[0-9_]'"

MARK_START = "\ue000"
MARK_STOP = "\ue001"


# --- Words ----------------------------------------------------------------------------

# A websearch query: "quoted phrases", -excluded words or phrases, the word "or".
_TOKEN_RE = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD_RE = re.compile(r"[\w'’&.+#-]+", re.UNICODE)


@dataclass(frozen=True)
class QueryText:
    """What the search box said, split the way ``websearch_to_tsquery`` reads it."""

    raw: str
    positive_words: tuple[str, ...]
    negative_terms: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> QueryText:
        positive: list[str] = []
        negative: list[str] = []
        for match in _TOKEN_RE.finditer(text):
            minus, phrase, bare = match.groups()
            if phrase is not None:
                words = _WORD_RE.findall(phrase)
                (negative.append(" ".join(words)) if minus and words else positive.extend(words))
                continue
            if bare.lower() == "or":
                continue
            if bare.startswith("-") and len(bare) > 1:
                words = _WORD_RE.findall(bare[1:])
                if words:
                    negative.append(" ".join(words))
                continue
            positive.extend(w.strip("-.'’") for w in _WORD_RE.findall(bare) if w.strip("-.'’"))
        return cls(text, tuple(positive), tuple(negative))

    @property
    def any_word_text(self) -> str:
        """A websearch query matching any one of the wanted words (for highlights and 'why')."""
        return " or ".join(self.positive_words)


# --- Spelling -------------------------------------------------------------------------


@dataclass(frozen=True)
class Vocabulary:
    """Where a search's known words are: a table with ``word``, ``lexeme`` (English stem)
    and ``in_name`` columns, and, when it holds several searches' words, the ``scope``
    column's value for this one."""

    table: str
    scope: str = ""

    def condition(self, alias: str) -> str:
        return f" AND {alias}.scope = %(scope)s" if self.scope else ""


@dataclass(frozen=True)
class Correction:
    """A query whose spelling was corrected: ``original`` as typed, ``corrected`` searched."""

    original: str
    corrected: str
    words: tuple[tuple[str, str], ...]  # (as typed, as corrected)


def correct(raw: str, text: QueryText, vocabulary: Vocabulary) -> Correction | None:
    """``raw`` with up to MAX_CORRECTIONS misspelt words corrected, or None when every word
    is known. One query over the vocabulary: for each word of CORRECT_MIN_LENGTH letters
    or more, whether it (or its English stem) is known and, if not, the closest known
    word: candidates similar by trigrams (pg_trgm's ``%`` through the GIN index) or
    sharing the first letter, then the fewest edits (at most CORRECT_MAX_EDITS), a word
    of a name before others, then the most similar."""
    return spell(raw, text, vocabulary)[0]


# Each word's English lexemes: what ``plainto_tsquery('english', word)`` ANDs together
# (the same parser and dictionaries; none for a stop word).
_LEXEMES_SQL = (
    "SELECT 'lexemes', 0::bigint, l.w, NULL, tsvector_to_array(to_tsvector('english', l.w)) "
    "FROM unnest(%(lexemes)s::text[]) AS l(w)"
)


def lexemes(words: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Each word's English lexemes (see :func:`spell`, which can read them on its way). One
    query, none without words."""
    words = list(dict.fromkeys(words))
    if not words:
        return {}
    with read_connection().cursor() as cursor:
        cursor.execute(_LEXEMES_SQL, {"lexemes": words})
        return {word: tuple(found) for _, _, word, _, found in cursor.fetchall()}


def spell(
    raw: str, text: QueryText, vocabulary: Vocabulary, *, lexemes_of: Sequence[str] = ()
) -> tuple[Correction | None, dict[str, tuple[str, ...]]]:
    """(:func:`correct`'s answer, the English lexemes of each of ``lexemes_of``), in one
    statement: a search that matches its words against other text in Python (the
    registry's capability taxonomy) needs no round trip of its own for them."""
    words = []
    for word in text.positive_words:
        lower = word.lower()
        if len(lower) >= CORRECT_MIN_LENGTH and lower.isalpha() and lower not in words:
            words.append(lower)
    if not words:
        return None, lexemes(lexemes_of)
    table = vocabulary.table
    sql = f"""
        (SELECT 'fix', q.n, q.word, best.word, tsvector_to_array(to_tsvector('english', best.word))
        FROM unnest(%(words)s::text[]) WITH ORDINALITY AS q(word, n)
        CROSS JOIN LATERAL (
            SELECT c.word FROM (
                -- Similar by trigrams (the GIN index), or sharing the first letter (a
                -- b-tree range: swapped letters share few trigrams, "legder").
                SELECT v.word, v.in_name FROM {table} v
                WHERE v.word %% q.word{vocabulary.condition("v")}
                UNION
                SELECT v.word, v.in_name FROM {table} v
                WHERE left(v.word, 1) = left(q.word, 1)
                  AND length(v.word) BETWEEN length(q.word) - %(edits)s
                                         AND length(q.word) + %(edits)s{vocabulary.condition("v")}
            ) AS c
            WHERE levenshtein_less_equal(c.word, q.word, %(edits)s) <= %(edits)s
            ORDER BY levenshtein_less_equal(c.word, q.word, %(edits)s), c.in_name DESC,
                     similarity(c.word, q.word) DESC, c.word
            LIMIT 1
        ) AS best
        WHERE NOT EXISTS (
            SELECT 1 FROM {table} k
            WHERE (k.word = q.word
                   OR k.lexeme = coalesce((ts_lexize('english_stem', q.word))[1], q.word))
                  {vocabulary.condition("k")}
        )
        ORDER BY q.n
        LIMIT %(most)s)
    """
    if lexemes_of:
        sql += f" UNION ALL {_LEXEMES_SQL}"
    found: dict[str, tuple[str, ...]] = {}
    found_fixes: list[tuple[int, str, str]] = []
    with read_connection().cursor() as cursor:
        params = {
            "words": words,
            "edits": CORRECT_MAX_EDITS,
            "most": MAX_CORRECTIONS,
            "scope": vocabulary.scope,
            "lexemes": list(dict.fromkeys(lexemes_of)),
        }
        cursor.execute(sql, params)
        for kind, n, word, fix, word_lexemes in cursor.fetchall():
            if kind == "fix":
                found_fixes.append((n, word, fix))
                if lexemes_of:  # the correction's own lexemes, for the words searched
                    found[fix] = tuple(word_lexemes)
            else:
                found[word] = tuple(word_lexemes)
    fixes = tuple((word, fix) for _, word, fix in sorted(found_fixes))
    if not fixes:
        return None, found
    corrected = raw

    def cased(fixed: str):
        # "Kestral" → "Kestrel", "LEGER" → "LEDGER", "leger" → "ledger".
        def replace(match: re.Match) -> str:
            typed = match.group(0)
            if typed.isupper() and len(typed) > 1:
                return fixed.upper()
            return fixed.capitalize() if typed[0].isupper() else fixed

        return replace

    for typed, fixed in fixes:
        pattern = rf"(?<!\w){re.escape(typed)}(?!\w)"
        corrected = re.sub(pattern, cased(fixed), corrected, flags=re.I)
    return Correction(raw, corrected, fixes), found


def add_words(vocabulary: Vocabulary, *, names: Iterable[str] = (), texts: Iterable[str] = ()):
    """Add the words of ``names`` (preferred as corrections) and ``texts`` to a scoped
    vocabulary: the write paths of what it searches call it in their transaction. Words
    are only added; a word left behind costs a correction that finds less, never a wrong
    result."""
    if not vocabulary.scope:
        raise ValueError("add_words writes scoped vocabularies only")
    name_text = " ".join(t for t in names if t)
    other_text = " ".join(t for t in texts if t)
    if not (name_text or other_text):
        return
    sql = f"""
        INSERT INTO {vocabulary.table} AS v (scope, word, lexeme, in_name)
        SELECT %(scope)s, w, coalesce((ts_lexize('english_stem', w))[1], w), bool_or(in_name)
        FROM (
            SELECT unnest(tsvector_to_array(to_tsvector('simple', %(names)s))), true
            UNION ALL
            SELECT unnest(tsvector_to_array(to_tsvector('simple', %(texts)s))), false
        ) AS found(w, in_name)
        WHERE {VOCABULARY_WORD_SQL}
        GROUP BY w
        ORDER BY 1
        ON CONFLICT (scope, word) DO UPDATE SET in_name = true
            WHERE excluded.in_name AND NOT v.in_name
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"scope": vocabulary.scope, "names": name_text, "texts": other_text})


def clear_words(vocabulary: Vocabulary) -> None:
    """Empty a scoped vocabulary (before rebuilding it from every row, so words no longer
    used leave it)."""
    if not vocabulary.scope:
        raise ValueError("clear_words clears scoped vocabularies only")
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {vocabulary.table} WHERE scope = %(scope)s", {"scope": vocabulary.scope}
        )


# --- Text queries and the rank ---------------------------------------------------------


def websearch(q: str, *, negative: bool, simple: bool = True) -> SearchQuery:
    """``q`` in the 'english' configuration, OR-ed with 'simple' (the unstemmed copy of
    names and titles catches stop-word names) unless words are excluded: the 'simple'
    copy sees only name lexemes, so it cannot honour a -word."""
    query = SearchQuery(q, config=SEARCH_CONFIG, search_type="websearch")
    if simple and not negative:
        query |= SearchQuery(q, config=NAME_CONFIG, search_type="websearch")
    return query


def rank_expression(
    vector: str, query: SearchQuery, weights: Sequence[float], *, boosts=(), typed=None
):
    """``ts_rank`` over the stored ``vector`` with ``weights`` (D, C, B, A), plus any
    ``boosts`` (expressions), plus EXACT_BOOST where the ``typed`` query (the words as
    typed, when a correction is searched) matches."""
    rank = SearchRank(F(vector), query, weights=list(weights))
    for boost in boosts:
        rank = rank + boost
    if typed is not None:
        rank = rank + Case(
            When(Q(**{vector: typed}), then=Value(EXACT_BOOST)),
            default=Value(0.0),
            output_field=FloatField(),
        )
    # double precision, not ts_rank's real: an API cursor carries the value and compares
    # it again, and a real read back as a float is not the value compared.
    return Cast(rank, output_field=FloatField())


class ToTsvector(Func):
    """``to_tsvector(config, text)`` on a non-null column: for the few page rows only."""

    function = "to_tsvector"
    template = "%(function)s(%(config)s::regconfig, %(expressions)s)"
    output_field = TextField()

    def __init__(self, expression, config: str = SEARCH_CONFIG):
        super().__init__(expression)
        self.extra["config"] = f"'{config}'"


class WeightFilter(Func):
    """``ts_filter(vector, '{a}')``: the lexemes of one weight of the stored vector."""

    function = "ts_filter"
    template = "%(function)s(%(expressions)s, '{%(weight)s}'::\"char\"[])"
    output_field = SearchVectorField()

    def __init__(self, expression, weight: str):
        if weight not in "abcd" or len(weight) != 1:
            raise ValueError(weight)
        super().__init__(expression)
        self.extra["weight"] = weight


class Matches(Func):
    """``tsvector @@ tsquery`` as a boolean expression."""

    arg_joiner = " @@ "
    template = "(%(expressions)s)"
    output_field = BooleanField()


def marked(text: str) -> str:
    """Escaped text with the headline markers turned into <mark> elements."""
    return escape(text).replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")


def headline(field: str, query: SearchQuery, **options) -> SearchHeadline:
    return SearchHeadline(
        field,
        query,
        start_sel=MARK_START,
        stop_sel=MARK_STOP,
        config=SEARCH_CONFIG,
        **options,
    )


# --- A search over one model -----------------------------------------------------------


@dataclass(frozen=True)
class SearchField:
    """A part of a model's stored vector that "why it matched" can name."""

    field: str  # the text column (or annotation) it is written from
    label: str  # how the page names it ("title", "problem")


@dataclass(frozen=True)
class SearchSpec:
    """What a model's search needs besides the engine: its stored weighted vector
    (``vector``, weights D, C, B, A for ``ts_rank``), whether its A part has an unstemmed
    'simple' copy, the fields "why it matched" names, the field whose snippet is shown
    with the words marked, and its vocabulary."""

    vocabulary: Vocabulary
    weights: tuple[float, float, float, float]
    fields: tuple[SearchField, ...]
    snippet: str
    vector: str = "search_vector"
    simple: bool = True


class TextSearch:
    """The words of one search of a model described by a :class:`SearchSpec`.

    ``filter(queryset)`` narrows and ranks (one statement, through the vector's GIN
    index); ``explain(rows)`` adds ``search_snippet_html`` and ``search_why`` to a page's
    rows (one statement for the page). ``correction`` costs one query over the
    vocabulary, only when there are words of four letters or more."""

    def __init__(self, spec: SearchSpec, q: str, *, correct_spelling: bool = True) -> None:
        self.spec = spec
        self.q = (q or "").strip()[:MAX_QUERY_LENGTH]
        self.text = QueryText.parse(self.q) if self.q else None
        self.correct_spelling = correct_spelling

    def __bool__(self) -> bool:
        return bool(self.text)

    def same_words(self, q: str, *, correct_spelling: bool) -> bool:
        """Whether this search is the one ``q`` and ``correct_spelling`` ask for."""
        same = (q or "").strip()[:MAX_QUERY_LENGTH] == self.q
        return same and correct_spelling == self.correct_spelling

    @cached_property
    def correction(self) -> Correction | None:
        if not self.text or not self.correct_spelling:
            return None
        return correct(self.q, self.text, self.spec.vocabulary)

    @property
    def searched_text(self) -> QueryText | None:
        return self.text if self.correction is None else QueryText.parse(self.correction.corrected)

    @cached_property
    def word_query(self) -> SearchQuery | None:
        text = self.searched_text
        if not text:
            return None
        return websearch(text.raw, negative=bool(text.negative_terms), simple=self.spec.simple)

    @cached_property
    def typed_query(self) -> SearchQuery | None:
        if self.correction is None:
            return None
        return websearch(self.q, negative=bool(self.text.negative_terms), simple=self.spec.simple)

    @cached_property
    def any_word_query(self) -> SearchQuery | None:
        text = self.searched_text
        if not text or not text.positive_words:
            return None
        return SearchQuery(text.any_word_text, config=SEARCH_CONFIG, search_type="websearch")

    def match_q(self) -> Q:
        vector = self.spec.vector
        q = Q(**{vector: self.word_query})
        if self.typed_query is not None:
            q |= Q(**{vector: self.typed_query})
        return q

    def filter(
        self, queryset: QuerySet, *, then: Sequence[str] = ("-pk",), also: Q | None = None
    ) -> QuerySet:
        """The rows matching the words (as corrected, or as typed) or the ``also``
        condition, best first (then by ``then``); ``queryset`` unchanged without words."""
        if not self.text:
            return queryset
        rank = rank_expression(
            self.spec.vector, self.word_query, self.spec.weights, typed=self.typed_query
        )
        match = self.match_q() if also is None else self.match_q() | also
        return (
            queryset.filter(match)
            .annotate(rank=Coalesce(rank, Value(0.0), output_field=FloatField()))
            .order_by("-rank", *then)
        )

    def explain(self, rows: Sequence) -> None:
        """Set ``search_snippet_html`` (the snippet field with the words marked, or "") and
        ``search_why`` (the labels of the fields holding the words) on each row."""
        for row in rows:
            row.search_snippet_html, row.search_why = "", []
        query = self.any_word_query
        if query is None or not rows:
            return
        model = type(rows[0])
        annotations = {
            "snippet": headline(
                self.spec.snippet,
                query,
                max_fragments=1,
                max_words=30,
                min_words=12,
                fragment_delimiter=" … ",
            )
        }
        for i, part in enumerate(self.spec.fields):
            annotations[f"why_{i}"] = Matches(ToTsvector(part.field), query)
        found = {
            values["pk"]: values
            for values in model._default_manager.filter(pk__in=[r.pk for r in rows])
            .order_by()
            .annotate(**annotations)
            .values("pk", *annotations)
        }
        for row in rows:
            values = found.get(row.pk)
            if not values:
                continue
            snippet = values["snippet"] or ""
            row.search_snippet_html = marked(snippet) if MARK_START in snippet else ""
            row.search_why = [
                part.label for i, part in enumerate(self.spec.fields) if values[f"why_{i}"]
            ]


# --- Facets ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Facet:
    """A filter counted per value: its parameter ``name`` in the FilterSet, the model path
    whose values it counts (``help_kind``, ``capabilities``), and the value standing for
    "any" when the filter is dropped (None: drop the parameter)."""

    name: str
    path: str
    neutral: str | None = None


def facet_counts(filterset, facets: Sequence[Facet]) -> dict[str, dict]:
    """For each facet, how many rows each value would give: the rows passing every other
    filter and the words (standard faceting: a facet ignores its own filter, so a count
    says what ticking one more box gives). One grouped query per facet; the words'
    spelling correction is not repeated (the FilterSet's ``text_search`` is shared)."""
    counts: dict[str, dict] = {}
    data = filterset.data if filterset.is_bound else None
    for facet in facets:
        others = data.copy() if data is not None else None
        if others is not None:
            others.pop(facet.name, None)
            if facet.neutral is not None:
                others[facet.name] = facet.neutral
        unfiltered = type(filterset)(others, queryset=filterset.queryset)
        unfiltered.text_search = filterset.text_search
        model = unfiltered.queryset.model
        rows = (
            model._default_manager.filter(pk__in=unfiltered.qs.values("pk"))
            .order_by()
            .values(facet.path)
            .annotate(n=Count("pk", distinct=True))
        )
        counts[facet.name] = {row[facet.path]: row["n"] for row in rows}
    return counts
