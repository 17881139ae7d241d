"""/healthz for the load balancer and the monitoring, and the admins' list of jobs."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.auth.access import public, roles
from app.auth.models import Role
from app.jobs import bp
from app.jobs.health import health
from app.jobs.queue import overview, retry_failed


@bp.get("/healthz")
@public
def healthz():
    answer, ok = health(web_only=request.args.get("check") == "web")
    return answer, (200 if ok else 503), {"Cache-Control": "no-store"}


@bp.get("/admin/jobs")
@roles(Role.ADMIN)
def job_list():
    return render_template("jobs/list.html", jobs=overview())


@bp.post("/admin/jobs/<int:job_id>/retry")
@roles(Role.ADMIN)
def retry(job_id: int):
    job = retry_failed(job_id)
    flash(_("処理 %(id)s をもう一度キューに入れました。", id=job.id), "success")
    return redirect(url_for("jobs.job_list"))
