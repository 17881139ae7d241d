"""What the API reads and writes about staffing requests and offers (app.schemas)."""

from __future__ import annotations

from typing import Annotated

from flask_babel import lazy_gettext as _l
from pydantic import Field

from app.schemas import (
    ApiIn,
    ApiOut,
    CleanText,
    Day,
    Notes,
    Time,
    TypedDay,
    TypedIds,
    TypedNumber,
    at_most,
    within,
)
from app.staffing.models import OfferStatus, RequestStatus

MAX_ASKED = 20  # people of one role for one class: more is a typo


class RequestIn(ApiIn):
    """A request to one partner (the API's), or to several (the pages': `orgs`)."""

    invalid = _l("依頼の内容を確認してください。")

    org: Annotated[CleanText | None, at_most(64)] = Field(None, description="Partner's slug")
    instructors: Annotated[TypedNumber, within(0, MAX_ASKED)] = Field(
        1, description="Lead instructors asked for"
    )
    assistants: Annotated[TypedNumber, within(0, MAX_ASKED)] = Field(
        0, description="Assistants asked for"
    )
    respond_by: TypedDay = Field(None, description="Reply-by date (Japan)")
    note: Annotated[Notes | None, at_most(2000)] = None


class OfferIn(ApiIn):
    """A partner's offer: named people, or the date by which it will name them."""

    invalid = _l("申し出の内容を確認してください。")

    instructor_ids: TypedIds = None
    assistant_ids: TypedIds = None
    name_by: TypedDay = Field(None, description="To be named by this date, when no one is named")
    note: Annotated[Notes | None, at_most(2000)] = None


class ReasonIn(ApiIn):
    invalid = _l("理由を確認してください。")

    reason: Annotated[Notes | None, at_most(2000)] = None


class PersonOut(ApiOut):
    id: int
    name: str


class OfferOut(ApiOut):
    id: int
    request_id: int
    status: OfferStatus
    instructors: list[PersonOut]
    assistants: list[PersonOut]
    name_by: Day | None
    note: str
    reason: str
    warnings: list[str]


class RequestOut(ApiOut):
    id: int
    session_id: int
    org: str = Field(description="The partner's slug")
    course_title: str
    starts_at: Time
    ends_at: Time
    venue: str
    instructors: int
    assistants: int
    respond_by: Day
    note: str
    status: RequestStatus
    reason: str
    offers: list[OfferOut]


class RequestList(ApiOut):
    items: list[RequestOut]


class ConfirmOut(ApiOut):
    offer: OfferOut
    session_warnings: list[str] = Field(description="The session's staffing warnings after it")
