"""The Soll reference models in pmtool/reference_models/ are well-formed BPMN 2.0 and encode the Soll sequences.

The activity names below are copied from the canonical vocabulary in the domain brief
(shared/docs/domain.md, section 7 (a)); they are the `concept:name` values the event logs use, so a
renamed task would silently break conformance checking.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from lxml import etree

# pm4py's alignment code still builds numpy.matrix objects; that noise is not about our models
pytestmark = pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")

MODEL_DIR = Path(__file__).resolve().parents[2] / "pmtool" / "reference_models"

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI}

P1 = "P1_meldefallbearbeitung.bpmn"
P2 = "P2_ausbruchsmanagement.bpmn"
P3A = "P3a_belehrung_43.bpmn"

# Vocabulary ID -> canonical activity name, per model (domain.md section 7 (a)).
EXPECTED_ACTIVITIES: dict[str, dict[str, str]] = {
    P1: {
        "IS-01": "Meldung eingegangen",
        "IS-02": "Meldung gesichtet",
        "IS-03": "Zuständigkeit geprüft",
        "IS-04": "Meldung einem Fall zugeordnet",
        "IS-05": "Fall angelegt",
        "IS-06": "Fall priorisiert (ärztliche Erstbewertung)",
        "IS-07": "Ermittlung begonnen (Erstkontakt Betroffene/r)",
        "IS-08": "Ermittlung abgeschlossen",
        "IS-09": "Falldefinition bewertet",
        "IS-10": "Fall an Landesstelle übermittelt",
        "IS-11": "Fall an RKI weitergeleitet",
        "IS-12": "Kontaktpersonen ermittelt",
        "IS-13": "Kontaktperson informiert/beraten",
        "IS-14": "Schutzmaßnahme mündlich angeordnet",
        "IS-15": "Bescheid erstellt",
        "IS-16": "Bescheid gezeichnet",
        "IS-17": "Bescheid versandt",
        "IS-18": "Probenahme veranlasst",
        "IS-19": "Probe an LUA versandt",
        "IS-20": "Probe bei LUA eingegangen",
        "IS-21": "Befund erstellt (LUA)",
        "IS-22": "Befund bewertet",
        "IS-23": "Fall aktualisiert / Korrektur übermittelt",
        "IS-24": "Maßnahme aufgehoben / Wiederzulassung",
        "IS-25": "Fall abgeschlossen",
        "IS-26": "Akte in E-Akte abgelegt",
    },
    P2: {
        "AB-01": "Signal erkannt",
        "AB-02": "Ausbruch bestätigt",
        "AB-03": "Ausbruch angelegt (Ausbruchsdatensatz)",
        "AB-04": "Ausbruchsteam gebildet / Teamsitzung",
        "AB-05": "Einrichtung informiert / Begehung vor Ort",
        "AB-06": "Diagnose gesichert (Proben an LUA)",
        "AB-07": "Ausbruchsfalldefinition festgelegt",
        "AB-08": "Aktive Fallsuche",
        "AB-09": "Linelist / Epikurve erstellt",
        "AB-10": "Hypothese entwickelt",
        "AB-11": "Hypothese geprüft (Studie, Lebensmittel-/Umweltproben)",
        "AB-12": "Kontrollmaßnahmen angeordnet",
        "AB-13": "Fälle dem Ausbruch zugeordnet",
        "AB-14": "Ausbruch an Landesstelle übermittelt",
        "AB-15": "Kommunikation (Einrichtung, Öffentlichkeit, SMS/LUA)",
        "AB-16": "Ausbruch für beendet erklärt",
        "AB-17": "Abschlussbericht erstellt",
        "AB-18": "Ausbruch abgeschlossen / archiviert",
    },
    P3A: {
        "BL-01": "Termin gebucht (online/telefonisch)",
        "BL-02": "Identität geprüft",
        "BL-03": "Gebührenbefreiung geprüft",
        "BL-04": "Belehrung durchgeführt (Präsenz/Video/online)",
        "BL-05": "Verständnis geprüft (Gespräch/Test)",
        "BL-06": "Erklärung unterschrieben",
        "BL-07": "Bescheinigung ausgestellt",
        "BL-08": "Gebühr erhoben / Zahlung eingegangen",
        "BL-09": "Zweitschrift ausgestellt",
    },
}

# Lanes are roles (domain.md section 2.7 and the role column of section 7 (a)).
EXPECTED_LANES: dict[str, set[str]] = {
    P1: {"LUA Landesstelle", "System", "Sachbearbeitung", "Amtsärztin/Amtsarzt",
         "Ärztin/Arzt Infektionsschutz", "Hygienekontrolleur/in", "LUA Labor", "MFA"},
    P2: {"System", "Amtsärztin/Amtsarzt", "Ärztin/Arzt Infektionsschutz", "Hygienekontrolleur/in",
         "Ausbruchsteam", "Sachbearbeitung"},
    P3A: {"Bürger/in", "Sachbearbeitung", "Ärztin/Arzt Infektionsschutz", "Kasse"},
}

FLOW_NODE_TAGS = ("task", "serviceTask", "userTask", "manualTask", "sendTask", "receiveTask", "scriptTask",
                  "businessRuleTask", "startEvent", "endEvent", "intermediateCatchEvent",
                  "intermediateThrowEvent", "exclusiveGateway", "parallelGateway", "inclusiveGateway",
                  "eventBasedGateway", "subProcess", "callActivity")
TASK_TAGS = ("task", "serviceTask", "userTask", "manualTask", "sendTask", "receiveTask", "scriptTask",
             "businessRuleTask")

MODELS = list(EXPECTED_ACTIVITIES)


def _tree(model: str) -> etree._ElementTree:
    return etree.parse(str(MODEL_DIR / model))


def _all(root: etree._Element, tags: tuple[str, ...]) -> list[etree._Element]:
    return [el for tag in tags for el in root.iter(f"{{{BPMN}}}{tag}")]


def _trace(model: str, numbers: str) -> list[str]:
    """'01 05' -> canonical names of IS-01, IS-05 (or AB-/BL-, after the model's vocabulary prefix)."""
    prefix = next(iter(EXPECTED_ACTIVITIES[model]))[:3]
    return [EXPECTED_ACTIVITIES[model][prefix + n] for n in numbers.split()]


# ------------------------------------------------------------------------------------------ structure


@pytest.mark.parametrize("model", MODELS)
def test_file_is_bpmn_with_one_pool_and_one_process(model: str) -> None:
    root = _tree(model).getroot()
    assert root.tag == f"{{{BPMN}}}definitions"
    processes = root.findall("bpmn:process", NS)
    assert len(processes) == 1, "one process per file, so conformance can flatten it"
    participants = root.findall("bpmn:collaboration/bpmn:participant", NS)
    assert len(participants) == 1
    assert participants[0].get("name") == "Gesundheitsamt"
    assert participants[0].get("processRef") == processes[0].get("id")
    assert processes[0].get("isExecutable") == "false"


@pytest.mark.parametrize("model", MODELS)
def test_tasks_carry_canonical_names_and_vocabulary_ids(model: str) -> None:
    root = _tree(model).getroot()
    expected = EXPECTED_ACTIVITIES[model]
    seen: dict[str, str] = {}
    for task in _all(root, TASK_TAGS):
        name, tid = task.get("name"), task.get("id")
        assert name in expected.values(), f"{tid}: {name!r} is not a canonical activity of {model}"
        docs = task.findall("bpmn:documentation", NS)
        assert docs, f"{tid} has no documentation"
        vocab_id = docs[0].text.split(" ", 1)[0]
        assert expected.get(vocab_id) == name, f"{tid}: documentation names {vocab_id}, task is {name!r}"
        stem = vocab_id.replace("-", "_")
        assert tid == stem or tid.startswith(stem + "_"), f"element id {tid} does not carry {vocab_id}"
        seen[vocab_id] = name
    assert seen == expected, "every activity of the Soll appears as a task"


@pytest.mark.parametrize("model", MODELS)
def test_every_flow_node_is_in_exactly_one_lane(model: str) -> None:
    root = _tree(model).getroot()
    node_ids = {el.get("id") for el in _all(root, FLOW_NODE_TAGS)}
    lanes = root.findall(".//bpmn:laneSet/bpmn:lane", NS)
    assert {ln.get("name") for ln in lanes} == EXPECTED_LANES[model]
    refs = [ref.text for ln in lanes for ref in ln.findall("bpmn:flowNodeRef", NS)]
    assert sorted(refs) == sorted(node_ids)
    assert len(refs) == len(set(refs))


@pytest.mark.parametrize("model", MODELS)
def test_sequence_flows_are_wired_both_ways(model: str) -> None:
    root = _tree(model).getroot()
    nodes = {el.get("id"): el for el in _all(root, FLOW_NODE_TAGS)}
    flows = root.findall(".//bpmn:sequenceFlow", NS)
    for f in flows:
        fid, src, tgt = f.get("id"), f.get("sourceRef"), f.get("targetRef")
        assert src in nodes and tgt in nodes, fid
        assert fid in [o.text for o in nodes[src].findall("bpmn:outgoing", NS)], fid
        assert fid in [i.text for i in nodes[tgt].findall("bpmn:incoming", NS)], fid
    flow_ids = {f.get("id") for f in flows}
    for nid, el in nodes.items():
        refs = [r.text for r in el.findall("bpmn:incoming", NS) + el.findall("bpmn:outgoing", NS)]
        assert set(refs) <= flow_ids, nid
        if not el.tag.endswith("startEvent"):
            assert el.findall("bpmn:incoming", NS), f"{nid} has no incoming flow"
        if not el.tag.endswith("endEvent"):
            assert el.findall("bpmn:outgoing", NS), f"{nid} has no outgoing flow"


@pytest.mark.parametrize("model", MODELS)
def test_gateways_are_split_or_join_never_both(model: str) -> None:
    root = _tree(model).getroot()
    for gw in _all(root, ("exclusiveGateway", "parallelGateway")):
        n_in = len(gw.findall("bpmn:incoming", NS))
        n_out = len(gw.findall("bpmn:outgoing", NS))
        assert (n_in, n_out) != (1, 1) and min(n_in, n_out) == 1, gw.get("id")


@pytest.mark.parametrize("model", MODELS)
def test_diagram_covers_every_element_without_overlaps(model: str) -> None:
    root = _tree(model).getroot()
    shapes = {s.get("bpmnElement"): s for s in root.iter(f"{{{BPMNDI}}}BPMNShape")}
    edges = {e.get("bpmnElement"): e for e in root.iter(f"{{{BPMNDI}}}BPMNEdge")}
    pool = root.find("bpmn:collaboration/bpmn:participant", NS).get("id")
    lanes = [ln.get("id") for ln in root.iterfind(".//bpmn:lane", NS)]
    for lid in [pool, *lanes]:
        assert lid in shapes, f"no BPMNShape for {lid}"
        assert shapes[lid].get("isHorizontal") == "true", lid
    boxes = {}
    for el in _all(root, FLOW_NODE_TAGS):
        assert el.get("id") in shapes, f"no BPMNShape for {el.get('id')}"
        b = shapes[el.get("id")].find("dc:Bounds", NS)
        boxes[el.get("id")] = tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))
    for f in root.iterfind(".//bpmn:sequenceFlow", NS):
        assert f.get("id") in edges, f"no BPMNEdge for {f.get('id')}"
        points = edges[f.get("id")].findall("di:waypoint", NS)
        assert len(points) >= 2
        xy = [(float(p.get("x")), float(p.get("y"))) for p in points]
        for (x1, y1), (x2, y2) in zip(xy, xy[1:], strict=False):
            assert x1 == x2 or y1 == y2, f"{f.get('id')} has a diagonal segment"
    items = sorted(boxes.items())
    for i, (a, (ax, ay, aw, ah)) in enumerate(items):
        for b, (bx, by, bw, bh) in items[i + 1:]:
            overlap = ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah
            assert not overlap, f"shapes {a} and {b} overlap"
    # every flow node is drawn inside the lane that lists it
    lane_box = {
        ln.get("id"): tuple(float(shapes[ln.get("id")].find("dc:Bounds", NS).get(k))
                            for k in ("x", "y", "width", "height"))
        for ln in root.iterfind(".//bpmn:lane", NS)
    }
    for ln in root.iterfind(".//bpmn:lane", NS):
        lx, ly, lw, lh = lane_box[ln.get("id")]
        for ref in ln.findall("bpmn:flowNodeRef", NS):
            x, y, w, h = boxes[ref.text]
            inside = lx <= x and x + w <= lx + lw and ly <= y and y + h <= ly + lh
            assert inside, f"{ref.text} is drawn outside its lane"


# ---------------------------------------------------------------------------------------------- replay


@cache
def _petri_net(model: str):
    pm4py = pytest.importorskip("pm4py")
    bpmn = pm4py.read_bpmn(str(MODEL_DIR / model))
    return pm4py.convert_to_petri_net(bpmn)


def _fitness(model: str, trace: list[str]) -> float:
    import pandas as pd
    import pm4py

    net, im, fm = _petri_net(model)
    start = pd.Timestamp("2025-03-03 08:00")
    frame = pd.DataFrame(
        {"case": "c1", "activity": a, "time": start + pd.Timedelta(hours=i)} for i, a in enumerate(trace)
    )
    log = pm4py.format_dataframe(frame, case_id="case", activity_key="activity", timestamp_key="time")
    # average_trace_fitness is exactly 1.0 for a perfectly fitting trace; log_fitness also counts the
    # (tiny) cost of silent gateway transitions and so stays just below 1.0
    return pm4py.fitness_alignments(log, net, im, fm)["average_trace_fitness"]


@pytest.mark.parametrize("model", MODELS)
def test_petri_net_has_one_visible_transition_per_activity(model: str) -> None:
    net, im, fm = _petri_net(model)
    labels = {t.label for t in net.transitions if t.label is not None}
    assert labels == set(EXPECTED_ACTIVITIES[model].values())
    assert len(im) == 1 and len(fm) == 1


# Traces as vocabulary numbers of the model: "01 02 05" in P1 means IS-01, IS-02, IS-05.
SOLL_TRACES = [
    pytest.param(P1, "01 02 03 05 06 07 12 13 14 15 16 17 18 19 20 21 22 08 09 10 11 23 24 25 26",
                 id="P1-happy-path-with-contact-management"),
    pytest.param(P1, "01 02 03 05 07 08 09 10 11 25 26", id="P1-without-contact-management"),
    pytest.param(P1, "01 02 03 04 06 07 18 12 14 19 13 15 20 16 21 17 22 08 09 10 11 23 23 25 26",
                 id="P1-interleaved-branches-two-corrections"),
    pytest.param(P1, "01 02 03 05 09 07 14 15 16 17 08 10 11 24 25 26", id="P1-case-definition-before-08"),
    pytest.param(P2, "01 02 03 04 05 06 07 08 09 10 11 12 13 09 14 15 16 17 18", id="P2-happy-path"),
    pytest.param(P2, "01 02 03 04 06 05 07 08 09 12 10 13 09 14 13 09 14 15 16 17 18",
                 id="P2-measures-before-hypothesis-two-updates"),
    pytest.param(P3A, "01 02 03 04 05 06 07 08", id="P3a-fee-after-certificate"),
    pytest.param(P3A, "01 02 03 08 04 05 06 07 09", id="P3a-prepaid-with-duplicate"),
    pytest.param(P3A, "01 02 03 04 05 06 07", id="P3a-fee-exempt"),
]

BROKEN_TRACES = [
    pytest.param(P1, "01 02 03 05 07 08 10 11 25 26", id="P1-case-definition-skipped"),
    pytest.param(P1, "01 02 03 05 07 08 10 09 11 25 26", id="P1-transmitted-before-case-definition"),
    pytest.param(P1, "01 02 03 05 07 14 15 17 08 09 10 11 25 26", id="P1-order-not-signed"),
    pytest.param(P1, "01 02 03 05 07 08 09 10 11 26", id="P1-case-never-closed"),
    pytest.param(P1, "01 02 03 05 04 07 08 09 10 11 25 26", id="P1-duplicate-case-then-linked"),
    pytest.param(P2, "01 02 03 04 05 06 07 08 09 10 12 15 16 17 18", id="P2-outbreak-never-transmitted"),
    pytest.param(P2, "01 02 03 04 05 06 07 08 09 10 12 13 09 14 15 16 18", id="P2-no-final-report"),
    pytest.param(P3A, "01 02 03 04 05 07 08", id="P3a-declaration-missing"),
    pytest.param(P3A, "01 02 03 04 07 05 06 08", id="P3a-certificate-before-check"),
]


@pytest.mark.parametrize(("model", "numbers"), SOLL_TRACES)
def test_soll_traces_fit_perfectly(model: str, numbers: str) -> None:
    assert _fitness(model, _trace(model, numbers)) == 1.0


@pytest.mark.parametrize(("model", "numbers"), BROKEN_TRACES)
def test_broken_traces_do_not_fit(model: str, numbers: str) -> None:
    assert _fitness(model, _trace(model, numbers)) < 1.0


def test_no_show_is_a_deviation_not_part_of_the_soll() -> None:
    no_show = "Termin nicht wahrgenommen / umgebucht"  # BL-90
    trace = _trace(P3A, "01") + [no_show] + _trace(P3A, "01 02 03 04 05 06 07 08")
    assert _fitness(P3A, trace) < 1.0
