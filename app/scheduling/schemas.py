"""What the API reads and writes about sessions, series and venues (app.schemas)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from flask import url_for
from flask_babel import lazy_gettext as _l
from pydantic import (
    AfterValidator,
    AliasPath,
    BeforeValidator,
    Field,
    WithJsonSchema,
    computed_field,
)

from app.scheduling.models import DeliveryType, SessionStatus
from app.schemas import (
    ApiIn,
    ApiOut,
    ApiQuery,
    CleanText,
    Day,
    Flag,
    Id,
    Notes,
    PageNumber,
    QueryText,
    Says,
    Time,
    TypedDay,
    TypedIds,
    TypedNumber,
    at_most,
    choice,
    query_int,
    query_number,
    within,
)
from app.text import clean
from app.timeutil import check_day

MAX_PER_PAGE = 200
MAX_CAPACITY = 1000  # the largest hall in a city; more is a typo
MAX_SETUP_BUFFER = 120
MAX_LOANER_DEVICES = 1000
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

    The one list of a session's fields: the API's body and the planning page's form are both
    read through it (app.scheduling.plans.read_plan, which adds the checks that need the
    database). Numbers are taken as a form's text box sends them too ("８").
    """

    course: CleanText | None = Field(None, description="Course slug; the current version is used")
    venue_id: TypedNumber = None
    starts_at: Time | None = Field(
        None, description="ISO 8601; without offset it is read as Japan time"
    )
    ends_at: Time | None = None
    capacity: Annotated[TypedNumber, within(1)] = Field(None, description="Default: the venue's")
    delivery_type: Annotated[
        DeliveryType | None,
        choice(
            DeliveryType,
            None,
            _l("実施形態は %(choices)s のいずれかです。", choices=", ".join(DeliveryType)),
        ),
        WithJsonSchema({"enum": [d.value for d in DeliveryType]}),
    ] = None
    partner_org: CleanText | None = Field(None, description="Organization slug")
    instructor_ids: TypedIds = None
    assistant_ids: TypedIds = None
    public: Flag | None = None
    notes: Notes | None = None
    status: Annotated[
        SessionStatus | None,
        choice(SessionStatus, None, _l("状態は scheduled か completed です。")),
        WithJsonSchema(
            {"enum": [SessionStatus.SCHEDULED.value, SessionStatus.COMPLETED.value]},
        ),
    ] = None


def _weekdays(numbers: list[int] | None) -> list[int] | None:
    if numbers and any(not 0 <= d <= 6 for d in numbers):
        raise ValueError(_l("曜日は 0(月)から 6(日)の数で指定してください。"))
    return numbers


def _choice_or_refuse(value: Any) -> Any:
    """An empty box or null is the default; anything else (an object too) is checked as given."""
    if value is None or (isinstance(value, str) and not clean(value)):
        return "refuse"
    return clean(value) if isinstance(value, str) else value


class SeriesRule(ApiIn):
    """The weekly rule of a series (the first session's fields are SessionIn's)."""

    weekdays: Annotated[TypedIds, AfterValidator(_weekdays)] = Field(None, description="Monday = 0")
    until: TypedDay = None
    count: Annotated[TypedNumber, within(1)] = None
    on_closed: Annotated[
        Literal["refuse", "skip"],
        BeforeValidator(_choice_or_refuse),
        Says(_l("休館日の扱いは refuse(作らない)か skip(その日を飛ばす)です。")),
    ] = Field(
        "refuse",
        description="A date on a venue closure: refuse the series (409 venue_closed), or skip it",
    )


class SeriesIn(SeriesRule, SessionIn):
    """The first session's fields plus the weekly rule; `until` or `count`."""

    course: str = Field(description="Course slug; the current version is used")
    venue_id: Id
    starts_at: Time
    ends_at: Time
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(description="Monday = 0")
    count: int | None = Field(None, ge=1, le=104)


class VenueIn(ApiIn):
    """A venue's fields from its page's form (app.scheduling.venues.read_venue adds what
    needs the database: the slug not taken, the planned sessions still fitting)."""

    name: Annotated[CleanText | None, at_most(200)] = None
    slug: Annotated[CleanText | None, AfterValidator(lambda s: s.lower() if s else s)] = None
    address: Annotated[CleanText | None, at_most(300)] = None
    district: Annotated[CleanText | None, at_most(100)] = None
    capacity: Annotated[TypedNumber, within(1, MAX_CAPACITY)] = None
    setup_buffer_minutes: Annotated[TypedNumber, within(0, MAX_SETUP_BUFFER)] = None
    loaner_devices: Annotated[TypedNumber, within(0, MAX_LOANER_DEVICES)] = None
    has_wifi: Flag = False
    step_free: Flag = False
    hearing_loop: Flag = False
    accessibility_notes: Notes | None = None


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
