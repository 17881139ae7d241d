"""Check-in and roster as JSON for devices: /api/v1/sessions/{id}/checkins and /roster."""

from __future__ import annotations

from app.api import bp
from app.api.access import api_roles, api_user
from app.auth.access import ALL_STAFF
from app.auth.models import Role
from app.checkin.door import check_in_or_walk_in, checkin_json, read_checkin, roster_json
from app.inputs import json_object
from app.people.privacy import record_download, require_roster_rights
from app.scheduling.queries import get_session


@bp.post("/sessions/<int:session_id>/checkins")
@api_roles(Role.ADMIN, Role.COORDINATOR, Role.INSTRUCTOR)
def create_checkin(session_id: int):
    session = get_session(api_user(), session_id)
    wanted = read_checkin(json_object())
    return checkin_json(session, check_in_or_walk_in(session, api_user(), wanted))


@bp.get("/sessions/<int:session_id>/roster")
@api_roles(*ALL_STAFF)
def session_roster(session_id: int):
    user = api_user()
    session = get_session(user, session_id)
    require_roster_rights(user, session)
    body = roster_json(user, session)
    record_download(user, "roster", fmt="json", rows=len(body["rows"]), session_id=session.id)
    return body
