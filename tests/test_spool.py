"""Logs wait on disk during a run (pmtool.spool), and large runs hand each office's steps to local worker
processes: the results are those of the run in one process, byte for byte, and the spool folder is gone
when the analysis is."""

from __future__ import annotations

import dataclasses
import filecmp
import gc
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl

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
    largest = max(s.path.stat().st_size for s in project.exports)
    notes: list[str] = []

    class Progress:
        def __call__(self, stage: str, item: str) -> None:
            return None

        def note(self, text: str) -> None:
            notes.append(text)

    assert analysis._local_workers(project, Progress()) == 2 and notes == []  # no budget: as many as asked
    per_worker = limits.WORKER_BASE_MB + limits.WORKER_PER_EXPORT_BYTE * largest / 2**20
    with limits.configured({"memory_mb": int(4 * per_worker) + 1}):  # half for the run, two workers fit
        assert analysis._local_workers(project, Progress()) == 2 and notes == []
    with limits.configured({"memory_mb": int(2 * per_worker)}):  # one worker: the offices one after another
        assert analysis._local_workers(project, Progress()) == 1
    assert len(notes) == 1 and "memory_mb" in notes[0] and "1" in notes[0]
