"""How engagement requests are searched: their spec for the shared engine (core.search).

The stored vector (``engagement.services.engagement_request_refresh_search_vector``)
holds the title as A (also unstemmed), the policy area, capabilities and public body as
B and the problem as C; ``ts_rank`` weighs them 1.0, 0.4, 0.2 (D is unused). The
vocabulary of spelling correction is the ``engagement`` scope of
``suppliers.ScopedSearchWord``, kept by :func:`add_request_words` on the same write
path as the vector.
"""

from __future__ import annotations

from django.db import transaction

from core.search import SearchField, SearchSpec, Vocabulary, add_words, clear_words
from engagement.models import EngagementRequest
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
    ``extra``: its capabilities and public body) to its vocabulary, once it is public: a
    draft's words must never surface as a correction on the public list."""
    if engagement_request.status == EngagementRequest.Status.DRAFT:
        return
    add_words(
        VOCABULARY,
        names=[engagement_request.title],
        texts=[engagement_request.policy_area, engagement_request.problem, extra],
    )


def rebuild_vocabulary() -> None:
    """Rebuild the engagement vocabulary from every request (for rows written before it
    existed: ``manage.py refresh_search_vocabularies``)."""
    with transaction.atomic():
        clear_words(VOCABULARY)
        requests = (
            EngagementRequest.objects.exclude(status=EngagementRequest.Status.DRAFT)
            .select_related("public_body")
            .prefetch_related("capabilities")
        )
        for er in requests.iterator(chunk_size=500):
            names = " ".join(c.name for c in er.capabilities.all())
            body = er.public_body.name if er.public_body_id else ""
            add_request_words(er, extra=f"{names} {body}")
