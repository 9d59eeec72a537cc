"""A stateful fake of Google's Forms v1, Sheets v4 and Gmail v1 REST APIs (plus Drive v3
``files.get``) on 127.0.0.1, for the REAL google-api-python-client and gspread.

Routing and validation come from the discovery documents bundled with
google-api-python-client: unknown query parameters, unknown body fields, wrong JSON types
and values outside an enum are 400s. Errors have the shape each API really returns: Sheets
and Forms ``{"error": {"code", "message", "status", "details"?}}`` (no ``errors[]``; a
``reason`` is an ErrorInfo detail), Gmail adds ``errors: [{"message", "domain", "reason"}]``,
Drive is ``{"error": {"errors": [...], "code", "message"}}``. A ``fields`` mask (``a,b``,
``a/b``, ``a(b,c)`` nested, ``*``) is applied to every answer; a path the method's response
schema lacks is Google's 400 ("Error expanding 'fields' parameter. Cannot find matching
fields for path '...'."; Drive: "Invalid field selection X") and nothing is applied;
unknown paths are 404; a missing or wrong ``Authorization: Bearer <token>`` is 401.
Methods of those APIs that the fake does not model answer 501 (UNIMPLEMENTED).

Server
    ``FakeWorkspace(*, quota_per_minute=None, clock=time.monotonic, token="fake-token",
    gmail_address="dang-uy@phuong.example")`` -- a context manager (``with FakeWorkspace()
    as fake:``) with ``start()`` / ``stop()``. ``fake.url`` is ``"http://127.0.0.1:PORT/"``
    (a discovery ``rootUrl``). ``quota_per_minute={"sheets": 60, "forms": 180, "gmail": 250}``
    (missing key or None = unlimited; a mutable dict) counts requests per API in a sliding
    60 s window of ``clock()``; over it -> 429 RESOURCE_EXHAUSTED with ``Retry-After: 1``.

Forms
    ``fake.add_form(form_id, title, items, *, linked_sheet_id=None, document_title=None,
    email_collection=None)`` -- items are Forms API ``Item`` dicts (checked against the
    schema; see ``forms_builder``); ``email_collection`` e.g. ``"VERIFIED"`` becomes
    ``settings.emailCollectionType``.
    ``fake.set_form_items(form_id, items)`` -- replace the items, bump ``revisionId``.
    ``fake.add_response(form_id, answers, *, submitted, response_id=None, created=None,
    email=None, strict=True) -> str`` -- answers keyed by questionId, a str is one text
    answer, a list several; datetimes must be timezone-aware; ``strict`` rejects unknown
    question ids. ``fake.edit_response(form_id, response_id, answers, submitted)`` keeps
    createTime and needs a later ``submitted``. ``fake.delete_response(form_id,
    response_id)``. ``fake.form_responses(form_id)`` -> the API resources.
    ``forms.get``, ``forms.responses.list`` (``filter`` ``timestamp > T`` / ``timestamp >= T``
    on lastSubmittedTime, ``pageSize`` default and max 5000, opaque ``nextPageToken``, order
    lastSubmittedTime then responseId, ``{}`` when there is nothing) and
    ``forms.responses.get``.

Access
    ``fake.deny(resource_id)`` / ``fake.allow(resource_id)`` -- a form, spreadsheet or Drive
    file id answers 403 PERMISSION_DENIED ("The caller does not have permission").
    Unknown form / spreadsheet -> 404 NOT_FOUND ("Requested entity was not found.").

Sheets
    ``fake.add_spreadsheet(spreadsheet_id, tabs, *, title="Bảng tính", locale="vi_VN",
    time_zone="Asia/Ho_Chi_Minh")`` -- ``tabs`` maps tab title -> rows of str / int / float /
    bool / date / datetime / None (stored as entered, never parsed). The first tab has
    sheetId 0; grids are max(1000, rows) x max(26, cols).
    ``fake.values(spreadsheet_id, tab) -> list[list[str]]`` (FORMATTED_VALUE, trailing empty
    cells and rows trimmed), ``fake.cell(spreadsheet_id, tab, "B2") -> CellView`` with
    ``.value`` (as entered: str / float / bool / None; the formula text for a formula),
    ``.formatted``, ``.is_formula``, ``.format`` (userEnteredFormat: numberFormat, textFormat,
    backgroundColor ...), ``.note``; ``fake.sheet(spreadsheet_id, tab) -> dict`` (the tab's
    properties; gridProperties always has frozenRowCount / frozenColumnCount here, while the
    API omits zeros like Google), ``fake.tab_titles(spreadsheet_id)``,
    ``fake.column_widths(spreadsheet_id, tab) -> {column index: pixelSize}`` (set ones only),
    ``fake.basic_filter(...)``, ``fake.conditional_formats(...)``, ``fake.charts(...)`` (the
    tab's EmbeddedChart resources).
    Methods: ``spreadsheets.get`` (grid data with includeGridData=true or ``fields``
    naming ``data``), ``values.get`` /
    ``batchGet`` (FORMATTED_VALUE -- locale-aware, vi_VN writes ``8,5`` --,
    UNFORMATTED_VALUE, FORMULA; majorDimension ROWS / COLUMNS), ``values.update`` /
    ``batchUpdate`` / ``append`` (RAW stores strings as strings, never formulas;
    USER_ENTERED parses formulas, numbers in the locale, percentages, dates, TRUE/FALSE and
    a leading apostrophe), ``values.clear`` / ``batchClear``, ``spreadsheets.batchUpdate``
    with addSheet, deleteSheet, updateSheetProperties, updateDimensionProperties,
    repeatCell, updateCells, autoResizeDimensions (no-op), setBasicFilter,
    clearBasicFilter, appendDimension, addConditionalFormatRule,
    deleteConditionalFormatRule, addChart (basic charts overlaid on a grid: every source
    range and the anchor cell inside an existing grid, else a 400; chartId assigned unless
    given, returned in the reply and in ``spreadsheets.get`` ``sheets[].charts``) and
    deleteEmbeddedObject (a chart's id) -- any other kind is a 400; a batch is atomic.
    Writing values beyond a grid is Google's 400 "Range ('Tab'!A1001) exceeds grid limits.
    Max rows: 1000, max columns: 26"; ``values.append`` adds the rows and columns it needs.
    A Sheets request body larger than ``fake.max_request_bytes``
    (default 10 MB) is a 400 "Request payload size exceeds the limit: N bytes.".

Gmail
    ``users.messages.send`` (``{"raw": base64url}``, or the /upload/ path with
    uploadType=media or multipart), ``users.messages.list`` (``q``: words and "quoted
    phrases" matched as whole words, case-insensitively, in the headers and text/plain +
    text/html bodies; ``in:sent``, ``label:sent``, ``from:``, ``to:``, ``subject:``,
    ``rfc822msgid:``, ``after:``, ``before:``, ``newer_than:``, ``-term``; ``maxResults``,
    ``pageToken``; newest first), ``users.messages.get`` (minimal / metadata / full / raw),
    ``users.getProfile``. ``fake.sent_messages() -> list[EmailMessage]`` (policy.default).
    ``fake.rewrite_message_id = True`` (default) gives the stored copy a Gmail-style
    Message-ID. ``fake.on_send = callable(EmailMessage)`` runs after a message is stored and
    before the answer is sent; raising ``DropConnection`` closes the connection unanswered.

Faults
    ``fake.fail_next(n, status=503, *, api=None, method_id=None, retry_after=None,
    reason=None, message=None)`` -- the next n matching requests get that status in
    Google's shape (500 INTERNAL, 502/503 UNAVAILABLE, 504 DEADLINE_EXCEEDED, 429
    RESOURCE_EXHAUSTED, 403 PERMISSION_DENIED, ...; ``reason`` e.g. "userRateLimitExceeded"
    sets Gmail's / Drive's errors[0].reason, an ErrorInfo detail elsewhere), nothing applied;
    ``retry_after`` adds a Retry-After header.
    ``fake.drop_next(n, *, api=None, method_id=None, after_effect=False)`` -- close the
    connection without an answer (after applying the request with ``after_effect``).
    ``fake.clear_faults()``. Note: google-api-python-client's httplib2 transport silently
    resends ANY request (POST too) once after a connection closed without an answer, so one
    drop is invisible to it (and with after_effect the request is applied twice); gspread
    (requests) raises ``requests.exceptions.ConnectionError``. A 401 makes both clients try a
    token refresh, which fails with ``google.auth.exceptions.RefreshError``.

Recording
    ``fake.requests: list[RecordedRequest]`` with ``api`` ("forms" | "sheets" | "gmail" |
    "drive" | "unknown"), ``method_id`` (e.g. "sheets.spreadsheets.values.batchUpdate"),
    ``http_method``, ``path`` (decoded, e.g. "/v4/spreadsheets/ID/values/'Tab'!A1"),
    ``query`` (dict[str, list[str]]), ``body`` (decoded JSON, raw bytes otherwise, None if
    empty), ``status`` (0 = connection dropped), ``body_size`` (bytes), ``path_params``.
    ``fake.reset_requests()``, ``fake.calls(api=None, method_id=None)``,
    ``fake.write_calls(api="sheets")`` (every non-GET request of that API, answered or not).

Clients (``tests.fake_google.clients``)
    ``forms_service(fake)``, ``gmail_service(fake)``, ``sheets_service(fake)`` --
    ``build_from_document`` on the bundled document with rootUrl/mtlsRootUrl = ``fake.url``
    and ``Credentials(token="fake-token")``; ``gspread_client(fake)`` -- ``gspread.Client``
    whose ``AuthorizedSession`` (``fake_session(fake)``) mounts ``FakeHostAdapter``, which
    rewrites https://sheets.googleapis.com/ and https://www.googleapis.com/ to the fake.
    Use ``open_by_key`` (``gc.open(title)`` needs Drive files.list: 501).
    ``discovery_document(name, root_url)``, ``fake_credentials(fake)``.

Builders (``tests.fake_google.forms_builder``)
    ``question(qid, title, kind="text"|"paragraph"|"date"|"time"|"radio"|"checkbox"|
    "dropdown"|"scale", options=(), *, required=False)``, ``grid(item_title,
    rows=[(qid, row_title)], columns=[...], *, kind="radio"|"checkbox")``,
    ``page_break(title)``.
"""

from .server import CellView, DropConnection, FakeWorkspace, RecordedRequest

__all__ = ["CellView", "DropConnection", "FakeWorkspace", "RecordedRequest"]
