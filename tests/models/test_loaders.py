"""Soll model loading: BPMN and PNML into pmtool's net, equivalent to pm4py's, with nothing dropped silently."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from conftest import REPO, real_log

from pmtool.conform.alignments import align_variants
from pmtool.errors import ConfigError, ModelError
from pmtool.eventlog import pm4py_bridge as bridge
from pmtool.models.bpmn import load_bpmn
from pmtool.models.pnml import load_pnml
from pmtool.models.reference import load_reference
from pmtool.models.rules import load_rule_pack, rule_pack_from_dict

MODELS = REPO / "pmtool" / "reference_models"
SOLL = sorted(MODELS.glob("*.bpmn"))


def _fitness(traces, net_tuple):
    """Optimal-alignment fitness per trace (pmtool's engine, which equals pm4py's — tests/conform)."""
    net = bridge.from_pm4py_net(*net_tuple)
    return [round(a.fitness, 9) for a in align_variants(net, [tuple(t) for t in traces], workers=1)]


def _traces_from(ref_net, labels, seed, n=40):
    pm4py = bridge.pm4py()
    log = pm4py.play_out(*ref_net, parameters={"no_traces": n})
    traces = [[e["concept:name"] for e in t] for t in log]
    rng = random.Random(seed)
    noisy = []
    for t in traces:
        t2 = list(t)
        if t2:
            t2.pop(rng.randrange(len(t2)))
        t2.insert(rng.randrange(len(t2) + 1), rng.choice(labels))
        noisy.append(t2)
    return traces + noisy + [["Kaffee gekocht"]]


@pytest.mark.parametrize("path", SOLL, ids=lambda p: p.stem)
def test_soll_model_loads_with_empty_report_and_same_language_as_pm4py(path: Path):
    ref = load_reference(path)
    assert ref.report.empty, ref.report.items
    assert ref.rules is not None and ref.process in ("P1", "P2", "P3a")
    assert set(ref.roles) == set(ref.net.labels), "every activity has a lane"
    pm_ref = bridge.bpmn_to_net_with_pm4py(path)
    traces = _traces_from(pm_ref, sorted(ref.net.labels), seed=len(path.name))
    ours = _fitness(traces, bridge.to_pm4py_net(ref.net))
    theirs = _fitness(traces, pm_ref)
    assert ours == theirs
    assert ours[-1] < 1.0  # an activity the Soll does not know is never fitting
    assert ours.count(1.0) >= len(traces) // 2  # the playouts fit


def test_real_bpmn_loads_with_report_and_same_language():
    path = real_log("receipt_discovered.bpmn")
    model = load_bpmn(path)
    assert len(model.net.labels) == 27
    assert model.report.empty  # only tasks, exclusive gateways, start and end: all interpreted
    pm_ref = bridge.bpmn_to_net_with_pm4py(path)
    traces = _traces_from(pm_ref, sorted(model.net.labels), seed=3, n=40)
    assert _fitness(traces, bridge.to_pm4py_net(model.net)) == _fitness(traces, pm_ref)


def test_real_pnml_equals_pm4py_reader():
    path = real_log("road_traffic_fines_discovered.pnml")
    net, sha = load_pnml(path)
    pn, im, fm = bridge.read_pnml_with_pm4py(path)
    ref = bridge.from_pm4py_net(pn, im, fm)
    assert len(sha) == 64
    assert sorted(net.places) == list(ref.places)
    assert sorted((t.id, t.label or "") for t in net.transitions) == sorted((t.id, t.label or "")
                                                                            for t in ref.transitions)
    assert sorted(net.arcs) == list(ref.arcs)
    assert (net.initial, net.final) == (ref.initial, ref.final)


def test_unsupported_elements_are_reported_not_dropped(tmp_path):
    xml = """<?xml version="1.0"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <process id="p" name="Test">
    <startEvent id="s"/>
    <task id="a" name="Fall angelegt"/>
    <inclusiveGateway id="g"/>
    <task id="b" name="Meldung gesichtet"/>
    <task id="c" name="Zuständigkeit geprüft"/>
    <inclusiveGateway id="j"/>
    <dataObject id="data1" name="Akte"/>
    <boundaryEvent id="timer" name="Frist" attachedToRef="a"/>
    <endEvent id="e"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="a"/>
    <sequenceFlow id="f2" sourceRef="a" targetRef="g"/>
    <sequenceFlow id="f3" sourceRef="g" targetRef="b"/>
    <sequenceFlow id="f4" sourceRef="g" targetRef="c"/>
    <sequenceFlow id="f5" sourceRef="b" targetRef="j"/>
    <sequenceFlow id="f6" sourceRef="c" targetRef="j"/>
    <sequenceFlow id="f7" sourceRef="j" targetRef="e"/>
  </process>
</definitions>"""
    path = tmp_path / "m.bpmn"
    path.write_text(xml, encoding="utf-8")
    report = load_bpmn(path).report
    kinds = {(i.element_type, i.action) for i in report.items}
    assert ("inclusiveGateway", "approximated") in kinds
    assert ("dataObject", "ignored") in kinds
    assert ("boundaryEvent", "ignored") in kinds


def test_subprocess_is_flattened(tmp_path):
    xml = """<?xml version="1.0"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <process id="p">
    <startEvent id="s"/>
    <subProcess id="sp" name="Ermittlung">
      <startEvent id="s2"/><task id="x" name="Ermittlung abgeschlossen"/><endEvent id="e2"/>
      <sequenceFlow id="g1" sourceRef="s2" targetRef="x"/><sequenceFlow id="g2" sourceRef="x" targetRef="e2"/>
    </subProcess>
    <task id="y" name="Fall abgeschlossen"/>
    <endEvent id="e"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="sp"/>
    <sequenceFlow id="f2" sourceRef="sp" targetRef="y"/>
    <sequenceFlow id="f3" sourceRef="y" targetRef="e"/>
  </process>
</definitions>"""
    path = tmp_path / "sub.bpmn"
    path.write_text(xml, encoding="utf-8")
    model = load_bpmn(path)
    assert model.report.empty
    fit = _fitness([["Ermittlung abgeschlossen", "Fall abgeschlossen"], ["Fall abgeschlossen"]],
                   bridge.to_pm4py_net(model.net))
    assert fit[0] == 1.0 and fit[1] < 1.0


@pytest.mark.parametrize("content, key", [
    (b"<definitions/>", "not a BPMN"),
    (b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>", "refused"),
    (b"<definitions xmlns='http://www.omg.org/spec/BPMN/20100524/MODEL'><process id='p'>", "malformed XML"),
])
def test_bad_model_files_are_one_line_errors(tmp_path, content, key):
    path = tmp_path / "bad.bpmn"
    path.write_bytes(content)
    with pytest.raises(ModelError) as err:
        load_bpmn(path)
    assert key in err.value.render("en") and str(path) in err.value.render("en")


def test_rule_packs_load_and_name_model_activities():
    for path in sorted(MODELS.glob("*.rules.toml")):
        pack = load_rule_pack(path)
        assert pack.rules and pack.version and pack.valid_from is not None
        assert all(r.basis != "legal" or r.source for r in pack.rules)


@pytest.mark.parametrize("mutation, message", [
    (lambda r: r["rules"][0].update(kind="deadlin"), "kind"),
    (lambda r: r["rules"][0].update(to="IS-99"), "not a vocabulary activity"),
    (lambda r: r["rules"].append(dict(r["rules"][0])), "more than once"),
    (lambda r: r["rules"][0].update(within={"weeks": 1}), "within"),
    (lambda r: r["rules"][0].pop("source"), "names no legal source"),
    (lambda r: r["pack"].update(valid_to="2020-01-01"), "valid_to is before valid_from"),
    (lambda r: r["rules"][0].update(severity="critical"), "severity"),
])
def test_rule_pack_validation(mutation, message):
    raw = {"pack": {"id": "x", "process": "P1", "version": "1", "title": "t", "valid_from": "2025-01-01"},
           "rules": [{"id": "R1", "kind": "deadline", "title": "t", "from": "IS-09", "to": "IS-10",
                      "within": {"working_days": 1}, "basis": "legal", "source": "§ 11 IfSG",
                      "severity": "high"}]}
    rule_pack_from_dict(raw)  # valid as written
    mutation(raw)
    with pytest.raises(ConfigError) as err:
        rule_pack_from_dict(raw)
    assert message in err.value.render("en")
