"""One read the stored figures' upkeep makes again and again: a column's values for rows
whose other column is among many ids, a chunk of ids per statement."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

CHUNK = 500  # ids per statement (SQLite's limit on bound parameters is far above)


def values_where_in(
    connection: sa.Connection, wanted: Any, among: Any, ids: Iterable[Any]
) -> set[int]:
    """The distinct `wanted` of the rows whose `among` is one of `ids` (None ignored)."""
    chosen = sorted({int(i) for i in ids if i is not None})
    found: set[int] = set()
    for start in range(0, len(chosen), CHUNK):
        found.update(
            connection.scalars(sa.select(wanted).where(among.in_(chosen[start : start + CHUNK])))
        )
    return found
