"""GET /api/v1/reports/summary: the dashboard's figures as JSON, on the dashboard's filters."""

from __future__ import annotations

from flask import request

from app.api import bp
from app.api.access import api_roles, api_user
from app.reports import figures
from app.reports.filters import parse_filter
from app.reports.routes import REPORT_ROLES
from app.reports.schemas import SummaryOut
from app.timeutil import utcnow


@bp.get("/reports/summary")
@api_roles(*REPORT_ROLES)
def report_summary():
    report = parse_filter(request.args, api_user())
    return SummaryOut.of(figures.compute(report, utcnow())).dump()
