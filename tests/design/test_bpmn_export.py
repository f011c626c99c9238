"""A Soll candidate as BPMN 2.0 with lanes and diagram interchange: it loads back with pmtool's loader with
the same language, every task lies in its role's lane, no two shapes overlap, a legally unsound candidate is
refused, and the file renders in bpmn-js (the renderer of bpmn.io) in headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

import pmtool as pt
from pmtool.conform.alignments import align_variants
from pmtool.design.scoring import variant_counts
from pmtool.errors import ModelError
from pmtool.models.bpmn import load_bpmn

from .test_design import unsound_p1

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC"}
BPMN_JS = "bpmn-js@17"


@pytest.fixture(scope="module")
def analysis():
    return pt.analyse(pt.restrict(pt.demo_project(), processes=["P1", "P3a"]), key=pt.demo_key())


@pytest.fixture(scope="module")
def design(analysis, tmp_path_factory):
    return pt.design_soll(analysis, edited={"P1": unsound_p1(tmp_path_factory.mktemp("edited"))}, workers=1)


def probes(variants: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """The log's variants and, for the first 40, each with two neighbours swapped or one event left out."""
    out = list(variants)
    for v in variants[:40]:
        for i in range(len(v) - 1):
            out.append(v[:i] + (v[i + 1], v[i]) + v[i + 2:])
            out.append(v[:i] + v[i + 1:])
    return list(dict.fromkeys(out))


def test_every_sound_candidate_loads_back_with_the_same_language(analysis, design, tmp_path):
    exported = 0
    for pid, pd_ in design.processes.items():
        variants = [tuple(v) for v in variant_counts(analysis.processes[pid].conformance.cases)["variant"]
                    .unique(maintain_order=True).to_list()]
        traces = probes(variants)
        for e in pd_.evaluations:
            if not e.sound:
                continue
            path = tmp_path / f"{pid}_{e.candidate.id.replace(':', '_')}.bpmn"
            pt.export_soll(design, process=pid, candidate=e.candidate.id, path=path)
            back = load_bpmn(path)
            assert back.report.empty, back.report
            assert back.net.labels == e.candidate.net.labels
            want = [a.fitness == 1.0 for a in align_variants(e.candidate.net, traces, workers=1)]
            got = [a.fitness == 1.0 for a in align_variants(back.net, traces, workers=1)]
            assert got == want, (pid, e.candidate.id)
            assert 0 < sum(want) < len(traces)  # the probes tell accepted and rejected traces apart
            # every task in the lane of the role that does it most often in the logs
            for label, lanes in back.roles.items():
                assert lanes == (pd_.roles[label],), (label, lanes)
            exported += 1
    assert exported >= 6


def test_full_diagram_interchange_without_overlaps(design, tmp_path):
    root = etree.fromstring(pt.export_soll(design, process="P1", candidate="soll"))
    process = root.find("bpmn:process", NS)
    nodes = [el.get("id") for el in process if etree.QName(el).localname not in ("laneSet", "sequenceFlow")]
    flows = [el.get("id") for el in process.findall("bpmn:sequenceFlow", NS)]
    lanes = [el.get("id") for el in process.iterfind(".//bpmn:lane", NS)]
    shapes = {s.get("bpmnElement"): s for s in root.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e for e in root.iterfind(".//bpmndi:BPMNEdge", NS)}
    assert set(shapes) == {*nodes, *lanes, "Participant_1"}
    assert set(edges) == set(flows) and all(len(e) >= 2 for e in edges.values())
    boxes = []
    for nid in nodes:
        b = shapes[nid].find("dc:Bounds", NS)
        boxes.append((nid, *(float(b.get(k)) for k in ("x", "y", "width", "height"))))
    for i, (a, ax, ay, aw, ah) in enumerate(boxes):
        for b, bx, by, bw, bh in boxes[i + 1:]:
            assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, (a, b)
    assert len(lanes) >= 5  # P1 is done by many roles


def test_an_unsound_candidate_is_not_exported(design):
    with pytest.raises(ModelError, match="P1-L-11-ORDER"):
        pt.export_soll(design, process="P1", candidate="edited")


def _bpmn_js() -> Path:
    """bpmn-js from npm in a cache folder outside the repository (installed on first use)."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("node/npm not found: cannot install bpmn-js")
    folder = Path(os.environ.get("PMTOOL_BPMNJS_DIR", Path.home() / ".cache" / "pmtool-tests" / "bpmn-js"))
    viewer = folder / "node_modules" / "bpmn-js" / "dist" / "bpmn-viewer.development.js"
    if not viewer.exists():
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["npm", "install", "--prefix", str(folder), "--no-audit", "--no-fund", BPMN_JS],
                              capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0 or not viewer.exists():
            pytest.skip(f"npm install {BPMN_JS} failed (offline?): {done.stderr.strip()[-200:]}")
    return viewer


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("Chromium not found (apt-get install chromium)")


def test_the_exported_soll_renders_in_bpmn_js(design, tmp_path):
    browser, viewer = _chromium(), _bpmn_js()
    data = pt.export_soll(design, process="P3a", candidate="consensus").decode("utf-8")
    page = tmp_path / "view.html"
    page.write_text(f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<style>html,body,#canvas{{margin:0;width:100%;height:100%;background:#fff}}</style>
<script src="{viewer.as_uri()}"></script></head><body><div id="canvas"></div><pre id="result">pending</pre>
<script>
const viewer = new BpmnJS({{container: '#canvas'}});
viewer.importXML({json.dumps(data)}).then(function (res) {{
  viewer.get('canvas').zoom('fit-viewport');
  const all = viewer.get('elementRegistry').getAll();
  const lanes = all.filter(e => e.type === 'bpmn:Lane').length;
  document.getElementById('result').textContent = 'RENDERED ' + all.length + ' LANES ' + lanes +
    ' WARNINGS ' + res.warnings.length;
}}).catch(function (err) {{ document.getElementById('result').textContent = 'FAILED ' + err.message; }});
</script></body></html>""", "utf-8")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
             "--virtual-time-budget=15000"]
    dom = subprocess.run([browser, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True,
                         timeout=180, check=False).stdout
    result = dom.split('id="result">', 1)[1].split("<", 1)[0] if 'id="result">' in dom else dom[-300:]
    assert result.startswith("RENDERED"), result
    words = result.split()
    root = etree.fromstring(data.encode())
    expected = len(root.find("bpmn:process", NS)) - 1 + len(root.findall(".//bpmn:lane", NS))
    assert int(words[1]) >= expected and int(words[3]) == len(root.findall(".//bpmn:lane", NS)) >= 3
    assert words[5] == "0", result
    shot = tmp_path / "soll.png"
    subprocess.run([browser, *flags, "--window-size=1400,700", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=180, check=False)
    from PIL import Image

    image = Image.open(shot).convert("L")
    dark = sum(1 for v in image.tobytes() if v < 128)
    assert dark > 2000, "the screenshot is (nearly) blank"
    keep = os.environ.get("PMTOOL_KEEP_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)


def test_the_report_gets_the_chapter_soll_design(analysis, design, tmp_path):
    pytest.importorskip("typst")
    files = pt.write_report(analysis, tmp_path, lang="de", formats=["html", "pdf"], design=design)
    page = files.html.read_text("utf-8")
    chapter = page.split('id="soll-design"', 1)[1].split('id="appendix"', 1)[0]
    assert "Ämterübergreifende Konformität" in chapter and "Entscheidungstabelle" in chapter
    assert "average linkage" in chapter and "abgelehnt" in chapter and "P1-L-11-ORDER" in chapter
    assert "<script" not in chapter
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(files.pdf)
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "Entscheidungstabelle" in text and "Ämterübergreifende Konformität" in text
    plain = pt.write_report(analysis, tmp_path / "plain", lang="de", formats=["html"])
    assert 'id="soll-design"' not in plain.html.read_text("utf-8")  # only when asked for
