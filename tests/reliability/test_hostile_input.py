"""Hostile input to the readers of other people's text: the task list's search and cursor, the
failure-signature normaliser, the console's profile reader and the lifecycle-record decoder.

For any input each gives a value or its own clear error with a message, never another
exception, and what it gives back is bounded in size. No servers: the ledger is a SQLite file.
"""

from __future__ import annotations

import base64
import json
import math
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from backend.domain.failures import failure_signature, normalise_message, top_frame
from backend.services.cursors import CursorError
from backend.services.ledger import Ledger
from backend.services.ledger_rows import TaskFilter
from backend.services.ledger_terms import TEXT_CAP, argument_terms
from console.domain.profiles import LoadResult, Profile, parse_profiles
from console.domain.profiles.model import FIELDS
from taskdeck_core import lifecycle as lc
from taskdeck_core.safe_json import clean_json, may_need_cleaning

FEW = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# Decoded JSON as other people's producers send it, NaN and infinities included.
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=20,
)  # fmt: skip


def strictly_encodable(value: Any) -> str:
    """``value`` as strict JSON, in UTF-8: what the ledger stores and the API answers."""
    text = json.dumps(value, allow_nan=False, ensure_ascii=False)
    text.encode("utf-8")
    return text


# --- the task list: search words, filters and the cursor ------------------------------------


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    path = tmp_path_factory.mktemp("ledger") / "ledger.sqlite3"
    ledger = Ledger(f"sqlite:///{path}")
    records = []
    for i, (args, message) in enumerate(
        [(["F-01234", "alice"], "row 17 of 'f-1a2b.csv'"), ([{"k": "ünï\u0301"}], '"quoted" % _'),
         (["*", "NEAR", "(x)"], "AND OR NOT ^ -"), ([], "")]
    ):  # fmt: skip
        task_id = f"t{i}"
        records.append(lc.LifecycleRecord(lc.PUBLISHED, task_id, 100.0 + i, {
            "name": "sync", "args": args, "kwargs": {}, "queue": "data_sync", "user": "alice"}))  # fmt: skip
        records.append(lc.LifecycleRecord(lc.FAILED, task_id, 101.0 + i, {
            "exc_type": "E", "exc_message": message, "traceback": ""}))  # fmt: skip
    ledger.apply(records)
    yield ledger
    ledger.engine.dispose()


CURSOR = (
    st.none()
    | st.text(max_size=60)
    | st.binary(max_size=40).map(lambda raw: base64.urlsafe_b64encode(raw).decode().rstrip("="))
)


@FEW
@given(
    q=st.none() | st.text(min_size=1, max_size=200),
    state=st.none() | st.sampled_from(lc.STATES) | st.text(max_size=10),
    name=st.none() | st.text(max_size=20),
    since=st.none() | st.floats(allow_nan=False, allow_infinity=False),
    cursor=CURSOR,
    limit=st.integers(min_value=-5, max_value=2000),
)
@example(q='"', state=None, name=None, since=None, cursor=None, limit=10)
@example(q="_ % \\", state=None, name=None, since=None, cursor=None, limit=10)
@example(q="NEAR(a b) OR *", state=None, name=None, since=None, cursor="W10", limit=10)
def test_any_search_and_cursor_lists_tasks_or_names_the_bad_cursor(
    ledger: Ledger,
    q: str | None,
    state: str | None,
    name: str | None,
    since: float | None,
    cursor: str | None,
    limit: int,
) -> None:
    f = TaskFilter(state=state, name=name, q=q, since=since)
    try:
        rows, next_cursor = ledger.list_tasks(f, limit, cursor)
    except CursorError as exc:
        assert cursor and "next_cursor" in str(exc)
        return
    assert len(rows) <= max(1, min(limit, 1000))
    assert next_cursor is None or len(next_cursor) < 200
    assert len(ledger.ids(f, 50)) <= 50


@FEW
@given(args=JSON, kwargs=JSON)
def test_argument_terms_of_any_arguments_are_bounded(args: Any, kwargs: Any) -> None:
    terms = argument_terms(json.dumps(args), json.dumps(kwargs), None)
    assert len(terms) <= 3 * TEXT_CAP  # a lower-cased letter may be two ("İ")


# --- the failure-signature normaliser -------------------------------------------------------

# The rules as regular expressions, as they were: the normaliser must give what they gave.
REFERENCE_RULES = (
    (re.compile(r"'[^']*'|\"[^\"]*\""), "<str>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I),
     "<uuid>"),
    (re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.I), "<url>"),
    (re.compile(r"(?:(?<=\s)|^)(?:/[\w.@%+-]+)+/?"), "<path>"),
    (re.compile(r"\b[A-Za-z]:\\\S+"), "<path>"),
    (re.compile(r"\b0x[0-9a-f]+\b", re.I), "<hex>"),
    (re.compile(r"\b[0-9a-f]{12,}\b", re.I), "<hex>"),
    (re.compile(r"\b[\w-]*\d[\w-]*\b"), "<n>"),
)  # fmt: skip


def reference_normalise(message: str) -> str:
    text = message.strip()
    for pattern, placeholder in REFERENCE_RULES:
        text = pattern.sub(placeholder, text)
    return re.sub(r"\s+", " ", text)[:500]


# Text made of the characters the rules care about, so that they meet often.
RULE_TEXT = st.text(alphabet="aZf01-_.:/+'\" \\\tK\u017f\u00e9\u0661x@%", max_size=60)


@FEW
@given(message=st.text(max_size=300) | RULE_TEXT, traceback=st.none() | st.text(max_size=300))
@example(message="a://x 1a://b.c://d _a://y", traceback=None)
@example(message="-a1- x -1 a-b-c9-- é1a", traceback='File "x", line 1, in f')
def test_any_failure_gets_a_bounded_signature_and_the_rules_hold(
    message: str, traceback: str | None
) -> None:
    normalised = normalise_message(message)
    assert normalised == reference_normalise(message)
    assert len(normalised) <= 500
    assert len(top_frame(traceback)) <= len(traceback or "")
    signature = failure_signature("sync", "E", message, traceback)
    assert re.fullmatch(r"[0-9a-f]{16}", signature)


@pytest.mark.parametrize(
    "hostile", ["a-" * 50_000, "a." * 50_000, "a+" * 50_000, "-a" * 50_000, "x1." * 30_000]
)
def test_a_huge_hostile_message_is_normalised_within_a_second(hostile: str) -> None:
    started = time.perf_counter()
    normalise_message(hostile)
    failure_signature("sync", "E", hostile, None)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"{len(hostile)} characters took {elapsed:.1f} s"


# --- the console's profile reader -----------------------------------------------------------

GOOD = {"name": "Prod", "broker_url": "redis://redis:6379/0", "backend_url": "http://b:8400",
        "prometheus_url": "http://p:9090", "alertmanager_url": "http://a:9093"}  # fmt: skip
TOML_VALUE = st.recursive(
    st.text(max_size=30) | st.integers() | st.booleans() | st.floats(allow_nan=False)
    | st.sampled_from(list(GOOD.values()) + ["#3b82f6", "\\x06\\x16"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=10,
)  # fmt: skip
ENTRY = st.builds(
    lambda good, extra, drop: {k: v for k, v in {**good, **extra}.items() if k not in drop},
    st.just(GOOD),
    st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), TOML_VALUE, max_size=6),
    st.sets(st.sampled_from(FIELDS), max_size=3),
)
DOCUMENT = st.fixed_dictionaries(
    {"profile": st.lists(ENTRY, max_size=4) | TOML_VALUE},
    optional={"active": st.text(max_size=10) | st.just("Prod") | TOML_VALUE, "x": TOML_VALUE},
)


def profiles_file(document: dict[str, Any], cut: int | None, garbage: str) -> bytes:
    text = tomli_w.dumps(document)
    if cut is not None:  # a file cut short, or with text pasted into it
        text = text[: cut % (len(text) + 1)] + garbage + text[cut % (len(text) + 1) :]
    return text.encode("utf-8", "surrogatepass")


def check_loaded(loaded: LoadResult, raw: bytes) -> None:
    assert all(isinstance(p, Profile) and p.validate() == [] for p in loaded.profiles)
    assert loaded.active is None or loaded.active in {p.name for p in loaded.profiles}
    assert all(isinstance(problem, str) and problem for problem in loaded.problems)
    assert all(len(problem) <= 1500 for problem in loaded.problems)
    assert len(loaded.problems) <= len(raw) + 1


@FEW
@given(
    raw=st.binary(max_size=200)
    | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))
    | st.builds(profiles_file, DOCUMENT, st.none() | st.integers(0, 10_000),
                st.text(max_size=10))
)  # fmt: skip
@example(raw=b"profile = " + b"[" * 5000)
@example(raw=b"[[profile]]\n" + b"x = {a = " * 2000)
@example(raw=b'active = "\xed\xa0\x80"')
def test_any_profiles_file_gives_sound_profiles_and_bounded_problems(raw: bytes) -> None:
    check_loaded(parse_profiles(raw, "profiles.toml"), raw)


# --- the lifecycle-record decoder and safe JSON ---------------------------------------------

DATA_TEXT = (
    JSON.map(lambda v: json.dumps(v))
    | JSON.map(lambda v: json.dumps({"args": v}))
    | st.text(max_size=60)
    | st.sampled_from(['{"a": 1e999}', '{"a": -1e400}', '{"a": "\\ud800"}', "[" * 3000,
                       '{"a": ' * 3000, '{"a": NaN}', "1" * 5000])
)  # fmt: skip
TS = st.floats().map(repr) | st.text(max_size=20) | st.sampled_from(["nan", "inf", "1e999"])


@FEW
@given(
    kind=st.sampled_from(lc.RECORD_TYPES) | st.text(max_size=10),
    task_id=st.text(max_size=40),
    ts=TS,
    data=st.none() | DATA_TEXT,
    as_bytes=st.booleans(),
    garbage=st.binary(max_size=8),
)
@example(kind=lc.FAILED, task_id="t", ts="1.0", data='{"a": 1e999}', as_bytes=False, garbage=b"")
@example(kind=lc.FAILED, task_id="t", ts="1.0", data="[" * 100_000, as_bytes=True, garbage=b"")
@example(kind=lc.FAILED, task_id="t", ts="nan", data="{}", as_bytes=False, garbage=b"")
@example(kind=lc.FAILED, task_id="t", ts="x" * 100_000, data="{}", as_bytes=False, garbage=b"")
@example(kind=lc.FAILED, task_id="t", ts="1.0", data="{}", as_bytes=True, garbage=b"\xff")
def test_any_stream_entry_decodes_to_a_clean_record_or_a_clear_error(
    kind: str, task_id: str, ts: str, data: str | None, as_bytes: bool, garbage: bytes
) -> None:
    fields: dict[str, str] = {"type": kind, "task_id": task_id, "ts": ts}
    if data is not None:
        fields["data"] = data
    entry: Any = fields
    if as_bytes:
        entry = {k.encode(): v.encode("utf-8", "surrogatepass") for k, v in fields.items()}
        if garbage:
            entry[b"task_id"] = garbage  # not UTF-8, perhaps
    try:
        record = lc.LifecycleRecord.from_fields(entry)
    except ValueError as exc:
        assert str(exc).startswith("not a lifecycle record") and len(str(exc)) <= 500
        return
    assert record.type in lc.RECORD_TYPES and record.task_id and math.isfinite(record.ts)
    stored = strictly_encodable(record.data)
    assert len(stored) <= 4 * len(data or "{}") + 16
    strictly_encodable(record.task_id)


@FEW
@given(value=JSON)
@example(value=float("inf"))
@example(value={"\ud800": ["\udfff", float("nan")]})
def test_clean_json_makes_any_value_strict_json(value: Any) -> None:
    strictly_encodable(clean_json(value))


@FEW
@given(text=JSON.map(lambda v: json.dumps(v)) | st.sampled_from(['{"a": 1e999}', "[-1e309]"]))
@example(text='{"a": 1e999}')
@example(text="1" + "0" * 400 + ".0")
def test_json_text_said_to_need_no_cleaning_decodes_to_strict_json(text: str) -> None:
    if not may_need_cleaning(text):
        strictly_encodable(json.loads(text))
