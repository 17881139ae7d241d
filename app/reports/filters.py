"""What a report is about: a period (a 年度 or a date range) and the dashboard's filters.

One `ReportFilter` drives the dashboard, every drill-down, every export and the API, so that
a figure, the list behind it and the exported rows are always the same set of sessions.
It is read from query parameters (`parse_filter`), and written back into them (`args`) for
links, so that every link carries the filter it was made under.

A partner user's filter is always pinned to their own organization.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import BeforeValidator, Field, PlainValidator, WithJsonSchema

from app.auth.models import Role, User
from app.checkin.models import CAME
from app.curricula.models import Course, CourseVersion, Track
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.fiscal import FiscalYear
from app.orgs.models import Organization
from app.scheduling.models import DeliveryType, Session, SessionStatus, Venue
from app.schemas import ApiQuery, choice
from app.text import clean
from app.timeutil import check_day, from_local, japan_today

# The filter's parameters as a person reads them, for a message about a bad one.
PARAM_LABELS = {
    "year": _l("年度"),
    "from": _l("始まりの日"),
    "to": _l("終わりの日"),
    "course": _l("コース"),
    "track": _l("講座の種類"),
    "delivery": _l("実施形態"),
    "partner": _l("協力団体"),
    "venue": _l("会場"),
    "district": _l("地区"),
}
# The longest period a report covers: each figure is counted month by month and day by day,
# so a period of centuries took minutes. Ten years is twice what a city keeps in view.
MAX_YEARS = 10
# Late is present; excused and absent are not (check-in's definition of who came).
PRESENT = CAME


def planned_clause(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(Session.status == SessionStatus.SCHEDULED, Session.ends_at > now)


def cancelled_clause() -> sa.ColumnElement[bool]:
    return Session.status == SessionStatus.CANCELLED


_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


@dataclass(frozen=True)
class ReportFilter:
    first_day: date  # inclusive, Japan time
    last_day: date  # inclusive
    year: FiscalYear | None = None  # set when the period is one whole 年度
    course: Course | None = field(default=None, compare=False)
    track: str | None = None
    delivery: str | None = None
    partner: Organization | None = field(default=None, compare=False)
    venue: Venue | None = field(default=None, compare=False)
    district: str | None = None
    # A partner user's reports: pinned to their organization, never widened.
    pinned_partner: bool = False

    # ------------------------------------------------------------ the period

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as UTC moments, end exclusive (midnight after the last day)."""
        return (
            from_local(self.first_day, time(0, 0)),
            from_local(self.last_day + timedelta(days=1), time(0, 0)),
        )

    def filename(self, kind: str, extension: str) -> str:
        """A download of this report, named by its period: dekiru-sessions-2026-04-01_2027-03-31.csv"""
        return f"dekiru-{kind}-{self.first_day.isoformat()}_{self.last_day.isoformat()}.{extension}"

    @property
    def months(self) -> list[date]:
        """The first day of each month the period touches, in order."""
        months, month = [], self.first_day.replace(day=1)
        while month <= self.last_day:
            months.append(month)
            month = (month + timedelta(days=32)).replace(day=1)
        return months

    # ------------------------------------------------------------ the sessions it covers

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        """WHERE clauses on Session, CourseVersion and Venue (the caller joins both)."""
        start, end = self.bounds()
        clauses: list[sa.ColumnElement[bool]] = [
            Session.starts_at >= start,
            Session.starts_at < end,
        ]
        if self.course is not None:
            clauses.append(CourseVersion.course_id == self.course.id)
        if self.track:
            clauses.append(CourseVersion.track == self.track)
        if self.delivery:
            clauses.append(Session.delivery_type == self.delivery)
        if self.partner is not None:
            clauses.append(Session.partner_org_id == self.partner.id)
        if self.venue is not None:
            clauses.append(Session.venue_id == self.venue.id)
        if self.district:
            clauses.append(Venue.district == self.district)
        return clauses

    def sessions(self, *columns: Any) -> sa.Select:
        """SELECT columns FROM the sessions this filter covers (with course version and venue)."""
        return (
            sa.select(*columns)
            .select_from(Session)
            .join(CourseVersion, CourseVersion.id == Session.course_version_id)
            .join(Venue, Venue.id == Session.venue_id)
            .where(*self.conditions())
        )

    def session_ids(self) -> sa.Select:
        return self.sessions(Session.id)

    # ------------------------------------------------------------ back to parameters

    def args(self, **changes: Any) -> dict[str, str]:
        """Query parameters that give this filter back, with `changes` applied.

        A change to None removes that filter; `month=date` narrows the period to that month.
        """
        values: dict[str, str] = {}
        month = changes.pop("month", None)
        if month is not None:
            values["from"] = max(month, self.first_day).isoformat()
            next_month = (month + timedelta(days=32)).replace(day=1)
            values["to"] = min(next_month - timedelta(days=1), self.last_day).isoformat()
        elif self.year is not None:
            values["year"] = str(self.year.year)
        else:
            values["from"] = self.first_day.isoformat()
            values["to"] = self.last_day.isoformat()
        current = {
            "course": self.course.slug if self.course else None,
            "track": self.track,
            "delivery": self.delivery,
            "partner": self.partner.slug if self.partner and not self.pinned_partner else None,
            "venue": self.venue.slug if self.venue else None,
            "district": self.district,
        }
        current.update(changes)
        values.update({k: str(v) for k, v in current.items() if v not in (None, "")})
        return values

    def describe(self) -> dict[str, str]:
        """The filter as recorded in the audit log of an export."""
        described = self.args()
        described.setdefault("from", self.first_day.isoformat())
        described.setdefault("to", self.last_day.isoformat())
        if self.partner is not None:
            described["partner"] = self.partner.slug
        return described

    def narrowed(self, **changes: Any) -> ReportFilter:
        return replace(self, **changes)


# ---------------------------------------------------------------- reading the parameters


def _parse_day(text: str) -> date:
    value = clean(text).replace(" ", "")
    if match := _DATE.match(value):
        try:
            return date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    raise ValueError(_("日付は 2026-04-01 のように入力してください。"))


def _typed_day(value: Any) -> date | None:
    """A day as people type it: 2026-04-01, 2026/4/1, 2026年4月1日, full width; 2000 to 2100."""
    if not value:
        return None
    return check_day(_parse_day(str(value)))


def _fiscal_year(value: Any) -> FiscalYear | None:
    return FiscalYear.parse(str(value)) if value and clean(str(value)) else None


# A parameter's text, folded (full width, spaces); empty is the same as not given.
_Text = Annotated[
    str | None,
    BeforeValidator(lambda v: (clean(v) or None) if isinstance(v, str) else v),
    WithJsonSchema({"type": "string"}),
]
_Day = Annotated[
    date | None,
    PlainValidator(_typed_day),
    WithJsonSchema({"type": "string", "examples": ["2026-04-01"]}),
]


class ReportQuery(ApiQuery):
    """The dashboard's filter, shared by every report page, export and /reports endpoint;
    parse_filter adds what needs the database (the slugs exist, a partner's own figures)."""

    invalid = _l("絞り込みの条件を確かめてください。")

    year: Annotated[
        FiscalYear | None,
        PlainValidator(_fiscal_year),
        WithJsonSchema({"type": "string", "examples": ["2026", "令和8年度"]}),
    ] = Field(
        None,
        description="年度 (April to March); the current one when neither from nor to is given",
    )
    from_: _Day = Field(
        None,
        alias="from",
        description="First day (Japan time), 2000-01-01 to 2100-12-31; 2026/4/1, 2026年4月1日 "
        "and full-width digits accepted. At most 10 years from `from` to `to`",
    )
    to: _Day = Field(None, description="Last day, inclusive")
    course: _Text = Field(None, description="Course slug")
    track: Annotated[
        Track | None,
        choice(Track, None, _l("講座の種類が正しくありません。")),
        WithJsonSchema({"enum": [t.value for t in Track]}),
    ] = None
    delivery: Annotated[
        DeliveryType | None,
        choice(DeliveryType, None, _l("実施形態が正しくありません。")),
        WithJsonSchema({"enum": [d.value for d in DeliveryType]}),
    ] = None
    partner: _Text = Field(
        None,
        description="Organization slug; a partner's token is always its own organization "
        "(another's or an unknown slug: 404)",
    )
    venue: _Text = Field(None, description="Venue slug")
    district: _Text = None


# Query parameter names, shared by the pages, the exports and the API.
FILTER_PARAMS = tuple(f.alias or name for name, f in ReportQuery.model_fields.items())


def _years_after(day: date, years: int) -> date:
    """The same day `years` later (29 February becomes 1 March)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def _by_slug(model: type[Any], value: str, field_name: str, what: str) -> Any:
    found = db.session.scalar(sa.select(model).where(model.slug == value))
    if found is None:
        raise ValidationError(
            _("%(what)s「%(value)s」は見つかりません。", what=what, value=value),
            fields={field_name: _("一覧にある%(what)sを選んでください。", what=what)},
        )
    return found


def parse_filter(args: Mapping[str, str], user: User, today: date | None = None) -> ReportFilter:
    """The filter the parameters describe, or a ValidationError naming each bad field.

    The period is `from`/`to` when either is given (the other defaults to the 年度's edge),
    else the 年度 `year`, else the current 年度.
    """
    today = today or japan_today()
    query, errors = ReportQuery.read_partly(dict(args.items()))
    year = query.year or FiscalYear.of_day(today)
    days = {name: day for name, day in (("from", query.from_), ("to", query.to)) if day}
    first_day = days.get("from", year.first_day)
    last_day = days.get("to", year.last_day)
    if "from" not in errors and "to" not in errors:
        if first_day > last_day:
            errors["to"] = _("終わりの日は始まりの日より後にしてください。")
        elif last_day >= _years_after(first_day, MAX_YEARS):
            # Named where the person chose a day: the other one is the 年度's edge.
            errors["to" if "to" in days else "from"] = _(
                "期間は%(n)d年以内にしてください。", n=MAX_YEARS
            )
    if errors:
        raise ValidationError(str(ReportQuery.invalid), fields=errors)

    lookups: dict[str, Any] = {}
    for name, model, what in (
        ("course", Course, _("コース")),
        ("venue", Venue, _("会場")),
        ("partner", Organization, _("協力団体")),
    ):
        if slug := getattr(query, name):
            try:
                lookups[name] = _by_slug(model, slug, name, what)
            except ValidationError as exc:
                errors.update(exc.fields)
    pinned = user.role == Role.PARTNER
    if pinned:
        asked = lookups.get("partner")
        if query.partner and (asked is None or asked.id != user.org_id):
            # Another organization's figures, or no organization: the same answer to both, so
            # that a partner cannot tell which slugs exist.
            raise NotFound(_("協力団体「%(value)s」は見つかりません。", value=query.partner))
        errors.pop("partner", None)
        lookups["partner"] = db.session.get(Organization, user.org_id)
    if errors:
        raise ValidationError(str(ReportQuery.invalid), fields=errors)

    whole_year = not days
    return ReportFilter(
        first_day=first_day,
        last_day=last_day,
        year=year if whole_year else None,
        course=lookups.get("course"),
        track=query.track,
        delivery=query.delivery,
        partner=lookups.get("partner"),
        venue=lookups.get("venue"),
        district=query.district,
        pinned_partner=pinned,
    )
