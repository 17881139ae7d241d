"""Courses as JSON: GET /api/v1/courses and /api/v1/courses/<slug>."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from app.api import bp
from app.api.access import api_roles
from app.auth.access import ALL_STAFF
from app.curricula import services
from app.curricula.models import CourseVersion
from app.errors import ValidationError
from app.inputs import digits_int
from app.timeutil import iso


def course_json(version: CourseVersion) -> dict:
    return {
        "slug": version.course.slug,
        "version": version.version,
        "title_ja": version.title_ja,
        "title_en": version.title_en,
        "summary_ja": version.summary_ja,
        "summary_en": version.summary_en,
        "track": version.track,
        "audience": list(version.audience),
        "duration_minutes": version.duration_minutes,
        "prerequisites": list(version.prerequisites),
        "materials": list(version.materials),
        "skills": [{"id": s.key, "ja": s.label_ja, "en": s.label_en} for s in version.skills],
    }


@bp.get("/courses")
@api_roles(*ALL_STAFF)
def list_courses():
    courses = services.list_courses(
        track=request.args.get("track") or None, audience=request.args.get("audience") or None
    )
    return {"items": [course_json(v) for v in courses]}


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
    body = course_json(shown)
    body["current_version"] = course.current_version.version
    body["versions"] = [
        {"version": v.version, "loaded_at": iso(v.loaded_at), "source_file": v.source_file}
        for v in course.versions
    ]
    return body
