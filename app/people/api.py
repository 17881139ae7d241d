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
from app.timeutil import iso

# ================================================================ learners
# GET/POST /api/v1/learners, GET/PATCH /api/v1/learners/{id}

LEARNERS_PER_PAGE = 50
NEEDS = ("vision", "hearing", "mobility")


def learner_json(user: User, learner: Learner) -> dict[str, Any]:
    # Partners get phone numbers only with the learner's consent to share them.
    show_phone = learners.may_see_phone(user, learner)
    card = learner.active_card
    return {
        "id": learner.id,
        "name": learner.name,
        "furigana": learner.furigana,
        "phone": learner.phone if show_phone else None,
        "phone2": learner.phone2 if show_phone else None,
        "birth_year": learner.birth_year,
        "district": learner.district,
        "kind": learner.kind,
        "device": learner.device,
        "language": learner.language,
        "needs": {need: getattr(learner, f"needs_{need}") for need in NEEDS},
        "consent_on": learner.consent_on.isoformat() if learner.consent_on else None,
        "share_with_partner": learner.share_with_partner,
        "notes": learner.notes,
        "card": {"short_code": card.short_code, "issued_at": iso(card.issued_at)} if card else None,
        "created_at": iso(learner.created_at),
    }


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
    return {
        "items": [learner_json(user, lr) for lr in found[:LEARNERS_PER_PAGE]],
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
