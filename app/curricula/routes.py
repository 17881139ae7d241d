"""Curricula browser: the courses by track, one course with its skills and its versions."""

from __future__ import annotations

from flask import render_template, request

from app.auth.access import ALL_STAFF, roles
from app.curricula import bp, services
from app.curricula.models import Audience, Course, CourseVersion, Track


def _choice(name: str, allowed: type[Track] | type[Audience]) -> str | None:
    # A filter link with an unknown value shows every course rather than an error page.
    value = request.args.get(name) or None
    return value if value in set(allowed) else None


@bp.get("/curricula")
@roles(*ALL_STAFF)
def course_list():
    track = _choice("track", Track)
    audience = _choice("audience", Audience)
    courses = services.list_courses(track=track, audience=audience)
    return render_template(
        "curricula/course_list.html",
        groups=services.group_by_track(courses),
        track=track,
        audience=audience,
        tracks=list(Track),
        audiences=list(Audience),
    )


def _render_course(course: Course, shown: CourseVersion):
    return render_template(
        "curricula/course_detail.html",
        course=course,
        shown=shown,
        prerequisites=services.current_by_slug(shown.prerequisites),
        sessions_per_version=services.sessions_per_version(course),
    )


@bp.get("/curricula/<slug>")
@roles(*ALL_STAFF)
def course_detail(slug: str):
    course = services.get_course(slug)
    assert course.current_version is not None  # get_course answers 404 for a course without
    return _render_course(course, course.current_version)


@bp.get("/curricula/<slug>/v/<int:version>")
@roles(*ALL_STAFF)
def course_version(slug: str, version: int):
    course = services.get_course(slug)
    return _render_course(course, services.version_of(course, version))
