"""Learners as JSON: the body is read by app.people.schemas.LearnerIn in the service."""

from __future__ import annotations

from flask import request

from app.api import bp
from app.api.access import api_roles, api_user
from app.api.operations import Reply, operation
from app.auth.access import ALL_STAFF, PLANNERS
from app.inputs import json_object
from app.people import learners
from app.people.privacy import record_download
from app.people.schemas import LearnerChange, LearnerIn, LearnerOut, LearnerPage, LearnerQuery

# GET/POST /api/v1/learners, GET/PATCH /api/v1/learners/{id}

LEARNERS_PER_PAGE = 50


@bp.get("/learners")
@operation(
    "Learners visible to the token's user: search by furigana (hiragana and katakana alike), "
    "name, phone digits or card short code",
    {200: Reply("A page of learners", LearnerPage)},
    (401, 422),
    description="Phone digits match only phones the user may see, card numbers and district "
    "only for those who see them; every read is written to the audit log.",
    query=LearnerQuery,
)
@api_roles(*ALL_STAFF)
def list_learners():
    user = api_user()
    wanted = LearnerQuery.read_args(request.args)
    page = wanted.page
    found = learners.search(
        user,
        wanted.q,
        district=wanted.district,
        # One more than a page tells whether another page follows.
        limit=LEARNERS_PER_PAGE + 1,
        offset=(page - 1) * LEARNERS_PER_PAGE,
    )
    items = [LearnerOut.of(user, lr) for lr in found[:LEARNERS_PER_PAGE]]
    record_download(
        user,
        "learners",
        fmt="json",
        rows=len(items),
        q=request.args.get("q"),
        district=request.args.get("district"),
        page=page,
    )
    return LearnerPage(
        items=items, page=page, per_page=LEARNERS_PER_PAGE, has_more=len(found) > LEARNERS_PER_PAGE
    ).dump()


@bp.post("/learners")
@operation(
    "Record a learner (coordinators and admins)",
    {201: Reply("The new learner", LearnerOut)},
    (401, 403, 422),
    body=LearnerIn,
)
@api_roles(*PLANNERS)
def create_learner():
    learner = learners.create_learner(json_object(), api_user())
    return LearnerOut.of(api_user(), learner).dump(), 201


@bp.get("/learners/<int:learner_id>")
@operation("One learner", {200: Reply("The learner", LearnerOut)}, (401, 404))
@api_roles(*ALL_STAFF)
def get_learner(learner_id: int):
    return LearnerOut.of(api_user(), learners.get_learner(api_user(), learner_id)).dump()


@bp.patch("/learners/<int:learner_id>")
@operation(
    "Change a learner's record (coordinators and admins)",
    {200: Reply("The changed learner", LearnerOut)},
    (401, 403, 404, 422),
    body=LearnerChange,
)
@api_roles(*PLANNERS)
def update_learner(learner_id: int):
    learner = learners.get_learner(api_user(), learner_id)
    learners.update_learner(learner, json_object(), api_user())
    return LearnerOut.of(api_user(), learner).dump()
