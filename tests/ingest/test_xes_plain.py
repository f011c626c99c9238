"""Plainly written XES read in bulk gives exactly what the element-by-element reader gives; any other
file is left to that reader."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from pmtool.ingest.readers import xes, xes_plain
from pmtool.ingest.registry import ReadOptions

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1849-2016" xmlns="http://www.xes-standard.org/">\n'
        '  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>\n'
        '  <global scope="event"><string key="concept:name" value="UNKNOWN"/></global>\n'
        '  <string key="source" value="Fachanwendung"/>\n')
TAIL = "</log>\n"

PLAIN = {
    "one event per line": """  <trace>
    <string key="concept:name" value="A-1"/><string key="Kreis" value="Görlitz"/>
    <event><string key="concept:name" value="M"/><date key="time:timestamp" value="2025-03-30T01:59:59+01:00"/>
    <int key="n" value="3"/></event>
    <event><string key="concept:name" value="P"/><date key="time:timestamp" value="2025-03-30T03:00:00+02:00"/></event>
  </trace>
""",
    "one attribute per line, entities, an empty event, a repeated key": """  <trace>
    <event>
      <string key="concept:name" value="a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &amp;lt;"/>
      <string key="org:resource" value="x"/>
      <string key="org:resource" value="y" />
    </event>
    <event>
    </event>
    <string key="concept:name" value="late name"/>
  </trace>
  <trace>
    <string key="Kreis" value="Bautzen"/>
  </trace>
  <trace>
    <string key="concept:name" value="B-2"/>
    <event>
      <string key="case:note" value="event attribute named like a trace attribute"/>
      <float key="cost" value="NaN"/>
      <string key="cost" value="n/a"/>
      <boolean key="ok" value="true"/>
    </event>
  </trace>
""",
    "a trace attribute seen only on a trace without events": """  <trace>
    <string key="concept:name" value="A"/>
    <event><string key="concept:name" value="x"/></event>
  </trace>
  <trace><string key="only_here" value="1"/></trace>
  <trace>
    <string key="concept:name" value="C"/>
    <event><string key="concept:name" value="y"/></event>
  </trace>
""",
}

NOT_PLAIN = {
    "comment": '  <!-- a note --><trace><event><string key="concept:name" value="x"/></event></trace>\n',
    "nested attribute": ('  <trace><event><list key="l"><values><string key="a" value="1"/></values></list>'
                         '<string key="concept:name" value="x"/></event></trace>\n'),
    "value before key": '  <trace><event><string value="x" key="concept:name"/></event></trace>\n',
    "character reference": '  <trace><event><string key="concept:name" value="a&#10;b"/></event></trace>\n',
    "event outside a trace": ('  <event><string key="concept:name" value="stray"/></event>\n'
                              '  <trace><event><string key="concept:name" value="x"/></event></trace>\n'),
    "tab inside a value": '  <trace><event><string key="concept:name" value="a\tb"/></event></trace>\n',
    "trace with an attribute": '  <trace id="1"><event><string key="concept:name" value="x"/></event></trace>\n',
    "not well-formed": '  <trace><event><string key="concept:name" value="a & b"/></event></trace>\n',
}


def _write(tmp_path: Path, body: str, gz: bool = False) -> Path:
    data = (HEAD + body + TAIL).encode("utf-8")
    path = tmp_path / ("log.xes.gz" if gz else "log.xes")
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def _element_by_element(path: Path, monkeypatch: pytest.MonkeyPatch):
    with monkeypatch.context() as m:
        m.setattr(xes_plain, "read_plain", lambda _path: None)
        return xes.read_xes(path, ReadOptions())


def _assert_same(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert xes_plain.read_plain(path) is not None
    bulk = xes.read_xes(path, ReadOptions())
    single = _element_by_element(path, monkeypatch)
    assert bulk.frame.columns == single.frame.columns
    assert bulk.frame.equals(single.frame, null_equal=True)
    assert bulk.details == single.details


@pytest.mark.parametrize("body", list(PLAIN.values()), ids=list(PLAIN))
@pytest.mark.parametrize("gz", [False, True], ids=["xes", "xes.gz"])
def test_plain_files_read_in_bulk_give_the_same_table(tmp_path, monkeypatch, body, gz):
    path = _write(tmp_path, body, gz)
    _assert_same(path, monkeypatch)


def test_bulk_reading_spans_blocks_and_chunks(tmp_path, monkeypatch):
    traces = "".join(f'  <trace><string key="concept:name" value="c{i}"/>'
                     + (f'<string key="extra{i // 700}" value="v"/>' if i % 350 == 0 else "")
                     + "".join(f'<event><string key="concept:name" value="a{j}"/>'
                               + (f'<string key="late{i // 900}" value="{i}"/>' if j == 1 else "") + "</event>"
                               for j in range(3)) + "</trace>\n" for i in range(3000))
    path = _write(tmp_path, traces)
    monkeypatch.setattr(xes_plain, "BLOCK_BYTES", 20_000)
    monkeypatch.setattr(xes, "_CHUNK_EVENTS", 1_000)
    monkeypatch.setattr(xes_plain, "_CHUNK_EVENTS", 1_000)
    _assert_same(path, monkeypatch)


@pytest.mark.parametrize("body", list(NOT_PLAIN.values()), ids=list(NOT_PLAIN))
def test_other_files_are_left_to_the_element_by_element_reader(tmp_path, body):
    assert xes_plain.read_plain(_write(tmp_path, body)) is None


def test_an_export_read_in_many_blocks_imports_as_read_in_one(tmp_path, monkeypatch, key):
    """The import takes the reader's table in one chunk per column, whatever blocks the reader read: the log,
    quarantine and summary are the same as from a table read at once."""
    from pmtool.ingest.pipeline import ingest

    untimed = '<event><string key="concept:name" value="x"/></event>'  # quarantined: no time
    traces = "".join(f'  <trace><string key="concept:name" value="c{i}"/>'
                     + "".join(f'<event><string key="concept:name" value="{"Meldung eingegangen" if j else "x"}"/>'
                               f'<date key="time:timestamp" value="2025-03-{1 + j + i % 20:02d}T10:00:00+01:00"/>'
                               f'<string key="org:resource" value="r{i % 7}"/></event>'
                               for j in range(3)) + (untimed if i % 50 == 0 else "") + "</trace>\n"
                     for i in range(2000))
    path = _write(tmp_path, traces)
    once = ingest(path, office="GA-01", key=key)
    monkeypatch.setattr(xes_plain, "BLOCK_BYTES", 20_000)
    assert xes_plain.read_plain(path) is not None
    assert max(xes.read_xes(path, ReadOptions()).frame.n_chunks("all")) > 5  # the table comes in blocks
    blocks = ingest(path, office="GA-01", key=key)
    assert blocks.log.frame.equals(once.log.frame, null_equal=True)
    assert blocks.quarantine.equals(once.quarantine, null_equal=True)
    assert blocks.summary == once.summary
    assert once.summary.rows_quarantined > 0 and once.summary.rows_loaded > 4000
