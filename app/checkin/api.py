"""Check-in and roster as JSON for devices: /api/v1/sessions/{id}/checkins and /roster."""

from __future__ import annotations

from app.api import bp
from app.api.access import api_roles, api_user
from app.api.operations import Reply, operation
from app.auth.access import ALL_STAFF
from app.auth.models import Role
from app.checkin.door import (
    check_in_batch,
    check_in_or_walk_in,
    checkin_answer,
    door_answer,
    roster_answer,
    roster_response,
)
from app.checkin.quick import quick_first, quick_single
from app.checkin.schemas import (
    BATCH_MAX,
    CheckinBatchIn,
    CheckinBatchOut,
    CheckinIn,
    CheckinOut,
    RosterOut,
)
from app.checkin.services import PAPER_ROSTER_DAYS
from app.inputs import json_object
from app.people.privacy import ROSTER_READERS, record_download, require_roster_rights
from app.scheduling.queries import get_session


@bp.post("/sessions/<int:session_id>/checkins")
@operation(
    "Check a learner in by card or by id; idempotent (client_id, learner)",
    {
        201: Reply("Checked in now (or a walk-in waitlisted)", CheckinOut),
        200: Reply(
            "Already checked in: result already_checked_in, with the first time", CheckinOut
        ),
    },
    {
        401: "",
        403: "",
        404: "unknown_code (no such card), unknown_learner, or a session not visible",
        409: "not_registered (with can_walk_in, true exactly when walk_in alone would be "
        "accepted: a seat free and the learner not waitlisted; and the learner: learner_id, "
        "learner_name, learner_furigana, registration_status, other_session_id), "
        "session_not_open (not open yet, cancelled, or over for this user), session_full, "
        "and for walk-ins already_registered (waitlisted); client_id_reused",
        410: "revoked_card: the card was replaced by a new one",
        422: "",
    },
    description="Open from 60 minutes before the start to the end. Afterwards coordinators "
    f"and admins, and for {PAPER_ROSTER_DAYS} days the session's instructors and assistants, "
    "record it later, walk-ins included (recorded_later: present, at the start time). The "
    "session's instructors and assistants, coordinators and admins only.",
    body=CheckinIn,
)
@quick_first(lambda allowed, session_id: quick_single(session_id, allowed, door_answer))
@api_roles(Role.ADMIN, Role.COORDINATOR, Role.INSTRUCTOR)
def create_checkin(session_id: int):
    session = get_session(api_user(), session_id)
    wanted = CheckinIn.read(json_object())
    return checkin_answer(session, check_in_or_walk_in(session, api_user(), wanted))


@bp.post("/sessions/<int:session_id>/checkins/batch")
@operation(
    "Send a device's queued check-ins at once: one answer per item, in order",
    {
        200: Reply(
            "One result per item: the status and answer the single door would give", CheckinBatchOut
        )
    },
    (401, 403, 404, 422),
    description=f"Up to {BATCH_MAX} items, each a body of POST .../checkins, each taken in its "
    "own transaction with the same rules (client_id makes retries harmless; of two devices' "
    "offline scans of one learner, the earliest is kept). A refused item with a client_id "
    "is listed on the session's attendance page for the coordinator.",
    body=CheckinBatchIn,
)
@api_roles(Role.ADMIN, Role.COORDINATOR, Role.INSTRUCTOR)
def create_checkins_batch(session_id: int):
    session = get_session(api_user(), session_id)
    wanted = CheckinBatchIn.read(json_object())
    return check_in_batch(session, api_user(), wanted.items)


@bp.get("/sessions/<int:session_id>/roster")
@operation(
    "What a check-in device needs: the session, counts and every learner",
    {200: Reply("The roster", RosterOut)},
    (401, 403, 404),
    description=f"{ROSTER_READERS} Card numbers and card_keys are empty for partner users. "
    "Sent with an ETag: asked again with it in If-None-Match, an unchanged roster is answered "
    "304 Not Modified with no body.",
)
@api_roles(*ALL_STAFF)
def session_roster(session_id: int):
    user = api_user()
    session = get_session(user, session_id)
    require_roster_rights(user, session)
    body = roster_answer(user, session)
    record_download(user, "roster", fmt="json", rows=len(body["rows"]), session_id=session.id)
    return roster_response(body)
