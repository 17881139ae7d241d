"""What the API reads and writes about the figures: GET /api/v1/reports/summary and a
person's 活動記録, GET /api/v1/instructors/{id}/activity (app.schemas).

Shares are fractions (0.3 = 30%), rounded to 4 places; hours to the hundredth.
"""

from __future__ import annotations

from typing import Annotated, Any, Self

from flask_babel import lazy_gettext as _l
from pydantic import Field, PlainValidator, WithJsonSchema

from app.auth.models import User
from app.fiscal import FiscalYear
from app.reports.call_figures import CallFigures
from app.reports.figure_tables import rounded_share
from app.reports.figures import Figures, SessionLine
from app.reports.teaching import Activity, ClassLine, YearLine
from app.scheduling.models import StaffRole
from app.schemas import ApiOut, ApiQuery, Day, Time
from app.surveys.results import Summary
from app.text import clean


class ReportLine(ApiOut):
    """Sessions held, cancelled and planned for one month, course, partner, ..."""

    key: str
    label: str
    held: int
    cancelled: int
    planned: int

    @classmethod
    def of(cls, line: SessionLine) -> Self:
        counts = line.counts
        return cls(
            key=line.key,
            label=line.label,
            held=counts.held,
            cancelled=counts.cancelled,
            planned=counts.planned,
        )


class WaitlistLine(ApiOut):
    course: str
    label: str
    waitlisted: int


class StaffHours(ApiOut):
    organization: str
    instructor_hours: float
    assistant_hours: float


class DistrictLine(ApiOut):
    district: str | None
    learners: int
    by_kind: dict[str, int]


class SkillOutcome(ApiOut):
    key: str
    label: str
    reached: int


class CourseOutcome(ApiOut):
    course: str
    label: str
    learners: int
    completed_all_skills: int
    skills: list[SkillOutcome]


def _mean(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None  # of 1–5: the hundredth is enough


class SurveyCourseLine(ApiOut):
    course: str
    label: str
    answers: int
    satisfaction_mean: float | None
    someone_to_ask_share: float | None


class SurveySummaryOut(ApiOut):
    """The surveys after class of the filter's sessions: satisfaction is the mean of 1–5."""

    answers: int
    satisfaction_mean: float | None
    someone_to_ask_share: float | None
    by_course: list[SurveyCourseLine]

    @classmethod
    def of(cls, s: Summary) -> Self:
        return cls(
            answers=s.answers,
            satisfaction_mean=_mean(s.satisfaction_mean),
            someone_to_ask_share=rounded_share(s.someone_to_ask_share),
            by_course=[
                SurveyCourseLine(
                    course=line.key,
                    label=line.label,
                    answers=line.answers,
                    satisfaction_mean=_mean(line.satisfaction.mean),
                    someone_to_ask_share=rounded_share(line.someone_to_ask.yes_share),
                )
                for line in s.by_course
            ],
        )


class CallSummaryOut(ApiOut):
    """The day-before call on the held sessions' registrations (app.reports.call_figures):
    confirmed = last call 参加; not reached = never called, or last call 不在/伝言; a no-show
    here is no present or late attendance."""

    registrations: int
    confirmed: int
    confirmed_share: float | None
    confirmed_no_show_rate: float | None
    not_reached: int
    not_reached_no_show_rate: float | None
    seats_passed_to_waitlist: int

    @classmethod
    def of(cls, c: CallFigures) -> Self:
        return cls(
            registrations=c.registrations,
            confirmed=c.confirmed,
            confirmed_share=rounded_share(c.confirmed_share),
            confirmed_no_show_rate=rounded_share(c.confirmed_no_show_rate),
            not_reached=c.not_reached,
            not_reached_no_show_rate=rounded_share(c.not_reached_no_show_rate),
            seats_passed_to_waitlist=c.seats_passed,
        )


class SummaryOut(ApiOut):
    """The dashboard's figures for the filter."""

    from_: Day = Field(serialization_alias="from")
    to: Day
    fiscal_year: int | None
    filters: dict[str, str]
    sessions_held: int
    sessions_cancelled: int
    sessions_planned: int
    attendances: int
    distinct_learners: int
    new_learners: int
    returning_learners: int
    avg_learners_per_session: float | None
    single_learner_session_share: float | None
    capacity_filled: float | None
    no_show_rate: float | None
    sessions_meeting_staff_rule: int
    learners_in_further_courses: int
    by_month: list[ReportLine]
    by_course: list[ReportLine]
    by_track: list[ReportLine]
    by_delivery_type: list[ReportLine]
    by_partner: list[ReportLine]
    by_venue: list[ReportLine]
    waitlist_by_course: list[WaitlistLine]
    staff_hours: list[StaffHours]
    by_district: list[DistrictLine]
    by_age_band: dict[str, int]
    by_kind: dict[str, int]
    by_device: dict[str, int]
    outcomes: list[CourseOutcome]
    survey: SurveySummaryOut
    calls: CallSummaryOut

    @classmethod
    def of(cls, f: Figures, survey: Summary) -> Self:
        flt = f.filter
        return cls(
            from_=flt.first_day,
            to=flt.last_day,
            fiscal_year=flt.year.year if flt.year else None,
            filters={k: v for k, v in flt.args().items() if k not in ("year", "from", "to")},
            sessions_held=f.sessions.held,
            sessions_cancelled=f.sessions.cancelled,
            sessions_planned=f.sessions.planned,
            attendances=f.attendances,
            distinct_learners=f.distinct_learners,
            new_learners=f.new_learners,
            returning_learners=f.returning_learners,
            avg_learners_per_session=f.avg_learners_per_session,
            single_learner_session_share=rounded_share(f.single_learner_share),
            capacity_filled=rounded_share(f.capacity_filled),
            no_show_rate=rounded_share(f.no_show_rate),
            sessions_meeting_staff_rule=f.rule_met,
            learners_in_further_courses=f.further_course,
            by_month=[ReportLine.of(ln) for ln in f.by_month],
            by_course=[ReportLine.of(ln) for ln in f.by_course],
            by_track=[ReportLine.of(ln) for ln in f.by_track],
            by_delivery_type=[ReportLine.of(ln) for ln in f.by_delivery],
            by_partner=[ReportLine.of(ln) for ln in f.by_partner],
            by_venue=[ReportLine.of(ln) for ln in f.by_venue],
            waitlist_by_course=[
                WaitlistLine(course=ln.key, label=ln.label, waitlisted=ln.count)
                for ln in f.waitlist_by_course
            ],
            staff_hours=[
                StaffHours(
                    organization=h.org_name,
                    instructor_hours=h.instructor_hours,
                    assistant_hours=h.assistant_hours,
                )
                for h in f.staff_hours
            ],
            by_district=[
                DistrictLine(district=ln.district or None, learners=ln.total, by_kind=ln.by_kind)
                for ln in f.by_district
            ],
            by_age_band={ln.key: ln.count for ln in f.by_age_band},
            by_kind={ln.key: ln.count for ln in f.by_kind},
            by_device={(ln.key or "unknown"): ln.count for ln in f.by_device},
            survey=SurveySummaryOut.of(survey),
            calls=CallSummaryOut.of(f.calls),
            outcomes=[
                CourseOutcome(
                    course=o.slug,
                    label=o.title,
                    learners=o.attendees,
                    completed_all_skills=o.completed,
                    skills=[
                        SkillOutcome(key=s.key, label=s.label, reached=s.reached) for s in o.skills
                    ],
                )
                for o in f.outcomes
            ],
        )

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


# ---------------------------------------------------------------- 活動記録


def _fiscal_year(value: Any) -> FiscalYear | None:
    return FiscalYear.parse(str(value)) if value and clean(str(value)) else None


_Year = Annotated[
    FiscalYear | None,
    PlainValidator(_fiscal_year),
    WithJsonSchema({"type": "string", "examples": ["2026", "令和8年度"]}),
]


class YearQuery(ApiQuery):
    """The 年度 of a 活動記録 (2026, 令和8年度 or R8); the current 年度 when not given."""

    invalid = _l("年度を確かめてください。")

    year: _Year = Field(None, description="年度 (April to March); the current one by default")


class ActivityQuery(YearQuery):
    """The 年度 of a printed 活動記録: `year`, or `from`..`to`."""

    from_: _Year = Field(None, alias="from", description="First 年度 of a range")
    to: _Year = Field(None, description="Last 年度 of a range (at most 10 年度)")


class ActivityFigures(ApiOut):
    """Held classes and their hours per role, learners reached (実人数) and attendances (延べ)."""

    instructor_classes: int
    instructor_hours: float
    assistant_classes: int
    assistant_hours: float
    classes: int
    hours: float
    learners: int
    attendances: int

    @classmethod
    def of(cls, a: Activity) -> Self:
        return cls(
            instructor_classes=a.classes[StaffRole.INSTRUCTOR],
            instructor_hours=a.hours(StaffRole.INSTRUCTOR),
            assistant_classes=a.classes[StaffRole.ASSISTANT],
            assistant_hours=a.hours(StaffRole.ASSISTANT),
            classes=a.total_classes,
            hours=a.hours(),
            learners=a.learners,
            attendances=a.attendances,
        )


class ActivityYear(ActivityFigures):
    fiscal_year: int

    @classmethod
    def of_year(cls, line: YearLine) -> Self:
        return cls(fiscal_year=line.year.year, **ActivityFigures.of(line.activity).model_dump())


class ActivityClass(ApiOut):
    session_id: int
    date: Day
    starts_at: Time
    ends_at: Time
    course: str
    venue: str
    partner: str | None
    role: StaffRole
    hours: float
    learners: int

    @classmethod
    def of(cls, c: ClassLine) -> Self:
        return cls(
            session_id=c.session_id,
            date=c.day,
            starts_at=c.starts_at,
            ends_at=c.ends_at,
            course=c.course,
            venue=c.venue,
            partner=c.partner or None,
            role=StaffRole(c.role),
            hours=c.hours,
            learners=c.learners,
        )


class ActivityOut(ApiOut):
    """One instructor's or assistant's 活動記録."""

    user_id: int
    name: str
    organization: str | None
    fiscal_year: int = Field(description="The 年度 whose classes are listed")
    years: list[ActivityYear] = Field(description="Every 年度 taught in, the current first")
    classes: list[ActivityClass]

    @classmethod
    def of(
        cls, person: User, year: FiscalYear, years: list[YearLine], classes: list[ClassLine]
    ) -> Self:
        return cls(
            user_id=person.id,
            name=person.name,
            organization=person.org.name if person.org else None,
            fiscal_year=year.year,
            years=[ActivityYear.of_year(line) for line in years],
            classes=[ActivityClass.of(c) for c in classes],
        )
