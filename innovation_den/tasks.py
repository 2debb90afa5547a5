"""The den's Celery tasks: thin entry points that call the services."""

from __future__ import annotations

from celery import shared_task

from core.tasks import single_flight
from innovation_den import services


@shared_task(acks_late=True)
@single_flight("innovation_den.remind_overdue_trials")
def remind_overdue_trials() -> int:
    """Email the proposers of every running trial past its end date (nightly).

    Running it twice is harmless: each reminder has a dedupe key per trial and end
    date, so a proposer is reminded once per end date. Returns how many trials were
    overdue.
    """
    return services.overdue_trials_remind()
