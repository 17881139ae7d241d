"""Registrations as JSON: /api/v1/sessions/{id}/registrations, /api/v1/registrations/{id}."""

from __future__ import annotations

from app.api import bp
from app.api.access import api_roles, api_user
from app.api.operations import Reply, operation
from app.auth.access import ALL_STAFF, PLANNERS
from app.auth.models import User
from app.inputs import json_object
from app.people import learners, registration
from app.people.models import Registration, RegistrationStatus
from app.people.privacy import (
    ROSTER_READERS,
    may_see_phone,
    record_download,
    require_roster_rights,
)
from app.people.registration_routes import registrations_of, waitlist_position
from app.people.schemas import (
    CancelledRegistration,
    ListedRegistration,
    RegistrationIn,
    RegistrationList,
    RegistrationOut,
)
from app.scheduling.queries import get_session


def _listed(user: User, reg: Registration, position: int | None = None) -> ListedRegistration:
    listed = ListedRegistration.model_validate(reg)
    listed.position = position
    # Staff of a partner organization get phones only with the learner's consent.
    if not may_see_phone(user, reg.learner):
        listed.learner.phone = None
    return listed


@bp.get("/sessions/<int:session_id>/registrations")
@operation(
    "Who is registered and who waits, in order (phones per sharing consent)",
    {200: Reply("The registrations", RegistrationList)},
    (401, 403, 404),
    description=ROSTER_READERS,
)
@api_roles(*ALL_STAFF)
def list_session_registrations(session_id: int):
    user = api_user()
    session = get_session(user, session_id)
    require_roster_rights(user, session)
    listed = registrations_of(session)
    items = [_listed(user, reg) for reg in listed.registered] + [
        _listed(user, reg, position) for position, reg in enumerate(listed.waitlisted, start=1)
    ]
    record_download(user, "registrations", fmt="json", rows=len(items), session_id=session.id)
    return RegistrationList(
        session_id=session.id,
        capacity=session.capacity,
        registered=len(listed.registered),
        waitlisted=len(listed.waitlisted),
        items=items,
    ).dump()


@bp.post("/sessions/<int:session_id>/registrations")
@operation(
    "Register a learner; a full session waitlists (coordinators and admins)",
    {201: Reply("Registered, or waitlisted when full", RegistrationOut)},
    {
        401: "",
        403: "",
        404: "",
        409: "already_registered (with registration_id and registration_status), "
        "session_cancelled, session_ended",
        422: "",
    },
    body=RegistrationIn,
)
@api_roles(*PLANNERS)
def create_registration(session_id: int):
    user = api_user()
    wanted = RegistrationIn.read(json_object())
    session = get_session(user, session_id)
    learner = learners.get_learner(user, wanted.learner_id)
    reg = registration.register(
        session,
        learner,
        source=wanted.source,
        actor=user,
        override_capacity=wanted.override_capacity,
    )
    position = waitlist_position(reg) if reg.status == RegistrationStatus.WAITLISTED else None
    created = RegistrationOut.model_validate(reg)
    created.position = position
    return created.dump(), 201


@bp.delete("/registrations/<int:registration_id>")
@operation(
    "Cancel a registration; the first waitlisted person takes the seat",
    {200: Reply("The cancelled registration", CancelledRegistration)},
    {401: "", 403: "", 404: "", 409: "already_cancelled"},
)
@api_roles(*PLANNERS)
def cancel_registration(registration_id: int):
    user = api_user()
    reg = registration.get_registration(registration_id)
    # The session's visibility decides: a registration of a session one may not see is 404.
    get_session(user, reg.session_id)
    promoted = registration.cancel(reg, user)
    cancelled = CancelledRegistration.model_validate(reg)
    if promoted is not None:
        cancelled.promoted = RegistrationOut.model_validate(promoted)
    return cancelled.dump()
