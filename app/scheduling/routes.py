"""Session, series and venue pages. Thin: read the request, call a service, render."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import ALL_STAFF, PLANNERS, is_planner, roles
from app.auth.models import Role
from app.errors import Conflict, NotFound, ServiceError, ValidationError
from app.extensions import db
from app.inputs import page_or_first
from app.labels import WEEKDAY
from app.scheduling import bp, signals, venues
from app.scheduling.forms import (
    CancelForm,
    SeriesForm,
    SessionEditForm,
    SessionFilterForm,
    SessionForm,
    VenueForm,
    int_or_none,
    parse_local_date,
)
from app.scheduling.models import Series, Session, SessionStatus
from app.scheduling.plans import read_plan
from app.scheduling.queries import (
    SessionFilters,
    get_session,
    list_sessions,
    series_sessions,
    sessions_between,
    staff_sessions,
)
from app.scheduling.series import create_series, update_series_from
from app.scheduling.sessions import cancel_session, create_session, update_session
from app.signals import merged
from app.templating import format_date
from app.text import clean
from app.timeutil import from_local, japan_today, local, local_day_bounds, parse_iso

OVERLAP_CODES = ("venue_conflict", "instructor_conflict")
PAST_SESSIONS_SHOWN = 30
VENUE_UPCOMING_SHOWN = 50


def _per_page() -> int:
    return current_app.config.get("SESSIONS_PER_PAGE", 50)


# ---------------------------------------------------------------- lists


def _read_filters() -> tuple[SessionFilterForm, SessionFilters]:
    form = SessionFilterForm(formdata=request.args)
    form.load_choices(planner=is_planner(current_user), org_id=current_user.org_id)
    form.validate()
    filters = form.filters()
    return form, filters


def _kept_args(*drop: str) -> dict[str, str]:
    """The query string without the given keys, for links that change only those."""
    return {k: v for k, v in request.args.items() if v and k not in drop}


def _default_period(form: SessionFilterForm, filters: SessionFilters) -> str | None:
    """Which part of the schedule the list opens on when no date is asked for.

    From today (Japan's) by default: a coordinator comes to the list for the classes ahead,
    not for the first of the 年度. `past=1` (the 「過去の講座」 link) lists the classes
    before today, newest first. The days chosen are put in the date boxes, so the form says
    what the list shows. Returns "upcoming", "past" or None (dates were given).
    """
    past = request.args.get("past") == "1"
    if past:
        filters.newest_first = True
        if filters.date_to is None and not form.date_to.errors:
            filters.date_to = form.date_to.data = japan_today() - timedelta(days=1)
        return "past"
    if request.args.get("from") or request.args.get("to"):
        return None
    filters.date_from = form.date_from.data = japan_today()
    return "upcoming"


@bp.get("/sessions")
@roles(*ALL_STAFF)
def session_list():
    form, filters = _read_filters()
    period = _default_period(form, filters)
    page = page_or_first(clean(request.args.get("page")))
    result = list_sessions(current_user, filters, page=page, per_page=_per_page())
    return render_template(
        "scheduling/session_list.html",
        form=form,
        result=result,
        period=period,
        today_noon=_noon(japan_today()),
        # The other period, with the same filters but no dates (they are the period's).
        other_period_args=_kept_args("page", "past", "from", "to"),
        pager_args=_kept_args("page"),
        filtered=bool(_kept_args("page", "past")),
    )


def _noon(day: date):
    # The date filters take moments; noon in Japan names the day without a time-zone slip.
    return from_local(day, time(12, 0))


def _monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


@bp.get("/sessions/week")
@roles(*ALL_STAFF)
def week():
    form, filters = _read_filters()
    # The week shows whole days; a date range in the filters would only hide part of it.
    filters.date_from = filters.date_to = None
    chosen = parse_local_date(request.args.get("week")) or japan_today()
    monday = _monday_of(chosen)
    days = [monday + timedelta(days=i) for i in range(7)]
    start, end = local_day_bounds(monday)[0], local_day_bounds(days[-1])[1]
    by_day: dict[date, list[Session]] = {d: [] for d in days}
    for session in sessions_between(current_user, start, end, filters):
        by_day[local(session.starts_at).date()].append(session)
    columns = [{"day": d, "noon": _noon(d), "sessions": by_day[d]} for d in days]
    args = _kept_args("week", "page", "from", "to")
    return render_template(
        "scheduling/week.html",
        form=form,
        columns=columns,
        today=japan_today(),
        args=args,
        prev_week=(monday - timedelta(days=7)).isoformat(),
        next_week=(monday + timedelta(days=7)).isoformat(),
        this_week=_monday_of(japan_today()).isoformat(),
    )


@bp.get("/my/sessions")
@roles(Role.INSTRUCTOR)
def my_sessions():
    upcoming = staff_sessions(current_user, upcoming=True)
    today = [
        s
        for s in upcoming
        if local(s.starts_at).date() == japan_today() and s.status != SessionStatus.CANCELLED
    ]
    return render_template(
        "scheduling/my_sessions.html",
        today=today,
        upcoming=[s for s in upcoming if s not in today],
        past=staff_sessions(current_user, upcoming=False, limit=PAST_SESSIONS_SHOWN),
        past_limit=PAST_SESSIONS_SHOWN,
    )


# ---------------------------------------------------------------- one session


@bp.get("/sessions/<int:session_id>")
@roles(*ALL_STAFF)
def session_detail(session_id: int):
    session = get_session(current_user, session_id)
    siblings = series_sessions(current_user, session.series_id) if session.series_id else []
    beside = merged(signals.session_page_shown, session, user=current_user)
    return render_template(
        "scheduling/session_detail.html",
        s=session,
        siblings=siblings,
        planner=is_planner(current_user),
        **beside,
    )


def _conflict_view(exc: Conflict, raw: dict[str, Any]) -> dict[str, Any]:
    """What a page needs to explain a double booking: the message and links to the others."""
    overlap = exc.code in OVERLAP_CODES
    # Other refusals (a session cancelled meanwhile) name the session being edited, not another.
    other_id = exc.extra.get("session_id") if overlap else None
    repeated = False
    if other_id and exc.code == "venue_conflict":
        other = db.session.get(Session, other_id)
        # The same class again at the same place and time is almost always a second click.
        repeated = (
            other is not None
            and raw.get("starts_at") == other.starts_at
            and raw.get("ends_at") == other.ends_at
            and str(raw.get("venue_id")) == str(other.venue_id)
            and raw.get("course") == other.course_version.course.slug
        )
    return {
        "code": exc.code,
        "message": exc.message,
        "session_id": other_id,
        "repeated": repeated,
        "conflicts": [
            {**item, "starts_at": parse_iso(item["starts_at"]) if item.get("starts_at") else None}
            for item in exc.extra.get("conflicts") or []
        ],
    }


def _submit(form, raw: dict[str, Any], save: Callable[[dict[str, Any]], Any], check=None):
    """Save through the service; on refusal put every reason on the form and return None.

    When the form itself could not read a date or time, `check` (a service's read-only
    validation) still runs so that the other fields' errors show in the same round.
    """
    state: dict[str, Any] = {"general": [], "conflict": None}
    try:
        if form.errors:
            if check is not None:
                check(raw)
            return None, state
        return save(raw), state
    except ValidationError as exc:
        state["general"] = form.show_service_errors(exc.fields)
        if not exc.fields:
            state["general"].append(exc.message)
    except Conflict as exc:
        state["conflict"] = _conflict_view(exc, raw)
    return None, state


def _session_form_page(form, state, *, session: Session | None = None, title: str):
    return render_template(
        "scheduling/session_form.html",
        form=form,
        s=session,
        title=title,
        general_errors=state["general"],
        conflict=state["conflict"],
    )


@bp.route("/sessions/new", methods=["GET", "POST"])
@roles(*PLANNERS)
def session_new():
    form = SessionForm()
    form.load_choices()
    state: dict[str, Any] = {"general": [], "conflict": None}
    if form.is_submitted():
        form.validate()
        raw = form.session_raw()
        saved, state = _submit(form, raw, create_session, check=read_plan)
        if saved is not None:
            flash(_("講座を登録しました。"), "success")
            return redirect(url_for("scheduling.session_detail", session_id=saved.id))
    else:
        _prefill_new(form)
    return _session_form_page(form, state, title=_("講座を登録"))


def _prefill_new(form: SessionForm) -> None:
    """Links from the week view or a venue page carry the day and venue to start from."""
    form.day.data = parse_local_date(request.args.get("day"))
    venue_id = int_or_none(request.args.get("venue_id"))
    if venue_id:
        form.venue_id.data = str(venue_id)


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@roles(*PLANNERS)
def session_edit(session_id: int):
    session = get_session(current_user, session_id)
    if session.is_cancelled:
        flash(_("中止した講座は変更できません。"), "error")
        return redirect(url_for("scheduling.session_detail", session_id=session.id))
    form = SessionEditForm()
    form.load_choices(keep_staff=[s.user_id for s in session.staff])
    if session.series_id is None:
        del form.scope
    state: dict[str, Any] = {"general": [], "conflict": None}
    if form.is_submitted():
        form.validate()
        raw = form.session_raw()
        following = "scope" in form and form.scope.data == "following"
        save = update_series_from if following else update_session
        saved, state = _submit(
            form,
            raw,
            lambda raw: save(session, raw),
            check=lambda raw: read_plan(raw, base=session),
        )
        if saved is not None:
            if isinstance(saved, list) and len(saved) > 1:
                flash(_("この回以降の%(n)d回の講座を変更しました。", n=len(saved)), "success")
            else:
                flash(_("講座を変更しました。"), "success")
            return redirect(url_for("scheduling.session_detail", session_id=session.id))
    else:
        form.fill_from(session)
    return _session_form_page(form, state, session=session, title=_("講座を変更"))


@bp.route("/sessions/<int:session_id>/cancel", methods=["GET", "POST"])
@roles(*PLANNERS)
def session_cancel(session_id: int):
    session = get_session(current_user, session_id)
    if session.status != SessionStatus.SCHEDULED:
        flash(_("予定の講座だけを中止できます。"), "error")
        return redirect(url_for("scheduling.session_detail", session_id=session.id))
    form = CancelForm()
    general: list[str] = []
    if form.validate_on_submit():
        try:
            cancel_session(session, form.reason.data)
        except ServiceError as exc:
            general = form.show_service_errors(exc.fields) if exc.fields else [exc.message]
        else:
            flash(_("講座を中止にしました。"), "success")
            return redirect(url_for("scheduling.session_detail", session_id=session.id))
    return render_template("scheduling/cancel.html", form=form, s=session, general_errors=general)


# ---------------------------------------------------------------- series


@bp.route("/series/new", methods=["GET", "POST"])
@roles(*PLANNERS)
def series_new():
    form = SeriesForm()
    form.load_choices()
    state: dict[str, Any] = {"general": [], "conflict": None}
    if form.is_submitted():
        form.validate()
        raw = form.series_raw()
        saved, state = _submit(form, raw, create_series, check=_check_series)
        if saved:
            flash(_("%(n)d回の講座を登録しました。", n=len(saved)), "success")
            skipped = saved[0].series.skipped_dates
            if skipped:
                days = "、".join(format_date(_noon(date.fromisoformat(d))) for d in skipped)
                flash(_("休館日のため、次の日は登録していません: %(days)s", days=days), "warning")
            return redirect(url_for("scheduling.series_detail", series_id=saved[0].series_id))
    else:
        _prefill_new(form)
    return render_template(
        "scheduling/series_form.html",
        form=form,
        general_errors=state["general"],
        conflict=state["conflict"],
    )


def _check_series(raw: dict[str, Any]) -> None:
    # There is no read-only check of a whole series, but create_series validates everything
    # before writing, and a start or end it does not get is an error it always refuses on.
    if raw.get("starts_at") is None or raw.get("ends_at") is None:
        create_series(raw)


@bp.get("/series/<int:series_id>")
@roles(*ALL_STAFF)
def series_detail(series_id: int):
    sessions = series_sessions(current_user, series_id)
    series = db.session.get(Series, series_id)
    if series is None or not sessions:
        raise NotFound(_("シリーズ(ID %(id)s)は見つかりません。", id=series_id))
    return render_template(
        "scheduling/series_detail.html",
        series=series,
        sessions=sessions,
        weekdays="・".join(str(WEEKDAY[d]) for d in series.weekdays),
        first_at=_noon(series.first_date),
        until_at=_noon(series.until) if series.until else None,
    )


# ---------------------------------------------------------------- venues


@bp.get("/venues")
@roles(*PLANNERS)
def venue_list():
    return render_template("scheduling/venue_list.html", venues=venues.list_venues())


@bp.get("/venues/<int:venue_id>")
@roles(*PLANNERS)
def venue_detail(venue_id: int):
    venue = venues.get_venue(venue_id)
    upcoming = list_sessions(
        current_user,
        SessionFilters(venue_id=venue.id, date_from=japan_today()),
        per_page=VENUE_UPCOMING_SHOWN,
    )
    return render_template(
        "scheduling/venue_detail.html", venue=venue, upcoming=upcoming, today=japan_today()
    )


def _venue_form_page(form: VenueForm, venue, related_session_id=None, general=()):
    return render_template(
        "scheduling/venue_form.html",
        form=form,
        venue=venue,
        related_session_id=related_session_id,
        general_errors=list(general),
        known_districts=venues.districts(),
    )


def _save_venue(form: VenueForm, save: Callable[[dict[str, Any]], Any]):
    try:
        return save(form.venue_raw()), None, []
    except ValidationError as exc:
        return None, exc.extra.get("session_id"), form.show_service_errors(exc.fields)


@bp.route("/venues/new", methods=["GET", "POST"])
@roles(*PLANNERS)
def venue_new():
    form = VenueForm()
    if form.validate_on_submit():
        saved, related, general = _save_venue(form, venues.create_venue)
        if saved is not None:
            flash(_("会場「%(name)s」を登録しました。", name=saved.name), "success")
            return redirect(url_for("scheduling.venue_detail", venue_id=saved.id))
        return _venue_form_page(form, None, related, general)
    return _venue_form_page(form, None)


@bp.route("/venues/<int:venue_id>/edit", methods=["GET", "POST"])
@roles(*PLANNERS)
def venue_edit(venue_id: int):
    venue = venues.get_venue(venue_id)
    form = VenueForm(obj=venue if request.method == "GET" else None)
    if form.validate_on_submit():
        saved, related, general = _save_venue(form, lambda raw: venues.update_venue(venue, raw))
        if saved is not None:
            flash(_("会場「%(name)s」を変更しました。", name=saved.name), "success")
            return redirect(url_for("scheduling.venue_detail", venue_id=saved.id))
        return _venue_form_page(form, venues.get_venue(venue_id), related, general)
    return _venue_form_page(form, venue)
