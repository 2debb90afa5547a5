"""How the den's lessons library is searched: its spec for the shared engine (core.search).

The stored vector (``innovation_den.services._refresh_search_vector``) holds the title as
A, the hypothesis and lessons learned as B, the problem, next steps and results as C;
``ts_rank`` weighs them 1.0, 0.4, 0.2. The vocabulary of spelling correction is the
``lessons`` scope of ``suppliers.ScopedSearchWord``, kept by :func:`add_proposal_words`
on the same write path as the vector (every proposal's words: a lesson is a proposal
that has been evaluated, and the list of proposals searches the same vector).
"""

from __future__ import annotations

from core.search import SearchField, SearchSpec, Vocabulary, add_words
from suppliers.models import ScopedSearchWord

VOCABULARY = Vocabulary(ScopedSearchWord._meta.db_table, scope="lessons")

SPEC = SearchSpec(
    vocabulary=VOCABULARY,
    weights=(0.1, 0.2, 0.4, 1.0),
    fields=(
        SearchField("title", "title"),
        SearchField("hypothesis", "hypothesis"),
        SearchField("lessons_learned", "lessons learned"),
        SearchField("problem", "problem"),
    ),
    snippet="lessons_learned",
    simple=False,  # the title is indexed in 'english' only
)


def add_proposal_words(proposal, *, extra: str = "") -> None:
    """Add the proposal's words (title preferred as corrections) to its vocabulary."""
    add_words(
        VOCABULARY,
        names=[proposal.title],
        texts=[
            proposal.hypothesis,
            proposal.lessons_learned,
            proposal.problem,
            proposal.next_steps,
            extra,
        ],
    )
