"""What the day-before call's API reads and writes, and the family contact as its form posts
it (app.people.confirmations reads both)."""

from __future__ import annotations

import datetime
import re
from datetime import date
from typing import Annotated

from flask_babel import lazy_gettext as _l
from pydantic import AfterValidator, Field, WithJsonSchema

from app.people.models import CallOutcome
from app.people.schemas import RegisteredLearner, RegistrationOut
from app.scheduling.schemas import QueryDay
from app.schemas import (
    ApiIn,
    ApiOut,
    ApiQuery,
    CleanText,
    Flag,
    MaybeText,
    Notes,
    Phone,
    Says,
    Time,
    at_most,
    choice,
)

NAME_MAX, RELATION_MAX, EMAIL_MAX, NOTE_MAX = 100, 50, 254, 1000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
OUTCOMES = ", ".join(CallOutcome)


def _email(text: str | None) -> str | None:
    if not text:
        return None
    if len(text) > EMAIL_MAX or not _EMAIL.match(text):
        raise ValueError(_l("メールアドレスの形式で入力してください(例: info@example.jp)。"))
    return text


def _required_day(value: date | None) -> date:
    if value is None:
        raise ValueError(_l("日付を 2026-04-01 の形式で指定してください。"))
    return value


class FamilyContactIn(ApiIn):
    """A learner's family contact as the form posts it; empty phone and e-mail are None."""

    name: Annotated[
        CleanText,
        at_most(NAME_MAX, _l("お名前は%(n)d文字以内で入力してください。", n=NAME_MAX)),
    ] = ""
    relation: Annotated[
        CleanText,
        at_most(RELATION_MAX, _l("続柄は%(n)d文字以内で入力してください。", n=RELATION_MAX)),
    ] = ""
    phone: Phone = None
    email: Annotated[MaybeText, AfterValidator(_email)] = None
    consent: Flag = False


class ConfirmationQuery(ApiQuery):
    """GET /confirmations?date=YYYY-MM-DD (the day's classes, Japan time)."""

    date: Annotated[
        QueryDay,
        AfterValidator(_required_day),
        Field(
            validate_default=True,
            description="The day of the classes, YYYY-MM-DD (Japan time)",
        ),
    ] = None

    @property
    def day(self) -> datetime.date:
        assert self.date is not None  # _required_day refused a missing one
        return self.date


class ConfirmationIn(ApiIn):
    invalid = _l("入力内容を確認してください。")

    outcome: Annotated[
        CallOutcome,
        choice(
            CallOutcome,
            None,
            _l("結果は %(choices)s のいずれかです。", choices=OUTCOMES),
        ),
        WithJsonSchema({"type": "string", "enum": list(CallOutcome)}),
        Says(_l("結果は %(choices)s のいずれかです。", choices=OUTCOMES)),
    ]
    note: Annotated[
        Notes, at_most(NOTE_MAX, _l("メモは%(n)d文字以内で入力してください。", n=NOTE_MAX))
    ] = ""


class ConfirmationOut(ApiOut):
    id: int
    registration_id: int
    outcome: CallOutcome
    note: str
    recorded_at: Time
    recorded_by: str | None = Field(description="The name of who recorded it")


class CallListItem(ApiOut):
    registration_id: int
    session_id: int
    status: str = Field(description="registered, or cancelled (by a call's 欠席)")
    learner: RegisteredLearner
    last: ConfirmationOut | None = Field(description="The last outcome recorded; null if none")
    tries: int = Field(description="How many calls were recorded")
    family_reminded_at: Time | None = Field(
        description="When the family contact's reminder went; null if none"
    )


class ConfirmationList(ApiOut):
    date: date
    items: list[CallListItem] = Field(description="By class (start time), in calling order")


class RecordedConfirmation(ConfirmationOut):
    promoted: RegistrationOut | None = Field(
        None, description="For cancelled: the first waitlisted person, now registered, if any"
    )
