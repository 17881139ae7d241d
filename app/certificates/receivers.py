"""The certificates' answers to what the pages below ask (app.signals): a learner's page lists
the courses they completed, a session's page links to the certificates of those who completed
its course in that class."""

from __future__ import annotations

from typing import Any

from app.auth.models import User
from app.certificates.completions import completed_at, completions_of, visible_to
from app.people import signals as people_signals
from app.people.models import Learner
from app.people.privacy import may_read_roster
from app.scheduling import signals as scheduling_signals
from app.scheduling.models import Session


@people_signals.learner_page_shown.connect
def _completions(learner: Learner, *, user: User, **_kwargs: object) -> dict[str, Any]:
    found = completions_of([learner.id]).get(learner.id, [])
    return {"completions": visible_to(user, found)}


@scheduling_signals.session_page_shown.connect
def _certificates(session: Session, *, user: User, **_kwargs: object) -> dict[str, Any]:
    if not may_read_roster(user, session):
        return {"certificates": 0}
    return {"certificates": len(completed_at(session))}
