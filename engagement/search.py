"""How engagement requests are searched: their spec for the shared engine (core.search).

The stored vector (``engagement.services.engagement_request_refresh_search_vector``)
holds the title as A (also unstemmed), the policy area, capabilities and public body as
B and the problem as C; ``ts_rank`` weighs them 1.0, 0.4, 0.2 (D is unused). The
vocabulary of spelling correction is the ``engagement`` scope of
``suppliers.ScopedSearchWord``, kept by :func:`add_request_words` on the same write
path as the vector.
"""

from __future__ import annotations

from core.search import SearchField, SearchSpec, Vocabulary, add_words
from suppliers.models import ScopedSearchWord

VOCABULARY = Vocabulary(ScopedSearchWord._meta.db_table, scope="engagement")

SPEC = SearchSpec(
    vocabulary=VOCABULARY,
    weights=(0.1, 0.2, 0.4, 1.0),
    fields=(
        SearchField("title", "title"),
        SearchField("policy_area", "policy area"),
        SearchField("problem", "problem"),
    ),
    snippet="problem",
)


def add_request_words(engagement_request, *, extra: str = "") -> None:
    """Add the request's words (title preferred as corrections; policy area, problem and
    ``extra``: its capabilities and public body) to its vocabulary."""
    add_words(
        VOCABULARY,
        names=[engagement_request.title],
        texts=[engagement_request.policy_area, engagement_request.problem, extra],
    )
