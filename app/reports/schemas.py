"""What the API writes about the figures: GET /api/v1/reports/summary (app.schemas).

Shares are fractions (0.3 = 30%), rounded to 4 places.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import Field

from app.reports.figure_tables import rounded_share
from app.reports.figures import Figures, SessionLine
from app.schemas import ApiOut, Day


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

    @classmethod
    def of(cls, f: Figures) -> Self:
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
