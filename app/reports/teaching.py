"""The record of who taught (活動記録): for each instructor and assistant, the classes they
taught, the hours and the learners they reached, by 年度; for one person, on an
organization's page, as files, and printed for the renewal of a デジタル推進委員's appointment.

Definitions (the dashboard's, app.reports.figures, so that the two never disagree):
- A class counts when it was held (`held_clause`: marked completed, or still scheduled and
  over by Japan's now); cancelled and planned classes count nowhere.
- It counts in the 年度 its start falls in (Japan time), in the role the person had in it
  (講師 / アシスタント: app.scheduling.models.StaffRole).
- Hours are the classes' lengths, start to end, summed.
- Learners reached (実人数) are the different people with a present or late check-in at those
  classes; attendances (延べ) are those check-ins, one per person and class.

Every figure is summed in the database: a person's years, or a whole organization's people
for a 年度, take two grouped queries whatever the number of classes or people.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import InstrumentedAttribute

from app import labels
from app.auth.access import PLANNERS
from app.auth.models import Role, User
from app.checkin.models import CAME, Attendance
from app.curricula.models import CourseVersion, in_locale
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.fiscal import FiscalYear, era_date
from app.orgs.models import Organization
from app.reports.filters import MAX_YEARS
from app.reports.sql import local_fiscal_year, minutes_between
from app.scheduling.models import Session, SessionStaff, StaffRole, Venue, held_clause
from app.tabular import Cell, Table
from app.timeutil import local, utcnow

ROLES = (StaffRole.INSTRUCTOR, StaffRole.ASSISTANT)


def hours(minutes: int) -> float:
    """Minutes as hours, to the hundredth (90 → 1.5, 45 → 0.75): what every page and file says."""
    return round(minutes / 60, 2)


# ---------------------------------------------------------------- who may see whose record


def get_person(viewer: User, user_id: int) -> User:
    """An instructor or assistant whose record the viewer may see: planners anyone's, an
    instructor their own, a partner user those of their own organization.

    Anything else answers 404, so that nobody learns who else teaches.
    """
    person = db.session.get(User, user_id)
    if person is None or person.role != Role.INSTRUCTOR:
        visible = False
    elif viewer.role in PLANNERS:
        visible = True
    elif viewer.role == Role.INSTRUCTOR:
        visible = person.id == viewer.id
    elif viewer.role == Role.PARTNER:
        visible = viewer.org_id is not None and person.org_id == viewer.org_id
    else:
        visible = False
    if person is None or not visible:
        raise NotFound(_("講師・アシスタント(ID %(id)s)は見つかりません。", id=user_id))
    return person


# ---------------------------------------------------------------- the figures


@dataclass
class Activity:
    """What one person (or one organization's people) did in a period."""

    classes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ROLES, 0))
    minutes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ROLES, 0))
    learners: int = 0  # different people present or late (実人数)
    attendances: int = 0  # present or late check-ins (延べ)

    @property
    def total_classes(self) -> int:
        return sum(self.classes.values())

    @property
    def total_minutes(self) -> int:
        return sum(self.minutes.values())

    def hours(self, role: str | None = None) -> float:
        return hours(self.total_minutes if role is None else self.minutes[role])


def _activity(
    keys: Sequence[sa.ColumnElement | InstrumentedAttribute],
    where: Sequence[sa.ColumnElement[bool]],
    now: datetime,
) -> dict[tuple, Activity]:
    """The figures of the held classes that match `where`, grouped by `keys` (none: one line,
    under the key ()). Two queries: the classes and hours per role, then the learners."""

    def staffed(*columns: sa.ColumnElement | InstrumentedAttribute) -> sa.Select:
        return (
            sa.select(*keys, *columns)
            .select_from(SessionStaff)
            .join(Session, Session.id == SessionStaff.session_id)
            .where(held_clause(now), *where)
        )

    result: dict[tuple, Activity] = {}
    classes = staffed(
        SessionStaff.role,
        sa.func.count(),
        sa.func.sum(minutes_between(Session.starts_at, Session.ends_at)),
    ).group_by(*keys, SessionStaff.role)
    for row in db.session.execute(classes):
        *key, role, count, minutes = row
        line = result.setdefault(tuple(key), Activity())
        line.classes[role] = line.classes.get(role, 0) + count
        line.minutes[role] = line.minutes.get(role, 0) + int(minutes or 0)
    learners = staffed(
        sa.func.count(sa.distinct(Attendance.learner_id)), sa.func.count(Attendance.id)
    ).join(Attendance, Attendance.session_id == Session.id)
    learners = learners.where(Attendance.status.in_(CAME))
    if keys:
        learners = learners.group_by(*keys)
    for row in db.session.execute(learners):
        *key, distinct, attended = row
        if attended:  # (with no keys the database answers one line of zeros)
            line = result.setdefault(tuple(key), Activity())
            line.learners, line.attendances = distinct, attended
    return result


def _in_years(first: FiscalYear, last: FiscalYear) -> list[sa.ColumnElement[bool]]:
    return [Session.starts_at >= first.bounds()[0], Session.starts_at < last.bounds()[1]]


@dataclass
class YearLine:
    year: FiscalYear
    activity: Activity


def person_years(person: User, now: datetime | None = None) -> list[YearLine]:
    """Each 年度 the person taught in, and the current one even when empty: the current first,
    then the others, newest first."""
    now = now or utcnow()
    current = FiscalYear.of(now)
    year = local_fiscal_year(Session.starts_at)
    lines = _activity([year], [SessionStaff.user_id == person.id], now)
    by_year = {FiscalYear(key[0]): line for key, line in lines.items()}
    by_year.setdefault(current, Activity())
    order = sorted(by_year, key=lambda y: (y != current, -y.year))
    return [YearLine(y, by_year[y]) for y in order]


def person_total(
    person: User, first: FiscalYear, last: FiscalYear, now: datetime | None = None
) -> Activity:
    """The person's figures over 年度 first..last (learners counted once over the whole)."""
    where = [SessionStaff.user_id == person.id, *_in_years(first, last)]
    return _activity([], where, now or utcnow()).get((), Activity())


@dataclass(frozen=True)
class ClassLine:
    """One class the person taught."""

    session_id: int
    starts_at: datetime  # aware UTC
    ends_at: datetime
    course_ja: str
    course_en: str | None
    venue: str
    partner: str  # "" without a partner organization
    role: str  # StaffRole
    minutes: int
    learners: int  # present or late

    @property
    def year(self) -> FiscalYear:
        return FiscalYear.of(self.starts_at)

    @property
    def day(self) -> date:
        return local(self.starts_at).date()

    @property
    def era_day(self) -> str:
        return era_date(self.day)

    @property
    def course(self) -> str:
        return in_locale(self.course_ja, self.course_en)

    @property
    def hours(self) -> float:
        return hours(self.minutes)

    def cells(self) -> list[Cell]:
        start, end = local(self.starts_at), local(self.ends_at)
        return [
            self.year.year,
            self.day,
            self.era_day,
            start.strftime("%H:%M"),
            end.strftime("%H:%M"),
            self.course,
            self.venue,
            self.partner,
            labels.label("staff_role", self.role),
            self.hours,
            self.learners,
            self.session_id,
        ]


def person_classes(
    person: User,
    first: FiscalYear | None = None,
    last: FiscalYear | None = None,
    now: datetime | None = None,
) -> list[ClassLine]:
    """The held classes the person taught in 年度 first..last (all without), by start: one
    query, the learners of each counted in a grouped subquery."""
    now = now or utcnow()
    theirs = SessionStaff.user_id == person.id
    present = (
        sa.select(Attendance.session_id, sa.func.count().label("learners"))
        .where(
            Attendance.status.in_(CAME),
            Attendance.session_id.in_(sa.select(SessionStaff.session_id).where(theirs)),
        )
        .group_by(Attendance.session_id)
        .subquery("present")
    )
    query = (
        sa.select(
            Session.id,
            Session.starts_at,
            Session.ends_at,
            CourseVersion.title_ja,
            CourseVersion.title_en,
            Venue.name,
            sa.func.coalesce(Organization.name, ""),
            SessionStaff.role,
            minutes_between(Session.starts_at, Session.ends_at),
            sa.func.coalesce(present.c.learners, 0),
        )
        .select_from(SessionStaff)
        .join(Session, Session.id == SessionStaff.session_id)
        .join(CourseVersion, CourseVersion.id == Session.course_version_id)
        .join(Venue, Venue.id == Session.venue_id)
        .outerjoin(Organization, Organization.id == Session.partner_org_id)
        .outerjoin(present, present.c.session_id == Session.id)
        .where(theirs, held_clause(now))
        .order_by(Session.starts_at, Session.id)
    )
    if first is not None and last is not None:
        query = query.where(*_in_years(first, last))
    return [ClassLine(*row) for row in db.session.execute(query)]


# ---------------------------------------------------------------- an organization's people


@dataclass
class PersonLine:
    person: User
    activity: Activity


def org_activity(
    org: Organization, year: FiscalYear, now: datetime | None = None
) -> list[PersonLine]:
    """The organization's instructors and assistants with their figures for the 年度, by name:
    those active now, and those no longer active who taught in it. Three queries."""
    now = now or utcnow()
    members = sa.select(User.id).where(User.org_id == org.id, User.role == Role.INSTRUCTOR)
    lines = _activity(
        [SessionStaff.user_id],
        [SessionStaff.user_id.in_(members), *_in_years(year, year)],
        now,
    )
    taught = {key[0] for key in lines}
    people = db.session.scalars(
        sa.select(User)
        .where(
            User.org_id == org.id,
            User.role == Role.INSTRUCTOR,
            sa.or_(User.active.is_(True), User.id.in_(taught)),
        )
        .order_by(User.name, User.id)
    )
    return [PersonLine(p, lines.get((p.id,), Activity())) for p in people]


def org_years(org: Organization, now: datetime | None = None) -> list[FiscalYear]:
    """The 年度 the organization's people taught in, and the current one: newest first."""
    now = now or utcnow()
    year = local_fiscal_year(Session.starts_at)
    members = sa.select(User.id).where(User.org_id == org.id, User.role == Role.INSTRUCTOR)
    found = db.session.scalars(
        sa.select(year)
        .select_from(SessionStaff)
        .join(Session, Session.id == SessionStaff.session_id)
        .where(SessionStaff.user_id.in_(members), held_clause(now))
        .group_by(year)
    )
    years = {FiscalYear(y) for y in found} | {FiscalYear.of(now)}
    return sorted(years, key=lambda y: -y.year)


# ---------------------------------------------------------------- the period asked for


def year_range(
    year: FiscalYear | None,
    first: FiscalYear | None,
    last: FiscalYear | None,
    now: datetime | None = None,
) -> tuple[FiscalYear, FiscalYear]:
    """The 年度 asked for: `year` alone, or `from`..`to` (either missing: the other, or the
    current 年度); at most MAX_YEARS of them, the first not after the last."""
    current = FiscalYear.of(now or utcnow())
    if year is not None and (first is not None or last is not None):
        why = _("年度を指定するときは、始まりと終わりの年度は指定しないでください。")
        raise ValidationError(why, fields={"year": why})
    if year is not None:
        return year, year
    first = first or last or current
    last = last or first
    if first.year > last.year:
        why = _("終わりの年度は始まりの年度と同じか、それより後にしてください。")
        raise ValidationError(why, fields={"to": why})
    if last.year - first.year + 1 > MAX_YEARS:
        why = _("一度に出せるのは%(n)d年度分までです。", n=MAX_YEARS)
        raise ValidationError(why, fields={"to": why})
    return first, last


# ---------------------------------------------------------------- files


def _role_headers(what: str) -> list[str]:
    return [
        _("%(role)s %(what)s", role=labels.label("staff_role", role), what=what) for role in ROLES
    ]


def person_header() -> list[str]:
    return [
        _("年度"),
        _("実施日"),
        _("実施日(和暦)"),
        _("開始"),
        _("終了"),
        _("コース"),
        _("会場"),
        _("協力団体"),
        _("役割"),
        _("時間"),
        _("受講者数"),
        _("セッションID"),
    ]


PERSON_WIDTHS = [6, 10, 18, 5, 5, 36, 24, 24, 12, 6, 8, 10]


def person_table(person: User, classes: Iterable[ClassLine]) -> Table:
    """Every class the person taught, all 年度, by start."""
    return Table(
        title=_("活動記録"),
        header=person_header(),
        rows=(line.cells() for line in classes),
        widths=PERSON_WIDTHS,
    )


def org_header() -> list[str]:
    classes, time = _role_headers(_("コマ数")), _role_headers(_("時間"))
    return [
        _("年度"),
        _("氏名"),
        classes[0],
        time[0],
        classes[1],
        time[1],
        _("合計コマ数"),
        _("合計時間"),
        _("受講者(実人数)"),
        _("受講者(延べ)"),
        _("利用者ID"),
    ]


ORG_WIDTHS = [6, 20, 10, 10, 14, 14, 10, 8, 14, 12, 8]


def org_table(year: FiscalYear, lines: Iterable[PersonLine]) -> Table:
    """The organization's people with their figures for the 年度, one row each."""
    rows: list[list[Cell]] = []
    for line in lines:
        a = line.activity
        rows.append(
            [
                year.year,
                line.person.name,
                a.classes[StaffRole.INSTRUCTOR],
                a.hours(StaffRole.INSTRUCTOR),
                a.classes[StaffRole.ASSISTANT],
                a.hours(StaffRole.ASSISTANT),
                a.total_classes,
                a.hours(),
                a.learners,
                a.attendances,
                line.person.id,
            ]
        )
    return Table(
        title=_("%(year)d年度 活動実績", year=year.year),
        header=org_header(),
        rows=rows,
        widths=ORG_WIDTHS,
    )
