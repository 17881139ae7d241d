"""Courses as JSON: GET /api/v1/courses and /api/v1/courses/<slug>."""

from __future__ import annotations

from flask import request

from app.api import bp
from app.api.access import api_roles
from app.api.operations import Reply, operation
from app.auth.access import ALL_STAFF
from app.curricula import services
from app.curricula.schemas import (
    CourseDetail,
    CourseList,
    CourseOut,
    CourseQuery,
    VersionOut,
    VersionQuery,
)


@bp.get("/courses")
@operation(
    "Current version of every course",
    {200: Reply("Courses", CourseList)},
    (401, 422),
    query=CourseQuery,
)
@api_roles(*ALL_STAFF)
def list_courses():
    wanted = CourseQuery.read_args(request.args)
    courses = services.list_courses(track=wanted.track, audience=wanted.audience)
    return CourseList(items=[CourseOut.model_validate(v) for v in courses]).dump()


@bp.get("/courses/<slug>")
@operation(
    "One course: its current version, or `version=N` (the one a session uses)",
    {200: Reply("The course", CourseDetail)},
    (401, 404, 422),
    query=VersionQuery,
)
@api_roles(*ALL_STAFF)
def get_course(slug: str):
    """The current version, or `?version=N` for the one a session was planned with."""
    course = services.get_course(slug)
    current = course.current_version
    assert current is not None  # (get_course)
    wanted = VersionQuery.read_args(request.args).version
    shown = current if wanted is None else services.version_of(course, wanted)
    return CourseDetail(
        **CourseOut.model_validate(shown).model_dump(),
        current_version=current.version,
        versions=[VersionOut.model_validate(v) for v in course.versions],
    ).dump()
