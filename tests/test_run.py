"""pmtool run, init and demo: one command for the whole analysis, a results folder with a manifest, and a
content-hashed cache that makes an unchanged re-run fast and byte-identical."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from conftest import MODEL_FILES, MODELS, SAMPLE_LOGS, TEST_KEY_TEXT, NotedProgress
from typer.testing import CliRunner

import pmtool as pt
from pmtool.analysis import run_analysis
from pmtool.cli.app import app
from pmtool.ingest.pseudonymise import PseudonymKey
from pmtool.project import ExportSource, load_project, starter_project
from pmtool.results import DEMO_PROJECT, run_project
from pmtool.stage_cache import StageCache

runner = CliRunner()
OFFICES = ("GA-01", "GA-02", "GA-03", "GA-04")
PROCESSES = ("P2", "P3a")


def run(*args: str):
    return runner.invoke(app, ["--lang", "en", *args], env={"PMTOOL_PSEUDONYM_KEY": TEST_KEY_TEXT})


def make_project(folder: Path) -> Path:
    """Four offices and two processes of the sample data, copied into a project folder."""
    tmp_path = folder
    for process in PROCESSES:
        target = tmp_path / "exports" / process
        target.mkdir(parents=True)
        for path in sorted((SAMPLE_LOGS / process).iterdir()):
            if path.name.split("_")[0] in OFFICES:
                shutil.copy(path, target / path.name)
        for suffix in (".bpmn", ".rules.toml"):
            name = MODEL_FILES[process].replace(".bpmn", suffix)
            (tmp_path / "models").mkdir(exist_ok=True)
            shutil.copy(MODELS / name, tmp_path / "models" / name)
    lines = ['[project]', 'name = "Test"', 'output = "results"', 'period = "2025"', 'formats = ["html"]',
             'as_of = 2026-03-31T23:59:00+02:00', '', '[sources]', 'folder = "exports"']
    for process in PROCESSES:
        lines += ["", f"[processes.{process}]", f'model = "models/{MODEL_FILES[process]}"',
                  f'rules = "models/{MODEL_FILES[process].replace(".bpmn", ".rules.toml")}"']
    project = tmp_path / "pmtool.toml"
    project.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return project


@pytest.fixture
def small_project(tmp_path) -> Path:
    return make_project(tmp_path)


@pytest.fixture(scope="module")
def ran_project(tmp_path_factory) -> Path:
    """A small project after one complete pmtool run (tests using it must not change it)."""
    project = make_project(tmp_path_factory.mktemp("ran"))
    result = run("run", "--project", str(project), "--quiet")
    assert result.exit_code == 0, result.output
    return project


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".cache" not in p.relative_to(folder).parts}


def test_second_run_comes_from_the_cache_at_least_five_times_faster_with_identical_files(small_project):
    start = time.perf_counter()
    first = run("run", "--project", str(small_project), "--quiet")
    first_seconds = time.perf_counter() - start
    assert first.exit_code == 0, first.output
    out = small_project.parent / "results"
    before = files_of(out)
    start = time.perf_counter()
    second = run("run", "--project", str(small_project), "--quiet")
    second_seconds = time.perf_counter() - start
    assert second.exit_code == 0, second.output
    assert "from the cache" in second.output and "from the cache" not in first.output
    assert second_seconds * 5 <= first_seconds, (first_seconds, second_seconds)
    assert files_of(out) == before  # tables, logs, figures, report and manifest: byte for byte
    for expected in ("logs/P2/GA-01_P2.parquet", "logs/P2/GA-01_P2.quarantine.csv", "models/P3a/GA-02_ist.bpmn",
                     "figures/P2/GA-03_dfg.svg", "tables/conformance/P2_summary.csv", "tables/comparison.csv",
                     "tables/findings.parquet", "tables/priorities.csv", "tables/trend.csv",
                     "bundles/GA-04_P3a_2025.bundle.json", "manifest.json"):
        assert expected in before, expected
    assert any(name.startswith("report/") for name in before) or "No report" in first.output


def test_manifest_records_inputs_settings_versions_and_outputs(ran_project):
    small_project = ran_project
    out = small_project.parent / "results"
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    roles = {i["role"] for i in manifest["inputs"]}
    assert roles == {"project", "export", "profile", "model", "rules"}
    for entry in manifest["inputs"]:
        assert not Path(entry["path"]).is_absolute()
    export = next(i for i in manifest["inputs"] if i["role"] == "export")
    assert export["sha256"] == hashlib.sha256((small_project.parent / export["path"]).read_bytes()).hexdigest()
    for output in manifest["outputs"]:
        assert output["sha256"] == hashlib.sha256((out / output["path"]).read_bytes()).hexdigest()
    assert {"pmtool", "pm4py", "polars"} <= set(manifest["versions"])
    assert manifest["settings"]["key_id"] == PseudonymKey(TEST_KEY_TEXT.encode()).key_id
    assert manifest["settings"]["scheduler"] is None  # the offices' steps ran on this machine
    assert manifest["settings"]["limits"]["memory_mb"] is None  # no budget set: "none", as the docs say
    assert manifest["settings"]["limits"]["model_tasks"] == 2000
    text = (out / "manifest.json").read_text("utf-8")
    assert TEST_KEY_TEXT not in text


def test_a_changed_input_recomputes_only_what_depends_on_it(small_project):
    project = load_project(small_project)
    key = PseudonymKey(TEST_KEY_TEXT.encode())
    run_project(project, key=key)
    cache = small_project.parent / "results" / ".cache"
    entries = {p for p in cache.glob("*/*") if p.is_dir()}
    profile = small_project.parent / "exports" / "P3a" / "GA-02_P3a.profile.toml"
    text = profile.read_text("utf-8")
    profile.write_text(text.replace('(synthetisch)"', '(synthetisch, geprüft 2026-04-01)"', 1), encoding="utf-8")
    again = run_project(load_project(small_project), key=key)
    now = {p for p in cache.glob("*/*") if p.is_dir()}
    assert len(now) == len(entries) and now != entries  # the cache keeps what the last run used, no more
    fresh = {(s.stage, s.item) for s in again.steps if not s.cached}
    assert ("ingest", "GA-02 P3a") in fresh and ("conform", "P3a GA-02") in fresh
    assert ("ingest", "GA-01 P3a") not in fresh and ("conform", "P3a GA-01") not in fresh
    assert not any(stage != "report" and item.startswith("P2") for stage, item in fresh)
    # the description changes the log's provenance, not its events: the bundles are the same, so is the comparison
    assert ("compare", "") not in fresh


def test_a_comment_in_a_profile_or_the_project_file_recomputes_nothing(small_project):
    key = PseudonymKey(TEST_KEY_TEXT.encode())
    run_project(load_project(small_project), key=key)
    profile = small_project.parent / "exports" / "P3a" / "GA-02_P3a.profile.toml"
    profile.write_text(profile.read_text("utf-8") + "\n# geprüft 2026-04-01\n", encoding="utf-8")
    small_project.write_text("# Stand: April\n" + small_project.read_text("utf-8").replace("\n\n", "\n\n# —\n"),
                             encoding="utf-8")
    again = run_project(load_project(small_project), key=key)
    assert [s for s in again.steps if not s.cached] == []
    assert again.changes is not None and again.changes.filter(pl.col("change") != 0).height == 0


def test_adding_one_office_recomputes_that_office_and_the_comparison_and_says_what_changed(small_project):
    first = run("run", "--project", str(small_project), "--quiet")
    assert first.exit_code == 0, first.output
    before = json.loads((small_project.parent / "results" / "manifest.json").read_text("utf-8"))["findings"]
    target = small_project.parent / "exports" / "P3a"
    for path in sorted((SAMPLE_LOGS / "P3a").glob("GA-08_*")):  # certificates before the check: a new finding
        shutil.copy(path, target / path.name)
    again = run_project(load_project(small_project), key=PseudonymKey(TEST_KEY_TEXT.encode()), lang="en")
    fresh = {(s.stage, s.item) for s in again.steps if not s.cached}
    assert fresh == {("ingest", "GA-08 P3a"), ("labels", "P3a"), ("conform", "P3a GA-08"), ("discover", "P3a GA-08"),
                     ("aggregate", "P3a GA-08"), ("figures", "P3a GA-08"), ("compare", ""), ("report", "")}
    assert again.offices_cached() == {"P2": (4, 4), "P3a": (4, 5)}
    # what changed, from the previous manifest's findings and pmtool's rank_changes
    import types

    moved = pt.rank_changes(types.SimpleNamespace(findings=pl.DataFrame(before)), again.analysis)
    assert again.changes is not None and again.changes.equals(moved)
    assert "GA-08" in moved.filter(pl.col("rank_before").is_null())["office"].to_list()
    # the same through the command line, once more with one more office
    for path in sorted((SAMPLE_LOGS / "P3a").glob("GA-13_*")):
        shutil.copy(path, target / path.name)
    third = run("run", "--project", str(small_project), "--quiet")
    assert third.exit_code == 0, third.output
    text = " ".join(third.output.split())
    assert "P3a: 5 of 6 offices from the cache." in text and "P2: 4 of 4 offices from the cache." in text
    assert "Since the last run:" in text and " new P3a #" in text


def _plain_and_cached(project_file: Path, cache: Path):
    """The project's analysis without a cache, and the third run through one (every step from the cache)."""
    project = load_project(project_file)
    key = PseudonymKey(TEST_KEY_TEXT.encode())
    plain = run_analysis(project, key=key, discover_models=False)
    store = StageCache(cache)
    run_analysis(project, key=key, discover_models=False, store=store)
    return plain, run_analysis(project, key=key, discover_models=False, store=store)


def test_the_cache_changes_nothing(small_project, tmp_path):
    plain, cached = _plain_and_cached(small_project, tmp_path / "cache")
    assert all(step.cached for step in cached.steps)
    assert plain.findings.height > 0
    assert plain.findings.equals(cached.findings)
    assert plain.comparison.table.equals(cached.comparison.table)
    assert plain.priorities.equals(cached.priorities)


def test_the_cache_changes_nothing_when_offices_come_in_slices_of_cases(small_project, tmp_path, monkeypatch):
    """An office of several slices of cases (CASES_PER_SLICE) goes through the stage cache whole: the tables
    read back equal the computed ones, every case of every slice."""
    import pmtool.eventlog.log as eventlog_log

    monkeypatch.setattr(eventlog_log, "CASES_PER_SLICE", 7)
    plain, cached = _plain_and_cached(small_project, tmp_path / "cache")
    assert all(step.cached for step in cached.steps)
    for pid, pa in plain.processes.items():
        again = cached.processes[pid].results
        assert len(pa.results.cases.files) > len(pa.results.summary)  # more slices than offices
        assert pa.results.cases.load().height > 7 * len(pa.results.summary)
        assert pa.results.cases.load().equals(again.cases.load())
        assert pa.results.deviations.load().equals(again.deviations.load())
        assert pa.results.rules.load().equals(again.rules.load())
    assert plain.findings.equals(cached.findings)
    assert plain.comparison.table.equals(cached.comparison.table)


def test_run_in_a_real_subprocess_without_a_terminal(ran_project):
    env = {**os.environ, "PMTOOL_PSEUDONYM_KEY": TEST_KEY_TEXT, "PMTOOL_LANG": "en"}
    done = subprocess.run([sys.executable, "-m", "pmtool", "run", "--project", str(ran_project)],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "stage\tsteps\tfrom cache\tseconds\n" in done.stdout  # the run summary table, tab-separated when piped
    assert "from the cache" in done.stdout and "━" not in done.stdout
    assert "\r" not in done.stdout  # no progress bars when the output is not a terminal


def test_run_without_a_key_refuses(small_project):
    result = runner.invoke(app, ["--lang", "en", "run", "--project", str(small_project)])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1


def _broken(project: Path, name: str) -> None:
    """Break one file the project names (or a setting of it) as a user might."""
    root = project.parent
    if name == "limits":
        project.write_text(project.read_text("utf-8") + "\n[limits]\nmemory_mb = -5\n", encoding="utf-8")
    elif name == "limits_text":
        project.write_text(project.read_text("utf-8") + '\n[limits]\nmemory_mb = "viel"\n', encoding="utf-8")
    elif name == "allowlist":
        (root / "allowlist.toml").write_text("[[accept]\n", encoding="utf-8")
        text = project.read_text("utf-8").replace('name = "Test"', 'name = "Test"\nallowlist = "allowlist.toml"')
        project.write_text(text, encoding="utf-8")
    elif name == "model":
        (root / "models" / MODEL_FILES["P3a"]).write_text("<definitions", encoding="utf-8")
    elif name == "rules":
        (root / "models" / MODEL_FILES["P3a"].replace(".bpmn", ".rules.toml")).write_text("x = [", encoding="utf-8")
    elif name == "profile":
        (root / "exports" / "P3a" / "GA-04_P3a.profile.toml").write_text("[columns\n", encoding="utf-8")


@pytest.mark.parametrize(("broken", "named"), [
    ("limits", "limits.memory_mb"), ("limits_text", "limits.memory_mb"), ("env", "PMTOOL_MAX_MEMORY_MB"),
    ("allowlist", "allowlist.toml"), ("model", MODEL_FILES["P3a"]),
    ("rules", MODEL_FILES["P3a"].replace(".bpmn", ".rules.toml")), ("profile", "GA-04_P3a.profile.toml"),
])
def test_a_run_refused_for_a_file_the_project_names_leaves_nothing_on_disk(small_project, monkeypatch, broken,
                                                                           named):
    if broken == "env":
        monkeypatch.setenv("PMTOOL_MAX_MEMORY_MB", "-5")
    else:
        _broken(small_project, broken)
    result = run("run", "--project", str(small_project), "--quiet")
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1 and named in result.output, result.output
    assert not (small_project.parent / "results").exists()  # no folder created, none claimed


def test_limits_given_to_the_library_are_checked_before_a_folder_is_made(small_project, tmp_path):
    from dataclasses import replace

    from pmtool.errors import ConfigError

    project = replace(load_project(small_project), limits={"memory_mb": -5})
    with pytest.raises(ConfigError) as raised:
        run_project(project, key=PseudonymKey(TEST_KEY_TEXT.encode()), output=tmp_path / "out")
    assert "limits.memory_mb" in raised.value.render() and "pmtool.toml" in raised.value.render()
    assert not (tmp_path / "out").exists()


def test_init_writes_a_commented_starter_and_never_overwrites(tmp_path):
    result = run("init", str(tmp_path))
    assert result.exit_code == 0, result.output
    written = (tmp_path / "pmtool.toml").read_text("utf-8")
    assert written == starter_project()
    raw = tomllib.loads(written)
    assert set(raw) == {"project", "sources", "processes", "comparison", "priorities"}
    for key in ("as_of", "allowlist", "[[offices]]", "calendar", "[[offices.exports]]", "profile"):
        assert key in written, key  # optional keys are there, commented
    (tmp_path / "pmtool.toml").write_text("# mine\n", encoding="utf-8")
    again = run("init", str(tmp_path))
    assert again.exit_code == 2 and "not overwritten" in again.output
    assert (tmp_path / "pmtool.toml").read_text("utf-8") == "# mine\n"


def test_starter_project_loads_once_its_files_exist(tmp_path):
    assert run("init", str(tmp_path)).exit_code == 0
    result = run("run", "--project", str(tmp_path / "pmtool.toml"))
    # the Soll models and the export folders are there (init made them); what is missing is the exports
    assert (tmp_path / "exports" / "P1").is_dir()
    assert "(created for P1)" in " ".join(run("init", str(tmp_path / "b")).output.split())  # init says so
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "holds no export" in said, result.output
    assert str(Path("exports") / "P1" / "GA-01_P1.csv") in said  # where a file goes, by example
    for name in ("GA-07_P1.parquet", "GA-07_P1.profile.toml"):
        shutil.copy(SAMPLE_LOGS / "P1" / name, tmp_path / "exports" / "P1" / name)
    project = load_project(tmp_path / "pmtool.toml")
    assert [(e.office, e.process) for e in project.exports] == [("GA-07", "P1")]
    assert project.formats == ("html", "pdf") and project.tables == ("csv", "parquet")


def test_demo_project_describes_the_sample_data():
    project = load_project(DEMO_PROJECT)
    assert set(project.processes) == {"P1", "P2", "P3a"}
    assert len(project.exports) == 39 and len(project.offices) == 13


def test_compare_with_the_project_reuses_the_run_and_gives_the_same_tables(ran_project, tmp_path):
    result = run("compare", "--project", str(ran_project), "--format", "csv", "--out", str(tmp_path / "t"))
    assert result.exit_code == 0, result.output
    tables = ran_project.parent / "results" / "tables"
    for name in ("comparison.csv", "findings.csv", "priorities.csv", "trend.csv"):
        assert (tmp_path / "t" / name).read_bytes() == (tables / name).read_bytes(), name


def test_a_report_that_cannot_be_drawn_costs_the_run_nothing_else(small_project, monkeypatch):
    import pmtool.report
    from pmtool.errors import Location, RenderError

    def broken(*args, **kwargs):
        raise RenderError("render.no_graphviz", Location())

    monkeypatch.setattr(pmtool.report, "build_report", broken)
    result = run("run", "--project", str(small_project), "--quiet")
    assert result.exit_code == 2 and "No report" in result.output
    out = small_project.parent / "results"
    assert (out / "tables" / "findings.csv").exists()
    assert json.loads((out / "manifest.json").read_text("utf-8"))["report"].startswith("failed")

    monkeypatch.setitem(sys.modules, "pmtool.report", None)  # as before pmtool.report existed
    skipped = run_project(load_project(small_project), key=PseudonymKey(TEST_KEY_TEXT.encode()))
    assert skipped.report_status == "skipped" and "pmtool.report" in skipped.report_note  # the ImportError
    assert not any(name.startswith("report/") for name in skipped.files)


def test_an_empty_format_list_means_no_report(small_project):
    text = small_project.read_text(encoding="utf-8").replace('formats = ["html"]', "formats = []")
    small_project.write_text(text, encoding="utf-8")
    result = run("run", "--project", str(small_project), "--quiet")
    assert result.exit_code == 0, result.output
    assert "No report written: the project file asks for none" in result.output
    out = small_project.parent / "results"
    assert (out / "tables" / "findings.csv").is_file()
    assert not (out / "report").exists()
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert not any(o["path"].startswith("report/") for o in manifest["outputs"])


@pytest.mark.parametrize(("table", "expected"), [
    ("[priorities]\nvolumen = 1.0\n", "priorities.volumen"),
    ("[priorities]\nlegal_risk = -1\n", "priorities.legal_risk"),
    ("[priorities]\nspread = \"hoch\"\n", "priorities.spread"),
    ("[priorities]\nvolume = 0\nnonconformance = 0\nspread = 0\nlegal_risk = 0\ntime_lost = 0\n", "priorities"),
])
def test_priority_weights_are_validated_strictly(small_project, table, expected):
    text = small_project.read_text("utf-8") + "\n" + table
    small_project.write_text(text, encoding="utf-8")
    result = run("run", "--project", str(small_project), "--quiet")
    assert result.exit_code == 2 and expected in result.output, result.output


def test_priority_weights_reach_the_priorities_table(small_project):
    from pmtool.analysis import compare_bundles
    from pmtool.compare.compare import CompareSettings

    project = load_project(small_project)
    analysis = run_analysis(project, key=PseudonymKey(TEST_KEY_TEXT.encode()), discover_models=False)
    bundles = [b for pa in analysis.processes.values() for b in pa.bundles]
    references = {pid: pa.reference for pid, pa in analysis.processes.items()}
    plain = compare_bundles(bundles, references, settings=CompareSettings()).priorities
    legal = compare_bundles(bundles, references, settings=CompareSettings(),
                            weights={"legal_risk": 3.0, "volume": 0.0}).priorities
    assert plain["volume_weight"].to_list() == [1.0, 1.0] and legal["legal_risk_weight"].to_list() == [3.0, 3.0]
    for frame, weights in ((plain, dict.fromkeys(("volume", "nonconformance", "spread", "legal_risk",
                                                   "time_lost"), 1.0)),
                           (legal, {"volume": 0.0, "nonconformance": 1.0, "spread": 1.0, "legal_risk": 3.0,
                                    "time_lost": 1.0})):
        for row in frame.iter_rows(named=True):
            expected = sum(w * row[f"{f}_norm"] for f, w in weights.items()) / sum(weights.values())
            assert row["priority"] == pytest.approx(expected)
            assert row["nonconformance"] == pytest.approx(row["deviating_cases"] / row["cases"])


def test_init_puts_the_shipped_soll_models_where_the_starter_names_them(tmp_path):
    result = run("init", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "models" / "P1_meldefallbearbeitung.bpmn").is_file()
    assert "3 Soll models and 3 rule packs copied" in result.output
    again = run("models", "export", str(tmp_path / "models"))
    assert again.exit_code == 2 and "does not overwrite" in again.output
    fresh = run("models", "export", str(tmp_path / "other"))
    assert fresh.exit_code == 0 and len(list((tmp_path / "other").iterdir())) == 6
    listed = run("models", "list")
    assert "P3a_belehrung_43.bpmn" in listed.output


def test_queued_figures_are_those_of_one_discovery_alone_and_a_cached_office_is_not_drawn(small_project,
                                                                                          monkeypatch):
    from pmtool import graphviz
    from pmtool.discover.export import discovery_files

    key = PseudonymKey(TEST_KEY_TEXT.encode())
    first = run_project(load_project(small_project), key=key)
    out = small_project.parent / "results"
    written = files_of(out)
    for pid, pa in first.analysis.processes.items():  # drawn all at once ahead = made alone, byte for byte
        for d in (pa.discoveries[0], pa.discoveries[-1]):
            for name, data in discovery_files(d, first.analysis.project.language).items():
                assert [v for k, v in written.items() if k.endswith(f"/{pid}/{name}")] == [data], name
    drawn: list[str] = []
    draw = graphviz._Pool.draw
    monkeypatch.setattr(graphviz._Pool, "draw", lambda self, source, fmt, args: drawn.append(source)
                        or draw(self, source, fmt, args))
    entries = sorted(p for p in (out / ".cache" / "figures").iterdir() if p.is_dir())
    assert len(entries) == len(OFFICES) * len(PROCESSES)
    shutil.rmtree(entries[0])
    again = run_project(load_project(small_project), key=key)
    assert [(s.stage, s.cached) for s in again.steps if s.stage == "figures"].count(("figures", False)) == 1
    assert files_of(out) == written
    titles = {office for source in drawn for office in OFFICES if f"{office} · " in source}
    assert len(titles) == 1 and len(drawn) >= 3  # that office's map, net and model, and nothing else


def test_offices_whose_exports_have_the_same_file_name_each_keep_their_log(tmp_path):
    """Offices export under generic names: two offices' `export.csv` in different folders must not share one
    file in logs/ (one office's log would silently replace the other's)."""
    from pmtool.results import log_stems

    process = "P3a"
    lines = ['[project]', 'name = "Gleiche Namen"', 'output = "results"', 'formats = []',
             'as_of = 2026-03-31T23:59:00+02:00', '', f'[processes.{process}]',
             f'model = "{(MODELS / MODEL_FILES[process]).as_posix()}"']
    for office in ("GA-01", "GA-02"):
        folder = tmp_path / office.lower()
        folder.mkdir()
        shutil.copy(SAMPLE_LOGS / process / f"{office}_{process}.csv", folder / "export.csv")
        shutil.copy(SAMPLE_LOGS / process / f"{office}_{process}.profile.toml", folder / "export.profile.toml")
        lines += ["", "[[offices]]", f'id = "{office}"', "[[offices.exports]]", f'process = "{process}"',
                  f'path = "{office.lower()}/export.csv"', f'profile = "{office.lower()}/export.profile.toml"']
    project = tmp_path / "pmtool.toml"
    project.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("run", "--project", str(project), "--quiet")
    assert result.exit_code in (0, 1), result.output
    logs = tmp_path / "results" / "logs" / process
    for office in ("GA-01", "GA-02"):
        frame = pl.read_parquet(logs / f"{office}_{process}.parquet")
        assert frame["office"].unique().to_list() == [office]
    assert not (logs / "export.parquet").exists()
    manifest = json.loads((tmp_path / "results" / "manifest.json").read_text("utf-8"))
    assert {o["path"] for o in manifest["outputs"]} >= {f"logs/{process}/GA-01_{process}.parquet",
                                                         f"logs/{process}/GA-02_{process}.parquet"}
    # several exports of one office: one log each, the export's name after <office>_<process>_
    sources = [ExportSource("GA-07", "P1", Path(p), None) for p in ("a/GA-07_P1.csv", "b/januar.csv", "c/januar.xlsx")]
    assert list(log_stems(sources).values()) == ["GA-07_P1", "GA-07_P1_januar", "GA-07_P1_januar-2"]


def test_a_missing_path_says_relative_to_the_project_file_only_when_it_is_relative(tmp_path):
    from pmtool.errors import ConfigError

    for given, relative in ((str(tmp_path / "nirgends" / "soll.bpmn"), False), ("modelle/soll.bpmn", True)):
        project = tmp_path / "pmtool.toml"
        project.write_text(f'[project]\nname = "x"\n[processes.P1]\nmodel = "{given}"\n', encoding="utf-8")
        with pytest.raises(ConfigError) as raised:
            load_project(project)
        text = raised.value.render("en")
        assert "processes.P1.model" in text and given in text and "not found" in text
        assert ("relative to the project file" in text) is relative, text


def test_a_period_label_outside_the_data_is_said_after_the_run(ran_project):
    from pmtool.cli.run_cmd import period_note

    analysis = run_project(load_project(ran_project), key=PseudonymKey(TEST_KEY_TEXT.encode())).analysis
    assert period_note(analysis) is None  # "2025" and data of 2025
    for label in ("2019", "2027"):
        line = period_note(replace(analysis, project=replace(analysis.project, period=label)))
        assert line is not None and f"'{label}'" in line, line
        assert re.search(r"\(2025-\d\d-\d\d – 2026-\d\d-\d\d\)", line), line  # the data's days
    assert period_note(replace(analysis, project=replace(analysis.project, period="all"))) is None  # no year
    assert period_note(replace(analysis, project=replace(analysis.project, period="2026"))) is None  # data reach it


def test_two_offices_with_the_same_export_are_told(tmp_path):
    """An export of the same content under two offices (a path copied in the project file) makes the run say
    so above its progress: their comparison would compare a log with itself."""
    project = pt.restrict(pt.demo_project(), processes=["P1"], offices=["GA-01", "GA-02", "GA-03"])
    first = next(s for s in project.exports if s.office == "GA-01")
    copied = tmp_path / "copy.csv"
    copied.write_bytes(first.path.read_bytes())  # another path, the same content
    exports = tuple(replace(s, path=copied, profile=first.profile) if s.office == "GA-03" else s
                    for s in project.exports)
    progress = NotedProgress()
    pt.analyse(replace(project, exports=exports), key=pt.demo_key(), discover_models=False, progress=progress)
    assert len(progress.notes) == 1 and "GA-01, GA-03" in progress.notes[0] and "P1" in progress.notes[0]
    progress = NotedProgress()
    pt.analyse(project, key=pt.demo_key(), discover_models=False, progress=progress)
    assert progress.notes == []
