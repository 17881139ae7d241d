"""The calendars' work on a schedule: forgetting written events no feed used for a while."""

from __future__ import annotations

from typing import Any

from app.calendars import store
from app.jobs.models import Job
from app.jobs.queue import enqueue
from app.jobs.registry import every, handler
from app.timeutil import japan_today
from app.transaction import atomic

PRUNE = "calendar_events_prune"


@handler(PRUNE)
def run_prune(job: Job) -> dict[str, Any]:
    return {"pruned": store.prune()}


@every(PRUNE, "CALENDAR_PRUNE_EVERY_MINUTES")
@atomic
def queue_prune() -> None:
    """Once a day (the slot is Japan's date), however often and on however many workers the
    schedule fires."""
    enqueue(PRUNE, {}, key=PRUNE, slot=f"{PRUNE}:{japan_today().isoformat()}", trigger="schedule")
