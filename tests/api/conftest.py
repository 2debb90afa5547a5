"""Fixtures for the API tests: an API client and tokens for the permission cast."""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from accounts import tokens
from suppliers import services
from suppliers.models import Capability, Certification, Framework, Region, Supplier


@pytest.fixture
def api():
    """An anonymous DRF test client (JSON in and out)."""
    return APIClient()


def _token(user, scope: str) -> str:
    _, raw = tokens.token_create(
        actor=user, name=f"test {scope} {uuid.uuid4().hex[:8]}", scope=scope
    )
    return raw


@pytest.fixture
def make_token():
    """``make_token(user, "read"|"write")`` → the full token value."""
    return _token


@pytest.fixture
def client_for(make_token):
    """``client_for(user, scope)``: an APIClient sending that user's Bearer token.

    ``scope=None`` logs the user in with a browser session instead (CSRF enforced).
    """

    def build(user, scope: str | None = "write") -> APIClient:
        client = APIClient(enforce_csrf_checks=True)
        if user is None:
            return client
        if scope is None:
            client.force_login(user)
        else:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(user, scope)}")
        return client

    return build


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response is the API's one error shape with this status (and code)."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error["status"] == status
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["code"], str) and error["code"]
    if code is not None:
        assert error["code"] == code, error
    for field, errors in error.get("fields", {}).items():
        assert isinstance(field, str)
        for item in errors:
            assert set(item) == {"code", "message"}, item
    return error


# --- a small register (the supplier list tests) ------------------------------------------------


def make(name: str, *, status: str = "published", size: str = "small", **fields) -> Supplier:
    """A supplier written through the service, so its search vector is current."""
    make.n = getattr(make, "n", 0) + 1
    return services.supplier_create(
        actor=None,
        name=name,
        companies_house_number=f"{70000000 + make.n:08d}",
        size=size,
        status=status,
        summary=fields.pop("summary", f"{name} helps government."),
        **fields,
    )


@pytest.fixture
def registry(db):
    london, wales = Region.objects.get(code="TLI"), Region.objects.get(code="TLL")
    pentest = Capability.objects.get(code="penetration-testing")
    research = Capability.objects.get(code="user-research")
    iso = Certification.objects.order_by("pk").first()
    gcloud = Framework.objects.order_by("pk").first()
    return {
        "kestrel": make(
            "Kestrel Ledger Systems",
            summary="Penetration testing and secure design.",
            regions=[london],
            capabilities=[pentest],
            certifications=[iso],
            frameworks=[gcloud],
            hq_region=london,
        ),
        "heron": make(
            "Heron Research",
            summary="User research with citizens.",
            regions=[wales],
            capabilities=[research],
            size="large",
        ),
        "osprey": make(
            "Osprey Security",
            summary="Cyber security penetration testing.",
            regions=[london, wales],
            capabilities=[pentest],
        ),
        "draft": make("Draft Penetration Co", status="draft", capabilities=[pentest]),
        "suspended": make("Suspended Pentest Ltd", status="suspended", capabilities=[pentest]),
        "london": london,
    }


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["slug"] for row in response.json()["results"]]
