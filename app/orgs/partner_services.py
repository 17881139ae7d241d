"""Partner organizations as app.orgs knows them: who may see which one, and which courses
each instructor of theirs can teach. Their pages (sessions, figures, the sheet) are
app.partners', a layer above.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from app.auth.models import Role, User
from app.curricula.models import Course, CourseVersion
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.orgs.models import InstructorCourse, Organization
from app.transaction import atomic

#: Who reaches a partner organization's pages (a partner only their own: get_partner_org).
PAGE_ROLES = (Role.ADMIN, Role.COORDINATOR, Role.PARTNER)


# ---------------------------------------------------------------- who may see which organization


def get_partner_org(user: User, org_id: int) -> Organization:
    """A partner organization the user may see: planners any, a partner user only their own.

    Anything else answers 404, so that nobody learns which other organizations exist.
    """
    org = db.session.get(Organization, org_id)
    if org is None or not org.is_partner:
        visible = False
    elif user.role == Role.PARTNER:
        visible = user.org_id == org.id
    else:
        visible = user.role in (Role.ADMIN, Role.COORDINATOR)
    if org is None or not visible:
        raise NotFound(_("団体(ID %(id)s)は見つかりません。", id=org_id))
    return org


# ---------------------------------------------------------------- instructors and their courses


@dataclass
class StaffMember:
    user: User
    courses: list[CourseVersion]  # what they can teach, as the courses' current versions

    @property
    def course_ids(self) -> list[int]:
        return [v.course_id for v in self.courses]


def org_staff(
    org: Organization, offered: Sequence[CourseVersion] | None = None
) -> list[StaffMember]:
    """The organization's active instructors and assistants, each with the courses they teach.

    `offered` (the current courses, in learning order) orders each person's courses; without
    it they come in title order.
    """
    users = list(
        db.session.scalars(
            sa.select(User)
            .where(User.org_id == org.id, User.role == Role.INSTRUCTOR, User.active.is_(True))
            .order_by(User.name, User.id)
        )
    )
    if not users:
        return []
    rows = db.session.execute(
        sa.select(InstructorCourse.user_id, CourseVersion)
        .join(Course, Course.id == InstructorCourse.course_id)
        .join(CourseVersion, CourseVersion.id == Course.current_version_id)
        .options(joinedload(CourseVersion.course))
        .where(InstructorCourse.user_id.in_([u.id for u in users]))
    )
    rank = {v.course_id: i for i, v in enumerate(offered or ())}
    teaches: dict[int, list[CourseVersion]] = {u.id: [] for u in users}
    for user_id, version in rows:
        teaches[user_id].append(version)
    for versions in teaches.values():
        versions.sort(key=lambda v: (rank.get(v.course_id, len(rank)), v.title_ja))
    return [StaffMember(u, teaches[u.id]) for u in users]


@atomic
def set_instructor_courses(
    org: Organization, user_id: int, course_ids: Iterable[str | int]
) -> User:
    """Replace the courses one of the organization's instructors can teach, all or nothing.

    Only current courses can be chosen; a teachable course that is no longer offered is left
    as it was, since the form never showed it.
    """
    user = db.session.get(User, user_id)
    if user is None or user.org_id != org.id or user.role != Role.INSTRUCTOR:
        raise NotFound(_("この団体の講師・アシスタント(ID %(id)s)は見つかりません。", id=user_id))
    offered = set(
        db.session.scalars(sa.select(Course.id).where(Course.current_version_id.is_not(None)))
    )
    chosen: set[int] = set()
    for raw in course_ids:
        try:
            course_id = int(raw)
        except (TypeError, ValueError):
            course_id = None
        if course_id not in offered:
            why = _("選べるのは現在のコースだけです。一覧から選び直してください。")
            raise ValidationError(why, fields={"course_ids": why})
        chosen.add(course_id)
    current = set(
        db.session.scalars(
            sa.select(InstructorCourse.course_id).where(
                InstructorCourse.user_id == user.id, InstructorCourse.course_id.in_(offered)
            )
        )
    )
    if current - chosen:
        db.session.execute(
            sa.delete(InstructorCourse).where(
                InstructorCourse.user_id == user.id,
                InstructorCourse.course_id.in_(current - chosen),
            )
        )
    db.session.add_all(InstructorCourse(user_id=user.id, course_id=c) for c in chosen - current)
    return user
