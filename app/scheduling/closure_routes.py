"""Closed-day pages: import .ics closures for one venue or all, see them and the sessions
that fall on them. Thin: read the upload, call app.scheduling.closures, render."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField

from app.auth.access import PLANNERS, roles
from app.errors import ValidationError
from app.scheduling import bp, closure_files, closures, venues
from app.scheduling.forms import add_error, int_or_none
from app.scheduling.models import Closure, Venue

VENUE_CLOSURES_SHOWN = 10
DATES_SHOWN_PER_EVENT = 6


class ClosureUploadForm(FlaskForm):
    # The field is drawn by the upload_form macro (closure_parts.html), which the venue
    # page uses too without a form object.
    file = FileField(
        _l("iCalendar ファイル(.ics)"),
        [FileRequired(_l("取り込む .ics ファイルを選んでください。"))],
    )


class ClosureRemoveForm(FlaskForm):
    uid = HiddenField()
    venue_id = HiddenField()


@bp.app_template_global()
def venue_closures(venue: Venue, limit: int = VENUE_CLOSURES_SHOWN) -> list[Closure]:
    """The next closures of a venue (its own and every venue's), for the venue page."""
    return closures.list_closures(venue=venue, limit=limit)


@bp.app_template_filter("closure_when")
def closure_when(closure: Closure) -> str:
    return closures.describe_when(closure)


@bp.get("/closures")
@roles(*PLANNERS)
def closure_list():
    upcoming = closures.list_closures()
    return render_template(
        "scheduling/closure_list.html",
        form=ClosureUploadForm(),
        events=closures.group_by_event(upcoming),
        affected=closures.sessions_on_closed_days(),
        dates_shown=DATES_SHOWN_PER_EVENT,
    )


def _import(venue: Venue | None):
    form = ClosureUploadForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(closure_files.MAX_FILE_BYTES + 1)
        try:
            report = closures.import_closures(data, venue=venue, source=upload.filename or "")
        except ValidationError as exc:
            add_error(form.file, exc.message)
    return render_template(
        "scheduling/closure_import.html", form=form, venue=venue, report=report
    ), (200 if report else 422)


@bp.post("/closures")
@roles(*PLANNERS)
def closure_import():
    return _import(venue=None)


@bp.post("/venues/<int:venue_id>/closures")
@roles(*PLANNERS)
def venue_closure_import(venue_id: int):
    return _import(venue=venues.get_venue(venue_id))


@bp.post("/closures/remove")
@roles(*PLANNERS)
def closure_remove():
    form = ClosureRemoveForm()
    if form.validate_on_submit() and form.uid.data:
        venue_id = int_or_none(form.venue_id.data)
        venue = venues.get_venue(venue_id) if venue_id else None
        removed = closures.delete_closures(form.uid.data, venue)
        flash(_("休館の予定を削除しました(%(n)d件)。", n=removed), "success")
    else:
        flash(_("削除する休館の予定が指定されていません。"), "error")
    return redirect(url_for("scheduling.closure_list"))
