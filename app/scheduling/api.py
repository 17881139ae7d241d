"""Sessions and venues as JSON: /api/v1/sessions, /api/v1/venues."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from flask import request, url_for
from flask_babel import gettext as _

from app.api import bp
from app.api.access import api_roles, api_user
from app.auth.access import ALL_STAFF, PLANNERS
from app.errors import ValidationError
from app.extensions import db
from app.inputs import digits_int, json_object, page_number
from app.scheduling import queries, series, sessions
from app.scheduling.models import Session, SessionStatus, Venue
from app.timeutil import OutOfRange, check_day, iso

MAX_PER_PAGE = 200
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def session_json(session: Session) -> dict:
    return {
        "id": session.id,
        "course": session.course_version.course.slug,
        "course_version": session.course_version.version,
        "course_title": session.course_version.title_ja,
        "venue_id": session.venue_id,
        "starts_at": iso(session.starts_at),
        "ends_at": iso(session.ends_at),
        "capacity": session.capacity,
        "delivery_type": session.delivery_type,
        "partner_org": session.partner_org.slug if session.partner_org else None,
        "instructor_ids": [u.id for u in session.instructors],
        "assistant_ids": [u.id for u in session.assistants],
        "public": session.public,
        "notes": session.notes,
        "status": session.status,
        "cancel_reason": session.cancel_reason,
        "series_id": session.series_id,
        "warnings": session.warnings,
        "url": url_for("scheduling.session_detail", session_id=session.id, _external=True),
    }


def venue_json(venue: Venue) -> dict:
    return {
        "id": venue.id,
        "slug": venue.slug,
        "name": venue.name,
        "address": venue.address,
        "district": venue.district,
        "capacity": venue.capacity,
        "setup_buffer_minutes": venue.setup_buffer_minutes,
        "has_wifi": venue.has_wifi,
        "loaner_devices": venue.loaner_devices,
        "step_free": venue.step_free,
        "hearing_loop": venue.hearing_loop,
        "accessibility_notes": venue.accessibility_notes,
    }


def _query_date(name: str, fields: dict[str, str]) -> date | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        if not _ISO_DAY.fullmatch(value):
            raise ValueError(value)  # fromisoformat also takes 20260401 and week dates
        return check_day(date.fromisoformat(value))
    except OutOfRange as exc:
        fields[name] = str(exc)
    except ValueError:
        fields[name] = _("日付は 2026-04-01 の形式で指定してください。")
    return None


def _query_int(name: str, fields: dict[str, str]) -> int | None:
    value = request.args.get(name)
    if value in (None, ""):
        return None
    number = digits_int(value)
    if number is None:
        fields[name] = _("0以上の整数で指定してください。")
    return number


def _query_page(name: str, fields: dict[str, str]) -> int:
    try:
        return page_number(request.args.get(name), name)
    except ValidationError as exc:
        fields.update(exc.fields)
        return 1


@bp.get("/sessions")
@api_roles(*ALL_STAFF)
def list_sessions():
    fields: dict[str, str] = {}
    status = request.args.get("status") or None
    if status and status not in set(SessionStatus):
        fields["status"] = _(
            "状態は %(choices)s のいずれかです。", choices=", ".join(SessionStatus)
        )
    filters = queries.SessionFilters(
        date_from=_query_date("from", fields),
        date_to=_query_date("to", fields),
        course=request.args.get("course") or None,
        venue_id=_query_int("venue_id", fields),
        district=request.args.get("district") or None,
        partner=request.args.get("partner") or None,
        instructor_id=_query_int("instructor_id", fields),
        status=status,
    )
    page = _query_page("page", fields)
    per_page = _query_int("per_page", fields)
    if per_page is None:
        per_page = 50
    elif not 1 <= per_page <= MAX_PER_PAGE:
        fields["per_page"] = _("1から%(max)dまでの整数で指定してください。", max=MAX_PER_PAGE)
    if fields:
        raise ValidationError(_("検索条件を確認してください。"), fields=fields)
    result = queries.list_sessions(api_user(), filters, page=page, per_page=per_page)
    return {
        "items": [session_json(s) for s in result.items],
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
        "pages": result.pages,
    }


@bp.post("/sessions")
@api_roles(*PLANNERS)
def create_session():
    session = sessions.create_session(json_object())
    return session_json(queries.get_session(api_user(), session.id)), 201


@bp.get("/sessions/<int:session_id>")
@api_roles(*ALL_STAFF)
def get_session(session_id: int):
    return session_json(queries.get_session(api_user(), session_id))


@bp.patch("/sessions/<int:session_id>")
@api_roles(*PLANNERS)
def update_session(session_id: int):
    session = queries.get_session(api_user(), session_id)
    body = json_object()
    scope = request.args.get("scope", "this")
    if scope == "following":
        series.update_series_from(session, body)
    elif scope == "this":
        sessions.update_session(session, body)
    else:
        raise ValidationError(
            _("scope は this か following です。"),
            fields={"scope": _("this か following を指定してください。")},
        )
    return session_json(queries.get_session(api_user(), session_id))


@bp.post("/sessions/<int:session_id>/cancel")
@api_roles(*PLANNERS)
def cancel_session(session_id: int):
    session = queries.get_session(api_user(), session_id)
    sessions.cancel_session(session, json_object().get("reason"))
    return session_json(queries.get_session(api_user(), session_id))


@bp.post("/series")
@api_roles(*PLANNERS)
def create_series():
    made = series.create_series(json_object())
    skipped = made[0].series.skipped_dates if made else []
    body = {"items": [session_json(s) for s in made], "total": len(made)}
    return body | {"skipped_dates": skipped}, 201


@bp.get("/venues")
@api_roles(*ALL_STAFF)
def list_venues():
    venues = db.session.scalars(sa.select(Venue).order_by(Venue.district, Venue.name))
    return {"items": [venue_json(v) for v in venues]}
