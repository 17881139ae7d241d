"""One transaction per operation."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, ParamSpec, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult

from app.extensions import db

P = ParamSpec("P")
R = TypeVar("R")

# How many atomic operations are running inside one another in this context.
_depth: ContextVar[int] = ContextVar("atomic_depth", default=0)
_dry_run: ContextVar[bool] = ContextVar("atomic_dry_run", default=False)


@contextmanager
def dry_run() -> Iterator[None]:
    """Run operations for their answers only: inside, nothing commits; at the end all of it
    is rolled back (a sync's --dry-run, an upload's preview)."""
    token = _dry_run.set(True)
    try:
        yield
    finally:
        _dry_run.reset(token)
        db.session.rollback()


def atomic(fn: Callable[P, R]) -> Callable[P, R]:
    """Commit what `fn` did, or nothing at all: any exception rolls the whole operation back.

    Operations compose: one called inside another joins the outer transaction, so that for
    example "create a learner, issue a card, register" commits once or not at all.
    """

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        outermost = _depth.get() == 0
        token = _depth.set(_depth.get() + 1)
        try:
            result = fn(*args, **kwargs)
            if outermost:
                if _dry_run.get():
                    db.session.flush()
                else:
                    db.session.commit()
            return result
        except Exception:
            if outermost:
                db.session.rollback()
            raise
        finally:
            _depth.reset(token)

    return wrapper


def rowcount(result: sa.Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed. Its result is a CursorResult, which has the
    count; Session.execute's type says only Result."""
    return cast(CursorResult[Any], result).rowcount
