"""What the API reads and writes about learners and registrations (app.schemas).

LearnerIn is also how the pages, the public sign-up and the sheets read a learner: one reader,
one set of messages, whatever the way in.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Self

from flask_babel import lazy_gettext as _l
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from app.auth.models import User
from app.parsing import check_furigana, parse_birth_year
from app.people.models import (
    Device,
    Learner,
    LearnerKind,
    RegistrationSource,
    RegistrationStatus,
)
from app.people.privacy import Field as Seen
from app.people.privacy import fields_seen
from app.schemas import (
    ApiIn,
    ApiOut,
    ApiQuery,
    CleanText,
    Day,
    Flag,
    Id,
    MaybeText,
    Notes,
    PageNumber,
    Phone,
    QueryText,
    Says,
    Time,
    choice,
)

NAME_MAX = 100
DISTRICT_MAX = 100
# A language tag that fits the column: "ja", "en", "pt-br".
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,4})?$")


def _name(text: str) -> str:
    if not text:
        raise ValueError(_l("お名前を入力してください。"))
    if len(text) > NAME_MAX:
        raise ValueError(_l("お名前は%(n)d文字以内で入力してください。", n=NAME_MAX))
    return text


def _district(text: str) -> str | None:
    if len(text) > DISTRICT_MAX:
        raise ValueError(_l("地区は%(n)d文字以内で入力してください。", n=DISTRICT_MAX))
    return text or None


def _language(text: str) -> str:
    code = text.lower() or "ja"
    if not _LANGUAGE.match(code):
        raise ValueError(_l("言語は ja や en のような言語コードで入力してください。"))
    return code


def _birth_year(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    elif value is not None and not isinstance(value, str):
        raise PydanticCustomError("string_type", "not text")
    return parse_birth_year(value)


Name = Annotated[CleanText, AfterValidator(_name)]
Furigana = Annotated[CleanText, AfterValidator(check_furigana)]
BirthYear = Annotated[
    int | None,
    BeforeValidator(_birth_year),
    WithJsonSchema({"type": ["string", "integer", "null"], "examples": [1948, "昭和23年", "S23"]}),
    Says(_l("生まれた年は 1948 や 昭和23年 のように入力してください。")),
]
District = Annotated[
    MaybeText, AfterValidator(_district), WithJsonSchema({"type": ["string", "null"]})
]
Kind = Annotated[
    LearnerKind,
    choice(
        LearnerKind,
        LearnerKind.SENIOR,
        _l("区分は %(choices)s のいずれかです。", choices=", ".join(LearnerKind)),
    ),
]
DeviceChoice = Annotated[
    Device | None,
    choice(Device, None, _l("端末は %(choices)s のいずれかです。", choices=", ".join(Device))),
]
Language = Annotated[CleanText, AfterValidator(_language)]
# null is no (the pages' unticked box); anything but true and false is refused.
YesNo = Annotated[Flag, BeforeValidator(lambda v: False if v is None else v)]


class NeedsIn(ApiIn):
    """Accessibility needs."""

    vision: Flag = False
    hearing: Flag = False
    mobility: Flag = False


class LearnerIn(ApiIn):
    """A new learner. Text as typed: full-width digits, 和暦 and katakana are accepted."""

    invalid = _l("入力内容を確認してください。")
    # Given a default even when not sent: a new learner has them all.
    ALWAYS: ClassVar[frozenset[str]] = frozenset({"name", "furigana", "kind"})

    name: Annotated[Name, Field(validate_default=True)] = ""
    furigana: Annotated[Furigana, Field(validate_default=True)] = ""
    phone: Phone = None
    phone2: Phone = None
    birth_year: BirthYear = None
    district: District = None
    kind: Kind = LearnerKind.SENIOR
    device: DeviceChoice = None
    language: Language = "ja"
    needs: Annotated[
        NeedsIn | None,
        Says(_l("needs は vision, hearing, mobility の true/false です。")),
    ] = None
    needs_vision: YesNo = False
    needs_hearing: YesNo = False
    needs_mobility: YesNo = False
    consent: Annotated[
        YesNo, Field(description="true records today and the token's user; false withdraws it")
    ] = False
    share_with_partner: Annotated[
        YesNo, Field(description="Needs consent; name and phone may reach the teaching partner")
    ] = False
    notes: Notes = ""

    @field_validator("share_with_partner")
    @classmethod
    def _needs_consent(cls, share: bool, info: ValidationInfo) -> bool:
        """Sharing needs consent: given now, or on record (the context's `consent_on`) and not
        withdrawn by this request."""
        consent = info.data.get("consent") if "consent" in info.data else None
        on_record = (info.context or {}).get("consent_on") is not None
        if share and not (consent or (on_record and consent is None)):
            raise ValueError(_l("協力団体への共有には、個人情報の利用への同意が先に必要です。"))
        return share

    def values(self) -> dict[str, Any]:
        """The fields sent (and, for a new learner, those with a default), in the service's
        words: `needs` becomes needs_*."""
        sent = self.model_fields_set | self.ALWAYS
        values = self.model_dump(include=sent - {"needs"})
        if self.needs is not None:
            for need in self.needs.model_fields_set:
                values[f"needs_{need}"] = getattr(self.needs, need)
        return values


class LearnerChange(LearnerIn):
    """A change to a learner: only the fields sent change."""

    # None only as "not sent" (left out of values()): a null sent is still read as text, so
    # the types stay those of LearnerIn.
    name: Name = None  # type: ignore[assignment]  # (above)
    furigana: Furigana = None  # type: ignore[assignment]  # (above)
    # consent not sent (None) keeps the one on record
    consent: YesNo = None  # type: ignore[assignment]  # (above)

    ALWAYS: ClassVar[frozenset[str]] = frozenset()


class LearnerQuery(ApiQuery):
    q: str = Field(
        "",
        description="Furigana (hiragana and katakana alike), name, phone digits or card short code",
    )
    district: QueryText = None
    page: PageNumber = 1


# ---------------------------------------------------------------- answers


class Needs(ApiOut):
    vision: bool
    hearing: bool
    mobility: bool


class CardOut(ApiOut):
    short_code: str
    issued_at: Time


class LearnerOut(ApiOut):
    """Every key is always present; a field the token's user may not see (staff of a partner
    organization: see the README's table of who sees what) is null."""

    id: int
    name: str | None
    furigana: str | None = Field(description="Hiragana or katakana, as recorded")
    phone: str | None = Field(
        description="Null for a partner unless the learner agreed to share it",
        examples=["090-1234-5678"],
    )
    phone2: str | None
    birth_year: int | None = Field(examples=[1948])
    district: str | None
    kind: LearnerKind | None
    device: Device | None
    language: str | None = Field(examples=["ja"])
    needs: Needs | None
    consent_on: Day | None = Field(
        description="The day consent to the use of personal data was recorded"
    )
    share_with_partner: bool | None
    notes: str | None
    card: CardOut | None = Field(
        validation_alias="active_card", description="The card in use; null when none was issued"
    )
    created_at: Time | None

    @classmethod
    def of(cls, user: User, learner: Learner) -> Self:
        """The learner as `user` may see them (app.people.privacy): the rest is null."""
        seen = fields_seen(user, learner)
        hidden = {_KEYS.get(f, f.value) for f in Seen if f not in seen}
        return cls.model_validate(learner).model_copy(update=dict.fromkeys(hidden))


# Where the answer's key is not the privacy field's name.
_KEYS = {Seen.CONSENT: "consent_on"}


class LearnerPage(ApiOut):
    items: list[LearnerOut]
    page: int
    per_page: int
    has_more: bool = Field(description="Whether page + 1 has learners")


class RegistrationIn(ApiIn):
    invalid = _l("入力内容を確認してください。")

    learner_id: Annotated[Id, Says(_l("受講者のID(整数)を指定してください。"))]
    source: Annotated[
        RegistrationSource,
        Field(description="How the person signed up; default phone"),
        Says(
            _l(
                "登録経路は %(choices)s のいずれかです。",
                choices=", ".join(RegistrationSource),
            )
        ),
    ] = RegistrationSource.PHONE
    override_capacity: Annotated[
        Flag,
        Field(description="Register beyond capacity instead of waitlisting (logged)"),
        Says(_l("true か false を指定してください。")),
    ] = False


class RegistrationOut(ApiOut):
    id: int
    session_id: int
    learner_id: int
    status: RegistrationStatus
    source: RegistrationSource
    queued_at: Time = Field(description="Waitlist order: earlier is promoted first")
    position: int | None = Field(
        None, description="Place on the waitlist (1 = next to be promoted); null otherwise"
    )
    cancelled_at: Time | None


class RegisteredLearner(ApiOut):
    id: int
    name: str
    furigana: str
    phone: str | None = Field(
        description="null for a partner without the learner's consent to share it"
    )


class ListedRegistration(RegistrationOut):
    learner: RegisteredLearner


class RegistrationList(ApiOut):
    session_id: int
    capacity: int
    registered: int
    waitlisted: int
    items: list[ListedRegistration] = Field(
        description="Registered people, then the waitlist in order"
    )


class CancelledRegistration(RegistrationOut):
    promoted: RegistrationOut | None = Field(
        None, description="The first waitlisted person, now registered, if any"
    )
