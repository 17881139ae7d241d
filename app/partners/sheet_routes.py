"""Linking a partner's spreadsheet, the "Sync now" button, and one sync's record.

These live on the organization page (app.partners.routes); each POST comes back to it.
A sync runs within the request: it makes a constant handful of API calls, so it is short.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import roles
from app.errors import Conflict, NotFound, ValidationError
from app.orgs.partner_services import PAGE_ROLES, get_partner_org
from app.partners import bp
from app.partners.routes import render_partner_page
from app.sheets.forms import LinkSheetForm
from app.sheets.runs import get_sync_run
from app.sheets.sync import SyncReport, link_sheet, sync_org


def _back(org_id: int, anchor: str):
    return redirect(url_for("partners.partner_page", org_id=org_id, _anchor=anchor))


@bp.post("/orgs/<int:org_id>/sheet")
@roles(*PAGE_ROLES)
def link(org_id: int):
    org = get_partner_org(current_user, org_id)
    form = LinkSheetForm()
    try:
        linked = link_sheet(org, form.spreadsheet.data or "", current_user)
    except ValidationError as exc:
        form.spreadsheet.errors = [exc.fields.get("spreadsheet", exc.message)]
        return render_partner_page(org, link_form=form, status=422)
    flash(
        _(
            "スプレッドシート(キー %(key)s)をつなぎました。「今すぐ同期」で講座と名簿を書き出します。",
            key=linked.spreadsheet_key,
        ),
        "success",
    )
    return _back(org.id, "sheet")


def _outcome_message(report: SyncReport) -> tuple[str, str]:
    if report.outcome != "ok":
        return _("同期できませんでした。%(error)s", error=report.error or ""), "error"
    message = _(
        "同期しました。書き出した行 %(pushed)d、取り込んだ申込 %(imported)d、取り込めなかった申込 %(refused)d。",
        pushed=report.rows_pushed,
        imported=report.rows_imported,
        refused=len(report.refusals),
    )
    return message, ("warning" if report.refusals else "success")


@bp.post("/orgs/<int:org_id>/sync")
@roles(*PAGE_ROLES)
def sync_now(org_id: int):
    org = get_partner_org(current_user, org_id)
    try:
        report = sync_org(org, actor=current_user, trigger="button")
    except (Conflict, NotFound) as exc:  # a sync already running; no sheet linked yet
        flash(exc.message, "error")
        return _back(org.id, "sheet")
    flash(*_outcome_message(report))
    return _back(org.id, "sync-log")


@bp.get("/orgs/<int:org_id>/sync-runs/<int:run_id>")
@roles(*PAGE_ROLES)
def sync_run(org_id: int, run_id: int):
    org = get_partner_org(current_user, org_id)
    run = get_sync_run(org, run_id)
    return render_template("partners/sync_run.html", org=org, run=run)
