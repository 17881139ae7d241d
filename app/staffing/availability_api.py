"""An instructor's availability as JSON: /api/v1/instructors/{id}/availability."""

from __future__ import annotations

from app.api import bp
from app.api.access import api_roles, api_user
from app.api.operations import Reply, operation
from app.auth.access import ALL_STAFF
from app.auth.models import User
from app.inputs import json_object
from app.staffing import availability as service
from app.staffing.availability_schemas import (
    AvailabilityIn,
    AvailabilityOut,
    UnavailableDateOut,
    WeeklyTimeOut,
)


def _out(person: User) -> dict:
    kept = service.availability_of(person)
    return AvailabilityOut(
        user_id=person.id,
        name=person.name,
        summary=kept.summary,
        weekly=[WeeklyTimeOut.model_validate(s) for s in kept.weekly],
        unavailable_dates=[UnavailableDateOut.model_validate(d) for d in kept.dates],
    ).dump()


_WHO = (
    "The instructor themself, their organization's partner users, and coordinators; anyone "
    "else is answered 404."
)


@bp.get("/instructors/<int:user_id>/availability")
@operation(
    "An instructor's weekly times and unavailable dates",
    {200: Reply("Their availability", AvailabilityOut)},
    (401, 404),
    description=_WHO,
)
@api_roles(*ALL_STAFF)
def get_availability(user_id: int):
    return _out(service.instructor_for(api_user(), user_id))


@bp.put("/instructors/<int:user_id>/availability")
@operation(
    "Replace an instructor's weekly times and unavailable dates, all or nothing",
    {200: Reply("Their availability as saved", AvailabilityOut)},
    (401, 404, 422),
    description=_WHO,
    body=AvailabilityIn,
)
@api_roles(*ALL_STAFF)
def put_availability(user_id: int):
    person = service.instructor_for(api_user(), user_id)
    body = AvailabilityIn.read(json_object())
    service.set_availability(
        person,
        [service.WeeklySlot(w.weekday, w.starts, w.ends) for w in body.weekly],
        [(d.day, d.note) for d in body.unavailable_dates],
    )
    return _out(person)
