"""The design stage on the bundled sample data: the cross-office matrix (its Soll column is `pmtool conform`),
groups of offices, Soll candidates with their decision table, legal soundness with the shortest offending
run, and `pmtool design` on a project with a deliberately unsound candidate."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from conftest import REPO
from typer.testing import CliRunner

import pmtool as pt
from pmtool.cli.app import app
from pmtool.design.candidates import keep_order
from pmtool.design.cross import average_linkage, cut_at, largest_gap
from pmtool.design.soundness import check_soundness, state_space_of
from pmtool.errors import ModelError
from pmtool.models.petri import PetriNet
from pmtool.models.rules import Rule
from pmtool.models.tree import ProcessTree as T
from pmtool.results import DEMO_KEY

P1_SOLL = REPO / "pmtool" / "reference_models" / "P1_meldefallbearbeitung.bpmn"
CHECK, TRANSMIT = "Falldefinition bewertet", "Fall an Landesstelle übermittelt"


def unsound_p1(folder: Path) -> Path:
    """The P1 Soll with the case-definition check and the transmission swapped: the transmission now sits on
    the parallel branch, so it can happen before the check."""
    text = P1_SOLL.read_text("utf-8")
    text = (text.replace(f'name="{CHECK}"', 'name="@@"').replace(f'name="{TRANSMIT}"', f'name="{CHECK}"')
            .replace('name="@@"', f'name="{TRANSMIT}"'))
    path = folder / "P1_transmit_first.bpmn"
    path.write_text(text, "utf-8")
    return path


@pytest.fixture(scope="module")
def analysis():
    return pt.analyse(pt.demo_project(), key=pt.demo_key())


@pytest.fixture(scope="module")
def result(analysis, tmp_path_factory):
    return pt.design_soll(analysis, edited={"P1": unsound_p1(tmp_path_factory.mktemp("edited"))}, workers=1)


def test_the_soll_column_is_pmtool_conform(analysis, result):
    matrix = result.cross.matrix
    for pid, pa in analysis.processes.items():
        soll = matrix.filter((pl.col("process") == pid) & (pl.col("model") == "Soll")).sort("office")
        conform = pa.conformance.summary.sort("office")
        assert soll["office"].to_list() == conform["office"].to_list()
        assert soll["cases"].to_list() == conform["cases"].to_list()
        for col in ("fitness", "fitting_share", "precision"):
            assert soll[col].to_list() == pytest.approx(conform[col].to_list(), abs=1e-12), (pid, col)


def test_the_matrix_holds_every_office_against_every_model(analysis, result):
    matrix = result.cross.matrix
    for pid, pa in analysis.processes.items():
        offices = sorted(pa.conformance.summary["office"].to_list())
        part = matrix.filter(pl.col("process") == pid)
        assert part.height == len(offices) * (len(offices) + 1)
        assert sorted(set(part["model"])) == sorted([*offices, "Soll"])
        own = part.filter(pl.col("office") == pl.col("model"))
        others = part.filter((pl.col("office") != pl.col("model")) & (pl.col("model") != "Soll"))
        assert own["fitness"].mean() > others["fitness"].mean()  # an office fits its own Ist model best
    groups = result.cross.groups
    assert groups["method"].str.contains("average linkage").all()
    assert sorted(groups.filter(pl.col("process") == "P1")["office"]) == sorted(
        analysis.processes["P1"].conformance.summary["office"])


def test_the_decision_table_on_the_sample_data(analysis, result):
    table = result.frames()["soll_candidates"]
    for pid in analysis.processes:
        part = table.filter(pl.col("process") == pid)
        assert part.height >= 4, pid
        assert part["candidate"].to_list()[:2] == ["soll", "consensus"]
        consensus = part.filter(pl.col("candidate") == "consensus").row(0, named=True)
        assert consensus["legally_sound"], (pid, consensus["legal_violations"], consensus["witness"])
        assert part.filter(pl.col("decision") == "recommended").height == 1
        soll = result.processes[pid].candidate("soll").per_office
        conform = analysis.processes[pid].conformance.summary
        assert soll["fitting_share"].to_list() == pytest.approx(conform.sort("office")["fitting_share"].to_list())
    # the consensus leaves out the offices with critical findings
    p1 = result.processes["P1"]
    assert p1.critical and not set(p1.critical) & set(p1.candidate("consensus").candidate.offices)


def test_a_candidate_that_transmits_before_the_check_is_refused_with_the_path(result):
    edited = result.processes["P1"].candidate("edited")
    assert not edited.sound
    offence = edited.offence
    assert offence.rule_id == "P1-L-11-ORDER"
    assert offence.witness[offence.at] == TRANSMIT
    assert CHECK not in offence.witness[:offence.at]
    table = result.frames()["soll_candidates"].filter(pl.col("candidate") == "edited").row(0, named=True)
    assert table["decision"] == "refused" and TRANSMIT in table["witness"]


def test_the_witness_is_a_shortest_run():
    # A → (B ∥ T) → C: transmitting before the check needs A and T; the witness is a whole run, shortest
    net = PetriNet.build("n", places=["i", "p", "q1", "q2", "r1", "r2", "s", "o"],
                         transitions=[("a", "A"), ("split", None), ("b", "Check"), ("t", "Transmit"),
                                      ("join", None), ("c", "C"), ("x", "Extra")],
                         arcs=[("i", "a"), ("a", "p"), ("p", "split"), ("split", "q1"), ("split", "q2"),
                               ("q1", "b"), ("b", "r1"), ("q2", "t"), ("t", "r2"), ("r1", "join"),
                               ("r2", "join"), ("join", "s"), ("s", "c"), ("c", "o"), ("s", "x"), ("x", "s")],
                         initial={"i": 1}, final={"o": 1})
    rules = [Rule("R1", "order", "t", "legal", "high", first="Check", then="Transmit"),
             Rule("R2", "mandatory", "m", "legal", "high", activity="Extra"),
             Rule("R3", "absent", "a", "style", "low", activity="Extra"),
             Rule("R4", "deadline", "d", "legal", "high", start="A", end="C")]
    checks = {c.rule_id: c for c in check_soundness(net, rules)}
    assert checks["R1"].witness == ("A", "Transmit", "Check", "C") and checks["R1"].at == 1
    assert checks["R2"].status == "violated" and checks["R2"].witness == ("A", "Check", "Transmit", "C")
    assert checks["R3"].witness == ("A", "Check", "Transmit", "Extra", "C") and checks["R3"].at == 3
    assert checks["R4"].status == "not_applicable"


def test_a_state_space_too_large_is_refused_by_name():
    places = ["i", *(f"p{k}" for k in range(12)), "o"]
    transitions = [("s", None), *((f"t{k}", f"T{k}") for k in range(12)), ("j", None)]
    arcs = [("i", "s"), *(("s", f"p{k}") for k in range(12)), *((f"p{k}", f"t{k}") for k in range(12)),
            *((f"t{k}", f"q{k}") for k in range(12)), *((f"q{k}", "j") for k in range(12)), ("j", "o")]
    net = PetriNet.build("wide", places=places + [f"q{k}" for k in range(12)], transitions=transitions, arcs=arcs,
                         initial={"i": 1}, final={"o": 1})
    with pytest.raises(ModelError, match="more than 1,000 markings") as err:
        state_space_of(net, limit=1000)
    assert "wide" in err.value.render()


def test_order_repair_puts_parallel_branches_in_sequence():
    rule = Rule("R", "order", "t", "legal", "high", first="Check", then="Cert")
    tree = T.seq(T.leaf("A"), T.parallel(T.leaf("Pay"), T.leaf("Cert"), T.leaf("Check")), T.leaf("Z"))
    fixed, repairs = keep_order(tree, [rule])
    assert fixed.to_text() == "->('A', +('Pay', ->('Check', 'Cert')), 'Z')" and len(repairs) == 1
    assert keep_order(fixed, [rule]) == (fixed, ())  # nothing left to repair


def test_groups_cut_at_the_largest_gap():
    names = ["A", "B", "C", "D"]
    near = {frozenset("AB"): 0.01, frozenset("CD"): 0.012}
    dist = {(a, b): 0.0 if a == b else near.get(frozenset((a, b)), 0.2) for a in names for b in names}
    merges = average_linkage(names, dist)
    assert cut_at(names, merges, largest_gap(merges)) == [["A", "B"], ["C", "D"]]
    flat = {(a, b): 0.0 if a == b else 0.02 for a in names for b in names}  # nothing to separate
    merges = average_linkage(names, flat)
    assert cut_at(names, merges, largest_gap(merges)) == [names]


def test_pmtool_design_writes_tables_and_the_section_and_refuses_loudly(tmp_path):
    project = tmp_path / "demo.toml"
    text = (REPO / "data" / "demo.toml").read_text("utf-8")
    project.write_text(text.replace('"sample_logs"', f'"{(REPO / "data" / "sample_logs").as_posix()}"')
                       .replace('"../pmtool/', f'"{(REPO / "pmtool").as_posix()}/')
                       .replace('"../reports/demo"', '"out"'), "utf-8")
    edited = unsound_p1(tmp_path)
    runner = CliRunner()
    env = {"PMTOOL_PSEUDONYM_KEY": DEMO_KEY}
    res = runner.invoke(app, ["--lang", "en", "design", "-p", str(project), "--candidate", f"P1={edited}",
                              "--workers", "1", "--process", "P1", "--export", "P1"], env=env)
    assert res.exit_code == 1, res.output
    assert "Refused: edited candidate allows what rule P1-L-11-ORDER" in res.output
    assert f"[{TRANSMIT}]" in res.output
    out = tmp_path / "out" / "design"
    for name in ("cross_conformance", "office_groups", "soll_candidates", "soll_candidates_offices",
                 "soll_candidates_rules"):
        assert (out / f"{name}.csv").exists(), name
    page = (out / "soll_design.html").read_text("utf-8")
    from pmtool.models.bpmn import load_bpmn

    assert load_bpmn(out / "P1_soll.bpmn").lanes  # the recommended candidate, with its lanes
    assert "Cross-office conformance" in page and "average linkage" in page and "recommended" in page
    res = runner.invoke(app, ["design", "-p", str(project), "--candidate", "P1"], env=env)
    assert res.exit_code == 2 and "PROCESS=FILE.bpmn" in res.output


def test_what_docs_method_says_about_the_sample_data(result):
    groups = result.cross.groups
    members = {(p, g): sorted(o) for p, g, o in groups.group_by("process", "group").agg("office").rows()}
    assert len({g for p, g in members if p == "P1"}) == 1 and len({g for p, g in members if p == "P3a"}) == 1
    assert ["GA-01", "GA-04", "GA-09", "GA-11"] in [o for (p, _), o in members.items() if p == "P2"]
    assert result.recommended == {"P1": "soll", "P2": "soll", "P3a": "soll"}
    p3a = result.processes["P3a"]
    assert [r.rule_id for r in p3a.candidate("consensus").candidate.repairs] == ["P3a-L-43-CHECK"]
    refused = [e.candidate.id for e in p3a.evaluations if not e.sound]
    assert refused and all(c.startswith("ist:") for c in refused)
