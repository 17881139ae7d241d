"""Reports under /api/v1/reports: the per-session records as CSV or XLSX.

Same query parameters as the dashboard (app.reports.filters.FILTER_PARAMS); a bad one answers
422 in the API's error shape, naming the field; a partner's token sees its organization only.
"""

from __future__ import annotations

from flask import request

from app.api import bp
from app.api.access import api_roles, api_user
from app.api.operations import Reply, operation
from app.reports.export_routes import EXPORT_ROLES, records_download
from app.reports.filters import ReportQuery, parse_filter

_RECORDS = (
    "One row per session held in the filter (completed, or scheduled and over), by start "
    "time: 実施日, 開始, 終了, コース, 講座の種類, 実施形態, 会場, 市区町村, 地区, 協力団体, "
    "受講者数 (present or late), 講師数, アシスタント数, 講師, アシスタント, 1:4基準 (○/×), セッションID. "
    "Admins, coordinators and partners."
)


def _records(what: str, media: str, schema: dict):
    return operation(
        f"The per-session records (講座実施実績) as {what}",
        {200: Reply(f"The records file ({what}), as an attachment", media=media, schema=schema)},
        (401, 403, 404, 422),
        description=_RECORDS,
        query=ReportQuery,
    )


@bp.get("/reports/sessions.csv")
@_records("CSV (UTF-8 with BOM, CRLF)", "text/csv", {"type": "string"})
@api_roles(*EXPORT_ROLES)
def report_sessions_csv():
    return records_download(parse_filter(request.args, api_user()), "csv")


@bp.get("/reports/sessions.xlsx")
@_records(
    "XLSX",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    {"type": "string", "format": "binary"},
)
@api_roles(*EXPORT_ROLES)
def report_sessions_xlsx():
    return records_download(parse_filter(request.args, api_user()), "xlsx")
