"""The fake Workspace is as strict as Google, through the real client libraries: ``fields``
masks are applied and a field the response lacks is refused, a write past the grid is
refused, an unknown query parameter is refused, and each API's errors have the shape it
really returns. Plus: every ``fields`` mask the production code uses names real fields
(a static scan of sync/, and the masks a whole Google cycle sends)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import gspread
import pytest
from googleapiclient.errors import HttpError
from gspread.http_client import ParamsType

from sync.google.apis import GoogleApiError
from tests.conftest import ROOT
from tests.fake_google import FakeWorkspace
from tests.fake_google.clients import (
    build_service,
    fake_apis,
    fake_session,
    forms_service,
    gmail_service,
    gspread_client,
    sheets_service,
)
from tests.fake_google.discovery import (
    ApiError,
    Router,
    check_fields_mask,
    invalid_mask_path,
    parse_fields_mask,
)
from tests.fake_google.forms_builder import question

SID = "ss"
TAB = "Tổng hợp"


@pytest.fixture(scope="module")
def router() -> Router:
    return Router()


@pytest.fixture
def fake() -> Iterator[FakeWorkspace]:
    with FakeWorkspace() as f:
        f.add_spreadsheet(SID, {TAB: [["Mã", "Tên"], ["CB01", "Khu phố 1"]], "Phụ": []})
        f.add_form("form-A", "Thống kê", [question("q1", "Tên chi bộ")])
        yield f


def _error(exc: HttpError) -> dict[str, Any]:
    import json

    return dict(json.loads(exc.content)["error"])


def _mask_refusal(mask: str, path: str) -> dict[str, Any]:
    # a real Sheets answer (r-lib/gargle, sheets-spreadsheets-get-bad-field-mask_400.rds)
    return {
        "code": 400,
        "message": "Request contains an invalid argument.",
        "status": "INVALID_ARGUMENT",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [
                    {
                        "field": mask,
                        "description": "Error expanding 'fields' parameter. Cannot find "
                        f"matching fields for path '{path}'.",
                    }
                ],
            }
        ],
    }


# ---------------------------------------------------------------------------------------
# fields masks
# ---------------------------------------------------------------------------------------


def test_a_mask_naming_a_missing_field_is_refused_per_api(fake: FakeWorkspace) -> None:
    sheets = sheets_service(fake).spreadsheets()
    with pytest.raises(HttpError) as bad:
        sheets.get(spreadsheetId=SID, fields="sheets.sheetProperties").execute()
    assert bad.value.status_code == 400
    assert _error(bad.value) == _mask_refusal("sheets.sheetProperties", "sheets.sheetProperties")

    # nested parentheses: the path is reported in full, with dots
    mask = "sheets(properties(sheetId,gridProperties(rowCount,rowHeight)))"
    with pytest.raises(gspread.exceptions.APIError) as nested:
        gspread_client(fake).http_client.fetch_sheet_metadata(SID, params={"fields": mask})
    assert nested.value.error == _mask_refusal(mask, "sheets.properties.gridProperties.rowHeight")
    # Sheets takes names verbatim: a space after a comma names the field " title"
    with pytest.raises(HttpError) as spaced:
        sheets.get(spreadsheetId=SID, fields="spreadsheetId, properties").execute()
    assert _error(spaced.value) == _mask_refusal("spreadsheetId, properties", " properties")

    with pytest.raises(HttpError) as forms_bad:
        forms_service(fake).forms().get(formId="form-A", fields="items(questionId)").execute()
    assert _error(forms_bad.value) == _mask_refusal("items(questionId)", "items.questionId")

    gmail = gmail_service(fake).users().messages()
    with pytest.raises(HttpError) as gmail_bad:
        gmail.list(userId="me", fields="messages(id,subject)").execute()
    error = _error(gmail_bad.value)
    assert error["details"] == _mask_refusal("messages(id,subject)", "messages.subject")["details"]
    assert error["errors"] == [
        {
            "message": "Request contains an invalid argument.",
            "domain": "global",
            "reason": "badRequest",
        }
    ]

    drive = build_service(fake, "drive.v3").files()
    with pytest.raises(HttpError) as drive_bad:
        drive.get(fileId=SID, fields="id,capabilities,canEdit").execute()
    # developers.google.com/drive/api/guides/fields-parameter: "Invalid field selection X"
    assert _error(drive_bad.value) == {
        "errors": [
            {
                "message": "Invalid field selection canEdit",
                "domain": "global",
                "reason": "invalidParameter",
                "locationType": "parameter",
                "location": "fields",
            }
        ],
        "code": 400,
        "message": "Invalid field selection canEdit",
    }


def test_a_wrong_mask_on_a_write_applies_nothing(fake: FakeWorkspace) -> None:
    http = gspread_client(fake).http_client
    with pytest.raises(gspread.exceptions.APIError) as bad:
        http.values_update(
            SID,
            f"'{TAB}'!A5",
            params={"valueInputOption": "RAW", "fields": "updatedRange,updatedRowz"},
            body={"values": [["mới"]]},
        )
    assert bad.value.code == 400
    assert fake.values(SID, TAB) == [["Mã", "Tên"], ["CB01", "Khu phố 1"]]


def test_a_correct_mask_returns_only_the_selected_fields(fake: FakeWorkspace) -> None:
    sheets = sheets_service(fake).spreadsheets()
    got = sheets.get(
        spreadsheetId=SID,
        fields="spreadsheetId,sheets(properties(title,gridProperties(rowCount)))",
    ).execute()
    assert got == {
        "spreadsheetId": SID,
        "sheets": [
            {"properties": {"title": TAB, "gridProperties": {"rowCount": 1000}}},
            {"properties": {"title": "Phụ", "gridProperties": {"rowCount": 1000}}},
        ],
    }
    # a/b is the same selection as a(b); '*' is everything
    assert sheets.get(spreadsheetId=SID, fields="sheets/properties/title").execute() == {
        "sheets": [{"properties": {"title": TAB}}, {"properties": {"title": "Phụ"}}]
    }
    assert (
        sheets.get(spreadsheetId=SID, fields="*").execute()
        == sheets.get(spreadsheetId=SID).execute()
    )
    assert sheets.get(spreadsheetId=SID, fields="properties(title),sheets(*)").execute() == {
        "properties": {"title": "Bảng tính"},
        "sheets": sheets.get(spreadsheetId=SID).execute()["sheets"],
    }
    # a write's answer too
    written = (
        sheets.values()
        .update(
            spreadsheetId=SID,
            range=f"'{TAB}'!C1",
            valueInputOption="RAW",
            body={"values": [["x"]]},
            fields="updatedCells",
        )
        .execute()
    )
    assert written == {"updatedCells": 1}

    form = (
        forms_service(fake)
        .forms()
        .get(formId="form-A", fields="formId,items(questionItem(question(questionId)))")
        .execute()
    )
    assert form == {
        "formId": "form-A",
        "items": [{"questionItem": {"question": {"questionId": "q1"}}}],
    }
    assert gmail_service(fake).users().getProfile(userId="me", fields="emailAddress").execute() == {
        "emailAddress": "dang-uy@phuong.example"
    }
    drive = build_service(fake, "drive.v3").files()
    assert drive.get(fileId=SID, fields="id, name").execute() == {"id": SID, "name": "Bảng tính"}


def test_the_mask_parser_reads_google_syntax() -> None:
    assert parse_fields_mask("a,b/c,d(e,f(g)),d/h") == {
        "a": None,
        "b": {"c": None},
        "d": {"e": None, "f": {"g": None}, "h": None},
    }
    assert parse_fields_mask("a(b),a") == {"a": None}  # the whole field wins
    for broken in ("a(b", "a)b", "a,,b", "a()", ""):
        with pytest.raises(ValueError):
            parse_fields_mask(broken)


# ---------------------------------------------------------------------------------------
# the grid, unknown parameters, error shapes
# ---------------------------------------------------------------------------------------


def test_a_write_past_the_grid_is_refused(fake: FakeWorkspace) -> None:
    http = gspread_client(fake).http_client
    raw: ParamsType = {"valueInputOption": "RAW"}
    with pytest.raises(gspread.exceptions.APIError) as past:
        http.values_update(SID, "'Phụ'!A1001", params=raw, body={"values": [["x"]]})
    assert past.value.error == {
        "code": 400,
        "message": "Range ('Phụ'!A1001) exceeds grid limits. Max rows: 1000, max columns: 26",
        "status": "INVALID_ARGUMENT",
    }
    with pytest.raises(gspread.exceptions.APIError) as wide:
        http.values_batch_update(
            SID, body={**raw, "data": [{"range": "'Phụ'!Y1", "values": [["y", "z", "aa"]]}]}
        )
    assert "Range ('Phụ'!Y1:AA1) exceeds grid limits" in wide.value.error["message"]
    assert fake.values(SID, "Phụ") == []
    # the last row and column are inside the grid
    http.values_update(SID, "'Phụ'!Z1000", params=raw, body={"values": [["z"]]})
    assert fake.cell(SID, "Phụ", "Z1000").value == "z"


def test_an_unknown_query_parameter_is_refused(fake: FakeWorkspace) -> None:
    unknown = (
        'Invalid JSON payload received. Unknown name "foo": Cannot bind query parameter. '
        "Field 'foo' could not be found in request message."
    )
    with pytest.raises(gspread.exceptions.APIError) as sheets_bad:
        gspread_client(fake).http_client.values_get(SID, TAB, params={"foo": "1"})
    assert sheets_bad.value.error == {
        "code": 400,
        "message": unknown,
        "status": "INVALID_ARGUMENT",
    }
    session = fake_session(fake)
    answer = session.get("https://www.googleapis.com/gmail/v1/users/me/profile?foo=1")
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == unknown
    assert answer.json()["error"]["errors"][0]["reason"] == "badRequest"


def test_error_bodies_have_each_apis_shape(fake: FakeWorkspace) -> None:
    with pytest.raises(gspread.exceptions.APIError) as sheets_missing:
        gspread_client(fake).http_client.fetch_sheet_metadata("no-such")
    # as recorded in gspread's ClientTest.test_access_non_existing_spreadsheet.json
    assert sheets_missing.value.error == {
        "code": 404,
        "message": "Requested entity was not found.",
        "status": "NOT_FOUND",
    }
    with pytest.raises(HttpError) as forms_missing:
        forms_service(fake).forms().get(formId="no-such").execute()
    assert "errors" not in _error(forms_missing.value)
    with pytest.raises(HttpError) as gmail_missing:
        gmail_service(fake).users().messages().get(userId="me", id="18c0ffee").execute()
    assert _error(gmail_missing.value) == {
        "code": 404,
        "message": "Requested entity was not found.",
        "errors": [
            {"message": "Requested entity was not found.", "domain": "global", "reason": "notFound"}
        ],
        "status": "NOT_FOUND",
    }
    with pytest.raises(HttpError) as drive_missing:
        build_service(fake, "drive.v3").files().get(fileId="NOPE").execute()
    # as recorded in r-lib/gargle's drive-files-get-nonexistent-file-id_404.rds
    assert _error(drive_missing.value) == {
        "errors": [
            {
                "message": "File not found: NOPE.",
                "domain": "global",
                "reason": "notFound",
                "locationType": "parameter",
                "location": "fileId",
            }
        ],
        "code": 404,
        "message": "File not found: NOPE.",
    }
    # a rate-limit reason: Sheets puts it in an ErrorInfo detail, Gmail in errors[]
    fake.fail_next(1, 429, api="sheets", reason="RATE_LIMIT_EXCEEDED")
    with pytest.raises(gspread.exceptions.APIError) as limited:
        gspread_client(fake).http_client.values_get(SID, TAB)
    assert "errors" not in limited.value.error
    assert limited.value.error["details"][0]["reason"] == "RATE_LIMIT_EXCEEDED"
    fake.fail_next(1, 403, api="gmail", reason="userRateLimitExceeded")
    with pytest.raises(HttpError) as user_limited:
        gmail_service(fake).users().getProfile(userId="me").execute()
    assert _error(user_limited.value)["errors"][0] == {
        "message": "The caller does not have permission",
        "domain": "usageLimits",
        "reason": "userRateLimitExceeded",
    }


def test_production_reads_each_apis_errors(fake: FakeWorkspace) -> None:
    apis = fake_apis(fake, max_attempts=3)
    fake.deny(SID)
    with pytest.raises(GoogleApiError) as denied:
        apis.call("sheets", lambda: apis.sheets().values_get(SID, TAB))
    assert (denied.value.status, denied.value.reason, denied.value.not_shared) == (
        403,
        "PERMISSION_DENIED",
        True,
    )
    fake.allow(SID)
    # Gmail's 403 rate limits are retried (errors[].reason), not taken for missing rights
    for reason in ("rateLimitExceeded", "userRateLimitExceeded"):
        fake.reset_requests()
        fake.fail_next(1, 403, api="gmail", reason=reason)
        profile = apis.execute("gmail", apis.gmail().users().getProfile(userId="me"))
        assert profile["emailAddress"] == "dang-uy@phuong.example"
        assert [r.status for r in fake.calls("gmail")] == [403, 200]
    fake.fail_next(1, 403, api="gmail", reason="dailyLimitExceeded")
    with pytest.raises(GoogleApiError) as daily:
        apis.execute("gmail", apis.gmail().users().getProfile(userId="me"))
    # a quota used up for the day, not a missing permission
    assert daily.value.cause == "dailyLimitExceeded" and not daily.value.not_shared
    assert "hạn mức" in str(daily.value)
    # a Sheets 429 with only an ErrorInfo detail is retried too
    fake.fail_next(1, 429, api="sheets", reason="RATE_LIMIT_EXCEEDED")
    assert apis.call("sheets", lambda: apis.sheets().values_get(SID, TAB))["values"][0] == [
        "Mã",
        "Tên",
    ]


# ---------------------------------------------------------------------------------------
# the production code's masks name real fields
# ---------------------------------------------------------------------------------------

# gspread HTTPClient methods -> the Sheets method they call
GSPREAD_METHODS = {
    "fetch_sheet_metadata": "sheets.spreadsheets.get",
    "values_get": "sheets.spreadsheets.values.get",
    "values_batch_get": "sheets.spreadsheets.values.batchGet",
    "values_update": "sheets.spreadsheets.values.update",
    "values_append": "sheets.spreadsheets.values.append",
    "values_clear": "sheets.spreadsheets.values.clear",
    "values_batch_clear": "sheets.spreadsheets.values.batchClear",
    "values_batch_update": "sheets.spreadsheets.values.batchUpdate",
    "batch_update": "sheets.spreadsheets.batchUpdate",
}
# batchUpdate requests whose `fields` mask selects fields of this schema
REQUEST_MASK_SCHEMAS = {
    "repeatCell": "CellData",
    "updateCells": "CellData",
    "updateSheetProperties": "SheetProperties",
    "updateDimensionProperties": "DimensionProperties",
    "updateSpreadsheetProperties": "SpreadsheetProperties",
}

Target = tuple[str, str]  # ("method", "sheets.spreadsheets.get") | ("request", "repeatCell")


def _const(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _method_of_call(call: ast.Call, router: Router) -> str | None:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in GSPREAD_METHODS:
        return GSPREAD_METHODS[func.attr]
    chain: list[str] = []  # apis.gmail().users().messages().list -> gmail.users.messages.list
    node: ast.AST = func
    while isinstance(node, ast.Attribute):
        chain.append(node.attr)
        inner = node.value
        node = inner.func if isinstance(inner, ast.Call) else inner
        if not isinstance(inner, ast.Call):
            break
    name = ".".join(reversed(chain))
    return name if name in router.methods else None


class MaskScan:
    """Every constant `fields` mask in a module and what it selects from."""

    def __init__(self, source: str, filename: str, router: Router) -> None:
        self.router = router
        self.found: list[tuple[str, Target, str]] = []  # (where, target, mask)
        self.unresolved: list[str] = []
        self.tree = ast.parse(source, filename)
        self.filename = filename
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if _const(key) == "fields":
                        self._dict_mask(node, value)
            elif isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg == "fields" and _const(kw.value) is not None:
                        self._add(node, self._query_target(node), _const(kw.value))

    def _where(self, node: ast.AST) -> str:
        return f"{self.filename}:{getattr(node, 'lineno', 0)}"

    def _add(self, node: ast.AST, target: Target | None, mask: str | None) -> None:
        if target is None:
            self.unresolved.append(f"{self._where(node)}: which method is this mask for?")
        elif mask is not None:
            self.found.append((self._where(node), target, mask))

    def _query_target(self, call: ast.Call) -> Target | None:
        method = _method_of_call(call, self.router)
        return ("method", method) if method else None

    def _dict_target(self, d: ast.Dict) -> Target | None:
        parent = self.parents.get(d)
        if isinstance(parent, ast.Dict):  # {"repeatCell": {..., "fields": ...}}
            kind = _const(parent.keys[parent.values.index(d)])
            if kind in REQUEST_MASK_SCHEMAS:
                return ("request", kind)
            return None
        if isinstance(parent, ast.keyword) and parent.arg == "params":
            call = self.parents[parent]
            return self._query_target(call) if isinstance(call, ast.Call) else None
        if isinstance(parent, ast.AnnAssign | ast.Assign):
            target = parent.target if isinstance(parent, ast.AnnAssign) else parent.targets[0]
            if not isinstance(target, ast.Name):
                return None
            name = target.id
            for node in ast.walk(self._function_of(parent)):
                if isinstance(node, ast.Call) and any(
                    kw.arg == "params" and isinstance(kw.value, ast.Name) and kw.value.id == name
                    for kw in node.keywords
                ):
                    return self._query_target(node)
        return None

    def _function_of(self, node: ast.AST) -> ast.AST:
        while node in self.parents and not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            node = self.parents[node]
        return node

    def _dict_mask(self, d: ast.Dict, value: ast.AST) -> None:
        target = self._dict_target(d)
        if _const(value) is not None:
            self._add(d, target, _const(value))
            return
        function = self._function_of(d)
        if isinstance(value, ast.Name) and isinstance(function, ast.FunctionDef):
            # a helper's parameter: the masks are the constants its callers pass
            params = [a.arg for a in function.args.args]
            if value.id in params:
                index = params.index(value.id)
                for call in ast.walk(self.tree):
                    if (
                        isinstance(call, ast.Call)
                        and isinstance(call.func, ast.Name)
                        and call.func.id == function.name
                    ):
                        arg = next((k.value for k in call.keywords if k.arg == value.id), None)
                        if arg is None and index < len(call.args):
                            arg = call.args[index]
                        self._add(call, target, _const(arg))
                return
        # built at run time (e.g. ",".join(...)): checked by the recorded cycle below


def _problem(target: Target, mask: str, router: Router) -> str | None:
    kind, name = target
    schemas = router.documents["sheets" if kind == "request" else name.split(".")[0]]["schemas"]
    if kind == "method":
        try:
            check_fields_mask(router.methods[name], mask, schemas)
        except ApiError as exc:
            return str(exc.details or exc.message)
        return None
    if name not in REQUEST_MASK_SCHEMAS:
        return f"a mask in a {name} request: add its schema to REQUEST_MASK_SCHEMAS"
    try:
        bad = invalid_mask_path(parse_fields_mask(mask), REQUEST_MASK_SCHEMAS[name], schemas)
    except ValueError as exc:
        return str(exc)
    return None if bad is None else f"{REQUEST_MASK_SCHEMAS[name]} has no field {bad[0]!r}"


def _scan_sync(router: Router) -> list[MaskScan]:
    return [
        MaskScan(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)), router)
        for path in sorted((ROOT / "sync").rglob("*.py"))
    ]


def test_every_constant_mask_in_sync_names_real_fields(router: Router) -> None:
    scans = _scan_sync(router)
    found = [f for s in scans for f in s.found]
    assert [u for s in scans for u in s.unresolved] == []
    problems = [
        f"{where} {mask!r}: {problem}"
        for where, target, mask in found
        if (problem := _problem(target, mask, router)) is not None
    ]
    assert problems == []
    # the scan sees the masks it must: the metadata read and the formatting helper's
    targets = {(t, m) for _, t, m in found}
    assert any(t == ("method", "sheets.spreadsheets.get") for t, _ in targets)
    assert (("request", "repeatCell"), "userEnteredFormat.numberFormat") in targets
    assert (("request", "updateDimensionProperties"), "pixelSize") in targets


def test_the_scan_catches_a_wrong_mask_in_rarely_run_code(router: Router) -> None:
    source = """
def rarely(apis, sid):
    params = {"fields": "sheets(properties(title,rowCount))"}
    apis.sheets().fetch_sheet_metadata(sid, params=params)
    apis.gmail().users().messages().list(userId="me", fields="messages(id,threadId)")
    return {"repeatCell": {"cell": {}, "fields": "userEnteredFormat.bold"}}

def helper(fields):
    return {"updateSheetProperties": {"properties": {}, "fields": fields}}

helper("gridProperties.rowCount")
helper("gridProperties.rowCont")
"""
    scan = MaskScan(source, "made_up.py", router)
    assert scan.unresolved == []
    wrong = sorted(m for _, t, m in scan.found if _problem(t, m, router))
    assert wrong == [
        "gridProperties.rowCont",
        "sheets(properties(title,rowCount))",
        "userEnteredFormat.bold",
    ]


def test_every_mask_a_google_cycle_sends_names_real_fields(tmp_path: Path, router: Router) -> None:
    from tests.test_contract import MONDAY, GoogleHarness

    with FakeWorkspace() as fake:
        GoogleHarness(tmp_path, fake).cycle(MONDAY)
        requests = list(fake.requests)
    assert [r for r in requests if r.status >= 400] == []
    seen: list[tuple[Target, str]] = []
    for r in requests:
        for mask in r.query.get("fields", []):
            seen.append((("method", r.method_id), mask))
        if r.method_id == "sheets.spreadsheets.batchUpdate" and isinstance(r.body, dict):
            for request in r.body.get("requests", []):
                for kind, payload in request.items():
                    if isinstance(payload, dict) and "fields" in payload:
                        seen.append((("request", kind), str(payload["fields"])))
    assert [(t, m, p) for t, m in seen if (p := _problem(t, m, router))] == []
    kinds = {t for t, _ in seen}
    assert {("method", "sheets.spreadsheets.get"), ("request", "repeatCell")} <= kinds
    assert ("request", "updateDimensionProperties") in kinds
    assert isinstance(MONDAY, datetime)
