"""gspread's real client, through app.sheets.http, against the local Sheets API v4 server.

These tests pin down the behaviour the Sheets sync relies on: how Sheets keeps what is written
(RAW vs USER_ENTERED, TEXT-formatted columns), how reads are trimmed and rendered, Google's
errors, and the client's bounded retries and call counting. Nothing here calls Google.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import gspread
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from gspread.exceptions import APIError, SpreadsheetNotFound
from gspread.utils import ValueInputOption, ValueRenderOption

from app.sheets.http import SheetsEndpointError, client_for, http_client_of, retry_after_seconds
from tests.sheets.sheets_api_server import SheetsAPIServer


@pytest.fixture
def server():
    with SheetsAPIServer() as running:
        yield running
    assert running.internal_errors == []


@pytest.fixture
def sleeps() -> list[float]:
    """Delays the client asked to sleep, instead of sleeping."""
    return []


@pytest.fixture
def gc(server, sleeps) -> gspread.Client:
    return client_for(server.url, token="test", sleep=sleeps.append)


@pytest.fixture
def key(server) -> str:
    return server.create_spreadsheet(
        "Partner office",
        sheets={"Sheet1": [["id", "name"], [1, "Sato"]], "Signups": []},
    )


# -- spreadsheets.get and batchUpdate ---------------------------------------------------------


def test_open_by_key_reads_title_and_worksheets(gc, key):
    spreadsheet = gc.open_by_key(key)

    assert spreadsheet.title == "Partner office"
    assert [ws.title for ws in spreadsheet.worksheets()] == ["Sheet1", "Signups"]
    first = spreadsheet.sheet1
    assert (first.id, first.row_count, first.col_count) == (0, 1000, 26)
    assert spreadsheet.worksheet("Sheet1").get_all_values() == [["id", "name"], ["1", "Sato"]]


def test_open_by_unknown_key_is_not_found(gc):
    with pytest.raises(SpreadsheetNotFound):
        gc.open_by_key("no-such-spreadsheet")


def test_fields_mask_limits_metadata(gc, key):
    spreadsheet = gc.open_by_key(key)

    metadata = spreadsheet.fetch_sheet_metadata({"fields": "sheets.properties.title"})

    assert metadata == {
        "sheets": [{"properties": {"title": "Sheet1"}}, {"properties": {"title": "Signups"}}]
    }


def test_include_grid_data_is_refused_not_silently_ignored(gc, key):
    with pytest.raises(APIError) as raised:
        gc.open_by_key(key).fetch_sheet_metadata({"includeGridData": "true"})
    assert raised.value.code == 400


def test_add_worksheet_creates_sheet_with_its_grid(server, gc, key):
    spreadsheet = gc.open_by_key(key)

    roster = spreadsheet.add_worksheet("Roster", rows=50, cols=9)

    assert server.sheet_titles(key) == ["Sheet1", "Signups", "Roster"]
    assert server.grid_size(key, "Roster") == (50, 9)
    assert roster.id not in (0, spreadsheet.worksheet("Signups").id)
    assert spreadsheet.worksheet("Roster").col_count == 9


def test_add_worksheet_with_taken_title_is_refused(gc, key):
    with pytest.raises(APIError) as raised:
        gc.open_by_key(key).add_worksheet("signups", rows=10, cols=3)
    assert raised.value.code == 400
    assert 'A sheet with the name "signups" already exists' in raised.value.error["message"]


def test_resize_and_rename(server, gc, key):
    worksheet = gc.open_by_key(key).worksheet("Signups")

    worksheet.resize(rows=3, cols=4)
    worksheet.update_title("Sign-ups")

    assert server.sheet_titles(key) == ["Sheet1", "Sign-ups"]
    assert server.grid_size(key, "Sign-ups") == (3, 4)


def test_unknown_batch_update_request_fails_whole_batch(server, gc, key):
    spreadsheet = gc.open_by_key(key)
    body = {
        "requests": [
            {"addSheet": {"properties": {"title": "Classes"}}},
            {"frobnicate": {}},
        ]
    }

    with pytest.raises(APIError) as raised:
        spreadsheet.batch_update(body)

    assert raised.value.code == 400
    assert raised.value.error["status"] == "INVALID_ARGUMENT"
    assert "frobnicate" in raised.value.error["message"]
    assert server.sheet_titles(key) == ["Sheet1", "Signups"]  # nothing applied


def test_delete_worksheet_but_never_the_last(server, gc, key):
    spreadsheet = gc.open_by_key(key)

    spreadsheet.del_worksheet(spreadsheet.worksheet("Signups"))
    with pytest.raises(APIError, match="You can't remove all the sheets"):
        spreadsheet.del_worksheet(spreadsheet.sheet1)

    assert server.sheet_titles(key) == ["Sheet1"]


def test_insert_rows_shifts_existing_rows_down(server, gc, key):
    worksheet = gc.open_by_key(key).sheet1

    worksheet.insert_rows([["new", "row"]], row=2)

    assert server.get_values(key, "Sheet1") == [["id", "name"], ["new", "row"], [1, "Sato"]]
    assert server.grid_size(key, "Sheet1") == (1001, 26)


# -- what Sheets keeps: RAW, USER_ENTERED and TEXT-formatted cells -----------------------------


def test_raw_keeps_leading_zero_user_entered_loses_it(server, gc, key):
    worksheet = gc.open_by_key(key).worksheet("Signups")

    worksheet.update([["0901234567"]], "A1", value_input_option=ValueInputOption.raw)
    worksheet.update([["0901234567"]], "A2", value_input_option=ValueInputOption.user_entered)

    assert server.get_values(key, "Signups") == [["0901234567"], [901234567]]
    assert worksheet.get("A1:A2", value_render_option=ValueRenderOption.unformatted) == [
        ["0901234567"],
        [901234567],
    ]
    assert worksheet.get("A1:A2") == [["0901234567"], ["901234567"]]


def test_text_formatted_column_keeps_user_entered_digits_via_format(server, gc, key):
    worksheet = gc.open_by_key(key).worksheet("Signups")

    worksheet.format("C:C", {"numberFormat": {"type": "TEXT"}})
    worksheet.update(
        [["0901234567", "0901234567"]], "B2", value_input_option=ValueInputOption.user_entered
    )

    assert server.sheet_format(key, "Signups", "C999") == {"type": "TEXT"}
    assert server.sheet_format(key, "Signups", "B2") is None
    assert worksheet.get("B2:C2", value_render_option=ValueRenderOption.unformatted) == [
        [901234567, "0901234567"]
    ]


def test_text_formatted_column_keeps_user_entered_digits_via_repeat_cell(server, gc, key):
    spreadsheet = gc.open_by_key(key)
    worksheet = spreadsheet.worksheet("Signups")
    spreadsheet.batch_update(
        {
            "requests": [
                {
                    "repeatCell": {
                        "range": {
                            "sheetId": worksheet.id,
                            "startColumnIndex": 3,
                            "endColumnIndex": 5,
                        },
                        "cell": {"userEnteredFormat": {"numberFormat": {"type": "TEXT"}}},
                        "fields": "userEnteredFormat.numberFormat",
                    }
                }
            ]
        }
    )

    worksheet.update([["09012345678", "1988", "1988"]], "D1", value_input_option="USER_ENTERED")

    assert server.get_values(key, "Signups") == [["", "", "", "09012345678", "1988", 1988]]


def test_user_entered_parses_like_a_person_typing(server, gc, key):
    worksheet = gc.open_by_key(key).worksheet("Signups")
    typed = [
        "0123",
        "=1+1",
        "true",
        "'0123",
        "2026-04-01",
        "1,234",
        "12.50",
        "+819012345678",
        "090-1234-5678",
        "",
    ]

    worksheet.update([typed], "A1", value_input_option="USER_ENTERED")

    assert server.get_values(key, "Signups") == [
        [123, "=1+1", True, "0123", "2026-04-01", 1234, 12.5, 819012345678, "090-1234-5678"]
    ]
    assert worksheet.get("A1:I1", value_render_option=ValueRenderOption.unformatted) == [
        [123, 2, True, "0123", "2026-04-01", 1234, 12.5, 819012345678, "090-1234-5678"]
    ]
    assert worksheet.get("A1:I1") == [
        ["123", "2", "TRUE", "0123", "2026-04-01", "1234", "12.5", "819012345678", "090-1234-5678"]
    ]


def test_full_width_digits_stay_text(server, gc, key):
    worksheet = gc.open_by_key(key).worksheet("Signups")

    worksheet.update([["０９０１２３４５６７８"]], "A1", value_input_option="USER_ENTERED")

    assert server.get_values(key, "Signups") == [["０９０１２３４５６７８"]]


def test_raw_keeps_every_string(server, gc, key):
    worksheet = gc.open_by_key(key).worksheet("Signups")
    typed = ["0123", "=1+1", "TRUE", "'0123", 42, 1.5, True]

    worksheet.update([typed], "A1", value_input_option="RAW")

    assert server.get_values(key, "Signups") == [["0123", "=1+1", "TRUE", "'0123", 42, 1.5, True]]
    assert worksheet.get("A1:G1") == [["0123", "=1+1", "TRUE", "'0123", "42", "1.5", "TRUE"]]


def test_partner_typing_into_plain_cell_loses_zero(server, gc, key):
    server.set_values(key, "Signups", [["佐藤 花子", "09012345678"]])

    worksheet = gc.open_by_key(key).worksheet("Signups")

    assert worksheet.get_all_values() == [["佐藤 花子", "9012345678"]]
    unformatted = worksheet.get_all_values(value_render_option=ValueRenderOption.unformatted)
    assert unformatted == [["佐藤 花子", 9012345678]]


def test_null_leaves_cell_and_empty_string_clears_it(server, gc, key):
    worksheet = gc.open_by_key(key).sheet1

    worksheet.update([[None, ""]], "A2", value_input_option="RAW")

    assert server.get_values(key, "Sheet1") == [["id", "name"], [1]]


def test_update_by_columns(server, gc, key):
    worksheet = gc.open_by_key(key).worksheet("Signups")

    worksheet.update([["a", "b"], ["c"]], "B1", major_dimension="COLUMNS", value_input_option="RAW")

    assert server.get_values(key, "Signups") == [["", "a", "c"], ["", "b"]]


# -- reads --------------------------------------------------------------------------------------


def test_reads_trim_trailing_cells_and_rows(server, gc, key):
    server.set_values(key, "Signups", [["a", "", "c", ""], ["", ""], ["", "f"], [], ["", ""]])
    spreadsheet = gc.open_by_key(key)

    raw = spreadsheet.values_get("Signups!A1:Z20")
    assert raw["range"] == "Signups!A1:Z20"
    assert raw["values"] == [["a", "", "c"], [], ["", "f"]]
    assert spreadsheet.worksheet("Signups").get_all_values() == [
        ["a", "", "c"],
        ["", "", ""],
        ["", "f", ""],
    ]


def test_empty_range_has_no_values(gc, key):
    spreadsheet = gc.open_by_key(key)

    raw = spreadsheet.values_get("Signups")

    assert raw == {"range": "Signups!A1:Z1000", "majorDimension": "ROWS"}
    assert spreadsheet.worksheet("Signups").get_all_values() == [[]]  # gspread's own padding


def test_open_ended_and_column_ranges(server, gc, key):
    server.set_values(key, "Signups", [["h1", "h2", "h3"], ["1", "2", "3"], ["4", "5", "6"]])
    spreadsheet = gc.open_by_key(key)

    assert spreadsheet.values_get("Signups!B2:Z")["values"] == [["2", "3"], ["5", "6"]]
    by_columns = spreadsheet.values_get("Signups!A:B", params={"majorDimension": "COLUMNS"})
    assert by_columns["range"] == "Signups!A1:B1000"
    assert by_columns["values"] == [["h1", "1", "4"], ["h2", "2", "5"]]
    assert spreadsheet.values_get("Signups!C3")["values"] == [["6"]]


def test_batch_get_reads_several_ranges_in_one_call(server, gc, key):
    server.set_values(
        key, "Signups", [["name", "phone"], ["Sato", "0901234567"]], value_input_option="RAW"
    )
    spreadsheet = gc.open_by_key(key)
    server.reset_calls()

    value_ranges = spreadsheet.values_batch_get(
        ["Sheet1!A1:B2", "Signups", "Signups!D1:E5"],
        params={"valueRenderOption": "UNFORMATTED_VALUE"},
    )["valueRanges"]

    assert server.calls == 1
    assert [vr["range"] for vr in value_ranges] == [
        "Sheet1!A1:B2",
        "Signups!A1:Z1000",
        "Signups!D1:E5",
    ]
    assert value_ranges[0]["values"] == [["id", "name"], [1, "Sato"]]
    assert value_ranges[1]["values"] == [["name", "phone"], ["Sato", "0901234567"]]
    assert "values" not in value_ranges[2]
    assert spreadsheet.worksheet("Signups").batch_get(["B2"]) == [[["0901234567"]]]


def test_number_formats_in_formatted_reads(server, gc, key):
    spreadsheet = gc.open_by_key(key)
    worksheet = spreadsheet.worksheet("Signups")
    worksheet.update([[9012345678, 1.5, 7, 1234567]], "A1", value_input_option="RAW")
    worksheet.format("C1", {"numberFormat": {"type": "NUMBER", "pattern": "000"}})
    worksheet.format("D1", {"numberFormat": {"type": "NUMBER", "pattern": "#,##0.00"}})

    assert worksheet.get("A1:D1") == [["9012345678", "1.5", "007", "1,234,567.00"]]
    assert worksheet.get("A1:D1", value_render_option=ValueRenderOption.unformatted) == [
        [9012345678, 1.5, 7, 1234567]
    ]


# -- writes in batches, appends and clears ------------------------------------------------------


def test_batch_update_writes_several_ranges_in_one_call(server, gc, key):
    worksheet = gc.open_by_key(key).worksheet("Signups")
    server.reset_calls()

    response = worksheet.batch_update(
        [
            {"range": "A1:B1", "values": [["name", "phone"]]},
            {"range": "A2", "values": [["Sato", "0901234567"], ["Ito", "0801234567"]]},
        ]
    )

    assert server.calls_by_endpoint() == {"values.batchUpdate": 1}
    assert response["totalUpdatedCells"] == 6
    assert [r["updatedRange"] for r in response["responses"]] == ["Signups!A1:B1", "Signups!A2:B3"]
    assert server.get_values(key, "Signups") == [
        ["name", "phone"],
        ["Sato", "0901234567"],
        ["Ito", "0801234567"],
    ]


def test_batch_update_is_all_or_nothing(server, gc, key):
    spreadsheet = gc.open_by_key(key)

    with pytest.raises(APIError) as raised:
        spreadsheet.values_batch_update(
            {
                "valueInputOption": "RAW",
                "data": [
                    {"range": "Signups!A1", "values": [["written?"]]},
                    {"range": "Nowhere!A1", "values": [["x"]]},
                ],
            }
        )

    assert raised.value.error["message"] == "Unable to parse range: Nowhere!A1"
    assert server.get_values(key, "Signups") == []


def test_writing_beyond_the_range_or_the_grid_is_refused(server, gc, key):
    worksheet = gc.open_by_key(key).worksheet("Signups")
    worksheet.resize(rows=3, cols=2)

    with pytest.raises(APIError, match=r"but tried writing to row \[2\]"):
        worksheet.update([["a"], ["b"]], "A1:B1")
    with pytest.raises(APIError, match=r"exceeds grid limits. Max rows: 3, max columns: 2"):
        worksheet.update([["a"]] * 4, "A1")
    with pytest.raises(APIError, match="exceeds grid limits"):
        worksheet.get("A1:C1")
    assert server.get_values(key, "Signups") == []


def test_append_rows_go_after_the_last_row_of_the_table(server, gc, key):
    worksheet = gc.open_by_key(key).sheet1

    response = worksheet.append_rows([["2", "Ito"], ["3", "0901234567"]], value_input_option="RAW")

    assert response["tableRange"] == "Sheet1!A1:B2"
    assert response["updates"]["updatedRange"] == "Sheet1!A3:B4"
    assert server.get_values(key, "Sheet1") == [
        ["id", "name"],
        [1, "Sato"],
        ["2", "Ito"],
        ["3", "0901234567"],
    ]


def test_append_grows_the_grid_and_can_insert_rows(server, gc, key):
    spreadsheet = gc.open_by_key(key)
    worksheet = spreadsheet.worksheet("Signups")
    worksheet.resize(rows=2, cols=3)
    server.set_values(key, "Signups", [["h"], ["a"]])

    worksheet.append_rows([["b"], ["c"]])
    assert server.grid_size(key, "Signups") == (4, 3)

    server.set_values(key, "Signups", [["footer"]], start="A6")
    worksheet.append_rows([["d"]], insert_data_option="INSERT_ROWS", table_range="A1:A4")
    assert server.get_values(key, "Signups") == [["h"], ["a"], ["b"], ["c"], ["d"], [], ["footer"]]
    assert server.grid_size(key, "Signups") == (7, 3)


def test_append_stops_at_the_first_gap_like_google(server, gc, key):
    server.set_values(key, "Signups", [["h"], ["a"], [], ["stray"]])

    gc.open_by_key(key).worksheet("Signups").append_rows([["b"]])

    assert server.get_values(key, "Signups") == [["h"], ["a"], ["b"], ["stray"]]


def test_clear_and_batch_clear_empty_values_only(server, gc, key):
    spreadsheet = gc.open_by_key(key)
    worksheet = spreadsheet.worksheet("Signups")
    worksheet.format("B:B", {"numberFormat": {"type": "TEXT"}})
    worksheet.update([["a", "b", "c"], ["d", "e", "f"], ["g", "h", "i"]], "A1")

    response = worksheet.batch_clear(["A1:A3", "C2"])
    assert response["clearedRanges"] == ["Signups!A1:A3", "Signups!C2"]
    assert server.get_values(key, "Signups") == [["", "b", "c"], ["", "e"], ["", "h", "i"]]

    assert worksheet.clear()["clearedRange"] == "Signups!A1:Z1000"
    assert server.get_values(key, "Signups") == []
    assert server.sheet_format(key, "Signups", "B1") == {"type": "TEXT"}


# -- ranges and titles --------------------------------------------------------------------------


def test_quoted_sheet_titles(server, gc, key):
    spreadsheet = gc.open_by_key(key)
    spreadsheet.add_worksheet("My Sheet", rows=10, cols=5)
    spreadsheet.add_worksheet("Sato's 名簿", rows=10, cols=5)

    spreadsheet.worksheet("My Sheet").update([["x"]], "B2")
    response = spreadsheet.values_update(
        "'Sato''s 名簿'!A1", params={"valueInputOption": "RAW"}, body={"values": [["y"]]}
    )

    assert response["updatedRange"] == "'Sato''s 名簿'!A1"
    assert spreadsheet.values_get("'My Sheet'!A1:C3") == {
        "range": "'My Sheet'!A1:C3",
        "majorDimension": "ROWS",
        "values": [[], ["", "x"]],
    }
    assert server.get_values(key, "Sato's 名簿") == [["y"]]


def test_unknown_sheet_is_unable_to_parse_range(gc, key):
    spreadsheet = gc.open_by_key(key)

    with pytest.raises(APIError) as raised:
        spreadsheet.values_get("Classes!A1:C3")

    assert raised.value.code == 400
    assert raised.value.error == {
        "code": 400,
        "message": "Unable to parse range: Classes!A1:C3",
        "status": "INVALID_ARGUMENT",
    }


# -- authentication -----------------------------------------------------------------------------


def test_request_without_token_is_401(server, key):
    response = requests.get(f"{server.url}/v4/spreadsheets/{key}", timeout=5)

    assert response.status_code == 401
    assert response.json()["error"]["status"] == "UNAUTHENTICATED"
    assert server.calls == 1


def test_rejected_token_is_an_api_error_and_not_retried(server, key, sleeps):
    server.accepted_tokens = {"good"}
    client = client_for(server.url, token="expired", sleep=sleeps.append)

    with pytest.raises(APIError) as raised:
        client.open_by_key(key)

    assert raised.value.code == 401
    assert server.calls == 1
    assert sleeps == []
    assert client_for(server.url, token="good").open_by_key(key).title == "Partner office"


def test_service_account_file_gets_its_token_from_the_token_uri(server, key, tmp_path):
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    credentials_file = tmp_path / "service-account.json"
    credentials_file.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "dekiru-test",
                "private_key_id": "k1",
                "private_key": pem,
                "client_email": "sync@dekiru-test.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": server.token_uri,
            }
        )
    )
    server.accepted_tokens = set()  # only tokens this server issued

    client = client_for(server.url, credentials_file=credentials_file)

    assert client.open_by_key(key).title == "Partner office"
    assert len(server.token_requests) == 1
    claims = server.token_requests[0]
    assert claims["iss"] == "sync@dekiru-test.iam.gserviceaccount.com"
    assert claims["scope"] == "https://www.googleapis.com/auth/spreadsheets"


def test_client_needs_credentials():
    with pytest.raises(ValueError, match="credentials"):
        client_for("http://127.0.0.1:9")


def test_drive_calls_do_not_leave_for_google(server, gc):
    with pytest.raises(SheetsEndpointError):
        gc.open("Partner office")  # needs the Drive API
    assert server.calls == 0


# -- faults, retries and call counting ----------------------------------------------------------


def test_429_then_success_is_retried_and_counted(server, gc, key, sleeps):
    server.fail_next(2, status=429)

    spreadsheet = gc.open_by_key(key)

    assert spreadsheet.title == "Partner office"
    assert server.calls == 3
    assert [call.status for call in server.call_log] == [429, 429, 200]
    http = http_client_of(gc)
    assert (http.calls, http.retries) == (3, 2)
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] <= 0.5
    assert 0 <= sleeps[1] <= 1.0


def test_429_error_body_is_googles(server, key):
    server.fail_next(1, status=429, retry_after=7)

    response = requests.get(
        f"{server.url}/v4/spreadsheets/{key}", headers={"Authorization": "Bearer t"}, timeout=5
    )

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json()["error"]["code"] == 429
    assert response.json()["error"]["status"] == "RESOURCE_EXHAUSTED"


def test_retry_after_is_honoured_and_capped(server, gc, key, sleeps):
    server.fail_next(1, status=503, retry_after=3)
    server.fail_next(1, status=429, retry_after=120)

    gc.open_by_key(key)

    assert sleeps == [3.0, 8.0]


def test_retry_after_may_be_an_http_date():
    response = requests.Response()
    response.headers["Retry-After"] = "Wed, 01 Apr 2026 09:00:05 GMT"
    now = datetime(2026, 4, 1, 9, 0, 0, tzinfo=UTC)

    assert retry_after_seconds(response, now=lambda: now) == 5.0


def test_500_beyond_max_attempts_raises_after_exactly_max_attempts(server, key, sleeps):
    client = client_for(
        server.url, token="t", max_attempts=7, sleep=sleeps.append, jitter=lambda: 1.0
    )
    server.fail_next(100, status=500)

    with pytest.raises(APIError) as raised:
        client.open_by_key(key)

    assert raised.value.code == 500
    assert server.calls == 7
    assert http_client_of(client).calls == 7
    assert sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]  # exponential, capped at 8 s


def test_client_errors_are_not_retried(server, gc, key, sleeps):
    spreadsheet = gc.open_by_key(key)
    server.reset_calls()

    with pytest.raises(APIError):
        spreadsheet.values_get("Nowhere!A1")

    assert server.calls == 1
    assert sleeps == []


def test_fail_when_targets_matching_requests(server, gc, key, sleeps):
    server.fail_when(lambda call: call.endpoint == "values.batchUpdate", status=503, times=2)
    worksheet = gc.open_by_key(key).worksheet("Signups")

    worksheet.batch_update([{"range": "A1", "values": [["ok"]]}])

    assert [(c.endpoint, c.status) for c in server.call_log] == [
        ("spreadsheets.get", 200),
        ("spreadsheets.get", 200),
        ("values.batchUpdate", 503),
        ("values.batchUpdate", 503),
        ("values.batchUpdate", 200),
    ]
    assert server.get_values(key, "Signups") == [["ok"]]


def test_lost_answer_after_applied_append_duplicates_rows(server, gc, key):
    """Why the sync writes fixed ranges: an append whose 500 came after it was applied repeats."""
    worksheet = gc.open_by_key(key).worksheet("Signups")
    server.fail_next(1, status=500, apply=True)

    worksheet.append_rows([["once"]])

    assert server.get_values(key, "Signups") == [["once"], ["once"]]


def test_call_log_records_requests(server, gc, key):
    worksheet = gc.open_by_key(key).worksheet("Signups")
    server.reset_calls()

    worksheet.update([["x"]], "A1", value_input_option="RAW")

    (call,) = server.call_log
    assert (call.method, call.endpoint, call.range, call.status) == (
        "PUT",
        "values.update",
        "'Signups'!A1",
        200,
    )
    assert call.query["valueInputOption"] == ["RAW"]
    assert call.body["values"] == [["x"]]
    assert call.time <= time.time()


def test_concurrent_clients_are_served_and_logged(server, key):
    worksheet = client_for(server.url, token="t").open_by_key(key).worksheet("Signups")
    server.reset_calls()

    def append(n: int) -> None:
        client = client_for(server.url, token=f"t{n}")
        client.open_by_key(key).worksheet("Signups").append_rows([[f"row {n}"]])

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(append, range(16)))

    assert server.calls_by_endpoint() == {"spreadsheets.get": 32, "values.append": 16}
    assert sorted(row[0] for row in worksheet.get_all_values()) == sorted(
        f"row {n}" for n in range(16)
    )


def test_ten_thousand_rows_take_two_calls(server, gc, key):
    spreadsheet = gc.open_by_key(key)
    spreadsheet.worksheet("Signups").resize(rows=10_001, cols=9)
    rows = [[f"R-{i}", f"0{9012340000 + i}", "登録済"] + [""] * 6 for i in range(10_000)]
    server.reset_calls()

    spreadsheet.values_batch_update(
        {"valueInputOption": "RAW", "data": [{"range": "Signups!A2", "values": rows}]}
    )
    read = spreadsheet.values_batch_get(["Signups!A2:I"])["valueRanges"][0]["values"]

    assert server.calls == 2
    assert len(read) == 10_000
    assert read[-1] == ["R-9999", "09012349999", "登録済"]
