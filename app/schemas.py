"""What the API reads and writes, as pydantic models: the pieces every area's schemas share.

Each area's `schemas.py` holds one model per resource and direction (`LearnerIn`,
`LearnerOut`, ...). The API reads a body or a query through an input model (`read`) and writes
its answer through an output model (`ApiOut.dump`); /api/v1/openapi.json is made from the same
models (app.api.openapi), so the document cannot drift from what the code does.

The field types here clean and check what people type the way the pages always have
(app.text.clean: NFKC, trimmed). A problem is turned into the API's error shape by one table
(`MESSAGES`): pydantic's error type becomes the Japanese message we show, keyed by the field,
unless the field says its own (`Says`), or a check raised ValueError with a message of its own
(shown as it is).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from types import FunctionType
from typing import Annotated, Any, ClassVar, Self

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    WithJsonSchema,
)
from pydantic import ValidationError as PydanticError
from pydantic_core import ErrorDetails, PydanticCustomError
from werkzeug.datastructures import MultiDict

from app.errors import ValidationError
from app.inputs import DB_INT_MAX, DB_INT_MIN, MAX_PAGE, digits_int
from app.parsing import normalize_phone
from app.text import clean
from app.timeutil import OutOfRange, check_day, iso, parse_iso


class Says:
    """A field's own message for anything wrong with its value (in Annotated[...]).

    A check that raises ValueError with a reason of its own is shown with that reason; this is
    for what pydantic finds (a wrong type, a value not among the choices).
    """

    def __init__(self, message: Any) -> None:
        self.message = message


# pydantic's error types → the message the API has always given for them (a function of the
# error's context where the message names a limit).
MESSAGES: dict[str, Any] = {
    "extra_forbidden": _l("この項目は使えません。"),
    "bool_type": _l("true か false で指定してください。"),
    "bool_parsing": _l("true か false で指定してください。"),
    "string_type": _l("文字で入力してください。"),
    "int_type": _l("整数で入力してください。"),
    "int_parsing": _l("整数で入力してください。"),
    "int_from_float": _l("整数で入力してください。"),
    "less_than_equal": _l("数が大きすぎます。"),
    "greater_than_equal": lambda ctx: _("%(n)d以上の数を入力してください。", n=ctx["ge"]),
    "list_type": _l("IDの一覧で指定してください。"),
    "datetime_type": _l("日時は 2026-04-01T10:00:00+09:00 の形式で入力してください。"),
}
FALLBACK = _l("入力内容を確認してください。")


def _why(error: ErrorDetails, says: Any) -> str:
    ctx = error.get("ctx") or {}
    if error["type"] == "value_error":
        return str(ctx["error"])  # the check's own reason
    if error["type"] == "field_error":
        return str(ctx["message"])
    if says is not None:
        return str(says)
    message = MESSAGES.get(error["type"], FALLBACK)
    return message(ctx) if isinstance(message, FunctionType) else str(message)


def field_error(name: str, message: Any) -> PydanticCustomError:
    """Raised by a model's check that is about one field among several (walk_in with
    new_learner): named by that field, not by the body."""
    return PydanticCustomError("field_error", "{message}", {"field": name, "message": message})


def _says(model: type[BaseModel], name: str) -> Any:
    info = model.model_fields.get(name)
    found = [m.message for m in (info.metadata if info else ()) if isinstance(m, Says)]
    return found[0] if found else None


def errors_by_field(model: type[BaseModel], exc: PydanticError) -> dict[str, str]:
    """pydantic's findings as the API's `fields`: the top-level field, the first reason."""
    fields: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        loc = error["loc"]
        if error["type"] == "field_error":
            name = str(error["ctx"]["field"])
        else:
            name = str(loc[0]) if loc else "body"
        fields.setdefault(name, _why(error, _says(model, name)))
    return fields


class ApiIn(BaseModel):
    """An input: unknown fields refused by name (a misspelt "walkin" is not silently
    dropped), every bad field named at once."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)
    # The request's message when something is wrong; `fields` says what.
    invalid: ClassVar[Any] = FALLBACK

    @classmethod
    def read(cls, data: Mapping[str, Any], context: dict[str, Any] | None = None) -> Self:
        try:
            return cls.model_validate(data, context=context)
        except PydanticError as exc:
            raise ValidationError(str(cls.invalid), fields=errors_by_field(cls, exc)) from None

    @classmethod
    def read_partly(cls, data: Mapping[str, Any]) -> tuple[Self, dict[str, str]]:
        """The fields that are right, and what is wrong with each of the others.

        For a reader that goes on to check the right ones against the database (the course
        exists, the venue holds the capacity), so that one answer names every problem: the
        wrong fields are left out and the rest read again. Only for a model whose fields all
        have defaults and whose checks are each about one field.
        """
        try:
            return cls.model_validate(data), {}
        except PydanticError as exc:
            wrong = errors_by_field(cls, exc)
        return cls.model_validate({k: v for k, v in data.items() if k not in wrong}), wrong


class ApiQuery(ApiIn):
    """A query string: parameters it does not name are ignored, as the web's convention is."""

    model_config = ConfigDict(extra="ignore", use_enum_values=True, validate_by_name=True)
    invalid = _l("検索条件を確認してください。")

    @classmethod
    def read_args(cls, args: MultiDict[str, str]) -> Self:
        return cls.read(args.to_dict())


class ApiOut(BaseModel):
    """An output, made from the app's objects by attribute (`from_attributes`). Every key is
    always written, so the document says each is required, defaults included."""

    model_config = ConfigDict(
        # No key the document does not name (additionalProperties: false in it).
        extra="forbid",
        from_attributes=True,
        # Made from an object by its attributes' names (aliases), or by the fields' own.
        validate_by_alias=True,
        validate_by_name=True,
        json_schema_serialization_defaults_required=True,
        # What a view sets after the model is made (a position, a hidden phone) is checked too.
        validate_assignment=True,
    )

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


# ---------------------------------------------------------------- the shared types


# An id or a count: a JSON integer that an INTEGER column holds (true is not 1). Out of range
# is refused before the query that would fail on it; an id of no record is the service's 404.
Id = Annotated[StrictInt, Field(ge=DB_INT_MIN, le=DB_INT_MAX)]
# Only JSON's true and false: "yes", 1 and "on" are refused.
Flag = StrictBool


def _typed_number(value: Any) -> int | None:
    """A whole number as JSON or as people type it in a box ("８", " 12 "); empty is None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PydanticCustomError("int_type", "not a whole number")
    try:
        number = int(clean(value)) if isinstance(value, str) else value
    except ValueError:
        raise PydanticCustomError("int_parsing", "not a whole number") from None
    if not DB_INT_MIN <= number <= DB_INT_MAX:  # past an INTEGER column is no number we keep
        raise PydanticCustomError("int_parsing", "not a whole number")
    return number


def _typed_numbers(value: Any) -> list[int] | None:
    """A list of whole numbers, or text of them ("3, 5", "３、５"); repeats dropped."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [part for part in clean(value).replace("、", ",").split(",") if part.strip()]
    if not isinstance(value, list | tuple):
        raise PydanticCustomError("list_type", "not a list")
    try:
        numbers = [_typed_number(item) for item in value]
    except PydanticCustomError:
        raise PydanticCustomError("list_type", "not a list of whole numbers") from None
    return list(dict.fromkeys(n for n in numbers if n is not None))


def within(low: int, high: int | None = None) -> AfterValidator:
    """For Annotated[TypedNumber, ...]: from `low` (to `high`), said the way the pages say it.
    (pydantic's own ge/le cannot take the None of an empty box.)"""

    def check(number: int | None) -> int | None:
        if number is None or (low <= number and (high is None or number <= high)):
            return number
        if number < low:  # too few: the floor is the whole news ("1以上"), as the pages said
            raise ValueError(_l("%(n)d以上の数を入力してください。", n=low))
        raise ValueError(_l("%(low)dから%(high)dまでの数を入力してください。", low=low, high=high))

    return AfterValidator(check)


def at_most(limit: int, message: Any = None) -> AfterValidator:
    """For Annotated[CleanText | MaybeText, ...]: at most `limit` characters of the cleaned text
    (what is stored); `message` names the field where the page's own words do."""

    def check(text: str | None) -> str | None:
        if text and len(text) > limit:
            raise ValueError(message or _l("%(n)d文字以内で入力してください。", n=limit))
        return text

    return AfterValidator(check)


# A number from a form's text box or from JSON: digits as typed (full width too), or an
# integer; an INTEGER column's range. Empty is None. (Id is the API's strict kind.)
TypedNumber = Annotated[
    int | None, BeforeValidator(_typed_number), WithJsonSchema({"type": "integer"})
]


def _typed_day(value: Any) -> date | None:
    """A day as YYYY-MM-DD, typed in a box (full-width digits too) or given in JSON."""
    text = clean(value) if isinstance(value, str) else value
    if not text:
        return None
    if not isinstance(text, str):
        raise ValueError(_l("日付は 2026-04-01 の形式で入力してください。"))
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(_l("日付は 2026-04-01 の形式で入力してください。")) from None
    return check_day(day)


# A day from a form or JSON; empty is None.
TypedDay = Annotated[
    date | None, BeforeValidator(_typed_day), WithJsonSchema({"type": "string", "format": "date"})
]
# Ids from a form's ticks or JSON: a list, or text "3, 5"; repeats dropped.
TypedIds = Annotated[
    list[int] | None,
    BeforeValidator(_typed_numbers),
    WithJsonSchema({"type": "array", "items": {"type": "integer"}}),
]


def _text(value: Any) -> str:
    """null is empty text; anything but text is refused as such (a number, an object)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "not text")
    return value


# Text as people type it: NFKC-normalised, trimmed, runs of spaces folded (app.text.clean);
# null is empty.
CleanText = Annotated[str, BeforeValidator(_text), AfterValidator(clean)]
# The same, for a field whose own validator leaves None for empty (a phone, a district).
MaybeText = Annotated[str | None, BeforeValidator(_text), AfterValidator(clean)]
# A Japanese phone number as people type it (app.parsing.normalize_phone); empty is None.
Phone = Annotated[
    MaybeText,
    AfterValidator(normalize_phone),
    WithJsonSchema({"type": ["string", "null"], "examples": ["０９０ー１２３４ー５６７８"]}),
]


def _keep_lines(text: str) -> str:
    # Line breaks are kept; NUL, which no one types and PostgreSQL cannot store, is not.
    return text.replace("\x00", "").strip()


# Notes: line breaks kept, the ends trimmed; null is empty.
Notes = Annotated[str, BeforeValidator(_text), AfterValidator(_keep_lines)]


def choice(kind: type[StrEnum], default: StrEnum | None, message: Any) -> BeforeValidator:
    """For Annotated[kind, ...]: one of `kind`'s values, typed as text (cleaned); empty is
    `default`; anything else is refused with `message`, which names the choices."""

    def read(value: Any) -> StrEnum | None:
        text = clean(_text(value))
        if not text:
            return default
        if text not in set(kind):
            raise ValueError(message)
        return kind(text)

    return BeforeValidator(read)


def _page(value: Any) -> int:
    if not value:
        return 1
    number = digits_int(value)
    if number is None or not 1 <= number <= MAX_PAGE:
        raise ValueError(_l("1から%(max)dまでの整数で指定してください。", max=MAX_PAGE))
    return number


# A page of a list from the query string: 1 when absent (app.inputs.MAX_PAGE at most).
PageNumber = Annotated[
    int,
    BeforeValidator(_page),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_PAGE}),
]
# A text filter from the query string: empty is the same as not given.
QueryText = Annotated[
    str | None, BeforeValidator(lambda v: v or None), WithJsonSchema({"type": "string"})
]


def query_int(value: Any, message: Any) -> int | None:
    """A query's whole number: ASCII digits that fit an integer column
    (app.inputs.digits_int); empty is None; anything else is refused with `message`."""
    if not value:
        return None
    number = digits_int(value)
    if number is None:
        raise ValueError(message)
    return number


def query_number(message: Any) -> BeforeValidator:
    """For Annotated[int | None, ...] in a query: query_int's number."""
    return BeforeValidator(lambda value: query_int(value, message))


def _aware(value: Any) -> datetime:
    if isinstance(value, datetime):
        return parse_iso(value.isoformat())
    if not isinstance(value, str):
        raise PydanticCustomError("datetime_type", "not a time")
    try:
        return parse_iso(clean(value))
    except OutOfRange:
        raise
    except ValueError:
        raise PydanticCustomError("datetime_type", "not a time") from None


# A time as ISO 8601; without an offset it is Japan time; 2000 to 2100 (app.timeutil).
# Written back as ISO 8601 with the Japan offset, as the API promises.
Time = Annotated[
    datetime,
    BeforeValidator(_aware),
    PlainSerializer(iso, return_type=str),
    WithJsonSchema(
        {"type": "string", "format": "date-time", "examples": ["2026-12-01T10:00:00+09:00"]}
    ),
]
# A day out: YYYY-MM-DD.
Day = Annotated[date, PlainSerializer(date.isoformat, return_type=str)]
