"""Celery entry points for contract reporting. Thin: they call reporting.comparison."""

from __future__ import annotations

from celery import shared_task

from core.tasks import single_flight
from reporting.models import ComparisonRun


@shared_task(acks_late=True, ignore_result=True)
def run_comparison(
    full: bool = False, trigger: str = ComparisonRun.Trigger.SCHEDULE, requested_by_id=None
) -> int:
    """Compare changed periods (all with ``full``); returns the ComparisonRun id.

    Running it twice is harmless: a run that starts while another holds the
    advisory lock records itself as skipped and returns at once, and a run on
    unchanged data has nothing to recompute. If the worker is killed mid-run the
    period in progress rolls back, every other period keeps its results, and the
    next run (redelivered, or the next night's) finishes the work.
    """
    from accounts.models import User
    from reporting.comparison import run_comparison as compare

    user = User.objects.filter(pk=requested_by_id).first() if requested_by_id else None
    return compare(full=full, trigger=trigger, requested_by=user).pk


@shared_task(acks_late=True, ignore_result=True)
@single_flight("reporting.run_nightly_comparison")
def run_nightly_comparison() -> int:
    """The nightly beat entry (settings.NIGHTLY_CRONTAB): changed periods only."""
    return run_comparison(full=False, trigger=ComparisonRun.Trigger.SCHEDULE)


@shared_task(acks_late=True, ignore_result=True)
@single_flight("reporting.end_finished_contracts")
def end_finished_contracts() -> int:
    """The nightly beat entry: active contracts past their end date become terminated."""
    from reporting.services import contracts_end_finished

    return contracts_end_finished()
