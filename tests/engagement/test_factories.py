"""The test factories leave a request's search data as the services would."""

from __future__ import annotations

import pytest

from suppliers.models import Capability
from tests.engagement.factories import EngagementRequestFactory

pytestmark = pytest.mark.django_db


def test_a_request_built_with_capabilities_is_searchable_by_them():
    cloud = Capability.objects.get(name="Cloud migration")
    engagement_request = EngagementRequestFactory(
        title="Quokka census", capabilities=[cloud], policy_area="Parks"
    )

    engagement_request.refresh_from_db()

    vector = str(engagement_request.search_vector)
    assert "'quokka':" in vector  # the title
    assert "'migrat':" in vector  # the capability set after the row was saved
