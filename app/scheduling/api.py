"""Sessions and venues as JSON: /api/v1/sessions, /api/v1/series, /api/v1/venues."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import request

from app.api import bp
from app.api.access import api_roles, api_user
from app.api.operations import Reply, operation
from app.auth.access import ALL_STAFF, PLANNERS
from app.auth.models import Role
from app.extensions import db
from app.inputs import json_object
from app.scheduling import queries, series, sessions
from app.scheduling.models import Venue
from app.scheduling.schemas import (
    CancelIn,
    ScopeQuery,
    SeriesIn,
    SeriesOut,
    SessionIn,
    SessionOut,
    SessionPage,
    SessionQuery,
    VenueList,
)


def _session(session_id: int) -> dict:
    return SessionOut.model_validate(queries.get_session(api_user(), session_id)).dump()


@bp.get("/sessions")
@operation(
    "Sessions visible to the token's user, filtered and paged",
    {200: Reply("A page of sessions", SessionPage)},
    (401, 422),
    query=SessionQuery,
)
@api_roles(*ALL_STAFF)
def list_sessions():
    wanted = SessionQuery.read_args(request.args)
    result = queries.list_sessions(
        api_user(),
        queries.SessionFilters(**wanted.filters()),
        page=wanted.page,
        per_page=wanted.per_page,
    )
    return SessionPage(
        items=[SessionOut.model_validate(s) for s in result.items],
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        pages=result.pages,
    ).dump()


@bp.post("/sessions")
@operation(
    "Plan a session (coordinators and admins)",
    {201: Reply("The new session", SessionOut)},
    (401, 403, 409, 422),
    body=SessionIn,
)
@api_roles(*PLANNERS)
def create_session():
    session = sessions.create_session(json_object())
    return _session(session.id), 201


@bp.get("/sessions/<int:session_id>")
@operation("One session", {200: Reply("The session", SessionOut)}, (401, 404))
@api_roles(*ALL_STAFF)
def get_session(session_id: int):
    return _session(session_id)


@bp.patch("/sessions/<int:session_id>")
@operation(
    "Change a session; with scope=following, also every later one of its series",
    {200: Reply("The changed session", SessionOut)},
    (401, 403, 404, 409, 422),
    body=SessionIn,
    query=ScopeQuery,
)
@api_roles(*PLANNERS)
def update_session(session_id: int):
    session = queries.get_session(api_user(), session_id)
    body = json_object()
    if ScopeQuery.read_args(request.args).scope == "following":
        series.update_series_from(session, body)
    else:
        sessions.update_session(session, body)
    return _session(session_id)


@bp.post("/sessions/<int:session_id>/cancel")
@operation(
    "Cancel a session; it stays visible with its reason",
    {200: Reply("The cancelled session", SessionOut)},
    (401, 403, 404, 409, 422),
    body=CancelIn,
)
@api_roles(*PLANNERS)
def cancel_session(session_id: int):
    session = queries.get_session(api_user(), session_id)
    sessions.cancel_session(session, json_object().get("reason"))
    return _session(session_id)


@bp.post("/series")
@operation(
    "Plan a weekly series of sessions, all or none",
    {201: Reply("The sessions made", SeriesOut)},
    (401, 403, 409, 422),
    body=SeriesIn,
)
@api_roles(*PLANNERS)
def create_series():
    made = series.create_series(json_object())
    # create_series makes one session at least (or refuses), all of one series.
    made_by = made[0].series
    assert made_by is not None
    return SeriesOut(
        items=[SessionOut.model_validate(s) for s in made],
        total=len(made),
        skipped_dates=[date.fromisoformat(day) for day in made_by.skipped_dates],
    ).dump(), 201


@bp.get("/venues")
@operation(
    "The city's venues, and a partner's own places (to its own users)",
    {200: Reply("Venues", VenueList)},
    (401,),
)
@api_roles(*ALL_STAFF)
def list_venues():
    query = sa.select(Venue).order_by(Venue.district, Venue.name)
    user = api_user()
    if user.role == Role.PARTNER:
        # A partner's shop or hall added for its proposals is not another partner's to list.
        query = query.where(sa.or_(Venue.org_id.is_(None), Venue.org_id == user.org_id))
    return VenueList.model_validate({"items": list(db.session.scalars(query))}).dump()
