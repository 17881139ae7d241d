"""Reading courses for the curricula pages and the API.

Courses change only through the loader (app/curricula/loader.py); everything here reads.
Lists load their skills eagerly so that the number of queries stays fixed however many
courses there are.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from app.curricula import signals
from app.curricula.models import Audience, Course, CourseVersion, Track
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.signals import answers

TRACK_ORDER = tuple(Track)


def check_filters(track: str | None, audience: str | None) -> None:
    """Refuse a filter value that no course can have, naming the parameter."""
    fields = {}
    if track and track not in set(Track):
        fields["track"] = _("%(choices)s のいずれかを指定してください。", choices=", ".join(Track))
    if audience and audience not in set(Audience):
        fields["audience"] = _(
            "%(choices)s のいずれかを指定してください。", choices=", ".join(Audience)
        )
    if fields:
        raise ValidationError(_("検索条件を確認してください。"), fields=fields)


def _prerequisite_depth(versions: list[CourseVersion]) -> dict[str, int]:
    # How many steps of prerequisites lie under a course, among the ones listed: the first
    # course a learner should take comes first. The loader refuses cycles, so this ends.
    prereqs = {v.course.slug: list(v.prerequisites) for v in versions}
    depth: dict[str, int] = {}

    def walk(slug: str, seen: frozenset[str]) -> int:
        if slug not in depth:
            below = [p for p in prereqs.get(slug, []) if p in prereqs and p not in seen]
            depth[slug] = 1 + max((walk(p, seen | {slug}) for p in below), default=-1)
        return depth[slug]

    for slug in prereqs:
        walk(slug, frozenset())
    return depth


def list_courses(track: str | None = None, audience: str | None = None) -> list[CourseVersion]:
    """The current version of every course, in learning order within each track."""
    check_filters(track, audience)
    query = (
        sa.select(CourseVersion)
        .join(Course, Course.current_version_id == CourseVersion.id)
        .options(joinedload(CourseVersion.course), selectinload(CourseVersion.skills))
    )
    if track:
        query = query.where(CourseVersion.track == track)
    versions = list(db.session.scalars(query).unique())
    if audience:
        # Audience is a JSON list; filtering here keeps one code path for both databases.
        versions = [v for v in versions if audience in v.audience]
    depth = _prerequisite_depth(versions)
    rank: dict[str, int] = {t: i for i, t in enumerate(TRACK_ORDER)}
    versions.sort(key=lambda v: (rank.get(v.track, len(rank)), depth[v.course.slug], v.course.slug))
    return versions


@dataclass
class TrackGroup:
    track: str
    courses: list[CourseVersion]


def group_by_track(versions: list[CourseVersion]) -> list[TrackGroup]:
    """Courses grouped by track, tracks in their fixed order, empty tracks left out."""
    groups: dict[str, TrackGroup] = {t: TrackGroup(t, []) for t in TRACK_ORDER}
    for version in versions:
        groups.setdefault(version.track, TrackGroup(version.track, [])).courses.append(version)
    return [g for g in groups.values() if g.courses]


def get_course(slug: str) -> Course:
    """A course with all its versions and their skills."""
    course = db.session.scalar(
        sa.select(Course)
        .where(Course.slug == slug)
        .options(
            selectinload(Course.versions).selectinload(CourseVersion.skills),
            joinedload(Course.current_version),
        )
    )
    if course is None or course.current_version is None:
        raise NotFound(_("コース「%(slug)s」は登録されていません。", slug=slug))
    return course


def version_of(course: Course, number: int) -> CourseVersion:
    for version in course.versions:
        if version.version == number:
            return version
    raise NotFound(
        _("コース「%(slug)s」に version %(n)d はありません。", slug=course.slug, n=number)
    )


def current_by_slug(slugs: list[str]) -> dict[str, CourseVersion]:
    """Current versions of the named courses (for linking prerequisites by title)."""
    if not slugs:
        return {}
    versions = db.session.scalars(
        sa.select(CourseVersion)
        .join(Course, Course.current_version_id == CourseVersion.id)
        .where(Course.slug.in_(slugs))
        .options(joinedload(CourseVersion.course))
    )
    return {v.course.slug: v for v in versions}


def sessions_per_version(course: Course) -> dict[int, int]:
    """How many sessions were planned with each version: what a new version leaves alone."""
    counts: dict[int, int] = {}
    for answer in answers(signals.version_sessions_counted, course):
        for version, count in answer.items():
            counts[version] = counts.get(version, 0) + count
    return counts
