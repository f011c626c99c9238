"""An Excel office with more rows than one worksheet holds exports the same system's CSV instead, and that
export imports with its generated profile into exactly the events the workbook would have given.

The worksheet limit is lowered so that the path runs on a small sample.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pmtool.ingest.pipeline import ingest
from pmtool.ingest.profile import load_profile
from pmtool.ingest.pseudonymise import PseudonymKey
from pmtool.simulate import dialects
from pmtool.simulate.simulator import Settings, simulate

KEY = PseudonymKey(b"sheet-overflow-test-key-0123456789ab")
SETTINGS = Settings(seed=5, offices=13, scale=0.05, processes=("P1",))


def _entries(folder: Path) -> dict[str, dict]:
    truth = json.loads((folder / "ground_truth.json").read_text("utf-8"))
    return {office: entry["processes"]["P1"] for office, entry in truth["offices"].items()}


def _import(folder: Path, entry: dict):
    return ingest(folder / entry["file"], load_profile(folder / entry["profile"]), key=KEY)


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> tuple[Path, Path, int]:
    """The sample as workbooks, and again with a worksheet just large enough for the smallest Excel export."""
    root = tmp_path_factory.mktemp("overflow")
    simulate(root / "sheets", SETTINGS)
    excel = sorted(e["data_quality"]["rows_written"] for e in _entries(root / "sheets").values()
                   if e["file"].endswith(".xlsx"))
    assert len(excel) == 3 and excel[0] < excel[1]
    limit = excel[0] + 1  # the smallest export and its header fill the sheet exactly
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(dialects, "SHEET_ROWS", limit)
        simulate(root / "overflow", SETTINGS)
    return root / "sheets", root / "overflow", limit


def test_exports_that_fit_stay_as_they_were(samples):
    sheets, overflow, limit = samples
    before, after = _entries(sheets), _entries(overflow)
    kept = [o for o in before if "instead_of" not in after[o]]
    assert len(kept) == 13 - 2
    for office in kept:
        assert after[office] == before[office]
        for key in ("file", "profile"):
            assert (overflow / after[office][key]).read_bytes() == (sheets / before[office][key]).read_bytes()
    fitting = [o for o in kept if before[o]["file"].endswith(".xlsx")]
    assert [before[o]["data_quality"]["rows_written"] + 1 for o in fitting] == [limit]


def test_too_long_exports_are_csv_and_import_into_the_same_events(samples):
    sheets, overflow, limit = samples
    before, after = _entries(sheets), _entries(overflow)
    moved = {o: e for o, e in after.items() if "instead_of" in e}
    assert len(moved) == 2
    readme = (overflow / "README.md").read_text("utf-8")
    for office, entry in moved.items():
        own = before[office]
        dq = entry["data_quality"]
        assert entry["instead_of"]["dialect"] == own["dialect"]
        assert str(dq["rows_written"]) in entry["instead_of"]["reason"] and str(limit) in entry["instead_of"]["reason"]
        assert dq["rows_written"] + 1 > limit
        assert entry["file"] == own["file"].removesuffix(".xlsx") + ".csv"
        assert entry["dialect"] == own["dialect"] + "-csv"
        assert f"| `{entry['file']}` | {own['dialect']} | {entry['dialect']} |" in readme
        assert not (overflow / own["file"]).exists()
        assert {k: v for k, v in entry.items() if k not in ("file", "dialect", "instead_of")} == {
            k: v for k, v in own.items() if k not in ("file", "dialect")
        }
        csv_import, xlsx_import = _import(overflow, entry), _import(sheets, own)
        summary = csv_import.summary
        assert summary.format == "csv"
        assert summary.coverage == 1.0 and not summary.unmapped_labels
        assert summary.quarantine_by_reason == dq["quarantine"]
        assert summary.rows_read == dq["rows_written"] and summary.rows_loaded == entry["events"]
        assert summary.date_only_events == dq["date_only_events"]
        assert csv_import.log.frame.equals(xlsx_import.log.frame)
    assert "instead_of" not in (sheets / "README.md").read_text("utf-8")
