"""Reports under /api/v1/reports: the per-session records as CSV or XLSX.

Same query parameters as the dashboard (app.reports.filters.FILTER_PARAMS); a bad one answers
422 in the API's error shape, naming the field; a partner's token sees its organization only.
"""

from __future__ import annotations

from flask import request

from app.api import bp
from app.api.access import api_roles, api_user
from app.reports.export_routes import EXPORT_ROLES, records_download
from app.reports.filters import parse_filter


@bp.get("/reports/sessions.csv")
@api_roles(*EXPORT_ROLES)
def report_sessions_csv():
    return records_download(parse_filter(request.args, api_user()), "csv")


@bp.get("/reports/sessions.xlsx")
@api_roles(*EXPORT_ROLES)
def report_sessions_xlsx():
    return records_download(parse_filter(request.args, api_user()), "xlsx")
