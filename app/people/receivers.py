"""app.people's answers to what the areas below it ask (app.signals)."""

from __future__ import annotations

from typing import Any

from app.auth.models import User
from app.people.privacy import may_read_roster
from app.scheduling import signals as scheduling_signals
from app.scheduling.models import Session


@scheduling_signals.session_page_shown.connect
def _roster_link(session: Session, *, user: User, **_kwargs: object) -> dict[str, Any]:
    return {"can_read_roster": may_read_roster(user, session)}
