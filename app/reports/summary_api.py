"""GET /api/v1/reports/summary: the dashboard's figures as JSON, on the dashboard's filters."""

from __future__ import annotations

from flask import request

from app.api import bp
from app.api.access import api_roles, api_user
from app.api.operations import Reply, operation
from app.reports import figures
from app.reports.filters import ReportQuery, parse_filter
from app.reports.routes import REPORT_ROLES
from app.reports.schemas import SummaryOut
from app.scheduling.models import Session
from app.surveys import results
from app.timeutil import utcnow


@bp.get("/reports/summary")
@operation(
    "The dashboard's figures for the filter",
    {200: Reply("The figures", SummaryOut)},
    (401, 403, 404, 422),
    description="Sessions held/cancelled/planned (by month, course, track, delivery type, "
    "partner, venue), attendances (延べ, present or late at held sessions), distinct learners "
    "(実人数), new and returning learners, average learners per session, no-show rate (excused "
    "is not a no-show), capacity filled, waitlist by course, staff hours, reach by "
    "district/age band/kind/device, skills reached, the surveys after class (answers, mean "
    "satisfaction of 1–5, share with someone to ask when stuck, by course), the day-before "
    "call (share confirmed, no-show rate of confirmed vs not reached, seats passed to the "
    "waitlist). Shares are fractions (0.3 = 30%). Admins, "
    "coordinators and partners (their organization only).",
    query=ReportQuery,
)
@api_roles(*REPORT_ROLES)
def report_summary():
    report = parse_filter(request.args, api_user())
    survey = results.summary(Session.id.in_(report.session_ids()))
    return SummaryOut.of(figures.compute(report, utcnow()), survey).dump()
