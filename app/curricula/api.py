"""Courses as JSON: GET /api/v1/courses and /api/v1/courses/<slug>."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from app.api import bp
from app.api.access import api_roles
from app.auth.access import ALL_STAFF
from app.curricula import services
from app.curricula.schemas import CourseDetail, CourseList, CourseOut, VersionOut
from app.errors import ValidationError
from app.inputs import digits_int


@bp.get("/courses")
@api_roles(*ALL_STAFF)
def list_courses():
    courses = services.list_courses(
        track=request.args.get("track") or None, audience=request.args.get("audience") or None
    )
    return CourseList(items=[CourseOut.model_validate(v) for v in courses]).dump()


@bp.get("/courses/<slug>")
@api_roles(*ALL_STAFF)
def get_course(slug: str):
    """The current version, or `?version=N` for the one a session was planned with."""
    course = services.get_course(slug)
    shown = course.current_version
    wanted = request.args.get("version")
    if wanted:
        number = digits_int(wanted)
        if number is None:
            raise ValidationError(
                _("version を確認してください。"),
                fields={"version": _("1以上の整数で指定してください。")},
            )
        shown = services.version_of(course, number)
    return CourseDetail(
        **CourseOut.model_validate(shown).model_dump(),
        current_version=course.current_version.version,
        versions=[VersionOut.model_validate(v) for v in course.versions],
    ).dump()
