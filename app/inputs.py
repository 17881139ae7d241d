"""Reading what arrives from outside: JSON bodies, whole numbers, page numbers.

Bad input costs little: each reader here refuses, naming the field, what would otherwise
crash deeper down (a number past the database's integer columns, JSON nested a thousand deep,
a string no database can store) or cost a lot (a page number whose offset never ends).
The areas' readers (read_plan, read_learner, read_checkin, ...) check the fields' meaning;
these check that the input is something they can read at all.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from app.errors import ValidationError

# What an INTEGER column holds on PostgreSQL (32 bits; SQLite's hold 64): every id, capacity,
# count and year fits, and past it a query fails ("integer out of range", or on SQLite an
# OverflowError past 64 bits).
DB_INT_MIN = -(2**31)
DB_INT_MAX = 2**31 - 1
# Deepest legitimate body: a check-in's new_learner object (2). Past this, nothing reads it.
MAX_JSON_DEPTH = 8
# A list of 50 a page past this is 5 million rows in: nobody pages that far by hand.
MAX_PAGE = 100_000

_ASCII_DIGITS = re.compile(r"[0-9]+")
# A lone surrogate cannot be encoded in UTF-8, and PostgreSQL text cannot hold NUL: either
# would fail only at the commit, after every check had passed.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _digits_up_to(limit: int) -> str:
    """A regular expression for the ASCII numbers from 0 to `limit` (leading zeros allowed)."""
    top = str(limit)
    shorter = f"[0-9]{{1,{len(top) - 1}}}"
    same_length = []
    for i, digit in enumerate(top):
        lowest = 1 if i == 0 else 0
        if int(digit) > lowest:
            rest = len(top) - i - 1
            same_length.append(f"{top[:i]}[{lowest}-{int(digit) - 1}][0-9]{{{rest}}}")
    return f"0*(?:{'|'.join([shorter, *same_length, top])})"


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: ASCII digits that fit an integer column, else no match (404).

    Werkzeug's own takes any Unicode digit and any size, and a size past the column's crashed
    the query that looked the id up. The bound is in the pattern, not only in to_python: a number
    the pattern takes but to_python refuses answers 405 where another method's route matched.
    """

    regex = _digits_up_to(DB_INT_MAX)

    def __init__(self, map, fixed_digits=0, min=None, max=DB_INT_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def digits_int(text: str | None) -> int | None:
    """The number written in ASCII digits, if it fits an integer column; else None.

    `str.isdigit` says yes to "²" and "١", which `int` then refuses or reads; this does not.
    """
    if text is None or not _ASCII_DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if number <= DB_INT_MAX else None


def fits_db_int(number: int) -> bool:
    return DB_INT_MIN <= number <= DB_INT_MAX


def unstorable(text: str) -> bool:
    """Whether the text holds a character no database here can store (NUL, lone surrogate)."""
    return _UNSTORABLE.search(text) is not None


def page_number(text: str | None, name: str = "page") -> int:
    """A page number from the query string, 1 when absent; ValidationError naming `name`."""
    if text is None or text == "":
        return 1
    number = digits_int(text)
    if number is None or not 1 <= number <= MAX_PAGE:
        raise ValidationError(
            _("検索条件を確認してください。"),
            fields={name: _("1から%(max)dまでの整数で指定してください。", max=MAX_PAGE)},
        )
    return number


def page_or_first(text: str | None) -> int:
    """A page number for a page's pager: what cannot be a page is the first page."""
    try:
        return page_number((text or "").strip())
    except ValidationError:
        return 1


# ---------------------------------------------------------------- JSON bodies


def _body_error(why: str) -> ValidationError:
    return ValidationError(_("JSON オブジェクトを送ってください。"), fields={"body": why})


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)  # NaN and Infinity are not JSON, though Python writes them


def parse_json_object(data: bytes) -> dict[str, Any]:
    """A JSON object whose every value a reader can take; ValidationError naming the field.

    Refused: text that is not JSON, anything but an object at the top, nesting deeper than
    MAX_JSON_DEPTH, integers past the integer columns, strings with NUL or a lone surrogate.
    """
    try:
        body = json.loads(data, parse_constant=_refuse_constant)
    except RecursionError:
        raise _body_error(_("入れ子は%(n)d段までにしてください。", n=MAX_JSON_DEPTH)) from None
    except ValueError:
        raise _body_error(_("JSON として読めません。")) from None
    if not isinstance(body, dict):
        raise _body_error(_("JSON オブジェクトが必要です。"))
    errors: dict[str, str] = {}
    # Walked without recursion: how deep it goes is what is being checked.
    stack: list[tuple[Any, int, str]] = [(body, 0, "body")]
    while stack:
        value, depth, field = stack.pop()
        if field in errors:
            continue
        if depth > MAX_JSON_DEPTH:
            errors[field] = _("入れ子は%(n)d段までにしてください。", n=MAX_JSON_DEPTH)
        elif isinstance(value, str):
            if unstorable(value):
                errors[field] = _("使えない文字(NUL や対のないサロゲート)が含まれています。")
        elif isinstance(value, bool):
            pass
        elif isinstance(value, int):
            if not fits_db_int(value):
                errors[field] = _("数が大きすぎます。")
        elif isinstance(value, dict):
            for key, item in value.items():
                if unstorable(key):
                    errors["body" if depth == 0 else field] = _(
                        "項目の名前に使えない文字が含まれています。"
                    )
                    continue
                stack.append((item, depth + 1, key if depth == 0 else field))
        elif isinstance(value, list):
            stack.extend((item, depth + 1, field) for item in value)
    if errors:
        raise ValidationError(_("入力内容を確認してください。"), fields=errors)
    return body


def json_object() -> dict[str, Any]:
    """The request's body as parse_json_object reads it; sent as application/json."""
    if not request.is_json:
        raise _body_error(
            _("Content-Type: application/json で JSON オブジェクトを送ってください。")
        )
    return parse_json_object(request.get_data(cache=True))
