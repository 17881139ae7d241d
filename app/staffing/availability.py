"""Instructors' availability (being written on its own branch; merged over this file)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime


def unavailable_reasons(
    user_ids: Collection[int], starts_at: datetime, ends_at: datetime
) -> dict[int, str]:
    return {}


def availability_summary(user_ids: Collection[int]) -> dict[int, str]:
    return {}
