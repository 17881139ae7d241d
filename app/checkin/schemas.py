"""What a check-in device sends and gets (app.schemas): the API's and the check-in page's."""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from flask_babel import lazy_gettext as _l
from pydantic import (
    AfterValidator,
    AliasPath,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationInfo,
    field_validator,
)

from app.checkin.models import AttendanceStatus, CheckinMethod
from app.people.models import RegistrationStatus
from app.scheduling.models import SessionStatus
from app.schemas import ApiIn, ApiOut, Flag, Id, Says, Time, field_error

CLIENT_ID_MAX = 64  # the column's width; a UUID is 36
# What the door did with a scan.
DoorResult = Literal["checked_in", "already_checked_in", "waitlisted"]
DeviceMethod = Literal[CheckinMethod.CODE, CheckinMethod.QR, CheckinMethod.SCANNER]
DEVICE_METHODS: tuple[CheckinMethod, ...] = get_args(DeviceMethod)


class NewcomerIn(ApiIn):
    """Someone with no record at all, who walked in: recorded and registered on the spot."""

    name: StrictStr | None = None
    furigana: StrictStr | None = None
    phone: StrictStr | None = None
    birth_year: Annotated[
        StrictStr | StrictInt | None,
        Field(description="Western or 和暦 (昭和15), digits full-width or not"),
    ] = None


class CheckinIn(ApiIn):
    """`code` (the card's token or its short code) or `learner_id`."""

    invalid = _l("受付の内容を確認してください。")

    code: Annotated[
        StrictStr | None,
        AfterValidator(lambda code: (code or "").strip() or None),
        Field(examples=["DK1ABCDEFGHIJKLMNOPQRSTU", "K7-3QF9"]),
        Says(_l("カードの番号は文字列で送ってください。")),
    ] = None
    learner_id: Annotated[Id | None, Says(_l("受講者IDは整数で送ってください。"))] = None
    card_key: Annotated[
        StrictStr | None,
        Field(
            max_length=64,
            description="With learner_id, instead of code: the keyed hash of the scanned card "
            "(a roster's card_keys), so that a device never stores a card's token; checked "
            "against the learner's cards (revoked_card, unknown_code) when it arrives",
        ),
        Says(_l("card_key は名簿の card_keys の文字列です。")),
    ] = None
    client_id: Annotated[
        StrictStr | None,
        Field(
            max_length=CLIENT_ID_MAX,
            description="Made by the device per scan (a UUID) and kept through retries: the "
            "same client_id never makes a second record",
        ),
        AfterValidator(lambda client_id: (client_id or "").strip() or None),
        Says(_l("client_id は%(n)d文字以内の文字列です。", n=CLIENT_ID_MAX)),
    ] = None
    scanned_at: Annotated[
        Time | None,
        Field(description="When the card was read; late or present is decided by it"),
        Says(_l("読み取った時刻は ISO 8601 で送ってください(例: 2026-12-01T10:02:00+09:00)。")),
    ] = None
    method: Annotated[
        DeviceMethod | None,
        Says(
            _l(
                "method は %(choices)s のいずれかです。",
                choices=", ".join(sorted(DEVICE_METHODS)),
            )
        ),
    ] = None
    walk_in: Annotated[
        Flag,
        Field(
            description="Someone not registered: register them (source walk_in), then check "
            "them in; refused with session_full when there is no room"
        ),
    ] = False
    waitlist: Annotated[
        Flag,
        Field(
            description="With walk_in: when the session is full, put them on the waitlist "
            "instead (result waitlisted)"
        ),
    ] = False
    override_capacity: Annotated[
        Flag,
        Field(
            description="With walk_in: register beyond capacity (coordinators and admins; logged)"
        ),
    ] = False
    new_learner: Annotated[
        NewcomerIn | None,
        Field(description="With walk_in: someone not on record, recorded on the spot"),
        Says(_l("new_learner は name・furigana・phone・birth_year だけを持つオブジェクトです。")),
    ] = None

    @field_validator("new_learner")
    @classmethod
    def _only_walking_in(
        cls, newcomer: NewcomerIn | None, info: ValidationInfo
    ) -> NewcomerIn | None:
        if newcomer is not None and not info.data.get("walk_in"):
            raise field_error("walk_in", _l("新しい方の受付は walk_in: true で送ってください。"))
        return newcomer


# ---------------------------------------------------------------- answers


class DoorLearner(ApiOut):
    id: int
    name: str
    furigana: str


class AttendanceOut(ApiOut):
    id: int
    registration_id: int
    session_id: int
    learner_id: int
    status: AttendanceStatus
    checked_in_at: Time | None
    method: CheckinMethod
    recorded_later: bool = Field(description="Recorded by a coordinator after the session ended")
    client_id: str | None


class CheckinCounts(ApiOut):
    registered: int
    waitlisted: int
    checked_in: int
    capacity: int


class WalkInRegistration(ApiOut):
    id: int
    status: RegistrationStatus
    source: str


class CheckinOut(ApiOut):
    """The door's answer. The keys after `counts` are there only when they apply."""

    # Written with exclude_unset: a key that does not apply is absent, not null.
    model_config = ConfigDict(json_schema_serialization_defaults_required=False)

    result: DoorResult
    learner: DoorLearner
    message: str = Field(description="What to show at the door")
    counts: CheckinCounts
    attendance: AttendanceOut | None = None
    checked_in_at: Time | None = Field(
        None, description="For already_checked_in: the first check-in's time"
    )
    status: AttendanceStatus | None = None
    registration: WalkInRegistration | None = Field(
        None, description="Present when a walk-in was registered by this request"
    )

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)


class RosterLearner(DoorLearner):
    """With the phone, for those who may see it (a partner only with the learner's consent
    to share it; the check-in page never: it is kept on the device)."""

    phone: str | None


class RosterRow(ApiOut):
    registration_id: int
    registration_status: RegistrationStatus
    learner: RosterLearner | DoorLearner
    status: AttendanceStatus | None = Field(
        description="Null while not checked in and the session has not ended, and for the "
        "waitlisted"
    )
    checked_in_at: Time | None
    client_id: str | None = Field(
        description="The check-in's client_id: a device that sent another one for this "
        "learner learns that another device's scan was kept"
    )
    recorded_later: bool
    short_code: str | None = Field(
        description="Null for partner users, and on the check-in page (which keeps hashes)"
    )
    card_keys: list[str] = Field(
        description="Keyed hashes (HMAC-SHA256 with door_key, 32 hex digits) of the working "
        "card's token and short code, normalized: what a device matches a scan against"
    )
    revoked_keys: list[str] = Field(description="The same for the cards this learner replaced")
    skills: list[str] = Field(description="Keys of the course's skills this learner reached")


class RosterSession(ApiOut):
    id: int
    course_title: str = Field(validation_alias=AliasPath("course_version", "title_ja"))
    venue: str = Field(validation_alias=AliasPath("venue", "name"))
    starts_at: Time
    ends_at: Time
    late_after_minutes: int
    status: SessionStatus


class RosterOut(ApiOut):
    session: RosterSession
    counts: CheckinCounts
    rows: list[RosterRow]
    door_key: str | None = Field(
        description="The session's key for card_keys (base64url); null for partner users"
    )
    kept_until: Time = Field(description="When a device must wipe this roster")


BATCH_MAX = 200


class CheckinBatchIn(ApiIn):
    """What a device that was offline sends back at once: each item as for the single door,
    answered one by one, in order, each in its own transaction."""

    invalid = _l("まとめて送る受付の内容を確認してください。")

    items: Annotated[
        list[dict[str, Any]],
        Field(min_length=1, max_length=BATCH_MAX),
        Says(_l("items は受付(JSON オブジェクト)の配列で、1〜%(n)d件です。", n=BATCH_MAX)),
    ]


class BatchItemOut(ApiOut):
    model_config = ConfigDict(json_schema_serialization_defaults_required=False)

    client_id: str | None
    status: int = Field(description="The status the single door would have answered")
    answer: dict[str, Any] | None = Field(
        None, description="For 200 and 201: the single door's answer (CheckinOut)"
    )
    error: dict[str, Any] | None = Field(None, description="For a refusal: the error shape")


class CheckinBatchOut(ApiOut):
    results: list[BatchItemOut]
