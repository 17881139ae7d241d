"""The day-before call as JSON: GET /api/v1/confirmations?date=, POST
/api/v1/registrations/{id}/confirmations."""

from __future__ import annotations

from flask import request

from app.api import bp
from app.api.access import api_roles, api_user
from app.api.operations import Reply, operation
from app.auth.access import ALL_STAFF
from app.auth.models import User
from app.inputs import json_object
from app.people import confirmations
from app.people.confirmation_schemas import (
    CallListItem,
    ConfirmationList,
    ConfirmationOut,
    ConfirmationQuery,
    RecordedConfirmation,
)
from app.people.models import CallOutcome, ConfirmationCall
from app.people.privacy import ROSTER_READERS, record_download
from app.people.schemas import RegisteredLearner, RegistrationOut


def _out(call: ConfirmationCall) -> ConfirmationOut:
    return ConfirmationOut(
        id=call.id,
        registration_id=call.registration_id,
        outcome=CallOutcome(call.outcome),
        note=call.note,
        recorded_at=call.recorded_at,
        recorded_by=call.recorded_by.name if call.recorded_by else None,
    )


def _item(row: confirmations.CallRow) -> CallListItem:
    learner = row.learner
    return CallListItem(
        registration_id=row.registration.id,
        session_id=row.registration.session_id,
        status=row.registration.status,
        learner=RegisteredLearner(
            id=learner.id,
            name=learner.name,
            furigana=learner.furigana,
            phone=learner.phone if row.phone_shown else None,
        ),
        last=_out(row.last) if row.last else None,
        tries=len(row.calls),
        family_reminded_at=row.reminded.sent_at if row.reminded else None,
    )


@bp.get("/confirmations")
@operation(
    "The day-before call list: the registrations of a day's classes with their last outcome",
    {200: Reply("By class, in calling order", ConfirmationList)},
    (401, 422),
    description="Only classes whose people the user may read (planners: all; instructors: "
    "those they teach; a partner: its own). Phones per sharing consent; every read is "
    "written to the audit log.",
    query=ConfirmationQuery,
)
@api_roles(*ALL_STAFF)
def list_confirmations():
    user: User = api_user()
    day = ConfirmationQuery.read_args(request.args).day
    items = [_item(row) for group in confirmations.call_list(user, day) for row in group.rows]
    record_download(user, "confirmations", fmt="json", rows=len(items), date=day.isoformat())
    return ConfirmationList(date=day, items=items).dump()


@bp.post("/registrations/<int:registration_id>/confirmations")
@operation(
    "Record a call's outcome; cancelled cancels the registration and promotes the waitlist",
    {
        201: Reply(
            "The call recorded (with the promoted registration, if any)", RecordedConfirmation
        )
    },
    {
        401: "",
        403: "",
        404: "",
        409: "not_registered, session_closed",
        422: "",
    },
    description=ROSTER_READERS,
    body=confirmations.ConfirmationIn,
)
@api_roles(*ALL_STAFF)
def create_confirmation(registration_id: int):
    user = api_user()
    registration = confirmations.call_registration(user, registration_id)
    call, promoted = confirmations.record_call(registration, json_object(), user)
    recorded = RecordedConfirmation(**_out(call).model_dump())
    if promoted is not None:
        recorded.promoted = RegistrationOut.model_validate(promoted)
    return recorded.dump(), 201
