"""Celery entry points for early engagement: thin, taking ids, calling one service each."""

from __future__ import annotations

from celery import shared_task

from core.tasks import single_flight
from engagement import services


@shared_task(acks_late=True)
def send_request_alerts(engagement_request_id: int) -> int:
    """Email the suppliers matched to one newly published request (immediate alerts).

    Queued after the publishing transaction commits. Running it twice, or
    alongside ``send_pending_alerts``, emails no one twice: the notification rows
    are locked and marked, and each email has a dedupe key.
    """
    return services.notifications_send_pending(engagement_request_id=engagement_request_id)


@shared_task(acks_late=True)
@single_flight("engagement.send_pending_alerts")
def send_pending_alerts() -> int:
    """Periodic sweep: send any immediate alert still pending (the broker or worker was down).

    Safe at any time and any number of times; see send_request_alerts.
    """
    return services.notifications_send_pending()


@shared_task(acks_late=True)
@single_flight("engagement.send_weekly_alert_digests")
def send_weekly_alert_digests() -> int:
    """Weekly: one digest per supplier that chose weekly alerts. Re-running sends nothing new."""
    return services.notifications_send_weekly_digest()


@shared_task(acks_late=True)
@single_flight("engagement.close_due_requests")
def close_due_requests() -> int:
    """Close open requests whose deadline has passed. Closing twice is harmless (a no-op)."""
    return services.engagement_requests_close_due()
