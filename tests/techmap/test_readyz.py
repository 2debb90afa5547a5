"""/readyz tells a load balancer whether this instance can serve: each check named."""

from __future__ import annotations

import pytest
from django.db.migrations.recorder import MigrationRecorder


@pytest.mark.django_db
def test_readyz_is_503_when_a_migration_is_not_applied(client):
    # Forget that one migration ran (rolled back with the test's transaction).
    recorder = MigrationRecorder.Migration.objects
    latest = recorder.filter(app="accounts").order_by("-name").first()
    recorder.filter(pk=latest.pk).delete()

    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["migrations"] == "1 migrations not applied"


@pytest.mark.django_db
def test_readyz_is_not_cached_and_only_answers_get(client):
    response = client.get("/readyz")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert client.post("/readyz").status_code == 405
