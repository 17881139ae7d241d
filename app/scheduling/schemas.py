"""What the API reads and writes about sessions, series and venues (app.schemas)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from flask import url_for
from flask_babel import lazy_gettext as _l
from pydantic import AliasPath, BeforeValidator, Field, WithJsonSchema, computed_field

from app.scheduling.models import DeliveryType, SessionStatus
from app.schemas import (
    ApiIn,
    ApiOut,
    ApiQuery,
    Day,
    Flag,
    Id,
    Notes,
    PageNumber,
    QueryText,
    Says,
    Time,
    choice,
    query_int,
    query_number,
)
from app.timeutil import check_day

MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 50
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


# ---------------------------------------------------------------- the list's query


def _query_day(value: str) -> date | None:
    if not value:
        return None
    # fromisoformat alone also takes 20260401 and week dates
    if not _ISO_DAY.fullmatch(value):
        raise ValueError(_l("日付は 2026-04-01 の形式で指定してください。"))
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError(_l("日付は 2026-04-01 の形式で指定してください。")) from None
    return check_day(day)


_NOT_WHOLE = _l("0以上の整数で指定してください。")
_WHOLE_NUMBER = query_number(_NOT_WHOLE)


def _per_page(value: str) -> int:
    number = query_int(value, _NOT_WHOLE)
    if number is None:
        return DEFAULT_PER_PAGE
    if not 1 <= number <= MAX_PER_PAGE:
        raise ValueError(_l("1から%(max)dまでの整数で指定してください。", max=MAX_PER_PAGE))
    return number


QueryDay = Annotated[
    date | None,
    BeforeValidator(_query_day),
    WithJsonSchema({"type": "string", "pattern": "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$"}),
]
QueryNumber = Annotated[int | None, _WHOLE_NUMBER, WithJsonSchema({"type": "integer"})]


class SessionQuery(ApiQuery):
    """GET /sessions: each filter optional; empty is the same as not given."""

    date_from: QueryDay = Field(None, alias="from", description="First day (Japan time)")
    date_to: QueryDay = Field(None, alias="to", description="Last day, inclusive")
    course: QueryText = Field(None, description="Course slug")
    venue_id: QueryNumber = None
    district: QueryText = None
    partner: QueryText = Field(None, description="Organization slug")
    instructor_id: QueryNumber = None
    status: Annotated[
        SessionStatus | None,
        choice(
            SessionStatus,
            None,
            _l("状態は %(choices)s のいずれかです。", choices=", ".join(SessionStatus)),
        ),
    ] = None
    page: PageNumber = 1
    per_page: Annotated[
        int,
        BeforeValidator(_per_page),
        WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}),
    ] = DEFAULT_PER_PAGE

    def filters(self) -> dict[str, Any]:
        """The filters in services.SessionFilters' words."""
        return self.model_dump(exclude={"page", "per_page"})


class ScopeQuery(ApiQuery):
    """PATCH /sessions/{id}: this session, or with `following` every later one of its series."""

    invalid = _l("scope は this か following です。")

    scope: Annotated[
        Literal["this", "following"], Says(_l("this か following を指定してください。"))
    ] = "this"


# ---------------------------------------------------------------- bodies


class SessionIn(ApiIn):
    """A session's fields. POST needs course, venue_id, starts_at and ends_at; PATCH changes
    only the fields sent.

    The API's contract for a session's body: app.scheduling.plans.read_plan reads it (with
    the checks that need the database), and holds exactly these fields (tests/api).
    """

    course: str | None = Field(None, description="Course slug; the current version is used")
    venue_id: Id | None = None
    starts_at: Time | None = Field(
        None, description="ISO 8601; without offset it is read as Japan time"
    )
    ends_at: Time | None = None
    capacity: int | None = Field(None, ge=1, description="Default: the venue's")
    delivery_type: DeliveryType | None = None
    partner_org: str | None = Field(None, description="Organization slug")
    instructor_ids: list[Id] | None = None
    assistant_ids: list[Id] | None = None
    public: Flag | None = None
    notes: Notes | None = None
    status: Literal[SessionStatus.SCHEDULED, SessionStatus.COMPLETED] | None = None


class SeriesIn(SessionIn):
    """The first session's fields plus the weekly rule; `until` or `count`."""

    course: str = Field(description="Course slug; the current version is used")
    venue_id: Id
    starts_at: Time
    ends_at: Time
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(description="Monday = 0")
    until: date | None = None
    count: int | None = Field(None, ge=1, le=104)
    on_closed: Literal["refuse", "skip"] = Field(
        "refuse",
        description="A date on a venue closure: refuse the series (409 venue_closed), or skip it",
    )


class CancelIn(ApiIn):
    reason: str = Field(min_length=1)


# ---------------------------------------------------------------- answers


class SessionOut(ApiOut):
    id: int
    course: str = Field(validation_alias=AliasPath("course_version", "course", "slug"))
    course_version: int = Field(validation_alias=AliasPath("course_version", "version"))
    course_title: str = Field(validation_alias=AliasPath("course_version", "title_ja"))
    venue_id: int
    starts_at: Time
    ends_at: Time
    capacity: int
    delivery_type: DeliveryType
    partner_org: str | None = Field(validation_alias=AliasPath("partner_org", "slug"))
    instructor_ids: Annotated[list[int], BeforeValidator(lambda users: [u.id for u in users])] = (
        Field(validation_alias="instructors")
    )
    assistant_ids: Annotated[list[int], BeforeValidator(lambda users: [u.id for u in users])] = (
        Field(validation_alias="assistants")
    )
    public: bool
    notes: str
    status: SessionStatus
    cancel_reason: str | None
    series_id: int | None
    warnings: list[Literal["no_instructor", "understaffed"]]

    # mypy takes no decorator over @property; pydantic's documented way is this ignore.
    @computed_field(json_schema_extra={"format": "uri"})  # type: ignore[prop-decorator]
    @property
    def url(self) -> str:
        """The session's page."""
        return url_for("scheduling.session_detail", session_id=self.id, _external=True)


class SessionPage(ApiOut):
    items: list[SessionOut]
    total: int
    page: int
    per_page: int
    pages: int


class SeriesOut(ApiOut):
    items: list[SessionOut]
    total: int
    skipped_dates: list[Day] = Field(
        description="Dates left out for venue closures (on_closed=skip)"
    )


class VenueOut(ApiOut):
    id: int
    slug: str
    name: str
    address: str
    district: str
    capacity: int
    setup_buffer_minutes: int
    has_wifi: bool
    loaner_devices: int
    step_free: bool
    hearing_loop: bool
    accessibility_notes: str


class VenueList(ApiOut):
    items: list[VenueOut]
