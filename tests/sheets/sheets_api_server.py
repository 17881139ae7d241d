"""A local HTTP server that speaks the Google Sheets API v4, for tests and benchmarks.

Why it exists: the Sheets sync must be tested through gspread's real client code over real
HTTP (DESIGN.md §6: external services are replaced by real local servers speaking their
protocol, never by patched objects), and it must never call Google. This server keeps
spreadsheets in memory and answers the endpoints gspread uses, with Google's JSON shapes and
Google's error bodies, so that the code under test cannot tell it from the real service on the
paths it exercises.

It keeps cells the way Sheets does, because that is where partner data gets damaged:

- ``USER_ENTERED`` parses what a person would have typed: ``'09012345678'`` becomes the number
  9012345678 (its leading zero lost), ``'=1+1'`` a formula, ``'TRUE'`` a boolean, ``"'0123"``
  the text ``0123`` -- unless the cell's number format is ``TEXT``, in which case the string is
  kept as typed. ``RAW`` keeps strings as strings.
- Reads render ``FORMATTED_VALUE`` (default; strings, ``9012345678`` for the number, integers
  without ``.0``), ``UNFORMATTED_VALUE`` (JSON numbers and booleans) or ``FORMULA``; trailing
  empty cells and rows are trimmed and ``values`` is omitted when a range is empty.
- Writes (``values.update``/``values.batchUpdate``) and reads of explicit cells beyond the
  sheet's grid answer 400 "exceeds grid limits", as Google does; ``values.append`` grows the
  grid. ``spreadsheets.batchUpdate`` and ``values.batchUpdate`` are atomic.

Documented simplifications (each one errs on the side of the stricter or the plainer):

- Dates such as ``2026-04-01``, currencies and full-width digits typed ``USER_ENTERED`` stay
  strings (Sheets would turn dates into serial numbers). Numbers, ``1,234``, ``12%``, booleans,
  formulas and the leading apostrophe are parsed.
- Formulas are evaluated only when they are plain arithmetic (``=1+2*3``); any other formula's
  value is its own text.
- Number formats: ``TEXT`` is honoured on input; on output only ``NUMBER``-like patterns made
  of ``0``, ``#``, ``,`` and ``.`` are applied (``00000`` zero-pads); everything else renders in
  the automatic format. Other formatting (bold, colours, widths) is accepted and forgotten.
- ``values.append`` finds the table as the first row with a value in the range followed by the
  rows without a gap (so, like Google, it stops at the first blank row), within the range's
  columns; Google's detection of a table's columns is subtler.
- ``spreadsheets.batchUpdate`` implements addSheet, deleteSheet, updateSheetProperties,
  updateSpreadsheetProperties, repeatCell (number format and userEnteredValue), appendDimension,
  insertDimension and deleteDimension; updateDimensionProperties, autoResizeDimensions and
  updateBorders are accepted as no-ops. Any other request answers 400 naming it.
- ``includeGridData=true``, named ranges, developer metadata and the Drive API are not served.

Instrumentation for tests: a thread-safe call log (:attr:`SheetsAPIServer.call_log`,
:attr:`SheetsAPIServer.calls`, :meth:`SheetsAPIServer.reset_calls`), injected failures
(:meth:`SheetsAPIServer.fail_next`, :meth:`SheetsAPIServer.fail_when`), optional per-request
latency for benchmarks, and direct accessors to set up and inspect spreadsheets without HTTP.

Authentication: every API request needs ``Authorization: Bearer <token>``; with
``accepted_tokens`` set only those tokens (and tokens this server issued) pass. ``POST /token``
is an OAuth token endpoint for service-account credentials whose ``token_uri`` points here.

Usage::

    with SheetsAPIServer() as server:
        key = server.create_spreadsheet("Partner", sheets={"Signups": [["name", "phone"]]})
        gc = client_for(server.url, token="test")
        gc.open_by_key(key).worksheet("Signups").get_all_values()
"""

from __future__ import annotations

import ast
import base64
import copy
import json
import math
import operator
import random
import re
import secrets
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_ROWS = 1000
DEFAULT_COLUMNS = 26
MAX_CELLS = 10_000_000  # Google's per-spreadsheet cell limit
SPREADSHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets"

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_FAILURE_MESSAGES = {
    429: "Quota exceeded for quota metric '{kind} requests' and limit '{kind} requests per "
    "minute per user' of service 'sheets.googleapis.com' for consumer 'project_number:0'.",
    500: "Internal error encountered.",
    502: "Bad Gateway.",
    503: "The service is currently unavailable.",
    504: "The service is currently unavailable.",
}
# Request kinds that exist in Google's API, so that an unimplemented one is told apart from a typo.
_GOOGLE_REQUEST_KINDS = frozenset(
    [
        "updateSpreadsheetProperties",
        "updateSheetProperties",
        "updateDimensionProperties",
        "updateNamedRange",
        "repeatCell",
        "addNamedRange",
        "deleteNamedRange",
        "addSheet",
        "deleteSheet",
        "autoFill",
        "cutPaste",
        "copyPaste",
        "mergeCells",
        "unmergeCells",
        "updateBorders",
        "updateCells",
        "addFilterView",
        "appendCells",
        "clearBasicFilter",
        "deleteDimension",
        "deleteEmbeddedObject",
        "deleteFilterView",
        "duplicateFilterView",
        "duplicateSheet",
        "findReplace",
        "insertDimension",
        "insertRange",
        "moveDimension",
        "updateEmbeddedObjectPosition",
        "pasteData",
        "textToColumns",
        "updateFilterView",
        "deleteRange",
        "appendDimension",
        "addConditionalFormatRule",
        "updateConditionalFormatRule",
        "deleteConditionalFormatRule",
        "sortRange",
        "setDataValidation",
        "setBasicFilter",
        "addProtectedRange",
        "updateProtectedRange",
        "deleteProtectedRange",
        "autoResizeDimensions",
        "addChart",
        "updateChartSpec",
        "updateBanding",
        "addBanding",
        "deleteBanding",
        "createDeveloperMetadata",
        "updateDeveloperMetadata",
        "deleteDeveloperMetadata",
        "randomizeRange",
        "addDimensionGroup",
        "deleteDimensionGroup",
        "updateDimensionGroup",
        "trimWhitespace",
        "deleteDuplicates",
        "updateEmbeddedObjectBorder",
        "addSlicer",
        "updateSlicerSpec",
        "addDataSource",
        "updateDataSource",
        "deleteDataSource",
        "refreshDataSource",
        "cancelDataSourceRefresh",
        "addTable",
        "updateTable",
        "deleteTable",
    ]
)
_COSMETIC_REQUESTS = frozenset(
    {"updateDimensionProperties", "autoResizeDimensions", "updateBorders"}
)
_VALUE_RENDER_OPTIONS = ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")
_VALUE_INPUT_OPTIONS = ("RAW", "USER_ENTERED")


class ApiError(Exception):
    """An error answered with Google's JSON error body: ``{"error": {code, message, status}}``."""

    def __init__(
        self,
        code: int,
        message: str,
        status: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or _STATUS_NAMES.get(code, "UNKNOWN")
        self.headers = dict(headers or {})

    def payload(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "status": self.status}}


# ---------------------------------------------------------------------------------------------
# Cells and A1 notation
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Formula:
    """A formula cell: the text as entered and its computed value."""

    text: str
    value: str | float | bool


CellValue = str | float | bool | Formula | None


@dataclass(frozen=True)
class Rect:
    """Zero-based, half-open cell rectangle; an end of None means unbounded (open-ended range)."""

    row0: int
    row1: int | None
    col0: int
    col1: int | None

    def contains(self, row: int, col: int) -> bool:
        return (
            self.row0 <= row
            and (self.row1 is None or row < self.row1)
            and self.col0 <= col
            and (self.col1 is None or col < self.col1)
        )


def column_letters(index: int) -> str:
    """0 → 'A', 25 → 'Z', 26 → 'AA'."""
    n = index + 1
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str) -> int:
    """'A' → 0, 'AA' → 26."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def cell_name(row: int, col: int) -> str:
    return f"{column_letters(col)}{row + 1}"


_PLAIN_TITLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
_CELL_LIKE = re.compile(r"[A-Za-z]{1,3}\d+|[Rr]\d+[Cc]\d+", re.ASCII)
_ENDPOINT = re.compile(r"\$?([A-Za-z]{1,3})?\$?(\d+)?", re.ASCII)


def quote_title(title: str, always: bool = False) -> str:
    """Sheet title as Google writes it in ranges: quoted when it is not a plain identifier."""
    if not always and _PLAIN_TITLE.fullmatch(title) and not _CELL_LIKE.fullmatch(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def _parse_cells(text: str) -> tuple[Rect, bool] | None:
    """Parse the part after '!': 'A1', 'A1:C3', 'A:C', 'A2:Z', '2:5'. Returns (rect, is_cell)."""
    parts = text.split(":")
    if len(parts) > 2 or not all(parts):
        return None
    ends: list[tuple[int | None, int | None]] = []
    for part in parts:
        match = _ENDPOINT.fullmatch(part)
        if not match or not (match.group(1) or match.group(2)):
            return None
        col = column_index(match.group(1)) if match.group(1) else None
        row = int(match.group(2)) - 1 if match.group(2) else None
        if row is not None and row < 0:
            return None
        ends.append((col, row))
    if len(ends) == 1:
        col, row = ends[0]
        if col is None or row is None:
            return None
        return Rect(row, row + 1, col, col + 1), True
    (c_a, r_a), (c_b, r_b) = ends
    if c_a is None and c_b is None:
        col0, col1 = 0, None
    elif c_b is None:  # 'A1:1' (what gspread's row_values sends): from the column onwards
        col0, col1 = c_a, None
    elif c_a is None:
        col0, col1 = 0, c_b + 1
    else:
        col0, col1 = min(c_a, c_b), max(c_a, c_b) + 1
    if r_a is None and r_b is None:
        row0, row1 = 0, None
    elif r_b is None:
        assert r_a is not None
        row0, row1 = r_a, None
    elif r_a is None:
        row0, row1 = 0, r_b + 1
    else:
        row0, row1 = min(r_a, r_b), max(r_a, r_b) + 1
    return Rect(row0, row1, col0, col1), False


# ---------------------------------------------------------------------------------------------
# Values: parsing what is typed, rendering what is read
# ---------------------------------------------------------------------------------------------

_NUMBER = re.compile(
    r"[+-]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII
)
_PERCENT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)%", re.ASCII)
_ARITHMETIC = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}


class _NotArithmetic(Exception):
    pass


def _arithmetic(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _arithmetic(node.body)
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _arithmetic(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        left, right = _arithmetic(node.left), _arithmetic(node.right)
        if isinstance(node.op, ast.Pow) and (abs(right) > 64 or abs(left) > 1e6):
            raise _NotArithmetic
        return _ARITHMETIC[type(node.op)](left, right)
    raise _NotArithmetic


def evaluate_formula(text: str) -> str | float | bool:
    """Value of a formula: plain arithmetic is computed; anything else keeps its own text."""
    try:
        tree = ast.parse(text[1:].replace("^", "**").strip(), mode="eval")
        value = _arithmetic(tree)
    except ZeroDivisionError:
        return "#DIV/0!"
    except (SyntaxError, _NotArithmetic, OverflowError, ValueError):
        return text
    return value if math.isfinite(value) else "#NUM!"


def parse_user_entered(text: str) -> CellValue:
    """What Sheets stores when a person types `text` into a cell with an automatic format."""
    if text == "":
        return None
    if text.startswith("'"):
        return text[1:] or None
    if text.startswith("=") and len(text) > 1:
        return Formula(text, evaluate_formula(text))
    stripped = text.strip()
    if stripped.upper() in ("TRUE", "FALSE"):
        return stripped.upper() == "TRUE"
    if _NUMBER.fullmatch(stripped) and math.isfinite(number := float(stripped.replace(",", ""))):
        return number
    if _PERCENT.fullmatch(stripped):
        return float(stripped[:-1]) / 100
    return text


def _input_value(value: Any, option: str, text_format: bool, where: str) -> CellValue:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ApiError(400, f"Invalid value at '{where}': numbers must be finite")
        return float(value)
    if not isinstance(value, str):
        raise ApiError(
            400,
            f"Invalid value at '{where}' (type.googleapis.com/google.protobuf.ListValue), "
            f"{json.dumps(value, ensure_ascii=False)}",
        )
    if value == "":
        return None
    if option == "RAW" or text_format:
        return value
    return parse_user_entered(value)


def _general_number(x: float) -> str:
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.10g}".upper()


_SIMPLE_PATTERN = re.compile(r"([#0,]*0|#)(?:\.(0+))?", re.ASCII)


def _patterned_number(x: float, pattern: str) -> str | None:
    """'00000' zero-pads, '#,##0.00' groups thousands; rounding half away from zero, as Sheets."""
    match = _SIMPLE_PATTERN.fullmatch(pattern)
    if not match:
        return None
    integer, decimals = match.group(1), len(match.group(2) or "")
    amount = Decimal(repr(abs(x))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    whole, _, fraction = f"{amount:f}".partition(".")
    min_digits = integer.count("0")
    if "," in integer and len(whole) >= min_digits:
        whole = f"{int(whole):,}"
    whole = whole.zfill(min_digits)
    if min_digits == 0 and whole == "0":
        whole = ""
    sign = "-" if x < 0 and amount != 0 else ""
    return sign + whole + ("." + fraction if fraction else "")


def format_number(x: float, number_format: Mapping[str, Any] | None) -> str:
    """FORMATTED_VALUE of a number: automatic format, or a simple NUMBER-like pattern."""
    if number_format and number_format.get("type") not in (None, "TEXT"):
        pattern = number_format.get("pattern")
        if pattern:
            rendered = _patterned_number(x, pattern)
            if rendered is not None:
                return rendered
    return _general_number(x)


def _unformatted_number(x: float) -> int | float:
    return int(x) if x.is_integer() and abs(x) < 2**53 else x


def render_value(
    value: CellValue, option: str, number_format: Mapping[str, Any] | None = None
) -> Any:
    """How a stored cell value comes back from a read with the given valueRenderOption."""
    if value is None:
        return ""
    if isinstance(value, Formula):
        if option == "FORMULA":
            return value.text
        value = value.value
    if isinstance(value, bool):
        return value if option != "FORMATTED_VALUE" else ("TRUE" if value else "FALSE")
    if isinstance(value, float):
        if option == "FORMATTED_VALUE":
            return format_number(value, number_format)
        return _unformatted_number(value)
    return value


# ---------------------------------------------------------------------------------------------
# Spreadsheets in memory
# ---------------------------------------------------------------------------------------------


@dataclass
class _Sheet:
    props: dict[str, Any]
    grid: list[list[CellValue]] = field(default_factory=list)
    formats: list[tuple[Rect, dict[str, Any] | None]] = field(default_factory=list)

    @property
    def sheet_id(self) -> int:
        return self.props["sheetId"]

    @property
    def title(self) -> str:
        return self.props["title"]

    @property
    def rows(self) -> int:
        return self.props["gridProperties"]["rowCount"]

    @property
    def cols(self) -> int:
        return self.props["gridProperties"]["columnCount"]

    def cell(self, row: int, col: int) -> CellValue:
        if row < len(self.grid):
            line = self.grid[row]
            if col < len(line):
                return line[col]
        return None

    def set_cell(self, row: int, col: int, value: CellValue) -> None:
        grid = self.grid
        if row >= len(grid):
            if value is None:
                return
            grid.extend([] for _ in range(row + 1 - len(grid)))
        line = grid[row]
        if col >= len(line):
            if value is None:
                return
            line.extend([None] * (col + 1 - len(line)))
        line[col] = value

    def number_format(self, row: int, col: int) -> dict[str, Any] | None:
        for rect, number_format in reversed(self.formats):
            if rect.contains(row, col):
                return number_format
        return None

    def is_text(self, row: int, col: int) -> bool:
        if not self.formats:
            return False
        number_format = self.number_format(row, col)
        return bool(number_format) and number_format.get("type") == "TEXT"

    def clone(self) -> tuple[dict[str, Any], list[list[CellValue]], list[Any]]:
        return copy.deepcopy(self.props), [line[:] for line in self.grid], list(self.formats)


@dataclass
class _Spreadsheet:
    id: str
    props: dict[str, Any]
    sheets: list[_Sheet]
    rng: random.Random

    def find(self, title: str) -> _Sheet | None:
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        folded = title.casefold()
        for sheet in self.sheets:
            if sheet.title.casefold() == folded:
                return sheet
        return None

    def by_id(self, sheet_id: Any) -> _Sheet:
        for sheet in self.sheets:
            if sheet.sheet_id == sheet_id:
                return sheet
        raise ApiError(400, f"Invalid requests: No grid with id: {sheet_id}")

    def snapshot(self) -> tuple[Any, ...]:
        return (
            copy.deepcopy(self.props),
            list(self.sheets),
            [(sheet, sheet.clone()) for sheet in self.sheets],
        )

    def restore(self, snap: tuple[Any, ...]) -> None:
        props, sheets, states = snap
        self.props = props
        self.sheets = sheets
        for sheet, (sheet_props, grid, formats) in states:
            sheet.props, sheet.grid, sheet.formats = sheet_props, grid, formats

    def total_cells(self) -> int:
        return sum(sheet.rows * sheet.cols for sheet in self.sheets)

    def new_sheet_id(self) -> int:
        taken = {sheet.sheet_id for sheet in self.sheets}
        while True:
            candidate = self.rng.randrange(1, 2**31 - 1)
            if candidate not in taken:
                return candidate


def _label(sheet: _Sheet, row0: int, row1: int, col0: int, col1: int) -> str:
    start = cell_name(row0, col0)
    if row1 - row0 <= 1 and col1 - col0 <= 1:
        return f"{quote_title(sheet.title)}!{start}"
    return f"{quote_title(sheet.title)}!{start}:{cell_name(row1 - 1, col1 - 1)}"


def _grid_error(sheet: _Sheet, cells: str) -> ApiError:
    return ApiError(
        400,
        f"Range ({quote_title(sheet.title, always=True)}!{cells}) exceeds grid limits. "
        f"Max rows: {sheet.rows}, max columns: {sheet.cols}",
    )


# ---------------------------------------------------------------------------------------------
# Field masks (the `fields` parameter)
# ---------------------------------------------------------------------------------------------


def _parse_mask(text: str) -> dict[str, Any]:
    """'sheets.properties,sheets(protectedRanges)' → {'sheets': {'properties': {}, ...}}."""
    tokens = re.findall(r"[A-Za-z0-9_*]+|[.,/()]", text.replace(" ", ""))
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def parse_list(tree: dict[str, Any]) -> None:
        nonlocal pos
        parse_path(tree)
        while peek() == ",":
            pos += 1
            parse_path(tree)

    def parse_path(tree: dict[str, Any]) -> None:
        nonlocal pos
        name = peek()
        if name is None or name in ".,/()":
            raise ApiError(400, f"Invalid field selection {text}")
        pos += 1
        node = tree.setdefault(name, {})
        if peek() in (".", "/"):
            pos += 1
            parse_path(node)
        elif peek() == "(":
            pos += 1
            parse_list(node)
            if peek() != ")":
                raise ApiError(400, f"Invalid field selection {text}")
            pos += 1

    mask: dict[str, Any] = {}
    parse_list(mask)
    if pos != len(tokens):
        raise ApiError(400, f"Invalid field selection {text}")
    return mask


def _apply_mask(value: Any, mask: dict[str, Any]) -> Any:
    if not mask or "*" in mask:
        return value
    if isinstance(value, list):
        return [_apply_mask(item, mask) for item in value]
    if isinstance(value, dict):
        return {key: _apply_mask(value[key], sub) for key, sub in mask.items() if key in value}
    return value


# ---------------------------------------------------------------------------------------------
# Instrumentation
# ---------------------------------------------------------------------------------------------


@dataclass
class Call:
    """One request the server received. `endpoint` is e.g. 'values.batchGet' (None if unknown)."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    time: float
    endpoint: str | None
    spreadsheet_id: str | None
    range: str | None
    status: int = 0


@dataclass
class _Failure:
    status: int
    retry_after: float | None
    apply: bool
    remaining: int | None
    predicate: Callable[[Call], bool] | None = None

    def error(self, call: Call) -> ApiError:
        headers = {}
        if self.retry_after is not None:
            headers["Retry-After"] = f"{self.retry_after:g}"
        message = _FAILURE_MESSAGES.get(self.status, "Injected failure.")
        message = message.format(kind="Read" if call.method == "GET" else "Write")
        return ApiError(self.status, message, headers=headers)


_ROUTE_SPREADSHEET = re.compile(r"/v4/spreadsheets/([^/:]+)(?::(batchUpdate))?")
_ROUTE_VALUES_BATCH = re.compile(
    r"/v4/spreadsheets/([^/:]+)/values:(batchGet|batchUpdate|batchClear)"
)
_ROUTE_VALUES = re.compile(r"/v4/spreadsheets/([^/:]+)/values/(.+)")
_ROUTE_METHODS = {
    "spreadsheets.get": "GET",
    "spreadsheets.batchUpdate": "POST",
    "values.get": "GET",
    "values.update": "PUT",
    "values.append": "POST",
    "values.clear": "POST",
    "values.batchGet": "GET",
    "values.batchUpdate": "POST",
    "values.batchClear": "POST",
}


def _route(method: str, path: str) -> tuple[str, str, str | None] | None:
    """(endpoint, spreadsheet id, range text) for a Sheets API path, or None."""
    endpoint: str
    range_text: str | None = None
    if match := _ROUTE_SPREADSHEET.fullmatch(path):
        endpoint = "spreadsheets.batchUpdate" if match.group(2) else "spreadsheets.get"
    elif match := _ROUTE_VALUES_BATCH.fullmatch(path):
        endpoint = "values." + match.group(2)
    elif match := _ROUTE_VALUES.fullmatch(path):
        raw = match.group(2)
        if raw.endswith(":append"):
            endpoint, raw = "values.append", raw[: -len(":append")]
        elif raw.endswith(":clear"):
            endpoint, raw = "values.clear", raw[: -len(":clear")]
        else:
            endpoint = "values.update" if method == "PUT" else "values.get"
        range_text = unquote(raw)
    else:
        return None
    if _ROUTE_METHODS[endpoint] != method:
        return None
    return endpoint, unquote(match.group(1)), range_text


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as with Google; faster benchmarks
    disable_nagle_algorithm = True  # headers and body go out in two writes: avoid 40 ms stalls
    server_version = "LocalSheetsAPI/1.0"
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self, method: str) -> None:
        owner: SheetsAPIServer = self.server.owner  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, headers, payload = owner._dispatch(method, self.path, self.headers, body)
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")


# ---------------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------------


class SheetsAPIServer:
    """In-memory Google Sheets API v4 on 127.0.0.1, for gspread's real client to talk to.

    Start it with ``with SheetsAPIServer() as server:`` or ``server.start()`` /
    ``server.stop()``; point clients at :attr:`url`.

    :param latency: seconds added to every API response (benchmarks: a naive per-row loop pays
        it per row, a batched sync a constant number of times).
    :param accepted_tokens: when set, only these bearer tokens (and tokens issued by
        ``POST /token``) are accepted; otherwise any non-empty bearer token is.
    :param expand_grid_on_write: let values.update/batchUpdate grow the grid instead of
        answering 400 "exceeds grid limits" (Google answers 400; keep False to be safe).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        accepted_tokens: set[str] | None = None,
        expand_grid_on_write: bool = False,
    ) -> None:
        self.host = host
        self.port = port
        self.latency = latency
        self.accepted_tokens = accepted_tokens
        self.expand_grid_on_write = expand_grid_on_write
        self.issued_tokens: set[str] = set()
        self.token_requests: list[dict[str, Any]] = []
        self.internal_errors: list[str] = []
        self._lock = threading.RLock()
        self._spreadsheets: dict[str, _Spreadsheet] = {}
        self._log: list[Call] = []
        self._failures: list[_Failure] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> SheetsAPIServer:
        if self._httpd is not None:
            return self
        httpd = ThreadingHTTPServer((self.host, self.port), _Handler)
        httpd.daemon_threads = True
        httpd.owner = self  # type: ignore[attr-defined]
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"sheets-api-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> SheetsAPIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL to use instead of https://sheets.googleapis.com."""
        if self._httpd is None:
            raise RuntimeError("the Sheets API server is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def token_uri(self) -> str:
        """OAuth token endpoint, for a service-account JSON file's ``token_uri``."""
        return self.url + "/token"

    # -- instrumentation ------------------------------------------------------------------

    @property
    def calls(self) -> int:
        """Number of Sheets API requests received (token requests excluded)."""
        with self._lock:
            return len(self._log)

    @property
    def call_log(self) -> list[Call]:
        with self._lock:
            return list(self._log)

    def calls_by_endpoint(self) -> Counter[str | None]:
        with self._lock:
            return Counter(call.endpoint for call in self._log)

    def reset_calls(self) -> None:
        with self._lock:
            self._log.clear()

    def fail_next(
        self,
        n: int = 1,
        status: int = 429,
        retry_after: float | None = None,
        *,
        apply: bool = False,
    ) -> None:
        """Make the next `n` API requests answer `status` with Google's error JSON.

        With ``apply=True`` the request is carried out first and the error answered after,
        as when Google applies a write but the answer is lost (a 500 or a timeout): the case
        where a retried non-idempotent write duplicates rows.
        """
        if status < 400:
            raise ValueError("status must be an HTTP error status")
        if n < 1:
            raise ValueError("n must be at least 1")
        with self._lock:
            self._failures.append(_Failure(status, retry_after, apply, n))

    def fail_when(
        self,
        predicate: Callable[[Call], bool],
        status: int = 500,
        retry_after: float | None = None,
        *,
        times: int | None = None,
        apply: bool = False,
    ) -> None:
        """Answer `status` to requests for which `predicate(call)` is true (`times` at most)."""
        if status < 400:
            raise ValueError("status must be an HTTP error status")
        with self._lock:
            self._failures.append(_Failure(status, retry_after, apply, times, predicate))

    def clear_failures(self) -> None:
        with self._lock:
            self._failures.clear()

    def _take_failure(self, call: Call) -> _Failure | None:
        with self._lock:
            for failure in self._failures:
                if failure.predicate is not None and not failure.predicate(call):
                    continue
                if failure.remaining is not None:
                    failure.remaining -= 1
                    if failure.remaining <= 0:
                        self._failures.remove(failure)
                return failure
        return None

    # -- direct access for test setup and assertions --------------------------------------

    def create_spreadsheet(
        self,
        title: str = "Untitled spreadsheet",
        sheets: Mapping[str, Sequence[Sequence[Any]]] | None = None,
        *,
        spreadsheet_id: str | None = None,
        rows: int = DEFAULT_ROWS,
        cols: int = DEFAULT_COLUMNS,
    ) -> str:
        """Create a spreadsheet; `sheets` maps titles to rows stored as given (like RAW).

        The first sheet gets sheetId 0, as in a new Google spreadsheet; grids are at least
        `rows` × `cols` and large enough for the data.
        """
        spreadsheet_id = spreadsheet_id or secrets.token_urlsafe(30)[:44]
        with self._lock:
            if spreadsheet_id in self._spreadsheets:
                raise ValueError(f"spreadsheet {spreadsheet_id} exists")
            spreadsheet = _Spreadsheet(
                id=spreadsheet_id,
                props={
                    "title": title,
                    "locale": "ja_JP",
                    "autoRecalc": "ON_CHANGE",
                    "timeZone": "Asia/Tokyo",
                },
                sheets=[],
                rng=random.Random(spreadsheet_id),
            )
            for index, (sheet_title, data) in enumerate((sheets or {"Sheet1": []}).items()):
                width = max((len(line) for line in data), default=0)
                sheet = _Sheet(
                    props={
                        "sheetId": 0 if index == 0 else spreadsheet.new_sheet_id(),
                        "title": sheet_title,
                        "index": index,
                        "sheetType": "GRID",
                        "gridProperties": {
                            "rowCount": max(rows, len(data)),
                            "columnCount": max(cols, width),
                        },
                    }
                )
                spreadsheet.sheets.append(sheet)
                self._store(sheet, 0, 0, data, "RAW")
            self._spreadsheets[spreadsheet_id] = spreadsheet
        return spreadsheet_id

    def add_sheet(self, spreadsheet_id: str, title: str, rows: Sequence[Sequence[Any]] = ()) -> int:
        """Add a sheet holding `rows` (stored as given); returns its sheetId."""
        with self._lock:
            spreadsheet = self._get(spreadsheet_id)
            reply = self._add_sheet(spreadsheet, {"properties": {"title": title}})
            sheet = spreadsheet.by_id(reply["properties"]["sheetId"])
            self.set_values(spreadsheet_id, title, rows, value_input_option="RAW")
            return sheet.sheet_id

    def sheet_titles(self, spreadsheet_id: str) -> list[str]:
        with self._lock:
            return [sheet.title for sheet in self._get(spreadsheet_id).sheets]

    def grid_size(self, spreadsheet_id: str, sheet_title: str) -> tuple[int, int]:
        """(rowCount, columnCount) of a sheet."""
        with self._lock:
            sheet = self._sheet(spreadsheet_id, sheet_title)
            return sheet.rows, sheet.cols

    def get_values(
        self, spreadsheet_id: str, sheet_title: str, render: str = "FORMULA"
    ) -> list[list[Any]]:
        """The stored grid, trimmed as Google trims it.

        The default ``FORMULA`` rendering shows what is stored: strings, numbers as ints or
        floats (so a phone that lost its zero shows as 9012345678), booleans, formula text.
        """
        with self._lock:
            sheet = self._sheet(spreadsheet_id, sheet_title)
            return self._read(sheet, 0, sheet.rows, 0, sheet.cols, render, "ROWS")

    def set_values(
        self,
        spreadsheet_id: str,
        sheet_title: str,
        rows: Sequence[Sequence[Any]],
        start: str = "A1",
        *,
        value_input_option: str = "USER_ENTERED",
    ) -> None:
        """Write `rows` from `start`, as a person typing (USER_ENTERED) or stored as is (RAW).

        Unlike the API, the grid grows as needed: this is test setup, not a client.
        """
        parsed = _parse_cells(start)
        if parsed is None:
            raise ValueError(f"bad start cell {start!r}")
        rect = parsed[0]
        with self._lock:
            sheet = self._sheet(spreadsheet_id, sheet_title)
            self._store(sheet, rect.row0, rect.col0, rows, value_input_option)

    def sheet_format(
        self, spreadsheet_id: str, sheet_title: str, cell: str = "A1"
    ) -> dict[str, Any] | None:
        """The numberFormat in effect at `cell` (e.g. ``{"type": "TEXT"}``), or None."""
        parsed = _parse_cells(cell)
        if parsed is None or not parsed[1]:
            raise ValueError(f"bad cell {cell!r}")
        with self._lock:
            sheet = self._sheet(spreadsheet_id, sheet_title)
            number_format = sheet.number_format(parsed[0].row0, parsed[0].col0)
            return copy.deepcopy(number_format)

    def metadata(self, spreadsheet_id: str) -> dict[str, Any]:
        """What ``GET /v4/spreadsheets/{id}`` answers."""
        with self._lock:
            return self._metadata(self._get(spreadsheet_id))

    def _get(self, spreadsheet_id: str) -> _Spreadsheet:
        try:
            return self._spreadsheets[spreadsheet_id]
        except KeyError:
            raise ApiError(404, "Requested entity was not found.") from None

    def _sheet(self, spreadsheet_id: str, title: str) -> _Sheet:
        sheet = self._get(spreadsheet_id).find(title)
        if sheet is None:
            raise KeyError(f"no sheet {title!r}")
        return sheet

    def _store(
        self, sheet: _Sheet, row0: int, col0: int, rows: Sequence[Sequence[Any]], option: str
    ) -> None:
        """Write for test setup: grows the grid, converts like the API."""
        height = row0 + len(rows)
        width = col0 + max((len(line) for line in rows), default=0)
        grid_props = sheet.props["gridProperties"]
        grid_props["rowCount"] = max(grid_props["rowCount"], height)
        grid_props["columnCount"] = max(grid_props["columnCount"], width)
        for i, line in enumerate(rows):
            for j, value in enumerate(line):
                if value is None:
                    continue
                where = f"values[{i}][{j}]"
                stored = _input_value(value, option, sheet.is_text(row0 + i, col0 + j), where)
                sheet.set_cell(row0 + i, col0 + j, stored)

    # -- HTTP dispatch --------------------------------------------------------------------

    def _dispatch(
        self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        split = urlsplit(raw_path)
        query = parse_qs(split.query, keep_blank_values=True)
        if split.path == "/token" and method == "POST":
            return self._token(body)
        route = _route(method, split.path)
        try:
            parsed_body = json.loads(body) if body else None
        except ValueError:
            parsed_body = body.decode("utf-8", "replace")
        call = Call(
            method=method,
            path=unquote(split.path),
            query=query,
            body=parsed_body,
            time=time.time(),
            endpoint=route[0] if route else None,
            spreadsheet_id=route[1] if route else None,
            range=route[2] if route else None,
        )
        with self._lock:
            self._log.append(call)
        if self.latency:
            time.sleep(self.latency)
        response_headers: dict[str, str] = {}
        try:
            self._authenticate(headers)
            if route is None:
                raise ApiError(404, f"Method not found: {method} {split.path}")
            if isinstance(parsed_body, str):
                raise ApiError(400, "Invalid JSON payload received.")
            failure = self._take_failure(call)
            if failure is not None and not failure.apply:
                raise failure.error(call)
            endpoint, spreadsheet_id, range_text = route
            with self._lock:
                payload = self._handle(endpoint, spreadsheet_id, range_text, query, parsed_body)
            if failure is not None:
                raise failure.error(call)
            status = 200
        except ApiError as error:
            status, payload, response_headers = error.code, error.payload(), error.headers
        except Exception:  # a bug in this server: answer loudly, keep it for the test to see
            detail = traceback.format_exc()
            with self._lock:
                self.internal_errors.append(detail)
            error = ApiError(500, "local Sheets API server bug:\n" + detail)
            status, payload = 500, error.payload()
        with self._lock:
            call.status = status
        return status, response_headers, payload

    def _authenticate(self, headers: Mapping[str, str]) -> None:
        scheme, _, token = (headers.get("Authorization") or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise ApiError(
                401,
                "Request is missing required authentication credential. Expected OAuth 2 "
                "access token, login cookie or other valid authentication credential.",
                headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )
        accepted = self.accepted_tokens
        if accepted is not None and token not in accepted and token not in self.issued_tokens:
            raise ApiError(
                401,
                "Request had invalid authentication credentials. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential.",
                headers={
                    "WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'
                },
            )

    def _token(self, body: bytes) -> tuple[int, dict[str, str], Any]:
        """OAuth 2 JWT-bearer grant, as oauth2.googleapis.com/token answers service accounts."""
        form = parse_qs(body.decode("utf-8", "replace"))
        grant = form.get("grant_type", [""])[0]
        assertion = form.get("assertion", [""])[0]
        if grant != "urn:ietf:params:oauth:grant-type:jwt-bearer" or assertion.count(".") != 2:
            return 400, {}, {"error": "invalid_grant", "error_description": "Invalid grant"}
        try:
            encoded = assertion.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
        except ValueError:
            return 400, {}, {"error": "invalid_grant", "error_description": "Invalid JWT"}
        if SPREADSHEETS_SCOPE not in str(claims.get("scope", "")).split():
            return 400, {}, {"error": "invalid_scope", "error_description": "Invalid scope"}
        token = "ya29.local-" + secrets.token_hex(12)
        with self._lock:
            self.issued_tokens.add(token)
            self.token_requests.append(claims)
        return 200, {}, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}

    def _handle(
        self,
        endpoint: str,
        spreadsheet_id: str,
        range_text: str | None,
        query: dict[str, list[str]],
        body: Any,
    ) -> Any:
        spreadsheet = self._get(spreadsheet_id)
        body = body if body is not None else {}
        if not isinstance(body, dict):
            raise ApiError(400, "Invalid JSON payload received. Expected an object.")
        if endpoint == "spreadsheets.get":
            return self._spreadsheets_get(spreadsheet, query)
        if endpoint == "values.get":
            assert range_text is not None
            return self._values_get(spreadsheet, range_text, query)
        if endpoint == "values.batchGet":
            return self._values_batch_get(spreadsheet, query)
        handlers: dict[str, Callable[[], Any]] = {
            "spreadsheets.batchUpdate": lambda: self._batch_update(spreadsheet, body),
            "values.update": lambda: self._values_update(spreadsheet, range_text, query, body),
            "values.append": lambda: self._values_append(spreadsheet, range_text, query, body),
            "values.clear": lambda: self._values_clear(spreadsheet, [range_text]),
            "values.batchUpdate": lambda: self._values_batch_update(spreadsheet, body),
            "values.batchClear": lambda: self._values_clear(spreadsheet, body.get("ranges")),
        }
        snapshot = spreadsheet.snapshot()
        try:
            result = handlers[endpoint]()
        except BaseException:
            spreadsheet.restore(snapshot)  # all-or-nothing, as Google applies a request
            raise
        if endpoint == "values.clear":
            return {"spreadsheetId": spreadsheet.id, "clearedRange": result["clearedRanges"][0]}
        return result

    # -- ranges ---------------------------------------------------------------------------

    def _resolve(self, spreadsheet: _Spreadsheet, text: Any) -> tuple[_Sheet, Rect, bool]:
        """A1 range → (sheet, rectangle, is a single cell); 400 when it does not parse."""
        if not isinstance(text, str) or not text:
            raise ApiError(400, f"Unable to parse range: {text}")
        error = ApiError(400, f"Unable to parse range: {text}")
        whole = Rect(0, None, 0, None)
        title: str | None
        cells: str | None
        if text.startswith("'"):
            pieces, i = [], 1
            while True:
                j = text.find("'", i)
                if j < 0:
                    raise error
                pieces.append(text[i:j])
                if text[j + 1 : j + 2] == "'":
                    pieces.append("'")
                    i = j + 2
                    continue
                rest = text[j + 1 :]
                break
            title = "".join(pieces)
            if rest == "":
                cells = None
            elif rest.startswith("!") and len(rest) > 1:
                cells = rest[1:]
            else:
                raise error
        elif "!" in text:
            title, _, cells = text.rpartition("!")
            if not cells:
                raise error
        else:
            parsed = _parse_cells(text)
            if parsed is not None:  # Google reads 'A1' as a cell of the first sheet
                return spreadsheet.sheets[0], *parsed
            sheet = spreadsheet.find(text)
            if sheet is None:
                raise error
            return sheet, whole, False
        sheet = spreadsheet.find(title)
        if sheet is None:
            raise error
        if cells is None:
            return sheet, whole, False
        parsed = _parse_cells(cells)
        if parsed is None:
            raise error
        return sheet, *parsed

    def _clip(self, sheet: _Sheet, rect: Rect) -> tuple[int, int, int, int]:
        """Rectangle within the grid; explicit bounds beyond it are Google's 400."""
        explicit_rows = rect.row0 >= sheet.rows or (
            rect.row1 is not None and rect.row1 > sheet.rows
        )
        explicit_cols = rect.col0 >= sheet.cols or (
            rect.col1 is not None and rect.col1 > sheet.cols
        )
        if explicit_rows or explicit_cols:
            row1 = rect.row1 if rect.row1 is not None else rect.row0 + 1
            col1 = rect.col1 if rect.col1 is not None else rect.col0 + 1
            cells = cell_name(rect.row0, rect.col0)
            if (row1, col1) != (rect.row0 + 1, rect.col0 + 1):
                cells += ":" + cell_name(row1 - 1, col1 - 1)
            raise _grid_error(sheet, cells)
        row1 = sheet.rows if rect.row1 is None else rect.row1
        col1 = sheet.cols if rect.col1 is None else rect.col1
        return rect.row0, row1, rect.col0, col1

    # -- reads ----------------------------------------------------------------------------

    def _read(
        self,
        sheet: _Sheet,
        row0: int,
        row1: int,
        col0: int,
        col1: int,
        render: str,
        major: str,
    ) -> list[list[Any]]:
        formatted = render == "FORMATTED_VALUE" and bool(sheet.formats)
        out: list[list[Any]] = []
        if major == "COLUMNS":
            for col in range(col0, col1):
                line = [sheet.cell(row, col) for row in range(row0, min(row1, len(sheet.grid)))]
                out.append(
                    self._render_line(
                        sheet, line, render, formatted, lambda i, c=col: (row0 + i, c)
                    )
                )
        else:
            for row in range(row0, min(row1, len(sheet.grid))):
                line = sheet.grid[row][col0:col1]
                out.append(
                    self._render_line(
                        sheet, line, render, formatted, lambda i, r=row: (r, col0 + i)
                    )
                )
        while out and not out[-1]:
            out.pop()
        return out

    @staticmethod
    def _render_line(
        sheet: _Sheet,
        line: list[CellValue],
        render: str,
        formatted: bool,
        position: Callable[[int], tuple[int, int]],
    ) -> list[Any]:
        end = len(line)
        while end and line[end - 1] is None:
            end -= 1
        result = []
        for i in range(end):
            value = line[i]
            number_format = None
            if formatted and isinstance(value, float | Formula):
                number_format = sheet.number_format(*position(i))
            result.append(render_value(value, render, number_format))
        return result

    def _value_range(
        self, spreadsheet: _Spreadsheet, text: str, render: str, major: str
    ) -> dict[str, Any]:
        sheet, rect, _ = self._resolve(spreadsheet, text)
        row0, row1, col0, col1 = self._clip(sheet, rect)
        result: dict[str, Any] = {
            "range": _label(sheet, row0, row1, col0, col1),
            "majorDimension": major,
        }
        values = self._read(sheet, row0, row1, col0, col1, render, major)
        if values:
            result["values"] = values
        return result

    @staticmethod
    def _render_options(query: Mapping[str, list[str]]) -> tuple[str, str]:
        render = query.get("valueRenderOption", ["FORMATTED_VALUE"])[0] or "FORMATTED_VALUE"
        major = query.get("majorDimension", ["ROWS"])[0] or "ROWS"
        if render not in _VALUE_RENDER_OPTIONS:
            raise ApiError(400, f"Invalid value at 'value_render_option' ({render})")
        if major not in ("ROWS", "COLUMNS"):
            raise ApiError(400, f"Invalid value at 'major_dimension' ({major})")
        return render, major

    def _spreadsheets_get(
        self, spreadsheet: _Spreadsheet, query: Mapping[str, list[str]]
    ) -> dict[str, Any]:
        if query.get("includeGridData", ["false"])[0].lower() == "true":
            raise ApiError(
                400, "includeGridData=true is not implemented by the local Sheets API server"
            )
        data = self._metadata(spreadsheet)
        fields = query.get("fields", [""])[0]
        if fields:
            data = _apply_mask(data, _parse_mask(fields))
        return data

    def _metadata(self, spreadsheet: _Spreadsheet) -> dict[str, Any]:
        sheets = []
        for index, sheet in enumerate(spreadsheet.sheets):
            props = copy.deepcopy(sheet.props)
            props["index"] = index
            sheets.append({"properties": props})
        return {
            "spreadsheetId": spreadsheet.id,
            "properties": copy.deepcopy(spreadsheet.props),
            "sheets": sheets,
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{spreadsheet.id}/edit",
        }

    def _values_get(
        self, spreadsheet: _Spreadsheet, text: str, query: Mapping[str, list[str]]
    ) -> dict[str, Any]:
        render, major = self._render_options(query)
        return self._value_range(spreadsheet, text, render, major)

    def _values_batch_get(
        self, spreadsheet: _Spreadsheet, query: Mapping[str, list[str]]
    ) -> dict[str, Any]:
        render, major = self._render_options(query)
        ranges = query.get("ranges", [])
        result: dict[str, Any] = {"spreadsheetId": spreadsheet.id}
        if ranges:
            result["valueRanges"] = [
                self._value_range(spreadsheet, text, render, major) for text in ranges
            ]
        return result

    # -- writes ---------------------------------------------------------------------------

    @staticmethod
    def _input_option(value: Any) -> str:
        if not value:
            raise ApiError(400, "'valueInputOption' is required but not specified")
        if value not in _VALUE_INPUT_OPTIONS:
            raise ApiError(400, f"Invalid value at 'value_input_option' ({value})")
        return value

    @staticmethod
    def _rows_of(values: Any, major: str | None, where: str) -> list[list[Any]]:
        if values is None:
            return []
        if not isinstance(values, list) or not all(isinstance(line, list) for line in values):
            raise ApiError(
                400, f"Invalid value at '{where}' (type.googleapis.com/google.protobuf.ListValue)"
            )
        major = major or "ROWS"
        if major not in ("ROWS", "COLUMNS", "DIMENSION_UNSPECIFIED"):
            raise ApiError(400, f"Invalid value at 'major_dimension' ({major})")
        if major != "COLUMNS":
            return values
        height = max((len(line) for line in values), default=0)
        rows: list[list[Any]] = [[None] * len(values) for _ in range(height)]
        for j, column in enumerate(values):
            for i, value in enumerate(column):
                rows[i][j] = value
        return rows

    def _write(
        self,
        sheet: _Sheet,
        rect: Rect,
        is_cell: bool,
        rows: list[list[Any]],
        option: str,
        label: str,
        *,
        grow: bool = False,
    ) -> dict[str, Any]:
        row0, col0 = rect.row0, rect.col0
        limit_row = None if is_cell else rect.row1
        limit_col = None if is_cell else rect.col1
        height = len(rows)
        width = max((len(line) for line in rows), default=0)
        if limit_row is not None and row0 + height > limit_row:
            raise ApiError(
                400,
                f"Requested writing within range [{label}], but tried writing to row [{limit_row + 1}]",
            )
        if limit_col is not None and col0 + width > limit_col:
            raise ApiError(
                400,
                f"Requested writing within range [{label}], but tried writing to column "
                f"[{column_letters(limit_col)}]",
            )
        if row0 + max(height, 1) > sheet.rows or col0 + max(width, 1) > sheet.cols:
            if not (grow or self.expand_grid_on_write):
                end = cell_name(row0 + max(height, 1) - 1, col0 + max(width, 1) - 1)
                raise _grid_error(sheet, f"{cell_name(row0, col0)}:{end}")
            self._resize(sheet, max(sheet.rows, row0 + height), max(sheet.cols, col0 + width))
        updated_rows, updated_cols, cells = 0, set(), 0
        for i, line in enumerate(rows):
            touched = False
            for j, value in enumerate(line):
                if value is None:  # Google: null leaves the cell as it is
                    continue
                where = f"data.values[{i}][{j}]"
                text_format = sheet.is_text(row0 + i, col0 + j)
                sheet.set_cell(row0 + i, col0 + j, _input_value(value, option, text_format, where))
                touched = True
                updated_cols.add(j)
                cells += 1
            updated_rows += 1 if touched else 0
        result: dict[str, Any] = {
            "updatedRange": _label(sheet, row0, row0 + max(height, 1), col0, col0 + max(width, 1)),
        }
        if cells:
            result.update(
                updatedRows=updated_rows, updatedColumns=len(updated_cols), updatedCells=cells
            )
        return result

    def _update_one(
        self,
        spreadsheet: _Spreadsheet,
        text: Any,
        values: Any,
        major: str | None,
        option: str,
        where: str,
    ) -> tuple[_Sheet, dict[str, Any]]:
        sheet, rect, is_cell = self._resolve(spreadsheet, text)
        self._clip(sheet, Rect(rect.row0, rect.row0 + 1, rect.col0, rect.col0 + 1))
        rows = self._rows_of(values, major, where)
        label = text if isinstance(text, str) else ""
        result = self._write(sheet, rect, is_cell, rows, option, label)
        return sheet, {"spreadsheetId": spreadsheet.id, **result}

    def _with_values(
        self, spreadsheet: _Spreadsheet, result: dict[str, Any], query: Mapping[str, Any]
    ) -> None:
        """includeValuesInResponse: echo the written range as it now reads."""
        render = query.get("responseValueRenderOption") or "FORMATTED_VALUE"
        result["updatedData"] = self._value_range(
            spreadsheet, result["updatedRange"], render, "ROWS"
        )

    def _values_update(
        self,
        spreadsheet: _Spreadsheet,
        text: str | None,
        query: Mapping[str, list[str]],
        body: dict[str, Any],
    ) -> dict[str, Any]:
        option = self._input_option(query.get("valueInputOption", [""])[0])
        _, result = self._update_one(
            spreadsheet, text, body.get("values"), body.get("majorDimension"), option, "data.values"
        )
        if query.get("includeValuesInResponse", ["false"])[0].lower() == "true":
            flat = {k: v[0] for k, v in query.items()}
            self._with_values(spreadsheet, result, flat)
        return result

    def _values_batch_update(
        self, spreadsheet: _Spreadsheet, body: dict[str, Any]
    ) -> dict[str, Any]:
        option = self._input_option(body.get("valueInputOption"))
        data = body.get("data") or []
        if not isinstance(data, list):
            raise ApiError(400, "Invalid value at 'data'")
        responses, sheets_touched = [], set()
        totals = Counter[str]()
        for k, item in enumerate(data):
            if not isinstance(item, dict):
                raise ApiError(400, f"Invalid value at 'data[{k}]'")
            sheet, result = self._update_one(
                spreadsheet,
                item.get("range"),
                item.get("values"),
                item.get("majorDimension"),
                option,
                f"data[{k}].values",
            )
            if body.get("includeValuesInResponse"):
                self._with_values(spreadsheet, result, body)
            responses.append(result)
            sheets_touched.add(sheet.sheet_id)
            for key in ("updatedRows", "updatedColumns", "updatedCells"):
                totals[key] += result.get(key, 0)
        result = {"spreadsheetId": spreadsheet.id}
        if responses:
            result.update(
                totalUpdatedRows=totals["updatedRows"],
                totalUpdatedColumns=totals["updatedColumns"],
                totalUpdatedCells=totals["updatedCells"],
                totalUpdatedSheets=len(sheets_touched),
                responses=responses,
            )
        return result

    def _values_append(
        self,
        spreadsheet: _Spreadsheet,
        text: str | None,
        query: Mapping[str, list[str]],
        body: dict[str, Any],
    ) -> dict[str, Any]:
        option = self._input_option(query.get("valueInputOption", [""])[0])
        insert = query.get("insertDataOption", ["OVERWRITE"])[0] or "OVERWRITE"
        if insert not in ("OVERWRITE", "INSERT_ROWS"):
            raise ApiError(400, f"Invalid value at 'insert_data_option' ({insert})")
        sheet, rect, is_cell = self._resolve(spreadsheet, text)
        self._clip(sheet, Rect(rect.row0, rect.row0 + 1, rect.col0, rect.col0 + 1))
        rows = self._rows_of(body.get("values"), body.get("majorDimension"), "data.values")
        start_row, table = self._find_table(sheet, rect, is_cell)
        start_col = rect.col0 if table is None else table[2]
        height = len(rows)
        if insert == "INSERT_ROWS" and height:
            self._insert(sheet, "ROWS", start_row, height, inherit_before=True)
        width = max((len(line) for line in rows), default=0)
        grow_rows = max(sheet.rows, start_row + height)
        grow_cols = max(sheet.cols, start_col + width)
        if (grow_rows, grow_cols) != (sheet.rows, sheet.cols):
            self._resize(sheet, grow_rows, grow_cols)
        if spreadsheet.total_cells() > MAX_CELLS:
            raise ApiError(
                400,
                "This action would increase the number of cells in the workbook above the "
                f"limit of {MAX_CELLS} cells.",
            )
        target = Rect(start_row, None, start_col, None)
        updates = self._write(sheet, target, True, rows, option, text or "", grow=True)
        result: dict[str, Any] = {
            "spreadsheetId": spreadsheet.id,
            "updates": {"spreadsheetId": spreadsheet.id, **updates},
        }
        if table is not None:
            result["tableRange"] = _label(sheet, *table)
        return result

    @staticmethod
    def _find_table(
        sheet: _Sheet, rect: Rect, is_cell: bool
    ) -> tuple[int, tuple[int, int, int, int] | None]:
        """Where values.append writes: (first row to write, table rectangle or None).

        The table is the first row with a value inside the range (a single cell: that cell's
        row) and the rows that follow it without a gap, within the range's columns. With no
        table the values go to the range's first row -- which is what gspread's insert_rows
        relies on after inserting empty rows.
        """
        col0 = rect.col0
        col1 = None if is_cell else rect.col1
        grid = sheet.grid

        def used(row: int) -> list[int]:
            if row >= len(grid):
                return []
            return [j for j, value in enumerate(grid[row][col0:col1]) if value is not None]

        search_end = (
            rect.row0 + 1 if is_cell else (rect.row1 if rect.row1 is not None else len(grid))
        )
        first = next(
            (row for row in range(rect.row0, min(search_end, len(grid))) if used(row)), None
        )
        if first is None:
            return rect.row0, None
        row, lo, hi = first, None, None
        while row < len(grid) and (columns := used(row)):
            lo = columns[0] if lo is None else min(lo, columns[0])
            hi = columns[-1] if hi is None else max(hi, columns[-1])
            row += 1
        assert lo is not None
        assert hi is not None
        return row, (first, row, col0 + lo, col0 + hi + 1)

    def _values_clear(self, spreadsheet: _Spreadsheet, ranges: Any) -> dict[str, Any]:
        if not isinstance(ranges, list):
            raise ApiError(400, "Invalid value at 'ranges'")
        cleared = []
        for text in ranges:
            sheet, rect, _ = self._resolve(spreadsheet, text)
            row0, row1, col0, col1 = self._clip(sheet, rect)
            if (row0, col0, row1, col1) == (0, 0, sheet.rows, sheet.cols):
                sheet.grid = []
            else:
                for row in range(row0, min(row1, len(sheet.grid))):
                    line = sheet.grid[row]
                    for col in range(col0, min(col1, len(line))):
                        line[col] = None
            cleared.append(_label(sheet, row0, row1, col0, col1))
        return {"spreadsheetId": spreadsheet.id, "clearedRanges": cleared}

    # -- spreadsheets.batchUpdate ----------------------------------------------------------

    def _batch_update(self, spreadsheet: _Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        requests = body.get("requests")
        if not isinstance(requests, list) or not requests:
            raise ApiError(400, "Must specify at least one request.")
        replies = []
        for k, request in enumerate(requests):
            if not isinstance(request, dict) or len(request) != 1:
                raise ApiError(
                    400, f"Invalid requests[{k}]: exactly one kind of request must be set"
                )
            ((kind, args),) = request.items()
            if kind not in _GOOGLE_REQUEST_KINDS:
                raise ApiError(
                    400,
                    f"Invalid JSON payload received. Unknown name \"{kind}\" at 'requests[{k}]': "
                    "Cannot find field.",
                )
            handler = getattr(self, f"_req_{kind}", None)
            if kind in _COSMETIC_REQUESTS:
                replies.append({})
                continue
            if handler is None:
                raise ApiError(
                    400,
                    f"Invalid requests[{k}].{kind}: not implemented by the local Sheets API server",
                )
            if not isinstance(args, dict):
                raise ApiError(400, f"Invalid requests[{k}].{kind}")
            reply = handler(spreadsheet, args)
            replies.append({kind: reply} if reply is not None else {})
        if spreadsheet.total_cells() > MAX_CELLS:
            raise ApiError(
                400,
                "This action would increase the number of cells in the workbook above the "
                f"limit of {MAX_CELLS} cells.",
            )
        result: dict[str, Any] = {"spreadsheetId": spreadsheet.id, "replies": replies}
        if body.get("includeSpreadsheetInResponse"):
            result["updatedSpreadsheet"] = self._metadata(spreadsheet)
        return result

    def _req_addSheet(self, spreadsheet: _Spreadsheet, args: dict[str, Any]) -> dict[str, Any]:
        return self._add_sheet(spreadsheet, args)

    def _add_sheet(self, spreadsheet: _Spreadsheet, args: dict[str, Any]) -> dict[str, Any]:
        props = copy.deepcopy(args.get("properties") or {})
        title = props.get("title")
        if not title:
            n = len(spreadsheet.sheets) + 1
            while spreadsheet.find(f"Sheet{n}") is not None:
                n += 1
            title = f"Sheet{n}"
        self._check_title(spreadsheet, title)
        sheet_id = props.get("sheetId")
        if sheet_id is None:
            sheet_id = spreadsheet.new_sheet_id()
        elif any(sheet.sheet_id == sheet_id for sheet in spreadsheet.sheets):
            raise ApiError(
                400, f"Invalid requests[0].addSheet: Sheet with id {sheet_id} already exists."
            )
        if props.get("sheetType", "GRID") != "GRID":
            raise ApiError(400, "Invalid requests[0].addSheet: only GRID sheets are supported here")
        grid = props.get("gridProperties") or {}
        rows = int(grid.get("rowCount", DEFAULT_ROWS))
        cols = int(grid.get("columnCount", DEFAULT_COLUMNS))
        if rows < 1 or cols < 1:
            raise ApiError(400, "Invalid requests[0].addSheet: grid must have at least one cell")
        props.update(title=title, sheetId=sheet_id, sheetType="GRID")
        props["gridProperties"] = {**grid, "rowCount": rows, "columnCount": cols}
        index = props.pop("index", None)
        position = (
            len(spreadsheet.sheets)
            if index is None
            else max(0, min(int(index), len(spreadsheet.sheets)))
        )
        sheet = _Sheet(props=props)
        spreadsheet.sheets.insert(position, sheet)
        reply_props = copy.deepcopy(props)
        reply_props["index"] = position
        return {"properties": reply_props}

    def _check_title(
        self, spreadsheet: _Spreadsheet, title: str, itself: _Sheet | None = None
    ) -> None:
        for sheet in spreadsheet.sheets:
            if sheet is not itself and sheet.title.casefold() == title.casefold():
                raise ApiError(
                    400,
                    f'Invalid requests[0]: A sheet with the name "{title}" already exists. '
                    "Please enter another name.",
                )

    def _req_deleteSheet(self, spreadsheet: _Spreadsheet, args: dict[str, Any]) -> None:
        sheet = spreadsheet.by_id(args.get("sheetId"))
        if len(spreadsheet.sheets) == 1:
            raise ApiError(
                400,
                "Invalid requests[0].deleteSheet: You can't remove all the sheets in a document.",
            )
        spreadsheet.sheets.remove(sheet)

    def _req_updateSheetProperties(self, spreadsheet: _Spreadsheet, args: dict[str, Any]) -> None:
        props = args.get("properties") or {}
        fields = args.get("fields")
        if not fields:
            raise ApiError(
                400,
                "Invalid requests[0].updateSheetProperties: At least one field must be updated.",
            )
        sheet = spreadsheet.by_id(props.get("sheetId", 0))
        paths = self._field_paths(fields, props)
        rows, cols = sheet.rows, sheet.cols
        for path in paths:
            value = props
            for part in path:
                value = value.get(part) if isinstance(value, dict) else None
            if path == ("title",):
                if not value:
                    raise ApiError(
                        400, "Invalid requests[0].updateSheetProperties: title must not be empty"
                    )
                self._check_title(spreadsheet, value, itself=sheet)
                sheet.props["title"] = value
            elif path == ("index",):
                spreadsheet.sheets.remove(sheet)
                spreadsheet.sheets.insert(
                    max(0, min(int(value or 0), len(spreadsheet.sheets))), sheet
                )
            elif path == ("gridProperties", "rowCount"):
                rows = int(value or 0)
            elif path == ("gridProperties", "columnCount"):
                cols = int(value or 0)
            elif path in (("sheetId",), ("sheetType",)):
                continue
            else:
                target = sheet.props
                for part in path[:-1]:
                    target = target.setdefault(part, {})
                if value is None:
                    target.pop(path[-1], None)
                else:
                    target[path[-1]] = copy.deepcopy(value)
        if (rows, cols) != (sheet.rows, sheet.cols):
            if rows < 1 or cols < 1:
                raise ApiError(
                    400,
                    "Invalid requests[0].updateSheetProperties: grid must have at least one cell",
                )
            self._resize(sheet, rows, cols)

    @staticmethod
    def _field_paths(fields: str, props: dict[str, Any]) -> list[tuple[str, ...]]:
        """Leaf paths named by a field mask; '*' means every field present in `props`."""

        def leaves(
            tree: dict[str, Any], prefix: tuple[str, ...], source: Any
        ) -> Iterator[tuple[str, ...]]:
            for name, sub in tree.items():
                if name == "*":
                    if isinstance(source, dict):
                        for key, value in source.items():
                            if isinstance(value, dict) and key == "gridProperties":
                                yield from leaves({k: {} for k in value}, prefix + (key,), value)
                            else:
                                yield prefix + (key,)
                    continue
                child = source.get(name) if isinstance(source, dict) else None
                if sub:
                    yield from leaves(sub, prefix + (name,), child)
                elif name == "gridProperties" and isinstance(child, dict):
                    yield from (prefix + (name, key) for key in child)
                else:
                    yield prefix + (name,)

        return list(leaves(_parse_mask(fields), (), props))

    def _req_updateSpreadsheetProperties(
        self, spreadsheet: _Spreadsheet, args: dict[str, Any]
    ) -> None:
        props = args.get("properties") or {}
        fields = args.get("fields")
        if not fields:
            raise ApiError(
                400,
                "Invalid requests[0].updateSpreadsheetProperties: At least one field must be updated.",
            )
        for path in self._field_paths(fields, props):
            value: Any = props
            for part in path:
                value = value.get(part) if isinstance(value, dict) else None
            target = spreadsheet.props
            for part in path[:-1]:
                target = target.setdefault(part, {})
            if value is None:
                target.pop(path[-1], None)
            else:
                target[path[-1]] = copy.deepcopy(value)

    def _grid_range(self, spreadsheet: _Spreadsheet, grid_range: Any) -> tuple[_Sheet, Rect]:
        if not isinstance(grid_range, dict):
            raise ApiError(400, "Invalid requests[0]: range is required")
        sheet = spreadsheet.by_id(grid_range.get("sheetId", 0))
        rect = Rect(
            int(grid_range.get("startRowIndex", 0)),
            None if grid_range.get("endRowIndex") is None else int(grid_range["endRowIndex"]),
            int(grid_range.get("startColumnIndex", 0)),
            None if grid_range.get("endColumnIndex") is None else int(grid_range["endColumnIndex"]),
        )
        if (
            rect.row0 < 0
            or rect.col0 < 0
            or (rect.row1 is not None and rect.row1 < rect.row0)
            or (rect.col1 is not None and rect.col1 < rect.col0)
        ):
            raise ApiError(
                400,
                "Invalid requests[0]: the start index must be less than or equal to the end index",
            )
        if (
            rect.row0 > sheet.rows
            or rect.col0 > sheet.cols
            or (rect.row1 or 0) > sheet.rows
            or (rect.col1 or 0) > sheet.cols
        ):
            raise ApiError(
                400,
                f"Invalid requests[0]: GridRange exceeds grid limits of sheet {sheet.sheet_id} "
                f"(Max rows: {sheet.rows}, max columns: {sheet.cols})",
            )
        return sheet, rect

    def _req_repeatCell(self, spreadsheet: _Spreadsheet, args: dict[str, Any]) -> None:
        sheet, rect = self._grid_range(spreadsheet, args.get("range"))
        cell = args.get("cell") or {}
        fields = args.get("fields")
        if not fields:
            raise ApiError(
                400, "Invalid requests[0].repeatCell: At least one field must be updated."
            )
        mask = _parse_mask(fields)
        everything = "*" in mask
        user_format = mask.get("userEnteredFormat")
        if everything or (
            user_format is not None
            and (not user_format or "numberFormat" in user_format or "*" in user_format)
        ):
            number_format = (cell.get("userEnteredFormat") or {}).get("numberFormat")
            sheet.formats.append((rect, copy.deepcopy(number_format) or None))
        if everything or "userEnteredValue" in mask:
            value = self._extended_value(cell.get("userEnteredValue"))
            row1 = sheet.rows if rect.row1 is None else rect.row1
            col1 = sheet.cols if rect.col1 is None else rect.col1
            row0, col0 = rect.row0, rect.col0
            for row in range(row0, row1):
                for col in range(col0, col1):
                    sheet.set_cell(row, col, value)

    @staticmethod
    def _extended_value(value: Any) -> CellValue:
        if not value:
            return None
        if "stringValue" in value:
            return value["stringValue"] or None
        if "numberValue" in value:
            return float(value["numberValue"])
        if "boolValue" in value:
            return bool(value["boolValue"])
        if "formulaValue" in value:
            return Formula(value["formulaValue"], evaluate_formula(value["formulaValue"]))
        raise ApiError(400, f"Invalid ExtendedValue: {value}")

    @staticmethod
    def _dimension(args: dict[str, Any]) -> str:
        dimension = args.get("dimension")
        if dimension not in ("ROWS", "COLUMNS"):
            raise ApiError(400, "Invalid requests[0]: dimension must be ROWS or COLUMNS")
        return dimension

    def _req_appendDimension(self, spreadsheet: _Spreadsheet, args: dict[str, Any]) -> None:
        sheet = spreadsheet.by_id(args.get("sheetId", 0))
        dimension = self._dimension(args)
        length = int(args.get("length", 0))
        if length < 1:
            raise ApiError(400, "Invalid requests[0].appendDimension: length must be positive")
        if dimension == "ROWS":
            self._resize(sheet, sheet.rows + length, sheet.cols)
        else:
            self._resize(sheet, sheet.rows, sheet.cols + length)

    def _req_insertDimension(self, spreadsheet: _Spreadsheet, args: dict[str, Any]) -> None:
        span = args.get("range") or {}
        sheet = spreadsheet.by_id(span.get("sheetId", 0))
        dimension = self._dimension(span)
        start, end = int(span.get("startIndex", 0)), int(span.get("endIndex", 0))
        limit = sheet.rows if dimension == "ROWS" else sheet.cols
        if not 0 <= start < end or start > limit:
            raise ApiError(400, "Invalid requests[0].insertDimension: bad range")
        self._insert(sheet, dimension, start, end - start, bool(args.get("inheritFromBefore")))

    def _req_deleteDimension(self, spreadsheet: _Spreadsheet, args: dict[str, Any]) -> None:
        span = args.get("range") or {}
        sheet = spreadsheet.by_id(span.get("sheetId", 0))
        dimension = self._dimension(span)
        limit = sheet.rows if dimension == "ROWS" else sheet.cols
        start = int(span.get("startIndex", 0))
        end = min(int(span.get("endIndex", limit)), limit)
        if not 0 <= start < end:
            raise ApiError(400, "Invalid requests[0].deleteDimension: bad range")
        if end - start >= limit:
            raise ApiError(
                400,
                "Invalid requests[0].deleteDimension: You can't delete all the rows on the sheet.",
            )
        self._delete(sheet, dimension, start, end)

    # -- grid geometry --------------------------------------------------------------------

    def _resize(self, sheet: _Sheet, rows: int, cols: int) -> None:
        if rows < sheet.rows:
            self._delete(sheet, "ROWS", rows, sheet.rows)
        if cols < sheet.cols:
            self._delete(sheet, "COLUMNS", cols, sheet.cols)
        sheet.props["gridProperties"]["rowCount"] = rows
        sheet.props["gridProperties"]["columnCount"] = cols

    def _insert(
        self, sheet: _Sheet, dimension: str, start: int, count: int, inherit_before: bool
    ) -> None:
        grid_props = sheet.props["gridProperties"]
        if dimension == "ROWS":
            if start < len(sheet.grid):
                sheet.grid[start:start] = [[] for _ in range(count)]
            grid_props["rowCount"] += count
        else:
            for line in sheet.grid:
                if start < len(line):
                    line[start:start] = [None] * count
            grid_props["columnCount"] += count
        pivot = start - 1 if inherit_before else start  # the row/column whose format is copied

        def shift(lo: int, hi: int | None) -> tuple[int, int | None]:
            covers = lo <= pivot and (hi is None or pivot < hi) and pivot >= 0
            new_lo = lo + count if lo >= start and not (covers and lo == start) else lo
            if hi is None:
                return new_lo, None
            new_hi = hi + count if hi > start or (covers and hi == start) else hi
            return new_lo, new_hi

        formats = []
        for rect, number_format in sheet.formats:
            if dimension == "ROWS":
                lo, hi = shift(rect.row0, rect.row1)
                rect = Rect(lo, hi, rect.col0, rect.col1)
            else:
                lo, hi = shift(rect.col0, rect.col1)
                rect = Rect(rect.row0, rect.row1, lo, hi)
            formats.append((rect, number_format))
        sheet.formats = formats

    def _delete(self, sheet: _Sheet, dimension: str, start: int, end: int) -> None:
        count = end - start
        grid_props = sheet.props["gridProperties"]
        if dimension == "ROWS":
            del sheet.grid[start:end]
            grid_props["rowCount"] -= count
        else:
            for line in sheet.grid:
                del line[start:end]
            grid_props["columnCount"] -= count

        def remap(index: int) -> int:
            return index if index <= start else max(start, index - count)

        formats = []
        for rect, number_format in sheet.formats:
            if dimension == "ROWS":
                lo, hi = remap(rect.row0), None if rect.row1 is None else remap(rect.row1)
                if hi is not None and hi <= lo:
                    continue
                formats.append((Rect(lo, hi, rect.col0, rect.col1), number_format))
            else:
                lo, hi = remap(rect.col0), None if rect.col1 is None else remap(rect.col1)
                if hi is not None and hi <= lo:
                    continue
                formats.append((Rect(rect.row0, rect.row1, lo, hi), number_format))
        sheet.formats = formats
