"""How the den's lessons library is searched: its spec for the shared engine (core.search).

The stored vector (``innovation_den.services._refresh_search_vector``) holds the title as
A, the hypothesis and lessons learned as B, the problem, next steps and results as C;
``ts_rank`` weighs them 1.0, 0.4, 0.2. The vocabulary of spelling correction is the
``lessons`` scope of ``suppliers.ScopedSearchWord``, kept by :func:`add_proposal_words`
on the same write path as the vector (evaluated trials' words only: they are public).
The list of trials searches the same vector without spelling correction, since its
trials are not all in that vocabulary.
"""

from __future__ import annotations

from django.db import transaction

from core.search import SearchField, SearchSpec, Vocabulary, add_words, clear_words
from innovation_den.models import Proposal
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
    """Add an evaluated proposal's words (title preferred as corrections) to the lessons
    vocabulary: only lessons, which are public, so no draft's or review's words ever
    surface as a correction."""
    if proposal.status not in Proposal.EVALUATED_STATUSES:
        return
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


def rebuild_vocabulary() -> None:
    """Rebuild the lessons vocabulary from every proposal (for rows written before it
    existed: ``manage.py refresh_search_vocabularies``)."""
    with transaction.atomic():
        clear_words(VOCABULARY)
        lessons = Proposal.objects.filter(status__in=Proposal.EVALUATED_STATUSES)
        for proposal in lessons.prefetch_related("success_criteria").iterator(chunk_size=500):
            results = " ".join(
                f"{c.description} {c.target} {c.result}" for c in proposal.success_criteria.all()
            )
            add_proposal_words(proposal, extra=results)
