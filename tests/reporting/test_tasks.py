"""The Celery task, the admin's "Run comparison now" (through a real broker and worker),
and the demo data."""

from __future__ import annotations

import random
import time

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from reporting import services, tasks
from reporting.models import ComparisonRun, Contract, ContractReport, MetricBenchmark
from reporting.periods import contract_period_problem
from tests import factories
from tests.reporting.factories import ContractFactory, last_quarter

# Persona fixtures are asked for by name (request.getfixturevalue), which pytest-django
# cannot see when it orders tests: the mark keeps these tests before the transactional ones.
pytestmark = pytest.mark.django_db


def test_task_runs_the_comparison_and_twice_is_harmless(contract, submit):
    for value in (50, 60, 70, 80, 90):
        submit(ContractFactory(category=contract.category), milestones_on_time=value)
    first = ComparisonRun.objects.get(pk=tasks.run_nightly_comparison())
    assert first.status == "succeeded" and first.trigger == "schedule"
    second = ComparisonRun.objects.get(pk=tasks.run_nightly_comparison())
    assert second.status == "succeeded" and second.periods == []
    assert MetricBenchmark.objects.filter(period=last_quarter()).count() == 8


@pytest.mark.parametrize("who", ["owner", "civil_servant", "anonymous"])
def test_only_moderators_ask_for_a_run(request, who):
    with pytest.raises(PermissionDenied):
        services.comparison_request(actor=request.getfixturevalue(who))


def test_admin_run_now_without_a_broker_says_so(client, moderator, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    client.force_login(moderator)
    response = client.post("/admin/reporting/comparisonrun/run-now/", follow=True)
    assert response.status_code == 200
    assert b"could not be reached" in response.content
    page = client.get("/admin/reporting/comparisonrun/")
    assert b"Run comparison now" in page.content


def test_non_staff_cannot_use_the_admin_button(client, civil_servant):
    client.force_login(civil_servant)
    response = client.post("/admin/reporting/comparisonrun/run-now/")
    assert response.status_code == 302 and "/admin/login/" in response.url


@pytest.mark.broker
def test_admin_run_now_runs_on_a_real_worker(
    standard_scheme, client, private_broker, celery_worker_for, settings
):
    moderator = factories.ModeratorFactory()
    settings.CELERY_BROKER_URL = private_broker.url
    client.force_login(moderator)
    with celery_worker_for(private_broker.url):
        response = client.post(
            "/admin/reporting/comparisonrun/run-now/", {"full": "1"}, follow=True
        )
        assert b"has been queued" in response.content
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            run = ComparisonRun.objects.first()
            if run and run.status != "running":
                break
            time.sleep(0.2)
    run = ComparisonRun.objects.get()
    assert run.status == "succeeded" and run.trigger == "admin" and run.full
    assert run.requested_by == moderator


def test_admin_action_on_the_run_list(client, moderator, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    run = ComparisonRun.objects.create(status="succeeded")
    client.force_login(moderator)
    response = client.post(
        "/admin/reporting/comparisonrun/",
        {"action": "run_now", "_selected_action": [run.pk]},
        follow=True,
    )
    assert b"could not be reached" in response.content


def test_demo_seeds_contracts_reports_and_a_comparison(db, scheme):
    from reporting import demo

    factories.SupplierFactory.create_batch(12)
    factories.CapabilityGroupFactory.create_batch(4)
    lines = []
    demo.seed(rng=random.Random(7), options={}, log=lines.append)
    contracts = Contract.objects.count()
    assert contracts >= 40
    assert ContractReport.objects.count() == contracts * demo.QUARTERS
    assert ContractReport.objects.filter(status="queried").exists()
    run = ComparisonRun.objects.get()
    assert run.status == "succeeded" and len(run.periods) == demo.QUARTERS
    assert MetricBenchmark.objects.filter(enough_data=False).exists()  # thin categories
    assert MetricBenchmark.objects.filter(outliers__gt=0).exists()
    assert "comparison run" in lines[-1]
    # The data agrees with itself: nothing "Active" has ended, and every report is for a
    # quarter within its contract's dates.
    today = timezone.localdate()
    assert not Contract.objects.filter(status="active", end_date__lt=today).exists()
    for report in ContractReport.objects.select_related("contract"):
        assert contract_period_problem(report.contract, report.period) is None, report
    demo.seed(rng=random.Random(7), options={}, log=lines.append)  # a second seed does nothing
    assert Contract.objects.count() == contracts
