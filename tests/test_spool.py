"""Logs wait on disk during a run (pmtool.spool), and large runs hand each office's steps to local worker
processes: the results are those of the run in one process, byte for byte, and the spool folder is gone
when the analysis is."""

from __future__ import annotations

import dataclasses
import datetime as dt
import filecmp
import gc
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl
import pytest
from conftest import NotedProgress

import pmtool as pt
from pmtool.eventlog import schema


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and ".cache" not in p.parts and p.suffix in {".csv", ".parquet", ".json", ".bpmn",
                                                                             ".pnml", ".svg"}
                  and p.name != "manifest.json")


def test_worker_processes_give_the_results_of_one_process_from_a_script_without_main_guard(tmp_path):
    # a plain script as an analyst writes it: no `if __name__ == "__main__":`
    script = tmp_path / "analyse.py"
    script.write_text(textwrap.dedent(f"""
        import dataclasses, sys
        from pathlib import Path
        import pmtool as pt
        import pmtool.analysis

        pmtool.analysis.PARALLEL_FROM = 0  # the demo is small: use the workers anyway
        project = dataclasses.replace(pt.restrict(pt.demo_project(), processes=["P1", "P3a"],
                                                  offices=["GA-01", "GA-02", "GA-03"]), formats=())
        for workers in (2, 1):
            pt.run(dataclasses.replace(project, workers=workers), key=pt.demo_key(),
                   out=Path({str(tmp_path)!r}) / f"w{{workers}}", use_cache=False)
        print("ran")
        """), "utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("ran")
    files = _files(tmp_path / "w1")
    assert files == _files(tmp_path / "w2")
    assert any(f.startswith("tables/conformance/") for f in files) and any(f.startswith("logs/") for f in files)
    differ = [f for f in files if not filecmp.cmp(tmp_path / "w1" / f, tmp_path / "w2" / f, shallow=False)]
    assert differ == []


def test_process_log_is_read_from_the_spool_and_the_folder_goes_with_the_analysis():
    project = pt.restrict(pt.demo_project(), processes=["P3a"], offices=["GA-01", "GA-02"])
    analysis = pt.analyse(project, key=pt.demo_key(), discover_models=False)
    pa = analysis.processes["P3a"]
    folder = pa.logs.files[0].parent
    assert folder.is_dir() and all(f.parent == folder for f in pa.logs.files)
    log = pa.log
    # the process's log as the analysis saw it: the offices' cases and events of the conformance
    summary = pa.conformance.summary
    assert log.n_events == summary["events"].sum()
    assert log.frame.group_by(schema.OFFICE).agg(pl.col(schema.CASE_ID).n_unique()).sort(schema.OFFICE)[
        schema.CASE_ID].to_list() == summary.sort(schema.OFFICE)["cases"].to_list()
    exported = analysis.ingests[0]
    assert exported.log.n_events == exported.summary.rows_loaded
    del analysis, pa, exported, log
    gc.collect()
    assert not folder.exists()


def test_a_memory_budget_plans_fewer_workers_and_says_so(monkeypatch):
    import pmtool.analysis as analysis
    from pmtool import limits

    monkeypatch.setattr(analysis, "PARALLEL_FROM", 0)
    project = dataclasses.replace(pt.demo_project(), workers=2)
    largest = max(limits.worker_need(s.path) for s in project.exports)
    progress = NotedProgress()
    notes = progress.notes

    def workers() -> int:
        return analysis._local_workers(analysis.worker_plan(project), progress)

    assert workers() == 2 and notes == []  # no budget: as many as asked
    per_worker = limits.WORKER_BASE_MB + largest / 2**20
    with limits.configured({"memory_mb": int(4 * per_worker) + 1}):  # half for the run, two workers fit
        assert workers() == 2 and notes == []
    with limits.configured({"memory_mb": int(2 * per_worker)}):  # one worker: the offices one after another
        assert workers() == 1
    assert len(notes) == 1 and "memory_mb" in notes[0] and "1" in notes[0]


def test_conformance_tables_wait_on_disk_and_read_back_as_the_result_in_memory(tmp_path):
    project = pt.restrict(pt.demo_project(), processes=["P1"], offices=["GA-01", "GA-02", "GA-03"])
    analysis = pt.analyse(project, key=pt.demo_key(), discover_models=False)
    pa = analysis.processes["P1"]
    spooled = pa.results
    # one file per office and table, in office order, all in the run's spool folder
    folder = pa.logs.files[0].parent
    assert len(spooled.cases.files) == 3 and all(f.parent == folder for f in spooled.cases.files)
    assert spooled.head.cases.height == 0 and spooled.head.rules is not None and spooled.head.rules.cases.height == 0
    whole = pa.conformance  # read once, then kept
    assert whole is pa.conformance
    assert whole.cases.height == spooled.cases.height > 0 and whole.cases.columns == spooled.cases.columns
    assert whole.cases.equals(spooled.cases.scan().collect())
    assert whole.cases[schema.OFFICE].is_sorted() and whole.deviations.height == spooled.deviations.height > 0
    assert whole.rules is not None and spooled.rules is not None
    assert whole.rules.cases.equals(spooled.rules.load())
    # the tables written from disk are the tables written from memory, byte for byte
    from pmtool.conform.output import conformance_writers

    for result, name in ((spooled, "disk"), (whole, "memory")):
        (tmp_path / name).mkdir()
        for path, write in conformance_writers(result, tmp_path / name, "P1", ("csv", "parquet", "json")).items():
            write(path)
    names = sorted(p.name for p in (tmp_path / "disk").iterdir())
    assert len(names) == 18 and names == sorted(p.name for p in (tmp_path / "memory").iterdir())
    assert [n for n in names if not filecmp.cmp(tmp_path / "disk" / n, tmp_path / "memory" / n, shallow=False)] == []
    # adoption reads only the columns it needs from disk, with the same result
    from pmtool.compare.adoption import adoption

    a, b = (adoption(r, valid_from=dt.date(2025, 4, 1)) for r in (spooled, whole))
    assert a.series.height > 0 and a.series.equals(b.series) and a.estimates.equals(b.estimates)


def test_results_on_disk_combine_as_in_memory_with_offices_in_order(tmp_path):
    from pmtool.conform.conformance import SpooledConformance, combine_results, combine_spooled, conform
    from pmtool.models.reference import load_reference

    project = pt.restrict(pt.demo_project(), processes=["P3a"], offices=["GA-01", "GA-02"])
    log = pt.analyse(project, key=pt.demo_key(), discover_models=False).processes["P3a"].log
    config = project.processes["P3a"]
    reference = load_reference(config.model, config.rules, config.labels)
    parts = [conform(pt.EventLog.from_frame(log.frame.filter(pl.col(schema.OFFICE) == o)), reference)
             for o in ("GA-01", "GA-02")]
    spooled = [SpooledConformance.write(p, tmp_path / f"office{i}") for i, p in enumerate(parts)]
    joined = combine_spooled(spooled).load()
    expected = combine_results(parts)
    assert joined.cases.height > 0 and joined.cases.equals(expected.cases)
    assert joined.deviations.equals(expected.deviations) and joined.summary.equals(expected.summary)
    assert joined.rules is not None and expected.rules is not None and joined.rules.cases.equals(expected.rules.cases)
    with pytest.raises(ValueError, match="ascending"):
        combine_spooled(spooled[::-1])
