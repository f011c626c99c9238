"""A large log is checked a slice of whole cases at a time: any slicing gives the tables of the whole log."""

from __future__ import annotations

import polars as pl
import pytest
from conftest import MODEL_FILES, MODELS

from pmtool.compare.bundle import AggregateSettings, aggregate
from pmtool.conform.conformance import ConformanceSettings, conform, conform_spooled
from pmtool.errors import ConfigError
from pmtool.eventlog import log as eventlog_log
from pmtool.eventlog import schema
from pmtool.eventlog.log import EventLog
from pmtool.models.reference import load_reference


def _sizes(log: EventLog) -> list[int]:
    cases = log.n_cases
    assert cases > 50
    return [cases // 7 - 1, cases // 2 + 3]  # uneven slices, the last one short, across office boundaries


def test_case_slices_are_whole_cases_in_order(sample_logs_by_process):
    log = sample_logs_by_process["P1"]
    for size in [1, *_sizes(log)]:
        parts = log.case_slices(size)
        assert pl.concat([p.frame for p in parts]).equals(log.frame)
        keys = [p.frame.select(schema.OFFICE, schema.CASE_ID).unique(maintain_order=True) for p in parts]
        assert all(k.height <= size for k in keys) and all(k.height == size for k in keys[:-1])
        assert sum(k.height for k in keys) == log.n_cases  # no case in two slices
    assert log.case_slices(log.n_cases) == [log]
    with pytest.raises(ValueError):
        log.case_slices(0)


@pytest.mark.parametrize("process", ["P1", "P2"])
def test_slices_give_the_result_of_the_whole_log(sample_logs_by_process, monkeypatch, tmp_path, process):
    """In memory and on disk, every table (summary, cases, deviations, rule results, label check) and every
    bundle is the same whatever the slices; ``as_of`` is the log's own last moment (no settings)."""
    reference = load_reference(MODELS / MODEL_FILES[process])
    log = sample_logs_by_process[process]
    settings = ConformanceSettings(workers=1)
    whole = conform(log, reference, settings=settings)
    bundles = [b.to_json() for b in aggregate(log, whole, reference, AggregateSettings())]
    for number, size in enumerate(_sizes(log)):
        monkeypatch.setattr(eventlog_log, "CASES_PER_SLICE", size)
        assert len(log.case_slices(size)) > 1
        sliced = conform(log, reference, settings=settings)
        spooled = conform_spooled(log, reference, tmp_path / f"s{number}", settings=settings)
        assert len(spooled.cases.files) == len(log.case_slices(size))
        for result in (sliced, spooled.load()):
            assert result.summary.equals(whole.summary)
            assert result.cases.equals(whole.cases)
            assert result.deviations.equals(whole.deviations)
            assert result.rules is not None and whole.rules is not None
            assert result.rules.cases.equals(whole.rules.cases) and result.rules.as_of == whole.rules.as_of
            assert result.labels is not None and whole.labels is not None
            assert result.labels.table.equals(whole.labels.table)
        assert sliced.alignments.keys() == whole.alignments.keys()
        for result in (sliced, spooled):
            assert [b.to_json() for b in aggregate(log, result, reference, AggregateSettings())] == bundles


def test_sliced_label_check_stops_before_the_work(sample_logs_by_process, monkeypatch, tmp_path):
    """A Soll task no office shows stops the check of a sliced log as of the whole, before any slice is
    checked (no spool file is written)."""
    reference = load_reference(MODELS / MODEL_FILES["P1"])
    log = sample_logs_by_process["P1"]
    task = sorted(reference.activities)[0]
    renamed = EventLog.from_frame(log.frame.with_columns(
        pl.when(pl.col(schema.ACTIVITY) == task).then(pl.lit(task + " (alt)")).otherwise(pl.col(schema.ACTIVITY))
        .alias(schema.ACTIVITY)))
    monkeypatch.setattr(eventlog_log, "CASES_PER_SLICE", _sizes(log)[0])
    with pytest.raises(ConfigError) as whole:
        conform(renamed, reference)
    with pytest.raises(ConfigError) as spooled:
        conform_spooled(renamed, reference, tmp_path / "s")
    assert str(whole.value) == str(spooled.value) and task in str(whole.value)
    assert list(tmp_path.iterdir()) == []


def test_a_sliced_conformance_keeps_every_slice_through_the_stage_cache(sample_logs_by_process, monkeypatch,
                                                                         tmp_path):
    """A run keeps an office's conformance in the stage cache and reads it back from there: every slice's
    cases are kept (not the first slice's only, which made the bundle of a large log contradict itself)."""
    from pmtool.analysis import _load_conform, _save_conform

    reference = load_reference(MODELS / MODEL_FILES["P1"])
    log = sample_logs_by_process["P1"]
    monkeypatch.setattr(eventlog_log, "CASES_PER_SLICE", _sizes(log)[0])
    spooled = conform_spooled(log, reference, tmp_path / "s", settings=ConformanceSettings(workers=1))
    assert len(spooled.cases.files) > 1
    folder = tmp_path / "cache"
    folder.mkdir()
    _save_conform(spooled, folder)
    files = {p.name: p.read_bytes() for p in folder.iterdir()}
    again = _load_conform(files, tmp_path / "again")
    assert again.cases.load().equals(spooled.cases.load())
    assert again.deviations.load().equals(spooled.deviations.load())
    assert again.rules is not None and spooled.rules is not None
    assert again.rules.load().equals(spooled.rules.load())
    bundles = [b.to_json() for b in aggregate(log, again, reference, AggregateSettings())]
    assert bundles == [b.to_json() for b in aggregate(log, spooled, reference, AggregateSettings())]
