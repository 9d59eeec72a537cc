from datetime import UTC, datetime, timedelta

from sync.model import RawResponse
from sync.state import StateStore

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def _r(rid: str, value: str) -> RawResponse:
    return RawResponse("src", rid, f"Dòng {rid}", {"Tên chi bộ": value})


def test_complete_read_upserts_and_drops_what_is_gone(tmp_path):
    with StateStore(tmp_path / "s.sqlite") as st:
        c1 = st.store_responses("src", [_r("1", "A"), _r("2", "B")], complete=True, now=T0)
        assert (c1.new, c1.changed, c1.deleted) == (2, 0, 0)
        c2 = st.store_responses("src", [_r("1", "A*"), _r("3", "C")], complete=True, now=T0)
        assert (c2.new, c2.changed, c2.deleted) == (1, 1, 1)
        assert [(r.response_id, r.answers["Tên chi bộ"]) for r in st.responses("src")] == [
            ("1", "A*"),
            ("3", "C"),
        ]
        # the same read again changes nothing
        c3 = st.store_responses("src", [_r("1", "A*"), _r("3", "C")], complete=True, now=T0)
        assert (c3.new, c3.changed, c3.deleted) == (0, 0, 0)


def test_incremental_read_keeps_earlier_responses_and_cursor(tmp_path):
    with StateStore(tmp_path / "s.sqlite") as st:
        st.store_responses("src", [_r("1", "A")], complete=False, now=T0, cursor="c1")
        st.store_responses("src", [_r("2", "B")], complete=False, now=T0)
        assert [r.response_id for r in st.responses("src")] == ["1", "2"]
        assert st.cursor("src") == "c1"  # a read without a cursor keeps the last one


def test_api_responses_round_trip_with_lists_and_times(tmp_path):
    r = RawResponse("f", "ACYD", "Phản hồi ACYD", {"q1": ["a, b", "c"]}, T0, "question_id")
    with StateStore(tmp_path / "s.sqlite") as st:
        st.store_responses("f", [r], complete=False, now=T0)
        (back,) = st.responses("f")
    assert back == r


def test_ledger_intent_then_result_survives_reopen(tmp_path):
    path = tmp_path / "s.sqlite"
    with StateStore(path) as st:
        st.record_intent(
            "a:CB01:reminder:2d",
            kind="reminder",
            branch_code="CB01",
            milestone_id="a",
            recipients="x@y.vn",
            subject="Nhắc hạn",
            now=T0,
        )
    with StateStore(path) as st:
        assert st.intents() == ["a:CB01:reminder:2d"]
        st.record_result("a:CB01:reminder:2d", "sent", now=T0 + timedelta(seconds=1))
        entry = st.ledger()["a:CB01:reminder:2d"]
        assert entry.status == "sent" and entry.sent_at == T0 + timedelta(seconds=1)
        assert st.intents() == []


def test_cycles_and_tab_hashes(tmp_path):
    with StateStore(tmp_path / "s.sqlite") as st:
        cid = st.begin_cycle(T0)
        assert st.last_cycle().status == "running"
        st.finish_cycle(cid, "ok", "tóm tắt", T0)
        assert st.last_cycle().summary == "tóm tắt"
        st.set_tab_hashes("xlsx:a", [("*", "h1")], T0)
        st.set_tab_hashes("xlsx:a", [("*", "h2")], T0)
        assert st.tab_hashes("xlsx:a") == {"*": "h2"}


def test_read_only_store_never_creates_a_file(tmp_path):
    path = tmp_path / "none.sqlite"
    with StateStore(path, read_only=True) as st:
        assert st.ledger() == {}
    assert not path.exists()
