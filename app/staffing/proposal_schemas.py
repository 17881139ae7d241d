"""What the API reads and writes about partners' proposals of classes (app.schemas).

ProposalIn is also the one list of a proposal's fields: the proposal page's form is read
through it too (app.staffing.proposals.read_proposal).
"""

from __future__ import annotations

from typing import Annotated, Literal

from flask_babel import lazy_gettext as _l
from pydantic import AliasPath, Field

from app.scheduling.schemas import MAX_CAPACITY
from app.schemas import (
    ApiIn,
    ApiOut,
    ApiQuery,
    CleanText,
    Notes,
    Time,
    TypedIds,
    TypedNumber,
    at_most,
    within,
)
from app.staffing.models import ProposalStatus


class ProposalIn(ApiIn):
    """A class a partner proposes. course, venue_id, starts_at and ends_at are needed (the
    service names each one missing); capacity defaults to the venue's."""

    course: CleanText | None = Field(None, description="Course slug; its current version")
    venue_id: TypedNumber = Field(None, description="A city venue or one of the partner's own")
    starts_at: Time | None = Field(
        None, description="ISO 8601; without offset it is read as Japan time"
    )
    ends_at: Time | None = None
    capacity: Annotated[TypedNumber, within(1, MAX_CAPACITY)] = Field(
        None, description="Default: the venue's"
    )
    instructor_ids: TypedIds = Field(None, description="The partner's own instructors")
    assistant_ids: TypedIds = Field(None, description="The partner's own assistants")
    note: Annotated[Notes | None, at_most(2000)] = None


class DeclineIn(ApiIn):
    reason: Annotated[Notes | None, at_most(2000)] = Field(
        None, description="Why, as the partner will read it (required)"
    )


class ProposalQuery(ApiQuery):
    """GET /proposals: the waiting ones unless another state is asked for."""

    status: Annotated[
        Literal["proposed", "approved", "declined", "withdrawn", "all"],
        Field(description="A state, or all"),
    ] = "proposed"
    invalid = _l("status は proposed, approved, declined, withdrawn, all のいずれかです。")


class ProposalOut(ApiOut):
    id: int
    org: str = Field(validation_alias=AliasPath("org", "slug"))
    course: str = Field(validation_alias=AliasPath("course", "slug"))
    venue_id: int
    starts_at: Time
    ends_at: Time
    capacity: int
    instructor_ids: list[int]
    assistant_ids: list[int]
    note: str
    status: ProposalStatus
    reason: str
    session_id: int | None
    created_at: Time
    decided_at: Time | None


class ProposalList(ApiOut):
    items: list[ProposalOut]
