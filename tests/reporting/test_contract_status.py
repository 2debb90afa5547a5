"""Nothing "Active" has ended: a contract past its end date is terminated, whether it is
recorded that way (the service derives it) or runs past its end (the nightly job ends it).
A contract that ended still owes the reports for the quarters it ran."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from reporting import services, tasks
from reporting.models import Contract
from reporting.periods import add_quarters, current_quarter
from reporting.selectors import home_items
from tests import factories
from tests.reporting.factories import ContractFactory

pytestmark = pytest.mark.django_db

ACTIVE, TERMINATED, CANCELLED = (
    Contract.Status.ACTIVE,
    Contract.Status.TERMINATED,
    Contract.Status.CANCELLED,
)


def test_an_active_contract_past_its_end_date_is_terminated():
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    assert services.contract_status(ACTIVE, yesterday) == TERMINATED
    assert services.contract_status(ACTIVE, today) == ACTIVE  # its last day
    assert services.contract_status(ACTIVE, None) == ACTIVE
    assert services.contract_status(CANCELLED, yesterday) == CANCELLED
    assert services.contract_status(ACTIVE, today, today=today + timedelta(days=1)) == TERMINATED


def test_recording_or_editing_an_ended_contract_as_active_terminates_it(supplier, civil_servant):
    ended = timezone.localdate() - timedelta(days=30)
    contract = services.contract_create(
        actor=civil_servant,
        ocid="ocds-test01-ended-1",
        title="Hosting",
        supplier=supplier,
        category=factories.CapabilityGroupFactory(),
        value=Decimal("1000"),
        start_date=ended - timedelta(days=365),
        end_date=ended,
        status=ACTIVE,
    )
    contract.refresh_from_db()
    assert contract.status == TERMINATED
    # Moving the end date back into the future is for the person to say: it stays ended
    # until they choose Active again.
    later = timezone.localdate() + timedelta(days=90)
    contract = services.contract_update(
        actor=civil_servant, contract=contract, end_date=later, status=ACTIVE
    )
    assert Contract.objects.get(pk=contract.pk).status == ACTIVE
    services.contract_update(actor=civil_servant, contract=contract, end_date=ended)
    assert Contract.objects.get(pk=contract.pk).status == TERMINATED


def test_the_nightly_job_ends_what_has_run_past_its_end_date(db):
    today = timezone.localdate()
    past = ContractFactory(end_date=today - timedelta(days=1))
    last_day = ContractFactory(end_date=today)
    open_ended = ContractFactory(end_date=None)
    cancelled = ContractFactory(end_date=today - timedelta(days=9), status=CANCELLED)
    assert tasks.end_finished_contracts() == 1
    statuses = dict(Contract.objects.values_list("pk", "status"))
    assert statuses == {
        past.pk: TERMINATED,
        last_day.pk: ACTIVE,
        open_ended.pk: ACTIVE,
        cancelled.pk: CANCELLED,
    }
    assert past.history.first().history_change_reason == "Ended: past its end date"
    assert tasks.end_finished_contracts() == 0  # twice is harmless
    assert services.contracts_end_finished(today=today + timedelta(days=1)) == 1  # last_day
    entry = settings.CELERY_BEAT_SCHEDULE["reporting-end-finished-contracts"]
    assert entry == {
        "task": "reporting.tasks.end_finished_contracts",
        "schedule": settings.NIGHTLY_CRONTAB,
    }


def test_an_ended_contract_still_owes_the_quarter_it_ended_in(supplier, owner):
    last = add_quarters(current_quarter(), -1)
    ContractFactory(supplier=supplier, title="Ended last quarter", end_date=last + timedelta(40))
    ContractFactory(supplier=supplier, title="Stopped early", status=TERMINATED, end_date=None)
    services.contracts_end_finished()
    assert Contract.objects.get(title="Ended last quarter").status == TERMINATED
    items = {item.key: item for item in home_items(owner, today=current_quarter())}
    # Its last quarter is due, the one before overdue; the one stopped early, with no end
    # date, owes nothing more.
    for key in ("reports_due", "reports_overdue"):
        assert [e.title.split(",")[0] for e in items[key].entries] == ["Ended last quarter"]


def test_no_demo_contract_past_its_end_date_is_active(db, scheme):
    from reporting import demo

    factories.SupplierFactory.create_batch(12)
    factories.CapabilityGroupFactory.create_batch(4)
    demo.seed(rng=random.Random(11), options={}, log=lambda line: None)
    latest_end = max(Contract.objects.values_list("end_date", flat=True))
    # Years later, after the night's job: every demo contract has ended, none "Active".
    after = latest_end + timedelta(days=1)
    assert services.contracts_end_finished(today=after) == Contract.objects.count()
    assert not Contract.objects.filter(status=ACTIVE).exists()
