"""The follow-up call lists: a page per list and its CSV / XLSX download (coordinators only).

Thin: read the filter, ask app.reports.followup, render or stream. Every download is written
to the audit log before the first byte leaves.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.auth.access import PLANNERS, roles
from app.errors import ValidationError
from app.reports import bp, followup
from app.reports.filters import FILTER_PARAMS, PARAM_LABELS, ReportFilter, parse_filter
from app.tabular import Cell, Table, file_chunks, file_response
from app.timeutil import local, utcnow

LIST_TITLES = {
    followup.NEVER: _l("申し込んだが一度も来ていない人"),
    followup.ABSENT_TWICE: _l("2回続けて欠席した人"),
}
# The filter's parameters, as the person sees them in a refusal.
FIELD_LABELS = {"list": _l("一覧"), **PARAM_LABELS}
DASHBOARD_ENDPOINT = "reports.dashboard"


def _list_name() -> str:
    name = (request.args.get("list") or followup.NEVER).strip()
    if name not in followup.LISTS:
        raise ValidationError(
            _("一覧の種類が正しくありません。"),
            fields={"list": _("never か absent_twice を指定してください。")},
        )
    return name


def _read_request() -> tuple[str, ReportFilter]:
    """The list asked for and its filter; every bad parameter is named at once."""
    errors: dict[str, str] = {}
    list_name = followup.NEVER
    try:
        list_name = _list_name()
    except ValidationError as exc:
        errors.update(exc.fields)
    try:
        report = parse_filter(request.args, current_user)
    except ValidationError as exc:
        errors.update(exc.fields)
        raise ValidationError(exc.message, fields=errors) from exc
    if errors:
        raise ValidationError(_("絞り込みの条件を確かめてください。"), fields=errors)
    return list_name, report


def _dashboard_url(report: ReportFilter | None) -> str:
    values: dict[str, Any] = report.args() if report else {}
    return url_for(DASHBOARD_ENDPOINT, **values)


def _asked() -> dict[str, str]:
    """What the request said, to fill the filter form back in."""
    return {name: request.args.get(name, "") for name in (*FILTER_PARAMS, "list")}


def tel_uri(phone: str) -> str:
    """A number as a tel: link wants it: digits (and a leading +) only."""
    return "".join(ch for ch in phone if ch.isdigit() or ch == "+")


def _page(status: int = 200, **context):
    return render_template(
        "reports/follow_up.html",
        list_titles=LIST_TITLES,
        asked=_asked(),
        tel=tel_uri,
        **context,
    ), status


def _refused(exc: ValidationError):
    """The page again with what to fix, named by field, in place of the list."""
    asked = _asked()
    return _page(
        422,
        error=exc,
        errors=[(FIELD_LABELS.get(name, name), why) for name, why in exc.fields.items()],
        list_name=asked["list"] if asked["list"] in followup.LISTS else followup.NEVER,
        # The tabs keep what was typed, so that switching list does not lose it.
        carried={k: v for k, v in asked.items() if v and k != "list"},
        report=None,
        dashboard_url=_dashboard_url(None),
    )


@bp.get("/follow-up")
@roles(*PLANNERS)
def follow_up():
    try:
        list_name, report = _read_request()
    except ValidationError as exc:
        return _refused(exc)
    now = utcnow()
    return _page(
        error=None,
        errors=[],
        list_name=list_name,
        report=report,
        counts=followup.followup_counts(report, now),
        rows=followup.call_list(list_name, report, now),
        dashboard_url=_dashboard_url(report),
    )


def _header() -> list[str]:
    return [
        _("受講者番号"),
        _("お名前"),
        _("ふりがな"),
        _("電話番号"),
        _("電話番号2"),
        _("地区"),
        _("最後に申し込んだ講座の日"),
        _("開始"),
        _("講座"),
    ]


WIDTHS: Sequence[float | None] = (8, 16, 20, 14, 14, 10, 12, 6, 30)


def _cells(rows: Iterator[followup.FollowUpRow]) -> Iterator[list[Cell]]:
    for row in rows:
        starts = local(row.last_session_at)
        yield [
            row.learner_id,
            row.name,
            row.furigana,
            row.phone,
            row.phone2,
            row.district,
            starts.date(),
            starts.strftime("%H:%M"),
            row.last_course,
        ]


@bp.get("/follow-up.<any(csv, xlsx):fmt>")
@roles(*PLANNERS)
def follow_up_download(fmt: str):
    try:
        list_name, report = _read_request()
    except ValidationError as exc:
        return _refused(exc)
    now = utcnow()
    # Recorded before streaming: a download cut short has still left the building.
    count = followup.count_call_list(list_name, report, now)
    followup.record_export(current_user, report, list_name, fmt, count)
    rows = _cells(followup.stream_call_list(list_name, report, now))
    table = Table(str(LIST_TITLES[list_name]), _header(), rows, widths=WIDTHS)
    filename = report.filename(f"follow-up-{list_name.replace('_', '-')}", fmt)
    return file_response(file_chunks(table, fmt), filename)
