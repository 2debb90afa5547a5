"""The beat scheduler: settings give the defaults, the database wins once edited.

django-celery-beat's ``DatabaseScheduler`` writes every ``CELERY_BEAT_SCHEDULE`` entry over
its row at each start, so a moderator's change in admin (the nightly time, an interval, a
paused entry) was undone by the next restart of beat. :class:`DefaultsOnlyScheduler` creates
the entries the database does not have yet and leaves every existing one as it is.

Each message it sends also carries a ``techmap_beat_slot`` header: the entry's name and the
scheduled moment (the minute for a crontab, the interval's period for an interval), the
same in two beats that fire the same entry. ``core.tasks.single_flight`` uses it as an
idempotence key, so a second beat does no harm.
"""

from __future__ import annotations

import math
import time

from celery.schedules import schedule as interval_schedule
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler, ModelEntry

#: The message header that names the scheduled moment an entry fired for.
SLOT_HEADER = "techmap_beat_slot"


def beat_slot(entry: ModelEntry, now: float | None = None) -> str:
    """``name@start``: the start of the period ``now`` falls in, for this entry's schedule.

    Crontab (and solar, clocked) entries fire at most once a minute, so the minute is
    their slot; an interval entry's slot is its period, counted from the epoch.
    """
    now = time.time() if now is None else now
    period = 60.0
    if isinstance(entry.schedule, interval_schedule):
        period = max(entry.schedule.run_every.total_seconds(), 1.0)
    start = math.floor(now / period) * period
    return f"{entry.name}@{int(start)}"


class DefaultsOnlyScheduler(DatabaseScheduler):
    """A ``DatabaseScheduler`` that never overwrites an entry already in the database."""

    def update_from_dict(self, mapping: dict) -> None:
        existing = set(PeriodicTask.objects.filter(name__in=mapping).values_list("name", flat=True))
        missing = {name: fields for name, fields in mapping.items() if name not in existing}
        # Entries in the database are read by all_as_schedule like any other row.
        super().update_from_dict(missing)

    def reserve(self, entry: ModelEntry) -> ModelEntry:
        new_entry = super().reserve(entry)
        headers = dict(new_entry.options.get("headers") or {})
        headers[SLOT_HEADER] = beat_slot(new_entry)
        new_entry.options = {**new_entry.options, "headers": headers}
        return new_entry
