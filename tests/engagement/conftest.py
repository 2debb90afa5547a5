"""The cast for engagement permission tests.

author and co_owner work for one public body and own ``open_request``;
responder acts for a matched supplier that has responded; other_owner (from
tests/conftest.py) acts for another published supplier; civil_servant works for
another body; plus moderator and anonymous from tests/conftest.py.
"""

from __future__ import annotations

import pytest

from engagement import services
from suppliers.models import Capability, Region
from tests import factories
from tests.engagement.factories import EngagementRequestFactory


@pytest.fixture
def capability(db):
    return Capability.objects.order_by("pk").first()


@pytest.fixture
def region(db):
    return Region.objects.get(code="TLI")  # London


@pytest.fixture
def body(db):
    return factories.PublicBodyFactory(name="Department for Engagement Tests")


@pytest.fixture
def author(body):
    return factories.CivilServantFactory(public_body=body, full_name="Ada Author")


@pytest.fixture
def co_owner(body):
    return factories.CivilServantFactory(public_body=body, full_name="Cora Colleague")


@pytest.fixture
def draft(author, co_owner, capability, region):
    er = EngagementRequestFactory(author=author, capabilities=[capability], regions=[region])
    er.co_owners.add(co_owner)
    return er


@pytest.fixture
def matched_supplier(capability, region):
    supplier = factories.SupplierFactory(
        name="Matched Monitoring Ltd", size="micro", capabilities=[capability], regions=[region]
    )
    factories.CaseStudyFactory(supplier=supplier, title="Falls detection in Leeds")
    return supplier


@pytest.fixture
def responder(matched_supplier):
    return factories.MembershipFactory(supplier=matched_supplier, role="member").user


@pytest.fixture
def open_request(draft, author, matched_supplier, responder):
    return services.engagement_request_publish(actor=author, engagement_request=draft)


@pytest.fixture
def response(open_request, responder, matched_supplier):
    return services.response_submit(
        actor=responder,
        engagement_request=open_request,
        supplier=matched_supplier,
        summary="We run remote monitoring for three councils.",
        availability="Any weekday morning",
        case_studies=list(matched_supplier.case_studies.all()),
    )
