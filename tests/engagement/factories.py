"""Factories for early engagement (shared ones are in tests/factories.py)."""

from __future__ import annotations

from datetime import time, timedelta

import factory
from django.utils import timezone

from engagement import services
from engagement.models import ClarificationQuestion, EngagementRequest, SupplierResponse
from tests import factories


class EngagementRequestFactory(factory.django.DjangoModelFactory):
    """A complete draft, ready to publish with ``services.engagement_request_publish``.

    ``capabilities`` and ``regions`` take lists. After every hook has run, the request's
    search vector is rewritten by ``services.engagement_request_refresh_search_vector``
    (which reads the capabilities), as the services would leave it, so no test searches
    stale data by accident.
    """

    class Meta:
        model = EngagementRequest
        skip_postgeneration_save = True

    author = factory.SubFactory(factories.CivilServantFactory)
    public_body = factory.LazyAttribute(lambda o: o.author.public_body)
    title = factory.Sequence(lambda n: f"Finding out about remote monitoring {n}")
    policy_area = "Adult social care"
    problem = factory.Faker("paragraph", nb_sentences=4)
    help_kind = EngagementRequest.HelpKind.MARKET_SOUNDING
    formats = factory.LazyFunction(lambda: ["written", "online"])
    session_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=10))
    session_start = time(10, 0)
    session_end = time(12, 0)
    session_link_note = "We will email a link to suppliers who respond"
    response_deadline = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))
    budget_min = 50000
    budget_max = 250000
    procurement_timing = "Spring 2027"

    @factory.post_generation
    def capabilities(self, create, extracted, **kwargs):
        if create and extracted:
            self.capabilities.set(extracted)

    @factory.post_generation
    def regions(self, create, extracted, **kwargs):
        if create and extracted:
            self.regions.set(extracted)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            services.engagement_request_refresh_search_vector(engagement_request=instance)


class ResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupplierResponse

    engagement_request = factory.SubFactory(EngagementRequestFactory)
    supplier = factory.SubFactory(factories.SupplierFactory)
    summary = factory.Faker("paragraph")
    availability = "Any weekday"


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClarificationQuestion

    engagement_request = factory.SubFactory(EngagementRequestFactory)
    supplier = factory.SubFactory(factories.SupplierFactory)
    question = factory.Faker("sentence")
