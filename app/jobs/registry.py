"""What each kind of job does, and which jobs the workers queue on a schedule.

Areas above this one register their handlers when they are imported (the sheets sync in
app/sheets/jobs.py), so the jobs area runs work it never imports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.jobs.models import Job

Handler = Callable[[Job], dict[str, Any] | None]
HANDLERS: dict[str, Handler] = {}


@dataclass(frozen=True)
class Schedule:
    """Queue what `queue` queues every `minutes_setting` minutes (a config key)."""

    name: str
    minutes_setting: str
    queue: Callable[[], None]


SCHEDULES: list[Schedule] = []


class Retry(Exception):  # noqa: N818: an instruction to the worker, not a fault of ours
    """A failure a later attempt may mend (the network, Google's 5xx, a sync already
    running); the message says what happened, in words the page shows."""


class JobFailed(Exception):
    """A failure no retry mends (no sheet linked, the sheet not shared); the message says why."""


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


def every(name: str, minutes_setting: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    def register(fn: Callable[[], None]) -> Callable[[], None]:
        SCHEDULES.append(Schedule(name, minutes_setting, fn))
        return fn

    return register
