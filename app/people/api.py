"""Learners and registrations as JSON (written by the people work)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _

from app.api import bp
from app.api.access import api_roles, api_user
from app.auth.access import ALL_STAFF, PLANNERS
from app.auth.models import User
from app.errors import ValidationError
from app.inputs import json_object, page_number
from app.people import learners
from app.people.models import Learner
from app.people.privacy import Field, fields_seen, record_download
from app.timeutil import iso

# ================================================================ learners
# GET/POST /api/v1/learners, GET/PATCH /api/v1/learners/{id}

LEARNERS_PER_PAGE = 50
NEEDS = ("vision", "hearing", "mobility")
API_KEYS = {Field.CONSENT: "consent_on"}  # where the answer's key is not the field's name


def learner_json(user: User, learner: Learner) -> dict[str, Any]:
    """Every key always; what the user may not see of this learner (app.people.privacy) is
    null."""
    seen = fields_seen(user, learner)
    card = learner.active_card
    values: dict[Field, Any] = {
        Field.NAME: learner.name,
        Field.FURIGANA: learner.furigana,
        Field.PHONE: learner.phone,
        Field.PHONE2: learner.phone2,
        Field.BIRTH_YEAR: learner.birth_year,
        Field.DISTRICT: learner.district,
        Field.KIND: learner.kind,
        Field.DEVICE: learner.device,
        Field.LANGUAGE: learner.language,
        Field.NEEDS: {need: getattr(learner, f"needs_{need}") for need in NEEDS},
        Field.CONSENT: learner.consent_on.isoformat() if learner.consent_on else None,
        Field.SHARE_WITH_PARTNER: learner.share_with_partner,
        Field.NOTES: learner.notes,
        Field.CARD: {"short_code": card.short_code, "issued_at": iso(card.issued_at)}
        if card
        else None,
        Field.CREATED_AT: iso(learner.created_at),
    }
    body: dict[str, Any] = {"id": learner.id}
    for field_, value in values.items():
        body[API_KEYS.get(field_, field_.value)] = value if field_ in seen else None
    return body


def _learner_body() -> dict[str, Any]:
    """The request's learner fields in the service's words: `needs` becomes needs_*."""
    raw = json_object()
    if "needs" in raw:
        needs = raw.pop("needs")
        if (
            not isinstance(needs, dict)
            or set(needs) - set(NEEDS)
            or not all(isinstance(v, bool) for v in needs.values())
        ):
            raise ValidationError(
                _("入力内容を確認してください。"),
                fields={"needs": _("needs は vision, hearing, mobility の true/false です。")},
            )
        for need, value in needs.items():
            raw[f"needs_{need}"] = value
    return raw


@bp.get("/learners")
@api_roles(*ALL_STAFF)
def list_learners():
    user = api_user()
    page = page_number(request.args.get("page"))
    found = learners.search(
        user,
        request.args.get("q") or "",
        district=request.args.get("district") or None,
        # One more than a page tells whether another page follows.
        limit=LEARNERS_PER_PAGE + 1,
        offset=(page - 1) * LEARNERS_PER_PAGE,
    )
    items = [learner_json(user, lr) for lr in found[:LEARNERS_PER_PAGE]]
    record_download(
        user,
        "learners",
        fmt="json",
        rows=len(items),
        q=request.args.get("q"),
        district=request.args.get("district"),
        page=page,
    )
    return {
        "items": items,
        "page": page,
        "per_page": LEARNERS_PER_PAGE,
        "has_more": len(found) > LEARNERS_PER_PAGE,
    }


@bp.post("/learners")
@api_roles(*PLANNERS)
def create_learner():
    learner = learners.create_learner(_learner_body(), api_user())
    return learner_json(api_user(), learner), 201


@bp.get("/learners/<int:learner_id>")
@api_roles(*ALL_STAFF)
def get_learner(learner_id: int):
    return learner_json(api_user(), learners.get_learner(api_user(), learner_id))


@bp.patch("/learners/<int:learner_id>")
@api_roles(*PLANNERS)
def update_learner(learner_id: int):
    learner = learners.get_learner(api_user(), learner_id)
    learners.update_learner(learner, _learner_body(), api_user())
    return learner_json(api_user(), learner)
