"""Registrations as JSON: /api/v1/sessions/{id}/registrations, /api/v1/registrations/{id}."""

from __future__ import annotations

from flask_babel import gettext as _

from app.api import bp
from app.api.access import api_roles, api_user
from app.auth.access import ALL_STAFF, PLANNERS
from app.auth.models import User
from app.errors import ValidationError
from app.inputs import json_object
from app.people import learners, registration
from app.people.models import Registration, RegistrationSource, RegistrationStatus
from app.people.privacy import may_see_phone, record_download, require_roster_rights
from app.people.registration_routes import registrations_of, waitlist_position
from app.scheduling.queries import get_session
from app.timeutil import iso

DEFAULT_SOURCE = RegistrationSource.PHONE
INPUT_FIELDS = frozenset({"learner_id", "source", "override_capacity"})


def registration_json(reg: Registration, position: int | None = None) -> dict:
    return {
        "id": reg.id,
        "session_id": reg.session_id,
        "learner_id": reg.learner_id,
        "status": reg.status,
        "source": reg.source,
        "queued_at": iso(reg.queued_at),
        "position": position,
        "cancelled_at": iso(reg.cancelled_at),
    }


def _learner_json(user: User, reg: Registration) -> dict:
    learner = reg.learner
    return {
        "id": learner.id,
        "name": learner.name,
        "furigana": learner.furigana,
        # Staff of a partner organization get phones only with the learner's consent.
        "phone": learner.phone if may_see_phone(user, learner) else None,
    }


@bp.get("/sessions/<int:session_id>/registrations")
@api_roles(*ALL_STAFF)
def list_session_registrations(session_id: int):
    user = api_user()
    session = get_session(user, session_id)
    require_roster_rights(user, session)
    listed = registrations_of(session)
    items = [
        {**registration_json(reg), "learner": _learner_json(user, reg)} for reg in listed.registered
    ] + [
        {**registration_json(reg, position), "learner": _learner_json(user, reg)}
        for position, reg in enumerate(listed.waitlisted, start=1)
    ]
    record_download(user, "registrations", fmt="json", rows=len(items), session_id=session.id)
    return {
        "session_id": session.id,
        "capacity": session.capacity,
        "registered": len(listed.registered),
        "waitlisted": len(listed.waitlisted),
        "items": items,
    }


def _read_input(body: dict) -> tuple[int, str, bool]:
    fields: dict[str, str] = {}
    for name in sorted(set(body) - INPUT_FIELDS):
        fields[name] = _("この項目は使えません。")
    learner_id = body.get("learner_id")
    if isinstance(learner_id, bool) or not isinstance(learner_id, int):
        fields["learner_id"] = _("受講者のID(整数)を指定してください。")
    source = body.get("source", DEFAULT_SOURCE)
    if not isinstance(source, str) or source not in set(RegistrationSource):
        fields["source"] = _(
            "登録経路は %(choices)s のいずれかです。", choices=", ".join(RegistrationSource)
        )
    override = body.get("override_capacity", False)
    if not isinstance(override, bool):
        fields["override_capacity"] = _("true か false を指定してください。")
    if fields:
        raise ValidationError(_("入力内容を確認してください。"), fields=fields)
    return learner_id, source, override


@bp.post("/sessions/<int:session_id>/registrations")
@api_roles(*PLANNERS)
def create_registration(session_id: int):
    user = api_user()
    learner_id, source, override = _read_input(json_object())
    session = get_session(user, session_id)
    learner = learners.get_learner(user, learner_id)
    reg = registration.register(
        session, learner, source=source, actor=user, override_capacity=override
    )
    position = waitlist_position(reg) if reg.status == RegistrationStatus.WAITLISTED else None
    return registration_json(reg, position), 201


@bp.delete("/registrations/<int:registration_id>")
@api_roles(*PLANNERS)
def cancel_registration(registration_id: int):
    user = api_user()
    reg = registration.get_registration(registration_id)
    # The session's visibility decides: a registration of a session one may not see is 404.
    get_session(user, reg.session_id)
    promoted = registration.cancel(reg, user)
    return {
        **registration_json(reg),
        "promoted": registration_json(promoted) if promoted is not None else None,
    }
