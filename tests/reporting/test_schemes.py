"""The versioned standard: version 1 seeded, published versions never change, drafts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from core.errors import DomainError
from reporting import services
from reporting.models import MetricDefinition, ReportingScheme

# Persona fixtures are asked for by name (request.getfixturevalue), which pytest-django
# cannot see when it orders tests: the mark keeps these tests before the transactional ones.
pytestmark = pytest.mark.django_db


def test_version_one_of_the_standard_is_seeded(scheme):
    assert scheme.version == 1 and scheme.is_published
    metrics = {m.code: m for m in scheme.metrics.all()}
    assert list(metrics) == [
        "overall_rating",
        "milestones_on_time",
        "spend_against_budget",
        "service_availability",
        "user_satisfaction",
        "priority_1_incidents",
        "sme_subcontract_spend",
        "social_value_met",
    ]
    assert metrics["overall_rating"].unit == "rating"
    assert metrics["spend_against_budget"].direction == "lower"
    assert metrics["priority_1_incidents"].direction == "lower"
    assert metrics["priority_1_incidents"].unit == "count"
    assert metrics["user_satisfaction"].unit == "score"
    assert (metrics["user_satisfaction"].min_value, metrics["user_satisfaction"].max_value) == (
        Decimal("1"),
        Decimal("5"),
    )
    assert all(m.unit == "percent" for c, m in metrics.items() if c.endswith(("time", "met")))


def test_new_draft_copies_and_publish_retires(scheme, moderator):
    draft = services.scheme_new_draft(actor=moderator, scheme=scheme)
    assert draft.version == 2 and draft.status == "draft"
    assert draft.metrics.count() == 8
    with pytest.raises(DomainError, match="already a draft"):
        services.scheme_new_draft(actor=moderator, scheme=scheme)
    MetricDefinition.objects.filter(scheme=draft, code="social_value_met").update(weight=2)
    services.scheme_publish(actor=moderator, scheme=draft)
    scheme.refresh_from_db()
    assert scheme.status == "retired"
    assert services.scheme_current() == draft
    # The old version kept its own metrics untouched.
    assert scheme.metrics.get(code="social_value_met").weight == Decimal("1")
    with pytest.raises(DomainError, match="already"):
        services.scheme_publish(actor=moderator, scheme=draft)


def test_published_scheme_is_not_editable(scheme):
    with pytest.raises(DomainError, match="never changes"):
        services.scheme_check_editable(scheme)


@pytest.mark.parametrize("who", ["owner", "civil_servant", "anonymous"])
def test_only_moderators_manage_schemes(request, scheme, who):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.scheme_new_draft(actor=user, scheme=scheme)
    with pytest.raises(PermissionDenied):
        services.scheme_publish(actor=user, scheme=scheme)


def test_admin_keeps_published_versions_read_only(client, moderator, scheme):
    client.force_login(moderator)
    url = f"/admin/reporting/reportingscheme/{scheme.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="name"' not in page.content  # read-only: no input for the name
    client.post(url, {"name": "Changed", "description": "x"})
    scheme.refresh_from_db()
    assert scheme.name == "Techmap contract performance standard"


def test_admin_actions_make_a_draft_and_publish_it(client, moderator, scheme):
    client.force_login(moderator)
    changelist = "/admin/reporting/reportingscheme/"
    client.post(changelist, {"action": "make_draft", "_selected_action": [scheme.pk]})
    draft = ReportingScheme.objects.get(version=2)
    assert draft.status == "draft"
    page = client.get(f"/admin/reporting/reportingscheme/{draft.pk}/change/")
    assert b'name="name"' in page.content  # a draft is editable
    client.post(changelist, {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == "published"
