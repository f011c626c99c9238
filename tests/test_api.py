"""The public API (``import pmtool as pt``): its names are stable, ``import pmtool`` stays cheap, every
public function documents itself with an example that runs, and the API gives what the stages give."""

from __future__ import annotations

import doctest
import json
import subprocess
import sys
import warnings

import polars as pl
import pytest
from conftest import REPO

import pmtool
import pmtool as pt
from pmtool import api

#: The public names. A name may leave only through pmtool.DEPRECATED (it keeps working and warns); a new
#: name is added here on purpose.
PUBLIC = {
    "load_project", "demo_project", "restrict", "load_key", "demo_key", "new_key", "set_language",
    "read_export", "read_database", "read_log", "filter_log", "inspect",
    "discover_process", "process_map", "load_model", "soll_map", "check_conformance", "aggregate", "map_explorer",
    "accept", "change_rule", "compare_offices", "findings", "affected_cases", "rank_changes",
    "analyse", "run", "write_report", "simulate_logs",
    "adoption", "before_after", "cross_conformance", "design_soll", "export_soll", "file_report",
    "Project", "ExportSource", "PseudonymKey", "MappingProfile", "EventLog", "Overview", "IngestResult",
    "Discovery", "Discoveries", "ReferenceModel", "ConformanceResult", "Bundle", "Acceptance", "ComparisonTables",
    "Findings", "Analysis", "Adoption", "BeforeAfter", "EfileMessage", "RunResult", "ReportFiles",
    "SimulationResult", "Picture", "CrossConformance", "SollDesign",
    "PmtoolError", "InputError", "LogSchemaError", "ConfigError", "ModelError", "RenderError", "PrivacyError",
    "__version__",
}
FUNCTIONS = sorted(n for n in PUBLIC if n[0].islower() and not n.startswith("_"))


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_no_public_name_disappears_without_a_deprecation(name):
    if name in pmtool.DEPRECATED:
        new, _ = pmtool.DEPRECATED[name]
        with pytest.warns(DeprecationWarning, match=new):
            getattr(pmtool, name)
    else:
        assert name in pmtool.__all__, f"pmtool.{name} was removed: add it to pmtool.DEPRECATED first"
        assert getattr(pmtool, name) is not None


def test_every_public_name_is_listed_here_and_in_the_implementation():
    assert set(pmtool.__all__) == PUBLIC, "a new public name: add it to PUBLIC in this test on purpose"
    assert set(api.__all__) == PUBLIC - {"__version__"}
    assert len(pmtool.__all__) == len(set(pmtool.__all__))


def test_a_deprecated_name_warns_and_still_works(monkeypatch):
    monkeypatch.setitem(pmtool.DEPRECATED, "ingest_export", ("read_export", "0.2"))
    with pytest.warns(DeprecationWarning, match="use pmtool.read_export"):
        assert pmtool.ingest_export is pt.read_export
    with pytest.raises(AttributeError):
        pmtool.no_such_name  # noqa: B018


def test_no_public_name_is_shadowed_by_a_subpackage():
    # importing pmtool.<x> sets the attribute pmtool.x: a verb named like a stage package would vanish
    modules = {p.stem if p.is_file() else p.name for p in (REPO / "pmtool").iterdir()
               if (p.suffix == ".py" or (p / "__init__.py").exists()) and not p.name.startswith("_")}
    assert not PUBLIC & modules


def test_import_pmtool_is_cheap():
    code = ("import sys, pmtool; f = pmtool.analyse, pmtool.read_export; "
            "print([m for m in ('polars', 'pm4py', 'pandas', 'matplotlib', 'ipywidgets') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_worker_processes_do_not_load_scipy_or_pm4py():
    # a worker process imports the modules of the work it is handed (ingest, office steps); the comparison's
    # statistics and the disclosure audit (scipy) run in the main process only, pm4py in the mining helper
    code = ("import sys, pmtool.analysis, pmtool.office_steps, pmtool.cluster; "
            "print([m for m in ('scipy', 'pm4py', 'pandas', 'matplotlib') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_every_public_function_has_a_docstring_with_an_example(name):
    if name == "__version__":
        return
    doc = getattr(pt, name).__doc__ or ""
    assert ">>> import pmtool as pt" in doc, f"pt.{name} needs an example that runs"
    assert "doctest: +SKIP" not in doc


def _doctests() -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder()
    tests = []
    for module in (api.inputs, api.mining, api.whatif, api.runs):
        tests += [t for t in finder.find(module) if t.examples]
    return sorted(tests, key=lambda t: t.name)


@pytest.mark.parametrize("test", _doctests(), ids=lambda t: t.name.rsplit(".", 1)[-1])
def test_docstring_examples_run(test, monkeypatch):
    monkeypatch.chdir(REPO)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # pm4py's own
        runner.run(test, out=lambda text: pytest.fail(text, pytrace=False))
    assert runner.summarize(verbose=False).attempted == len(test.examples)


@pytest.fixture(scope="module")
def p3a_analysis():
    return pt.analyse(pt.restrict(pt.demo_project(), processes=["P3a"]), key=pt.demo_key(), discover_models=False)


def test_comparing_with_a_freshly_loaded_identical_model_reproduces_the_analysis(p3a_analysis):
    # a replaced model makes compare_offices check and aggregate the process again: with the same model
    # file the tables must be the analysis's own
    model = pt.load_model(p3a_analysis.project.processes["P3a"].model)
    again = pt.compare_offices(p3a_analysis, models={"P3a": model})
    assert again.comparison.table.equals(p3a_analysis.comparison.table)
    assert again.findings.equals(p3a_analysis.findings)


def test_a_relaxed_deadline_lowers_its_violations_and_leaves_the_file_alone(p3a_analysis):
    project = p3a_analysis.project
    rules_file = project.processes["P3a"].rules
    before_text = rules_file.read_bytes()
    model = pt.load_model(project.processes["P3a"].model)
    deadline = next(r for r in model.rules.rules if r.kind == "deadline")
    relaxed = pt.change_rule(model, deadline.id, within={deadline.unit: deadline.amount + 5})
    after = pt.compare_offices(p3a_analysis, models={"P3a": relaxed})
    item = f"rule:{deadline.id}"
    k_before = p3a_analysis.comparison.table.filter(pl.col("item") == item)["k_all"].max()
    k_after = after.comparison.table.filter(pl.col("item") == item)["k_all"].max()
    assert k_after < k_before
    assert relaxed.rules.version.startswith(model.rules.version + "+what-if.")
    assert relaxed.rules.sha256 != model.rules.sha256
    assert rules_file.read_bytes() == before_text


def test_change_rule_refuses_what_a_rule_pack_file_could_not_hold():
    model = pt.load_model(pt.demo_project().processes["P1"].model)
    with pytest.raises(pt.ConfigError, match="no rule 'P1-NOPE'"):
        pt.change_rule(model, "P1-NOPE", severity="low")
    with pytest.raises(pt.ConfigError, match="severity"):
        pt.change_rule(model, "P1-L-11-GA", severity="catastrophic")
    with pytest.raises(pt.ConfigError, match="within"):
        pt.change_rule(model, "P1-L-11-GA", within={"fortnights": 1})


def test_accepting_a_finding_keeps_it_visible_and_moves_the_others_up(p3a_analysis):
    open_before = pt.findings(p3a_analysis, open_only=True).frame
    top = open_before.row(0, named=True)
    after = pt.compare_offices(p3a_analysis, accepted=[pt.accept(top["office"], item=top["item"], process="P3a",
                                                                  justification="Beispiel")])
    marked = after.findings.filter(pl.col("finding_id") == top["finding_id"]).row(0, named=True)
    assert marked["accepted"] and marked["justification"] == "Beispiel"
    moved = pt.rank_changes(p3a_analysis, after)
    second = open_before.row(1, named=True)
    assert moved.filter(pl.col("finding_id") == second["finding_id"])["change"].to_list() == [1]
    with pytest.raises(pt.ConfigError):
        pt.accept("GA-01", item="rule:X", justification="  ")


def test_read_export_without_a_key_refuses_unless_allowed():
    source = pt.demo_project().exports[0]
    with pytest.raises(pt.PrivacyError):
        pt.read_export(source)
    assert not pt.read_export(source, allow_identifiable=True).summary.pseudonymised


def test_filter_log_keeps_whole_cases_of_the_chosen_period_and_process():
    log = pt.read_export(pt.demo_project().exports[0], key=pt.demo_key()).log
    spring = pt.filter_log(log, start="2025-03-01", end="2025-06-01")
    starts = spring.frame.group_by("case_id").agg(pl.col("timestamp").min(), pl.len())
    whole = log.frame.group_by("case_id").len().join(starts, on="case_id")
    assert (whole["len"] == whole["len_right"]).all()
    local = starts["timestamp"].dt.convert_time_zone("Europe/Berlin")
    assert local.min().month >= 3 and local.max().month <= 5
    assert pt.filter_log(log, process="P2").n_events < log.n_events
    with pytest.raises(pt.InputError, match="P9"):
        pt.filter_log(log, process="P9")


def test_restrict_names_what_the_project_has():
    with pytest.raises(pt.ConfigError, match="GA-99"):
        pt.restrict(pt.demo_project(), offices=["GA-99"])


def test_the_process_map_is_refused_below_the_privacy_threshold():
    log = pt.read_export(pt.demo_project().exports[0], key=pt.demo_key()).log
    three = log.frame["case_id"].unique(maintain_order=True).head(3)
    few = pt.EventLog.from_frame(log.frame.filter(pl.col("case_id").is_in(three.implode())))
    assert few.n_cases == 3
    with pytest.raises(pt.PrivacyError, match="fewer than 5 cases"):
        pt.process_map(few)


def test_the_map_explorer_redraws_when_a_control_moves():
    log = pt.read_export(pt.demo_project().exports[0], key=pt.demo_key()).log
    explorer = pt.map_explorer(log, noise_threshold=0.0)
    first = explorer.pictures
    assert [p.title for p in first][0].startswith("GA-01 · Meldefallbearbeitung (P1)")
    explorer.noise.value = 0.8
    assert explorer.pictures[0].svg == first[0].svg and explorer.pictures[1].svg != first[1].svg
    explorer.period.value = (explorer.period.options[2], explorer.period.options[3])
    assert explorer.pictures[0].svg != first[0].svg
    assert len(explorer.output.outputs) == 2
    explorer.period.value = (explorer.period.options[0], explorer.period.options[0])
    explorer.process.value = None
    assert json.dumps(explorer.output.outputs)  # what nbclient stores is plain data


def _api_reference_builder():
    import runpy

    return runpy.run_path(str(REPO / "docs" / "generate_api_reference.py"))["build"]


def test_the_api_reference_builds_without_a_warning(tmp_path):
    pytest.importorskip("pdoc")
    problems = _api_reference_builder()(tmp_path)
    assert problems == [], "pdoc could not document the public API cleanly:\n" + "\n".join(problems)
    page = (tmp_path / "pmtool.html").read_text("utf-8")
    for name in pmtool.__all__:
        assert f'id="{name}"' in page, name
    assert str(REPO) not in page  # no machine path in a default value


def test_the_api_reference_check_catches_a_broken_annotation(tmp_path, monkeypatch):
    pytest.importorskip("pdoc")

    def broken(log: NoSuchType) -> None:  # noqa: F821
        """A public function whose annotation names nothing."""

    broken.__module__ = "pmtool"
    monkeypatch.setattr(pmtool, "broken", broken, raising=False)
    monkeypatch.setattr(pmtool, "__all__", [*pmtool.__all__, "broken"])
    assert any("NoSuchType" in p for p in _api_reference_builder()(tmp_path))
