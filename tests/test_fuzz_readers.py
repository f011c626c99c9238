"""Fuzzing the readers and loaders with hypothesis: whatever bytes or values come in, pmtool either reads
them or raises one of its own errors (:class:`~pmtool.errors.PmtoolError`, which the CLI prints as one
line) — never another exception. Few examples and a deadline per example keep it quick in CI; the
hostile-input corpus (``tests/test_hostile_inputs.py``) holds the cases found by hand."""

from __future__ import annotations

import json
import sys
import tempfile
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import TEST_KEY_TEXT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent / "hostile"))

import contextlib

from corpus import GOOD_CSV, PROFILE, _bpmn, _bundle, _ocel, _xes, _xes_trace  # noqa: E402

from pmtool.compare.bundle import Bundle  # noqa: E402
from pmtool.errors import PmtoolError  # noqa: E402
from pmtool.ingest.pipeline import ingest  # noqa: E402
from pmtool.ingest.profile import profile_from_dict  # noqa: E402
from pmtool.ingest.pseudonymise import PseudonymKey  # noqa: E402

KEY = PseudonymKey(TEST_KEY_TEXT.encode())
FUZZ = settings(max_examples=25, deadline=timedelta(seconds=20), derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner,
                                                                                max_size=5), max_leaves=30)


def _mutate(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """``data`` with each edit (position, bytes to cut, bytes to put in) applied."""
    out = bytearray(data)
    for position, cut, insert in edits:
        at = position % (len(out) + 1)
        out[at:at + cut] = insert
    return bytes(out)


EDITS = st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 40), st.binary(max_size=12)), min_size=1,
                 max_size=6)


def _ingest_bytes(data: bytes, name: str, profile: dict | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        with contextlib.suppress(PmtoolError):
            ingest(path, profile_from_dict(profile) if profile is not None else None, office="GA-07", key=KEY)


@FUZZ
@given(EDITS)
def test_csv_reader_and_pipeline(edits):
    _ingest_bytes(_mutate(GOOD_CSV, edits), "GA-07.csv", tomllib.loads(PROFILE))


@FUZZ
@given(st.binary(max_size=2000))
def test_csv_reader_on_any_bytes(data):
    _ingest_bytes(data, "GA-07.csv", tomllib.loads(PROFILE))


@FUZZ
@given(EDITS)
def test_xes_reader(edits):
    _ingest_bytes(_mutate(_xes(_xes_trace() + _xes_trace("T2")), edits), "GA-07.xes", None)


@FUZZ
@given(EDITS)
def test_ocel_json_reader(edits):
    _ingest_bytes(_mutate(_ocel(), edits), "GA-07.jsonocel", {"file": {"object_type": "Fall"}})


@FUZZ
@given(JSON)
def test_ocel_json_reader_on_any_json(value):
    _ingest_bytes(json.dumps(value).encode(), "GA-07.jsonocel", {"file": {"object_type": "Fall"}})


@FUZZ
@given(st.dictionaries(st.sampled_from(["office", "columns", "file", "timestamps", "activities", "roles",
                                        "duplicates", "calendar", "description", "x"]), JSON, max_size=5))
def test_profiles(raw):
    with contextlib.suppress(PmtoolError):
        profile_from_dict(raw)


@FUZZ
@given(EDITS)
def test_bundles(edits):
    with contextlib.suppress(PmtoolError):
        Bundle.from_json(_mutate(_bundle(), edits).decode("utf-8", "replace"), "GA-07.bundle.json")


@FUZZ
@given(JSON)
def test_bundles_on_any_json(value):
    with contextlib.suppress(PmtoolError):
        Bundle.from_json(json.dumps(value), "GA-07.bundle.json")


@FUZZ
@given(EDITS)
def test_bpmn_loader(edits):
    from pmtool.models.reference import load_reference

    body = ('<startEvent id="s"/><task id="a" name="A"/><exclusiveGateway id="g"/><task id="b" name="B"/>'
            '<endEvent id="e"/><sequenceFlow id="f1" sourceRef="s" targetRef="a"/><sequenceFlow id="f2" '
            'sourceRef="a" targetRef="g"/><sequenceFlow id="f3" sourceRef="g" targetRef="b"/><sequenceFlow '
            'id="f4" sourceRef="g" targetRef="e"/><sequenceFlow id="f5" sourceRef="b" targetRef="e"/>')
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.bpmn"
        path.write_bytes(_mutate(_bpmn(body), edits))
        with contextlib.suppress(PmtoolError):
            load_reference(path)


@FUZZ
@given(st.text(max_size=400))
def test_rule_packs(text):
    from pmtool.models.rules import load_rule_pack

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.rules.toml"
        path.write_text(text, encoding="utf-8", errors="replace")
        with contextlib.suppress(PmtoolError):
            load_rule_pack(path)


def test_the_fuzzers_reach_the_readers():
    """The seeds themselves are read (so the fuzzers start from something the readers accept)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "GA-07.csv"
        path.write_bytes(GOOD_CSV)
        assert ingest(path, profile_from_dict(tomllib.loads(PROFILE)), key=KEY).summary.rows_loaded == 40
    assert Bundle.from_json(_bundle().decode(), "b").cases == 40
    with pytest.raises(PmtoolError):
        Bundle.from_json("{}", "b")
