"""/api/v1/my/suppliers/: a rejected edit comes back as a draft to fix and send again."""

from __future__ import annotations

import pytest

from suppliers.models import Supplier, SupplierRevision
from tests.api.conftest import assert_error
from tests.suppliers.test_revision_drafts import REASON, _rejected

pytestmark = pytest.mark.django_db


def test_the_api_shows_the_draft_and_sends_it_again(supplier, owner, member, moderator, client_for):
    _rejected(supplier, owner, moderator)
    api = client_for(member, "write")
    url = f"/api/v1/my/suppliers/{supplier.slug}/"
    pending = api.get(url).json()["pending_revision"]
    assert pending["status"] == "draft" and pending["reason"] == REASON
    assert pending["proposed"]["summary"] == "Cloud for councils"
    response = api.patch(url, {"summary": "Cloud for Leeds council"}, format="json")
    assert response.status_code == 202
    assert response.json()["pending_revision"]["status"] == "draft"
    response = api.post(f"{url}changes/resubmit/")
    assert response.status_code == 200, response.content
    pending = response.json()["pending_revision"]
    assert pending["status"] == "pending" and pending["reason"] == ""
    assert pending["proposed"]["summary"] == "Cloud for Leeds council"
    assert_error(api.post(f"{url}changes/resubmit/"), 409, "conflict")


@pytest.mark.parametrize(
    ("who", "status"), [("owner", 200), ("other_owner", 404), ("moderator", 403)]
)
def test_who_may_discard_through_the_api(
    request, supplier, owner, moderator, client_for, who, status
):
    _rejected(supplier, owner, moderator)
    api = client_for(request.getfixturevalue(who), "write")
    response = api.post(f"/api/v1/my/suppliers/{supplier.slug}/changes/discard/")
    assert response.status_code == status, response.content
    still_draft = SupplierRevision.objects.filter(status="draft").exists()
    assert still_draft == (status != 200)
    assert Supplier.objects.get(pk=supplier.pk).summary == supplier.summary
