"""/engagement/<id>/notice.json: a UK2-style notice as an OCDS 1.1 release, schema-valid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings

from engagement import services
from engagement.exports import notice_release

pytestmark = pytest.mark.django_db

OCDS_DIR = Path(settings.BASE_DIR).parent / "shared" / "ocds"


@pytest.fixture(scope="module")
def release_validator():
    if not OCDS_DIR.exists():
        pytest.skip(f"the OCDS 1.1 schema folder {OCDS_DIR} does not exist on this machine")
    import jsonschema

    schema = json.loads((OCDS_DIR / "release-schema.json").read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


def _assert_valid(validator, release: dict) -> None:
    errors = sorted(validator.iter_errors(release), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_notice_json_is_a_valid_planning_release(client, open_request, release_validator):
    response = client.get(f"/engagement/{open_request.pk}/notice.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    release = response.json()
    _assert_valid(release_validator, release)
    assert release["tag"] == ["planning"]
    assert release["ocid"].endswith(open_request.reference)
    engagement = [m for m in release["planning"]["milestones"] if m["type"] == "engagement"]
    assert engagement and engagement[0]["dueDate"] == open_request.response_deadline.isoformat()
    assert "Responses close" in engagement[0]["description"]
    assert release["planning"]["documents"][0]["documentType"] == "marketEngagementNotice"
    assert release["planning"]["documents"][0]["url"].endswith("/notice.json")
    [party] = release["parties"]
    assert "buyer" in party["roles"] and party["name"] == open_request.public_body.name
    assert release["buyer"]["id"] == party["id"]
    assert release["tender"]["title"] == open_request.title
    assert release["tender"]["id"] == open_request.reference
    assert release["tender"]["minValue"]["amount"] == 50000


@pytest.mark.parametrize("state", ["draft", "withdrawn", "closed"])
def test_every_state_exports_valid_ocds(draft, author, release_validator, state, responder):
    er = draft
    if state != "draft":
        er = services.engagement_request_publish(actor=author, engagement_request=draft)
        if state == "withdrawn":
            er = services.engagement_request_withdraw(
                actor=author, engagement_request=er, reason="No longer needed"
            )
        else:
            er = services.engagement_request_close(actor=author, engagement_request=er)
    er.budget_min = er.budget_max = None
    release = notice_release(er)
    _assert_valid(release_validator, release)
    if state == "withdrawn":
        assert release["tender"]["status"] == "withdrawn"


@pytest.mark.parametrize("who", ["anonymous", "other_owner", "civil_servant"])
def test_a_drafts_notice_is_hidden_from_outsiders(request, client, draft, who):
    user = request.getfixturevalue(who)
    if user.is_authenticated:
        client.force_login(user)
    assert client.get(f"/engagement/{draft.pk}/notice.json").status_code == 404


@pytest.mark.parametrize("who", ["author", "co_owner", "moderator"])
def test_a_drafts_notice_is_shown_to_owners_and_moderators(request, client, draft, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(f"/engagement/{draft.pk}/notice.json").status_code == 200
