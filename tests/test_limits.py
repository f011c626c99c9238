"""Decompression bombs, deep JSON and oversized Soll models end in one line naming the limit and how to raise
it — quickly, without a crash. The bombs are made here, small on disk."""

from __future__ import annotations

import gzip
import io
import time
import zipfile

import pytest
from test_results_folder import one_line_exit_2, run
from test_strict_settings import project_file

from pmtool import limits
from pmtool.errors import ModelError
from pmtool.models.reference import load_reference

BOMB_MB = 64  # inflated size of each bomb; the tests set the limit to 16 MB


def _bomb(tmp_path, monkeypatch, name: str, data: bytes, *args: str):
    path = tmp_path / name
    path.write_bytes(data)
    assert path.stat().st_size < 1 << 20  # small on disk
    monkeypatch.setenv("PMTOOL_MAX_DECOMPRESSED_MB", "16")
    started = time.perf_counter()
    line = one_line_exit_2(run("ingest", str(path), "--office", "GA-01", "--out", str(tmp_path / "out"), *args))
    assert time.perf_counter() - started < 60
    assert "decompressed_mb = 16" in line and "PMTOOL_MAX_DECOMPRESSED_MB" in line and name in line, line
    assert not (tmp_path / "out").exists()


def _xlsx(sheet: bytes, extra_entries: int = 0) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org'
                         '/package/2006/content-types"/>')
        archive.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
                         'spreadsheetml/2006/main"><sheets><sheet name="A" sheetId="1" r:id="rId1"/></sheets>'
                         "</workbook>")
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        for i in range(extra_entries):
            archive.writestr(f"xl/media/image{i}.png", b"x")
    return buffer.getvalue()


def test_an_xlsx_bomb_is_refused_at_the_limit(tmp_path, monkeypatch):
    sheet = b'<?xml version="1.0"?><worksheet><sheetData>' + b" " * (BOMB_MB << 20) + b"</sheetData></worksheet>"
    _bomb(tmp_path, monkeypatch, "GA-01_P3a.xlsx", _xlsx(sheet))


def test_an_xlsx_with_too_many_entries_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "GA-01_P3a.xlsx"
    path.write_bytes(_xlsx(b"<worksheet/>", extra_entries=50))
    monkeypatch.setenv("PMTOOL_MAX_ARCHIVE_ENTRIES", "20")
    line = one_line_exit_2(run("ingest", str(path), "--office", "GA-01", "--out", str(tmp_path / "out")))
    assert "archive_entries = 20" in line and "53" in line


def test_an_xes_gz_bomb_is_refused_at_the_limit(tmp_path, monkeypatch):
    xes = b'<?xml version="1.0"?><log xes.version="1.0">' + b"<trace></trace>" * (BOMB_MB << 16) + b"</log>"
    _bomb(tmp_path, monkeypatch, "GA-01_P3a.xes.gz", gzip.compress(xes, compresslevel=9))


def test_an_ocel_json_gz_bomb_is_refused_at_the_limit(tmp_path, monkeypatch):
    ocel = b'{"ocel:events": {},' + b" " * (BOMB_MB << 20) + b'"ocel:objects": {}}'
    _bomb(tmp_path, monkeypatch, "GA-01_P3a.jsonocel.gz", gzip.compress(ocel, compresslevel=9), "--format",
          "ocel-json")


def test_a_wrong_limit_in_the_environment_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("PMTOOL_MAX_JSON_DEPTH", "many")
    path = tmp_path / "GA-01_P3a.jsonocel"
    path.write_text('{"ocel:events": {}}', encoding="utf-8")
    assert "PMTOOL_MAX_JSON_DEPTH" in one_line_exit_2(run("ingest", str(path), "--office", "GA-01", "--out",
                                                          str(tmp_path / "out")))


def _bpmn(tasks: int, parallel: bool) -> str:
    nodes, flows = ['<startEvent id="s"/>', '<endEvent id="e"/>'], []
    if parallel:
        nodes += ['<parallelGateway id="g1"/>', '<parallelGateway id="g2"/>']
        flows += ['<sequenceFlow id="fs" sourceRef="s" targetRef="g1"/>',
                  '<sequenceFlow id="fe" sourceRef="g2" targetRef="e"/>']
        for i in range(tasks):
            nodes.append(f'<task id="t{i}" name="Task {i}"/>')
            flows += [f'<sequenceFlow id="a{i}" sourceRef="g1" targetRef="t{i}"/>',
                      f'<sequenceFlow id="b{i}" sourceRef="t{i}" targetRef="g2"/>']
    else:
        previous = "s"
        for i in range(tasks):
            nodes.append(f'<task id="t{i}" name="Task {i}"/>')
            flows.append(f'<sequenceFlow id="f{i}" sourceRef="{previous}" targetRef="t{i}"/>')
            previous = f"t{i}"
        flows.append(f'<sequenceFlow id="fe" sourceRef="{previous}" targetRef="e"/>')
    return ('<?xml version="1.0" encoding="UTF-8"?><definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            'id="d"><process id="p" name="P">' + "".join(nodes) + "".join(flows) + "</process></definitions>")


@pytest.mark.parametrize(("tasks", "parallel", "limit"), [(10_000, False, "model_tasks"),
                                                          (40, True, "state_space")])
def test_an_oversized_soll_model_is_refused_quickly(tmp_path, tasks, parallel, limit):
    path = tmp_path / "big.bpmn"
    path.write_text(_bpmn(tasks, parallel), encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(ModelError) as caught:
        load_reference(path)
    assert time.perf_counter() - started < 60
    assert limit in caught.value.render("en") and limits.ENV[limit] in caught.value.render("en")


def test_a_moderate_parallel_model_stays_within_the_limits(tmp_path):
    path = tmp_path / "twelve.bpmn"
    path.write_text(_bpmn(12, True), encoding="utf-8")
    assert len(load_reference(path).net.transitions) >= 12  # 4,098 states: far below the limit


def test_the_project_file_sets_the_limits(tmp_path):
    project = project_file(tmp_path, tail="[limits]\nmodel_tasks = 5")
    line = one_line_exit_2(run("run", "--project", str(project), "--quiet"))
    assert "model_tasks = 5" in line


def test_a_worker_is_planned_by_its_largest_import_or_office(tmp_path):
    """memory_mb plans a worker by the larger of 12 bytes per byte on disk and the import's expected peak: a
    compressed XES export needs far more per byte than a CSV export of the same size."""
    from pmtool import limits

    (tmp_path / "a.csv").write_bytes(b"x" * 2**20)
    (tmp_path / "a.xes.gz").write_bytes(b"x" * 2**20)
    assert limits.worker_need(tmp_path / "a.csv") == 12 * 2**20
    assert limits.worker_need(tmp_path / "a.xes.gz") == 56 * 2**20
    assert limits.worker_need(tmp_path / "missing.csv") == 0
    with limits.configured({"memory_mb": 2 * (300 + 12) * 2}):  # half for the run: two workers of a 1 MiB CSV
        assert limits.planned_workers(2, limits.worker_need(tmp_path / "a.csv")) == 2
        assert limits.planned_workers(2, limits.worker_need(tmp_path / "a.xes.gz")) == 1
