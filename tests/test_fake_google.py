"""The fake Google Workspace (tests/fake_google), exercised through the real clients:
google-api-python-client for Forms and Gmail, gspread for Sheets."""

from __future__ import annotations

import base64
import http.client
import io
import json
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import gspread
import httplib2
import pytest
import requests
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload

from tests.fake_google import DropConnection, FakeWorkspace
from tests.fake_google.cells import datetime_to_serial
from tests.fake_google.clients import (
    fake_session,
    forms_service,
    gmail_service,
    gspread_client,
    sheets_service,
)
from tests.fake_google.forms_builder import grid, question

T0 = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)


def _error(exc: HttpError) -> dict[str, Any]:
    return json.loads(exc.content)["error"]


def _form(fake: FakeWorkspace, form_id: str = "form-A") -> None:
    fake.add_form(
        form_id,
        "Biểu mẫu 02 - Kết quả học tập",
        [
            question("q-name", "Họ và tên đảng viên", required=True),
            question("q-branch", "Chi bộ", "dropdown", ["Chi bộ 1", "Chi bộ 2"]),
            question("q-date", "Ngày hoàn thành", "date"),
            question("q-skills", "Kỹ năng đã học", "checkbox", ["Email", "VNeID", "Zalo"]),
            grid(
                "Tự đánh giá", [("g-1", "Sử dụng email"), ("g-2", "Dịch vụ công")], ["Đạt", "Chưa"]
            ),
        ],
        linked_sheet_id="sheet-linked",
        email_collection="VERIFIED",
    )


# ---------------------------------------------------------------------------------------
# Forms
# ---------------------------------------------------------------------------------------


def test_forms_get_returns_items_in_api_shape(fake: FakeWorkspace) -> None:
    _form(fake)
    form = forms_service(fake).forms().get(formId="form-A").execute()
    assert form["formId"] == "form-A"
    assert form["info"] == {
        "title": "Biểu mẫu 02 - Kết quả học tập",
        "documentTitle": "Biểu mẫu 02 - Kết quả học tập",
    }
    assert form["linkedSheetId"] == "sheet-linked"
    assert form["settings"] == {"emailCollectionType": "VERIFIED"}
    branch = form["items"][1]["questionItem"]["question"]
    assert branch["choiceQuestion"] == {
        "type": "DROP_DOWN",
        "options": [{"value": "Chi bộ 1"}, {"value": "Chi bộ 2"}],
    }
    group = form["items"][4]["questionGroupItem"]
    assert [q["questionId"] for q in group["questions"]] == ["g-1", "g-2"]
    assert group["grid"]["columns"]["type"] == "RADIO"

    revision = form["revisionId"]
    fake.set_form_items("form-A", [question("q-name", "Họ tên (đã đổi)")])
    again = forms_service(fake).forms().get(formId="form-A").execute()
    assert again["revisionId"] > revision
    assert [i["title"] for i in again["items"]] == ["Họ tên (đã đổi)"]


def test_add_form_rejects_items_that_are_not_api_items(fake: FakeWorkspace) -> None:
    with pytest.raises(ValueError, match="questionItm"):
        fake.add_form("bad", "x", [{"itemId": "1", "questionItm": {}}])


def test_responses_are_returned_as_the_real_api_does(fake: FakeWorkspace) -> None:
    _form(fake)
    service = forms_service(fake)
    assert service.forms().responses().list(formId="form-A").execute() == {}
    rid = fake.add_response(
        "form-A",
        {"q-name": "Nguyễn Văn An", "q-date": "2026-11-20", "q-skills": ["Email", "VNeID"]},
        submitted=T0 + timedelta(microseconds=250_000),
        email="an@example.vn",
    )
    assert rid.startswith("ACYDBN")
    (response,) = service.forms().responses().list(formId="form-A").execute()["responses"]
    assert response == {
        "responseId": rid,
        "createTime": "2026-11-01T01:00:00.250Z",
        "lastSubmittedTime": "2026-11-01T01:00:00.250Z",
        "respondentEmail": "an@example.vn",
        "answers": {
            "q-name": {
                "questionId": "q-name",
                "textAnswers": {"answers": [{"value": "Nguyễn Văn An"}]},
            },
            "q-date": {
                "questionId": "q-date",
                "textAnswers": {"answers": [{"value": "2026-11-20"}]},
            },
            "q-skills": {
                "questionId": "q-skills",
                "textAnswers": {"answers": [{"value": "Email"}, {"value": "VNeID"}]},
            },
        },
    }
    with pytest.raises(KeyError):
        fake.add_response("form-A", {"q-typo": "x"}, submitted=T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        fake.add_response("form-A", {"q-name": "x"}, submitted=datetime(2026, 11, 1))


def test_responses_filter_and_paging_over_12000_responses(fake: FakeWorkspace) -> None:
    _form(fake)
    for i in range(12_000):
        fake.add_response(
            "form-A", {"q-name": f"Đảng viên {i}"}, submitted=T0 + timedelta(seconds=i)
        )
    service = forms_service(fake)
    pages: list[list[dict[str, Any]]] = []
    token = None
    while True:
        kwargs: dict[str, Any] = {"formId": "form-A", "pageSize": 9000}  # capped at 5000
        if token:
            kwargs["pageToken"] = token
        page = service.forms().responses().list(**kwargs).execute()
        pages.append(page["responses"])
        token = page.get("nextPageToken")
        if not token:
            break
    assert [len(p) for p in pages] == [5000, 5000, 2000]
    names = [r["answers"]["q-name"]["textAnswers"]["answers"][0]["value"] for p in pages for r in p]
    assert names == [f"Đảng viên {i}" for i in range(12_000)]

    bound = (T0 + timedelta(seconds=11_990)).strftime("%Y-%m-%dT%H:%M:%SZ")
    after = service.forms().responses().list(formId="form-A", filter=f"timestamp > {bound}")
    assert len(after.execute()["responses"]) == 9
    at_or_after = service.forms().responses().list(formId="form-A", filter=f"timestamp >= {bound}")
    assert len(at_or_after.execute()["responses"]) == 10

    with pytest.raises(HttpError) as bad_filter:
        service.forms().responses().list(formId="form-A", filter="createTime > 2026").execute()
    assert bad_filter.value.status_code == 400
    assert _error(bad_filter.value)["status"] == "INVALID_ARGUMENT"
    first = service.forms().responses().list(formId="form-A", pageSize=2).execute()
    with pytest.raises(HttpError) as wrong_token:  # a token only goes with its own filter
        service.forms().responses().list(
            formId="form-A", filter=f"timestamp > {bound}", pageToken=first["nextPageToken"]
        ).execute()
    assert wrong_token.value.status_code == 400


def test_edited_response_keeps_create_time_and_is_found_by_the_filter(fake: FakeWorkspace) -> None:
    _form(fake)
    first = fake.add_response("form-A", {"q-name": "An"}, submitted=T0)
    second = fake.add_response("form-A", {"q-name": "Bình"}, submitted=T0 + timedelta(hours=1))
    fake.edit_response("form-A", first, {"q-name": "An (sửa)"}, T0 + timedelta(hours=2))
    fake.delete_response("form-A", second)
    service = forms_service(fake)
    page = (
        service.forms()
        .responses()
        .list(formId="form-A", filter="timestamp > 2026-11-01T01:30:00Z")
        .execute()
    )
    (edited,) = page["responses"]
    assert edited["responseId"] == first
    assert edited["createTime"] == "2026-11-01T01:00:00Z"
    assert edited["lastSubmittedTime"] == "2026-11-01T03:00:00Z"
    assert edited["answers"]["q-name"]["textAnswers"]["answers"] == [{"value": "An (sửa)"}]
    got = service.forms().responses().get(formId="form-A", responseId=first).execute()
    assert got == edited


def test_unknown_form_is_404_and_denied_form_is_403(fake: FakeWorkspace) -> None:
    _form(fake)
    service = forms_service(fake)
    with pytest.raises(HttpError) as missing:
        service.forms().get(formId="no-such-form").execute()
    assert missing.value.status_code == 404
    assert _error(missing.value) == {
        "code": 404,
        "message": "Requested entity was not found.",
        "status": "NOT_FOUND",  # Forms v1, like Sheets v4: no legacy errors[] list
    }
    fake.deny("form-A")
    with pytest.raises(HttpError) as denied:
        service.forms().responses().list(formId="form-A").execute()
    assert denied.value.status_code == 403
    assert _error(denied.value)["status"] == "PERMISSION_DENIED"
    assert _error(denied.value)["message"] == "The caller does not have permission"


# ---------------------------------------------------------------------------------------
# Validation from the discovery documents
# ---------------------------------------------------------------------------------------


def test_unknown_body_field_wrong_type_and_bad_enum_are_400(fake: FakeWorkspace) -> None:
    fake.add_spreadsheet("ss", {"Tab": []})
    spreadsheets = sheets_service(fake).spreadsheets()
    values = spreadsheets.values()
    with pytest.raises(HttpError) as unknown:
        values.batchUpdate(
            spreadsheetId="ss", body={"valueInputOption": "RAW", "data": [], "foo": 1}
        ).execute()
    assert unknown.value.status_code == 400
    assert _error(unknown.value)["message"] == (
        'Invalid JSON payload received. Unknown name "foo": Cannot find field.'
    )
    with pytest.raises(HttpError) as nested:
        spreadsheets.batchUpdate(
            spreadsheetId="ss", body={"requests": [{"addSheet": {"propertes": {}}}]}
        ).execute()
    assert (
        "Unknown name \"propertes\" at 'requests[0].add_sheet'" in _error(nested.value)["message"]
    )
    with pytest.raises(HttpError) as enum:
        values.batchUpdate(
            spreadsheetId="ss", body={"valueInputOption": "RAWW", "data": []}
        ).execute()
    assert enum.value.status_code == 400
    assert "value_input_option" in _error(enum.value)["message"]
    with pytest.raises(HttpError) as wrong_type:
        spreadsheets.batchUpdate(
            spreadsheetId="ss",
            body={"requests": [{"addSheet": {"properties": {"title": "X", "index": "abc"}}}]},
        ).execute()
    assert wrong_type.value.status_code == 400
    assert fake.tab_titles("ss") == ["Tab"]

    http = gspread_client(fake).http_client
    with pytest.raises(gspread.exceptions.APIError) as query_enum:
        http.values_get("ss", "Tab", params={"valueRenderOption": "BOGUS"})
    assert query_enum.value.code == 400
    with pytest.raises(gspread.exceptions.APIError) as unknown_param:
        http.values_get("ss", "Tab", params={"valueRendrOption": "FORMULA"})
    assert "Cannot bind query parameter" in unknown_param.value.error["message"]
    with pytest.raises(gspread.exceptions.APIError) as bad_int:
        http.request(
            "get",
            "https://sheets.googleapis.com/v4/spreadsheets/ss",
            params={"includeGridData": "maybe"},
        )
    assert bad_int.value.code == 400
    # standard parameters and repeated ones are fine
    ok = http.values_batch_get("ss", ["Tab!A1", "Tab!B2"], params={"prettyPrint": "false"})
    assert len(ok["valueRanges"]) == 2


def test_unknown_path_is_404_and_a_wrong_token_is_401(fake: FakeWorkspace) -> None:
    fake.add_spreadsheet("ss", {"Tab": []})
    good = {"Authorization": "Bearer fake-token"}
    unknown = requests.get(fake.url + "v4/nothing/here", headers=good, timeout=5)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["status"] == "NOT_FOUND"
    no_token = requests.get(fake.url + "v4/spreadsheets/ss", timeout=5)
    assert no_token.status_code == 401
    assert no_token.json()["error"]["status"] == "UNAUTHENTICATED"
    assert requests.get(fake.url + "v4/spreadsheets/ss", headers=good, timeout=5).ok


# ---------------------------------------------------------------------------------------
# Sheets through gspread
# ---------------------------------------------------------------------------------------


def test_gspread_reads_and_writes_raw_versus_user_entered(fake: FakeWorkspace) -> None:
    fake.add_spreadsheet(
        "ss",
        {"Danh sách": [["Họ tên", "Điểm"], ["An", 8.5], ["Bình", 10]], "Tổng hợp": []},
        title="Kỹ năng số",
    )
    sh = gspread_client(fake).open_by_key("ss")
    assert sh.title == "Kỹ năng số"
    assert sh.locale == "vi_VN"
    assert sh.timezone == "Asia/Ho_Chi_Minh"
    assert [ws.title for ws in sh.worksheets()] == ["Danh sách", "Tổng hợp"]
    assert sh.worksheet("Danh sách").get_all_values() == [
        ["Họ tên", "Điểm"],
        ["An", "8,5"],
        ["Bình", "10"],
    ]
    formula = '=IMPORTXML("http://x.example","//a")'
    sh.values_batch_update(
        {
            "valueInputOption": "RAW",
            "data": [{"range": "'Tổng hợp'!A1", "values": [[formula, "+84 912", "-", "@x", 3]]}],
        }
    )
    assert fake.values("ss", "Tổng hợp") == [[formula, "+84 912", "-", "@x", "3"]]
    raw = fake.cell("ss", "Tổng hợp", "A1")
    assert (raw.value, raw.is_formula) == (formula, False)
    assert fake.cell("ss", "Tổng hợp", "E1").value == 3.0

    sh.values_batch_update(
        {
            "valueInputOption": "USER_ENTERED",
            "data": [
                {
                    "range": "'Tổng hợp'!A2:E2",
                    "values": [[formula, "1.234,5", "50%", "'=1", "0912"]],
                }
            ],
        }
    )
    entered = fake.cell("ss", "Tổng hợp", "A2")
    assert entered.is_formula and entered.value == formula and entered.formatted == "#N/A"
    assert fake.values("ss", "Tổng hợp")[1] == ["#N/A", "1234,5", "50%", "=1", "912"]
    assert fake.cell("ss", "Tổng hợp", "B2").value == 1234.5
    ws = sh.worksheet("Tổng hợp")
    assert ws.get("A2", value_render_option="FORMULA") == [[formula]]
    assert ws.get("B2:C2", value_render_option="UNFORMATTED_VALUE") == [[1234.5, 0.5]]
    with pytest.raises(gspread.exceptions.APIError) as too_wide:
        sh.values_batch_update(
            {
                "valueInputOption": "RAW",
                "data": [{"range": "'Tổng hợp'!A1:B1", "values": [[1, 2, 3]]}],
            }
        )
    assert "tried writing to column [C]" in too_wide.value.error["message"]


def test_a1_ranges(fake: FakeWorkspace) -> None:
    rows = [[f"{c}{r}" for c in "ABCDE"] for r in range(1, 8)]
    fake.add_spreadsheet("ss", {"Đầu": [["first"]], "Tab with spaces": rows, "It's": [["q"]]})
    http = gspread_client(fake).http_client

    def get(rng: str) -> dict[str, Any]:
        return http.values_get("ss", rng)

    assert get("'Tab with spaces'!B2:C3")["values"] == [["B2", "C2"], ["B3", "C3"]]
    assert get("'Tab with spaces'!B2:C3")["range"] == "'Tab with spaces'!B2:C3"
    assert get("'Tab with spaces'!A6:B")["values"] == [["A6", "B6"], ["A7", "B7"]]
    assert get("'Tab with spaces'!A6:B")["range"] == "'Tab with spaces'!A6:B1000"
    assert get("'Tab with spaces'!D:E")["values"][0] == ["D1", "E1"]
    assert get("'Tab with spaces'!E7")["values"] == [["E7"]]
    assert get("'Tab with spaces'")["range"] == "'Tab with spaces'!A1:Z1000"
    assert get("'It''s'!A1")["values"] == [["q"]]
    assert get("A1:B2") == {"range": "'Đầu'!A1:B2", "majorDimension": "ROWS", "values": [["first"]]}
    assert get("'Đầu'!C5:D6") == {"range": "'Đầu'!C5:D6", "majorDimension": "ROWS"}
    cols = http.values_get("ss", "'Tab with spaces'!A1:B2", params={"majorDimension": "COLUMNS"})
    assert cols["values"] == [["A1", "A2"], ["B1", "B2"]]
    with pytest.raises(gspread.exceptions.APIError) as missing_tab:
        get("'Không có'!A1")
    assert "Unable to parse range" in missing_tab.value.error["message"]
    with pytest.raises(gspread.exceptions.APIError) as beyond:
        get("'Đầu'!A1001")
    assert "exceeds grid limits" in beyond.value.error["message"]


def test_clear_and_batch_clear(fake: FakeWorkspace) -> None:
    fake.add_spreadsheet("ss", {"T": [["a", "b"], ["c", "d"], ["e", "f"]]})
    sh = gspread_client(fake).open_by_key("ss")
    sh.values_clear("T!A1:A2")
    assert fake.values("ss", "T") == [["", "b"], ["", "d"], ["e", "f"]]
    sh.values_batch_clear(body={"ranges": ["T!B1:B3", "T!A3"]})
    assert fake.values("ss", "T") == []


def test_spreadsheet_batch_update_requests(fake: FakeWorkspace) -> None:
    fake.add_spreadsheet("ss", {"Tổng hợp": [["Chi bộ", "Tỷ lệ", "Hạn"]]})
    sh = gspread_client(fake).open_by_key("ss")
    reply = sh.batch_update(
        {
            "requests": [
                {
                    "addSheet": {
                        "properties": {"title": "Quá hạn", "gridProperties": {"rowCount": 50}}
                    }
                }
            ]
        }
    )
    new = reply["replies"][0]["addSheet"]["properties"]
    assert new["title"] == "Quá hạn" and new["index"] == 1
    assert new["gridProperties"] == {"rowCount": 50, "columnCount": 26}
    sheet_id = fake.sheet("ss", "Tổng hợp")["sheetId"]
    sh.batch_update(
        {
            "requests": [
                {
                    "updateSheetProperties": {
                        "properties": {
                            "sheetId": sheet_id,
                            "gridProperties": {"frozenRowCount": 1},
                        },
                        "fields": "gridProperties.frozenRowCount",
                    }
                },
                {
                    "repeatCell": {
                        "range": {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": 1},
                        "cell": {
                            "userEnteredFormat": {
                                "textFormat": {"bold": True},
                                "backgroundColor": {"red": 0.9, "green": 0.9, "blue": 0.9},
                            }
                        },
                        "fields": "userEnteredFormat(textFormat.bold,backgroundColor)",
                    }
                },
                {
                    "repeatCell": {
                        "range": {
                            "sheetId": sheet_id,
                            "startRowIndex": 1,
                            "startColumnIndex": 1,
                            "endColumnIndex": 2,
                        },
                        "cell": {
                            "userEnteredFormat": {
                                "numberFormat": {"type": "PERCENT", "pattern": "0.0%"}
                            }
                        },
                        "fields": "userEnteredFormat.numberFormat",
                    }
                },
                {
                    "repeatCell": {
                        "range": {
                            "sheetId": sheet_id,
                            "startRowIndex": 1,
                            "startColumnIndex": 2,
                            "endColumnIndex": 3,
                        },
                        "cell": {
                            "userEnteredFormat": {
                                "numberFormat": {"type": "DATE_TIME", "pattern": "dd/mm/yyyy hh:mm"}
                            }
                        },
                        "fields": "userEnteredFormat.numberFormat",
                    }
                },
                {
                    "updateDimensionProperties": {
                        "range": {
                            "sheetId": sheet_id,
                            "dimension": "COLUMNS",
                            "startIndex": 0,
                            "endIndex": 1,
                        },
                        "properties": {"pixelSize": 240},
                        "fields": "pixelSize",
                    }
                },
                {
                    "autoResizeDimensions": {
                        "dimensions": {"sheetId": sheet_id, "dimension": "COLUMNS"}
                    }
                },
                {"setBasicFilter": {"filter": {"range": {"sheetId": sheet_id}}}},
                {"appendDimension": {"sheetId": sheet_id, "dimension": "ROWS", "length": 10}},
                {
                    "addConditionalFormatRule": {
                        "rule": {
                            "ranges": [{"sheetId": sheet_id, "startRowIndex": 1}],
                            "booleanRule": {
                                "condition": {
                                    "type": "NUMBER_LESS",
                                    "values": [{"userEnteredValue": "0,5"}],
                                },
                                "format": {"backgroundColor": {"red": 1}},
                            },
                        }
                    }
                },
            ]
        }
    )
    props = fake.sheet("ss", "Tổng hợp")
    assert props["gridProperties"]["frozenRowCount"] == 1
    assert props["gridProperties"]["rowCount"] == 1010
    assert fake.column_widths("ss", "Tổng hợp") == {0: 240}
    header = fake.cell("ss", "Tổng hợp", "A1")
    assert header.format["textFormat"] == {"bold": True}
    assert header.format["backgroundColor"]["red"] == 0.9
    assert fake.basic_filter("ss", "Tổng hợp") == {"range": {"sheetId": sheet_id}}
    assert len(fake.conditional_formats("ss", "Tổng hợp")) == 1

    # numbers written RAW read back through the formats set above
    moment = datetime(2026, 11, 23, 8, 0)
    sh.values_batch_update(
        {
            "valueInputOption": "RAW",
            "data": [
                {
                    "range": "'Tổng hợp'!A2:C2",
                    "values": [["Chi bộ 1", 0.125, datetime_to_serial(moment)]],
                }
            ],
        }
    )
    assert fake.values("ss", "Tổng hợp")[1] == ["Chi bộ 1", "12,5%", "23/11/2026 08:00"]

    metadata = sh.fetch_sheet_metadata()
    first = metadata["sheets"][0]["properties"]
    assert first["gridProperties"]["frozenRowCount"] == 1
    assert metadata["sheets"][0]["basicFilter"] == {"range": {"sheetId": sheet_id}}

    # a request kind the fake does not model is a 400, and nothing of the batch is applied
    with pytest.raises(gspread.exceptions.APIError) as unsupported:
        sh.batch_update(
            {
                "requests": [
                    {"deleteSheet": {"sheetId": new["sheetId"]}},
                    {"mergeCells": {"range": {"sheetId": sheet_id}, "mergeType": "MERGE_ALL"}},
                ]
            }
        )
    assert "requests[1].mergeCells" in unsupported.value.error["message"]
    assert fake.tab_titles("ss") == ["Tổng hợp", "Quá hạn"]
    with pytest.raises(gspread.exceptions.APIError) as duplicate:
        sh.batch_update({"requests": [{"addSheet": {"properties": {"title": "Quá hạn"}}}]})
    assert "already exists" in duplicate.value.error["message"]
    sh.batch_update({"requests": [{"deleteSheet": {"sheetId": new["sheetId"]}}]})
    assert fake.tab_titles("ss") == ["Tổng hợp"]


def test_number_formats_and_user_entered_dates(fake: FakeWorkspace) -> None:
    fake.add_spreadsheet("ss", {"T": [[date(2026, 11, 20), datetime(2026, 11, 20, 7, 30)]]})
    assert fake.values("ss", "T") == [["20/11/2026", "20/11/2026 07:30:00"]]
    sh = gspread_client(fake).open_by_key("ss")
    sh.values_batch_update(
        {
            "valueInputOption": "USER_ENTERED",
            "data": [
                {"range": "T!A2", "values": [["23/11/2026", "23/11/2026 08:00", "TRUE", "abc"]]}
            ],
        }
    )
    assert fake.values("ss", "T")[1] == ["23/11/2026", "23/11/2026 08:00", "TRUE", "abc"]
    cell = fake.cell("ss", "T", "A2")
    assert cell.value == datetime_to_serial(date(2026, 11, 23))
    assert cell.format["numberFormat"]["type"] == "DATE"
    unformatted = sh.worksheet("T").get(
        "A2:B2", value_render_option="UNFORMATTED_VALUE", date_time_render_option="FORMATTED_STRING"
    )
    assert unformatted == [["23/11/2026", "23/11/2026 08:00"]]


def test_values_update_past_the_grid_is_refused_append_grows_and_payload_limit(
    fake: FakeWorkspace,
) -> None:
    fake.add_spreadsheet("ss", {"T": []})
    ws = gspread_client(fake).open_by_key("ss").sheet1
    with pytest.raises(gspread.exceptions.APIError) as beyond:
        ws.update([["x"] * 30], "A1001")
    assert beyond.value.error == {
        "code": 400,
        "message": "Range (T!A1001:AD1001) exceeds grid limits. Max rows: 1000, max columns: 26",
        "status": "INVALID_ARGUMENT",
    }
    assert fake.values("ss", "T") == []
    # values.append adds the rows and columns it needs, as Google's does
    rows = {"values": [["x"] * 30] * 2}
    ws.spreadsheet.values_append("T!A1000", {"valueInputOption": "RAW"}, rows)
    props = fake.sheet("ss", "T")["gridProperties"]
    assert (props["rowCount"], props["columnCount"]) == (1001, 30)
    fake.max_request_bytes = 2000
    with pytest.raises(gspread.exceptions.APIError) as too_big:
        ws.spreadsheet.values_batch_update(
            {"valueInputOption": "RAW", "data": [{"range": "T!A1", "values": [["y" * 3000]]}]}
        )
    assert too_big.value.code == 400
    assert "payload size exceeds the limit" in too_big.value.error["message"]
    assert fake.calls(method_id="sheets.spreadsheets.values.batchUpdate")[-1].body_size > 3000


# ---------------------------------------------------------------------------------------
# Quota and faults
# ---------------------------------------------------------------------------------------


def test_quota_is_a_sliding_minute_with_retry_after() -> None:
    now = [1000.0]
    with FakeWorkspace(quota_per_minute={"sheets": 2, "forms": None}, clock=lambda: now[0]) as fake:
        fake.add_spreadsheet("ss", {"T": []})
        http = gspread_client(fake).http_client
        http.values_get("ss", "T")
        now[0] += 30
        http.values_get("ss", "T")
        with pytest.raises(gspread.exceptions.APIError) as limited:
            http.values_get("ss", "T")
        assert limited.value.code == 429
        assert limited.value.response.headers["Retry-After"] == "1"
        assert limited.value.error["status"] == "RESOURCE_EXHAUSTED"
        assert "Quota exceeded for quota metric 'Read requests'" in limited.value.error["message"]
        now[0] += 31  # the first request left the window
        http.values_get("ss", "T")


def test_fail_next_answers_an_error_without_applying(fake: FakeWorkspace) -> None:
    _form(fake)
    fake.add_spreadsheet("ss", {"T": [["old"]]})
    fake.fail_next(2, 503, api="forms")
    service = forms_service(fake)
    for _ in range(2):
        with pytest.raises(HttpError) as unavailable:
            service.forms().get(formId="form-A").execute()
        assert unavailable.value.status_code == 503
        assert _error(unavailable.value)["status"] == "UNAVAILABLE"
    assert service.forms().get(formId="form-A").execute()["formId"] == "form-A"
    fake.fail_next(1, 403, api="forms", reason="rateLimitExceeded", message="Rate Limit Exceeded")
    with pytest.raises(HttpError) as rate_limited:
        service.forms().get(formId="form-A").execute()
    assert rate_limited.value.error_details[0]["reason"] == "rateLimitExceeded"
    assert _error(rate_limited.value)["message"] == "Rate Limit Exceeded"

    fake.fail_next(1, 429, api="sheets", retry_after=7)
    sh_http = gspread_client(fake).http_client
    with pytest.raises(gspread.exceptions.APIError) as limited:
        sh_http.values_update(
            "ss", "T!A1", params={"valueInputOption": "RAW"}, body={"values": [["new"]]}
        )
    assert limited.value.response.headers["Retry-After"] == "7"
    assert fake.values("ss", "T") == [["old"]]
    assert [r.status for r in fake.calls("sheets")] == [429]


def test_drop_next_closes_the_connection(fake: FakeWorkspace) -> None:
    fake.add_spreadsheet("ss", {"T": [["old"]]})
    http = gspread_client(fake).http_client
    fake.drop_next(1, api="sheets")
    with pytest.raises(requests.exceptions.ConnectionError):
        http.values_update(
            "ss", "T!A1", params={"valueInputOption": "RAW"}, body={"values": [["a"]]}
        )
    assert fake.values("ss", "T") == [["old"]]
    fake.drop_next(1, api="sheets", after_effect=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        http.values_update(
            "ss", "T!A1", params={"valueInputOption": "RAW"}, body={"values": [["b"]]}
        )
    assert fake.values("ss", "T") == [["b"]]
    assert [r.status for r in fake.calls("sheets")] == [0, 0]
    assert http.values_get("ss", "T")["values"] == [["b"]]


def test_httplib2_silently_resends_after_one_dropped_connection(fake: FakeWorkspace) -> None:
    """google-api-python-client's transport (httplib2) retries once, even a POST, when the
    connection closes without an answer: one drop is invisible, and with after_effect the
    request is applied twice. Two drops in a row reach the caller."""
    _form(fake)
    service = forms_service(fake)
    fake.drop_next(1, api="forms")
    assert service.forms().get(formId="form-A").execute()["formId"] == "form-A"
    assert [r.status for r in fake.calls("forms")] == [0, 200]
    fake.drop_next(2, api="forms")
    with pytest.raises((http.client.HTTPException, ConnectionError, httplib2.HttpLib2Error)):
        service.forms().get(formId="form-A").execute()


# ---------------------------------------------------------------------------------------
# Gmail
# ---------------------------------------------------------------------------------------


def _mail(code: str, to: str = "bithu.cb1@example.vn") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Đảng ủy phường <dang-uy@phuong.example>"
    msg["To"] = to
    msg["Subject"] = "Nhắc hạn nộp Biểu mẫu 02"
    msg["Message-ID"] = f"<{code}@kynangso.local>"
    msg.set_content(f"Kính gửi đồng chí Bí thư,\nMã thư: {code}\n")
    msg.add_alternative(f"<p>Kính gửi đồng chí Bí thư, <b>mã thư {code}</b></p>", subtype="html")
    return msg


def _raw(msg: EmailMessage) -> str:
    return base64.urlsafe_b64encode(msg.as_bytes()).decode()


def test_gmail_send_search_and_message_id_rewrite(fake: FakeWorkspace) -> None:
    gmail = gmail_service(fake)
    messages = gmail.users().messages()
    sent = messages.send(userId="me", body={"raw": _raw(_mail("KNS-2026-0001"))}).execute()
    assert sent["labelIds"] == ["SENT"] and sent["threadId"] == sent["id"]
    # the media upload path too: uploadType=media (no metadata part) ...
    media = MediaIoBaseUpload(
        io.BytesIO(_mail("KNS-2026-0002").as_bytes()), mimetype="message/rfc822"
    )
    messages.send(userId="me", media_body=media).execute()
    # ... and uploadType=multipart, which googleapiclient can only build for 7-bit messages
    ascii_only = _mail("KNS-2026-0003")
    for part in ascii_only.walk():
        if not part.is_multipart():
            part.set_content(part.get_content(), subtype=part.get_content_subtype(), cte="base64")
    media = MediaIoBaseUpload(io.BytesIO(ascii_only.as_bytes()), mimetype="message/rfc822")
    messages.send(userId="me", body={"threadId": sent["threadId"]}, media_body=media).execute()

    found = messages.list(userId="me", q="in:sent KNS-2026-0001").execute()
    assert found == {
        "messages": [{"id": sent["id"], "threadId": sent["id"]}],
        "resultSizeEstimate": 1,
    }
    phrase = messages.list(userId="me", q='"mã thư KNS-2026-0002" label:sent').execute()
    assert phrase["resultSizeEstimate"] == 1
    # terms match whole words, like Gmail's tokens: no substring hits
    assert messages.list(userId="me", q="KNS-2026-000").execute() == {"resultSizeEstimate": 0}
    page = messages.list(userId="me", q="subject:Biểu", maxResults=2).execute()
    assert len(page["messages"]) == 2 and page["resultSizeEstimate"] == 3
    rest = messages.list(
        userId="me", q="subject:Biểu", maxResults=2, pageToken=page["nextPageToken"]
    )
    assert rest.execute()["messages"] == [{"id": sent["id"], "threadId": sent["id"]}]

    (first, second, third) = fake.sent_messages()
    assert first["Message-ID"] != "<KNS-2026-0001@kynangso.local>"
    assert str(first["Message-ID"]).endswith("@mail.gmail.com>")
    assert "KNS-2026-0002" in second.get_body(("plain",)).get_content()
    assert "KNS-2026-0003" in third.get_body(("plain",)).get_content()
    assert [c.query["uploadType"] for c in fake.calls("gmail")[1:3]] == [["media"], ["multipart"]]
    full = messages.get(userId="me", id=sent["id"]).execute()
    assert full["payload"]["mimeType"] == "multipart/alternative"
    plain = base64.urlsafe_b64decode(full["payload"]["parts"][0]["body"]["data"] + "==")
    assert "KNS-2026-0001" in plain.decode()
    raw = messages.get(userId="me", id=sent["id"], format="raw").execute()["raw"]
    assert b"@mail.gmail.com>" in base64.urlsafe_b64decode(raw + "==")

    no_recipient = EmailMessage()
    no_recipient["From"] = "a@example.vn"
    no_recipient.set_content("x")
    with pytest.raises(HttpError) as invalid:
        messages.send(userId="me", body={"raw": _raw(no_recipient)}).execute()
    assert invalid.value.status_code == 400
    with pytest.raises(HttpError) as missing:
        messages.get(userId="me", id="0000").execute()
    assert missing.value.status_code == 404


def test_on_send_drop_connection_after_storing(fake: FakeWorkspace) -> None:
    seen: list[str] = []

    def hook(message: EmailMessage) -> None:
        seen.append(str(message["Subject"]))
        raise DropConnection

    fake.on_send = hook
    session = fake_session(fake)
    with pytest.raises(requests.exceptions.ConnectionError):
        session.post(
            "https://www.googleapis.com/gmail/v1/users/me/messages/send",
            json={"raw": _raw(_mail("KNS-1"))},
            timeout=5,
        )
    assert seen == ["Nhắc hạn nộp Biểu mẫu 02"]
    assert len(fake.sent_messages()) == 1
    assert fake.calls("gmail")[0].status == 0


# ---------------------------------------------------------------------------------------
# Recording
# ---------------------------------------------------------------------------------------


def test_requests_are_recorded(fake: FakeWorkspace) -> None:
    fake.add_spreadsheet("ss", {"Tổng hợp": []})
    sh = gspread_client(fake).open_by_key("ss")
    sh.worksheet("Tổng hợp").update([[1]], "A1", raw=True)
    gets = fake.calls("sheets", "sheets.spreadsheets.get")
    assert gets and gets[0].query == {"includeGridData": ["false"]}
    (write,) = fake.write_calls()
    assert write.method_id == "sheets.spreadsheets.values.update"
    assert write.http_method == "PUT"
    assert write.path == "/v4/spreadsheets/ss/values/'Tổng hợp'!A1"
    assert write.path_params["range"] == "'Tổng hợp'!A1"
    assert write.query == {"valueInputOption": ["RAW"]}
    assert write.body == {"values": [[1]], "majorDimension": None}
    assert write.status == 200
    fake.reset_requests()
    assert fake.requests == []


def _chart_request(
    sheet_id: int, *, rows: tuple[int, int] = (1, 5), anchor: tuple[int, int] = (1, 3)
) -> dict[str, Any]:
    """An addChart of one column chart over A (labels) and B (values) of ``sheet_id``."""

    def data(col: int) -> dict[str, Any]:
        rng = {
            "sheetId": sheet_id,
            "startRowIndex": rows[0],
            "endRowIndex": rows[1],
            "startColumnIndex": col,
            "endColumnIndex": col + 1,
        }
        return {"sourceRange": {"sources": [rng]}}

    return {
        "addChart": {
            "chart": {
                "spec": {
                    "title": "Tỷ lệ tham gia",
                    "basicChart": {
                        "chartType": "COLUMN",
                        "legendPosition": "NO_LEGEND",
                        "headerCount": 1,
                        "domains": [{"domain": data(0)}],
                        "series": [{"series": data(1)}],
                    },
                },
                "position": {
                    "overlayPosition": {
                        "anchorCell": {
                            "sheetId": sheet_id,
                            "rowIndex": anchor[0],
                            "columnIndex": anchor[1],
                        }
                    }
                },
            }
        }
    }


def test_add_chart_and_delete_embedded_object(fake: FakeWorkspace) -> None:
    fake.add_spreadsheet("ss", {"Tổng hợp": [["Chi bộ", "Tỷ lệ"], ["CB01", 0.5]]}, grid_rows=10)
    spreadsheets = sheets_service(fake).spreadsheets()
    sheet_id = fake.sheet("ss", "Tổng hợp")["sheetId"]

    reply = spreadsheets.batchUpdate(
        spreadsheetId="ss", body={"requests": [_chart_request(sheet_id)]}
    ).execute()

    chart = reply["replies"][0]["addChart"]["chart"]
    chart_id = chart["chartId"]
    assert isinstance(chart_id, int) and chart_id > 0
    assert chart["spec"]["title"] == "Tỷ lệ tham gia"
    assert chart["position"]["overlayPosition"]["widthPixels"] == 600  # the API's default
    meta = spreadsheets.get(
        spreadsheetId="ss", fields="sheets(properties(sheetId,title),charts(chartId))"
    ).execute()
    assert [c["chartId"] for c in meta["sheets"][0]["charts"]] == [chart_id]
    assert fake.charts("ss", "Tổng hợp") == [chart]

    spreadsheets.batchUpdate(
        spreadsheetId="ss", body={"requests": [{"deleteEmbeddedObject": {"objectId": chart_id}}]}
    ).execute()
    assert fake.charts("ss", "Tổng hợp") == []
    meta = spreadsheets.get(spreadsheetId="ss").execute()
    assert "charts" not in meta["sheets"][0]  # like Google: no empty list


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rows": (1, 11)}, "exceeds grid limits"),  # one row past the 10-row grid
        ({"anchor": (1, 26)}, "exceeds grid limits"),  # the anchor one column past Z
        ({"sheet_id": 4242}, "No grid with id: 4242"),
    ],
)
def test_add_chart_outside_the_grid_is_a_400(
    fake: FakeWorkspace, change: dict[str, Any], message: str
) -> None:
    fake.add_spreadsheet("ss", {"Tổng hợp": [["Chi bộ", "Tỷ lệ"]]}, grid_rows=10)
    spreadsheets = sheets_service(fake).spreadsheets()
    sheet_id = change.pop("sheet_id", fake.sheet("ss", "Tổng hợp")["sheetId"])
    bold = {
        "repeatCell": {
            "range": {"sheetId": 0, "endRowIndex": 1},
            "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
            "fields": "userEnteredFormat.textFormat.bold",
        }
    }

    with pytest.raises(HttpError) as info:
        spreadsheets.batchUpdate(
            spreadsheetId="ss", body={"requests": [bold, _chart_request(sheet_id, **change)]}
        ).execute()

    error = _error(info.value)
    assert info.value.status_code == 400
    assert error["status"] == "INVALID_ARGUMENT"
    assert "errors" not in error  # Sheets v4 errors carry no legacy errors[] list
    assert error["message"].startswith("Invalid requests[1].addChart: ")
    assert message in error["message"]
    # the batch is atomic: neither the chart nor the format of the first request is kept
    assert fake.charts("ss", "Tổng hợp") == []
    assert "textFormat" not in fake.cell("ss", "Tổng hợp", "A1").format


def test_delete_embedded_object_unknown_id_is_a_400(fake: FakeWorkspace) -> None:
    fake.add_spreadsheet("ss", {"Tab": []})
    with pytest.raises(HttpError) as info:
        sheets_service(fake).spreadsheets().batchUpdate(
            spreadsheetId="ss", body={"requests": [{"deleteEmbeddedObject": {"objectId": 7}}]}
        ).execute()
    assert info.value.status_code == 400
    assert "No embedded object with id: 7" in _error(info.value)["message"]
