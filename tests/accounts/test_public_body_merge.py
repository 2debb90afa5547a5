"""Moderators merge duplicate public bodies (one from the seeded list, one made from a buyer
in public contract data); the merge keeps every link."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts import services
from accounts.models import PublicBody, PublicBodyIdentifier, PublicBodyMembership
from core.errors import DomainError
from engagement.models import EngagementRequest
from innovation_den.models import Proposal
from reporting.models import Contract
from suppliers.models import AwardRecord, ExternalEngagementNotice
from tests import factories
from tests.engagement.factories import EngagementRequestFactory
from tests.innovation_den.factories import draft
from tests.reporting.factories import ContractFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def duplicate():
    """A seeded body and the same body as made from public records, with one of every
    kind of link on the duplicate."""
    kept = factories.PublicBodyFactory(name="Merton Council", email_domains=["merton.gov.uk"])
    dup = factories.PublicBodyFactory(
        name="London Borough of Merton", from_public_records=True, email_domains=["lbm.gov.uk"]
    )
    PublicBodyIdentifier.objects.create(public_body=dup, scheme="GB-CFS", identifier="18525")
    person = factories.CivilServantFactory(public_body=dup)
    PublicBodyMembership.objects.create(user=person, public_body=dup, email=person.email)
    ContractFactory(buyer=dup)
    AwardRecord.objects.create(ocid="ocds-b5fd17-1", award_id="a1", release_id="r1", buyer=dup)
    ExternalEngagementNotice.objects.create(ocid="ocds-b5fd17-2", release_id="r2", buyer=dup)
    EngagementRequestFactory(author=person)
    draft(proposer=person)
    return kept, dup


LINKED = [
    (PublicBodyIdentifier, "public_body"),
    (PublicBodyMembership, "public_body"),
    (Contract, "buyer"),
    (AwardRecord, "buyer"),
    (ExternalEngagementNotice, "buyer"),
    (EngagementRequest, "public_body"),
    (Proposal, "public_body"),
]


def test_a_merge_keeps_every_link(duplicate, moderator):
    kept, dup = duplicate
    assert all(model.objects.filter(**{field: dup}).count() == 1 for model, field in LINKED)
    moved = services.public_body_merge(actor=moderator, keep=kept, duplicates=[kept, dup])
    assert not PublicBody.objects.filter(pk=dup.pk).exists()
    for model, field in LINKED:
        assert model.objects.filter(**{field: kept}).count() == 1, model
    assert kept.users.count() == 1
    assert sum(moved.values()) == len(LINKED) + 1  # and the user
    kept.refresh_from_db()
    assert kept.email_domains == ["merton.gov.uk", "lbm.gov.uk"]
    assert not kept.from_public_records  # the seeded body stays seeded
    assert kept.history.first().history_change_reason == "Merged in: London Borough of Merton"


@pytest.mark.parametrize("who", ["civil_servant", "owner", "anonymous"])
def test_only_a_moderator_merges(duplicate, request, who):
    kept, dup = duplicate
    with pytest.raises(PermissionDenied):
        services.public_body_merge(actor=request.getfixturevalue(who), keep=kept, duplicates=[dup])
    assert PublicBody.objects.filter(pk=dup.pk).exists()


def test_a_merge_needs_another_body(duplicate, moderator):
    kept, _ = duplicate
    with pytest.raises(DomainError):
        services.public_body_merge(actor=moderator, keep=kept, duplicates=[kept])


def test_the_admin_action_asks_which_to_keep_then_merges(duplicate, client):
    kept, dup = duplicate
    client.force_login(factories.ModeratorFactory())
    url = reverse("admin:accounts_publicbody_changelist")
    chosen = {"action": "merge", "_selected_action": [kept.pk, dup.pk]}
    page = client.post(url, chosen)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Which public body do you keep?" in text and "1 contracts" in text
    assert PublicBody.objects.filter(pk=dup.pk).exists()  # nothing merged yet
    done = client.post(url, chosen | {"confirm": "yes", "keep": kept.pk}, follow=True)
    assert "Merged 1 public bodies into Merton Council" in done.content.decode()
    assert not PublicBody.objects.filter(pk=dup.pk).exists()
    assert Contract.objects.get().buyer == kept


def test_the_admin_action_is_only_offered_to_moderators(client):
    staff = factories.UserFactory(is_staff=True)
    client.force_login(staff)
    page = client.get(reverse("admin:accounts_publicbody_changelist"))
    assert page.status_code in (302, 403) or b'value="merge"' not in page.content
