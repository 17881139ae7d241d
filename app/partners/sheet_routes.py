"""Linking a partner's spreadsheet, the "Sync now" button, and one sync's record.

These live on the organization page (app.partners.routes); each POST comes back to it.
A sync talks to Google, so the button only queues it (app/sheets/jobs.py): a worker runs it,
and the page follows the job through sync_job_status until it is done.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import roles
from app.errors import NotFound, ValidationError
from app.orgs.partner_services import PAGE_ROLES, get_partner_org
from app.partners import bp
from app.partners.routes import render_partner_page
from app.sheets.forms import LinkSheetForm
from app.sheets.jobs import job_message, queue_sync, sync_job
from app.sheets.runs import get_sync_run
from app.sheets.sync import link_sheet


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


@bp.post("/orgs/<int:org_id>/sync")
@roles(*PAGE_ROLES)
def sync_now(org_id: int):
    org = get_partner_org(current_user, org_id)
    try:
        job = queue_sync(org, trigger="button", actor_id=current_user.id)
    except NotFound as exc:  # no sheet linked yet
        flash(exc.message, "error")
        return _back(org.id, "sheet")
    flash(job_message(job)["text"], "success")
    return redirect(
        url_for("partners.partner_page", org_id=org.id, sync_job=job.id, _anchor="sheet")
    )


@bp.get("/orgs/<int:org_id>/sync-jobs/<int:job_id>")
@roles(*PAGE_ROLES)
def sync_job_status(org_id: int, job_id: int):
    """What the page shows while a queued sync waits and runs, and what it did."""
    org = get_partner_org(current_user, org_id)
    job = sync_job(org, job_id)
    return (
        {
            "id": job.id,
            "state": job.state,
            "pending": job.pending,
            **job_message(job),
            "run_url": (
                url_for("partners.sync_run", org_id=org.id, run_id=job.result["run_id"])
                if job.result and job.result.get("run_id")
                else None
            ),
        },
        200,
        {"Cache-Control": "no-store"},
    )


@bp.get("/orgs/<int:org_id>/sync-runs/<int:run_id>")
@roles(*PAGE_ROLES)
def sync_run(org_id: int, run_id: int):
    org = get_partner_org(current_user, org_id)
    run = get_sync_run(org, run_id)
    return render_template("partners/sync_run.html", org=org, run=run)
