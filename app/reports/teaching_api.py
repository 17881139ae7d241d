"""GET /api/v1/instructors/{id}/activity: one instructor's or assistant's 活動記録 as JSON."""

from __future__ import annotations

from flask import request

from app.api import bp
from app.api.access import api_roles, api_user
from app.api.operations import Reply, operation
from app.reports import teaching
from app.reports.schemas import ActivityOut, YearQuery
from app.reports.teaching_routes import ACTIVITY_ROLES
from app.timeutil import utcnow


@bp.get("/instructors/<int:user_id>/activity")
@operation(
    "One instructor's or assistant's 活動記録",
    {200: Reply("Their figures by 年度 and the classes of the 年度 asked for", ActivityOut)},
    {401: "", 403: "", 404: "No such instructor, or not one the token may see", 422: ""},
    description="Held classes only (completed, or scheduled and over); a class counts in the "
    "年度 its start falls in (Japan time). Per 年度, the current first: classes and hours as "
    "講師 (instructor) and アシスタント (assistant), learners reached (実人数: different people "
    "present or late) and attendances (延べ). `classes` lists the 年度 of `year` (the current "
    "one by default). Admins and coordinators anyone's; an instructor their own; a partner "
    "its organization's people.",
    query=YearQuery,
)
@api_roles(*ACTIVITY_ROLES)
def instructor_activity(user_id: int):
    person = teaching.get_person(api_user(), user_id)
    query = YearQuery.read_args(request.args)
    year, _last = teaching.year_range(query.year, None, None)  # (None: the current 年度)
    now = utcnow()
    return ActivityOut.of(
        person,
        year,
        teaching.person_years(person, now),
        teaching.person_classes(person, year, year, now),
    ).dump()
