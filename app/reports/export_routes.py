"""Downloads of the per-session records (講座実施実績) from the report pages, as CSV or XLSX.

The filter is the dashboard's (same query parameters), so the file holds exactly the sessions
the dashboard counts as held. A partner's filter is pinned to their own organization.
"""

from __future__ import annotations

from flask import Response, request
from flask_login import current_user

from app.auth.access import is_planner, roles
from app.auth.models import Role
from app.errors import ValidationError
from app.reports import bp
from app.reports.filters import PARAM_LABELS, ReportFilter, parse_filter
from app.reports.records import EXPORT_KIND, records_table
from app.reports.survey_view import SurveyView
from app.tabular import file_chunks, file_response, xlsx_chunks

EXPORT_ROLES = (Role.ADMIN, Role.COORDINATOR, Role.PARTNER)


def records_download(report: ReportFilter, extension: str) -> Response:
    """The records file for a filter; shared by the pages and the API."""
    chunks = file_chunks(records_table(report), extension)
    return file_response(chunks, report.filename(EXPORT_KIND, extension))


def _bad_filter(exc: ValidationError) -> Response:
    lines = [exc.message]
    for name, why in exc.fields.items():
        lines.append(f"{PARAM_LABELS.get(name, name)} ({name}): {why}")
    return Response(
        "\n".join(lines) + "\n",
        status=422,
        mimetype="text/plain",
        headers={"Cache-Control": "no-store"},
    )


def _page_download(extension: str) -> Response:
    try:
        report = parse_filter(request.args, current_user)
    except ValidationError as exc:
        return _bad_filter(exc)
    return records_download(report, extension)


@bp.get("/sessions.csv")
@roles(*EXPORT_ROLES)
def sessions_csv():
    return _page_download("csv")


@bp.get("/sessions.xlsx")
@roles(*EXPORT_ROLES)
def sessions_xlsx():
    return _page_download("xlsx")


@bp.get("/surveys.<any(csv, xlsx):extension>")
@roles(*EXPORT_ROLES)
def survey_download(extension: str):
    """The dashboard's アンケート view as a file: one table (CSV) or a sheet per section."""
    try:
        report = parse_filter(request.args, current_user)
    except ValidationError as exc:
        return _bad_filter(exc)
    view = SurveyView.of(report, is_planner(current_user))
    if extension == "xlsx":
        chunks = xlsx_chunks(*view.xlsx_tables())
    else:
        chunks = file_chunks(view.csv_table(), extension)
    return file_response(chunks, report.filename("surveys", extension))
