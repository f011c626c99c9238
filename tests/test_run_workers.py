"""``workers`` from the user's side: ``pmtool run --workers``, a line in the run summary when the exports are
too small for worker processes, and the manifest recording what the run used."""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys

import pytest
from conftest import MODEL_FILES, MODELS, SAMPLE_LOGS, TEST_KEY_TEXT
from typer.testing import CliRunner

import pmtool as pt
from pmtool import limits
from pmtool.analysis import PARALLEL_FROM, WorkerPlan, worker_plan
from pmtool.cli.app import app


def project_of(folder):
    (folder / "exports" / "P3a").mkdir(parents=True)
    for path in sorted((SAMPLE_LOGS / "P3a").glob("GA-0[12]_*")):
        shutil.copy(path, folder / "exports" / "P3a" / path.name)
    (folder / "pmtool.toml").write_text(
        '[project]\nname = "W"\noutput = "results"\nformats = []\nworkers = 3\n\n[sources]\nfolder = "exports"\n\n'
        f'[processes.P3a]\nmodel = "{MODELS / MODEL_FILES["P3a"]}"\n', "utf-8")
    return folder / "pmtool.toml"


def run(*args):
    return CliRunner().invoke(app, ["--lang", "en", "run", *map(str, args), "--quiet"],
                              env={"PMTOOL_PSEUDONYM_KEY": TEST_KEY_TEXT, "COLUMNS": "300"})


def test_small_exports_say_why_the_workers_did_not_work_and_the_manifest_records_it(tmp_path):
    project = project_of(tmp_path)
    first = run("--project", project)
    assert first.exit_code in (0, 1, 3), first.output
    lines = [line for line in first.output.splitlines() if line.startswith("workers = 3:")]
    assert len(lines) == 1 and "less than the 16 MiB" in lines[0] and "in its own process" in lines[0]
    settings = json.loads((tmp_path / "results" / "manifest.json").read_text("utf-8"))["settings"]
    assert settings["workers"] == 3 and settings["worker_processes"] == {"used": 1, "reason": "small_exports"}
    # --workers overrides the project file; with one asked for there is nothing to explain
    second = run("--project", project, "--workers", "1")
    assert second.exit_code == first.exit_code, second.output
    assert "workers =" not in second.output and "from the cache" in second.output
    settings = json.loads((tmp_path / "results" / "manifest.json").read_text("utf-8"))["settings"]
    assert settings["workers"] == 1 and settings["worker_processes"] == {"used": 1, "reason": None}
    refused = run("--project", project, "--workers", "0")
    assert refused.exit_code == 2 and "--workers" in refused.output


def test_the_plan_names_the_memory_budget_when_it_holds_fewer_workers(monkeypatch):
    import pmtool.analysis as analysis

    project = dataclasses.replace(pt.demo_project(), workers=4)
    size = sum(s.path.stat().st_size for s in project.exports)
    assert size < PARALLEL_FROM
    assert worker_plan(project) == WorkerPlan(4, 1, "small_exports", size)
    monkeypatch.setattr(analysis, "PARALLEL_FROM", 0)
    assert worker_plan(project) == WorkerPlan(4, 4, None, size)
    with limits.configured({"memory_mb": 700}):
        plan = worker_plan(project)
        assert (plan.used, plan.reason) == (1, "memory_budget") and "700 MB" in (plan.describe() or "")
    assert worker_plan(dataclasses.replace(project, workers=1)) == WorkerPlan(1, 1, None, size)


@pytest.mark.parametrize("lang", ["de", "en"])
def test_the_line_exists_in_both_languages(lang):
    from pmtool.i18n import set_language

    set_language(lang)
    text = WorkerPlan(4, 1, "small_exports", 6 << 20).describe()
    size = "6,0 MiB" if lang == "de" else "6.0 MiB"  # the numbers in the reader's language
    assert text is not None and text.startswith("workers = 4:") and size in text and "16 MiB" in text


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the resident set from /proc")
def test_a_worker_gives_back_the_memory_its_last_work_freed():
    """After each call a worker returns freed memory to the system: a call that allocated 300 MB and freed
    all but a few scattered objects (which pin the allocator's heap) leaves the worker small for the next."""
    import io
    import pickle

    from pmtool import cluster

    rss = "int(open('/proc/self/statm').read().split()[1]) * 4096"
    hold = (f"import builtins; builtins._pm_before = {rss}; "
            "builtins._pm_kept = [bytes(1000) for _ in range(300_000)][::1000]; "
            f"builtins._pm_held = {rss}")
    calls = io.BytesIO()
    pickle.dump((exec, hold, ()), calls)
    pickle.dump((eval, f"(_pm_before, _pm_held, {rss})", ()), calls)
    calls.seek(0)
    answers = io.BytesIO()
    try:
        cluster.serve(calls, answers)  # the worker's loop, here in the test's process
    finally:
        import builtins
        for name in ("_pm_before", "_pm_kept", "_pm_held"):
            builtins.__dict__.pop(name, None)
    answers.seek(0)
    assert pickle.load(answers) == ("ok", None)
    status, (before, held, after) = pickle.load(answers)
    assert status == "ok"
    assert held - before > 200e6  # the freed memory stays with the process until it is given back
    assert after - before < 100e6, (before, held, after)
