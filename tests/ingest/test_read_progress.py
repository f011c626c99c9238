"""Progress while a large export is read: the share of the file and the events so far move with the work
(not only at the end), on the ingest bar of pmtool run and on the bars of pmtool ingest and inspect — and
nothing of it reaches output that is not a terminal."""

from __future__ import annotations

import gzip
import io
import os
import pty
import select
import subprocess
import sys
import time

import pytest
from rich.console import Console
from typer.testing import CliRunner

import pmtool as pt
from pmtool.cli.app import app
from pmtool.cli.progress import READ_SHARE, ReadBars, StageBars
from pmtool.i18n import set_language
from pmtool.ingest import reading
from pmtool.ingest.readers import xes_plain
from pmtool.ingest.registry import read

TRACE = ('<trace><string key="concept:name" value="c{i}"/>'
         '<event><string key="concept:name" value="A"/><date key="time:timestamp" value="2024-05-01T10:00:00+02:00"/>'
         '</event><event><string key="concept:name" value="B"/>'
         '<date key="time:timestamp" value="2024-05-02T10:00:00+02:00"/></event></trace>\n')


def big_xes(path, traces=20_000, compressed=True):
    body = "".join(TRACE.format(i=i) for i in range(traces))
    data = f'<?xml version="1.0" encoding="UTF-8"?>\n<log>\n{body}</log>\n'.encode()
    path.write_bytes(gzip.compress(data) if compressed else data)
    return path


@pytest.mark.parametrize("compressed", [True, False])
@pytest.mark.parametrize("plain", [True, False], ids=["bulk reader", "element reader"])
def test_the_readers_report_the_share_read_and_the_events_as_they_go(tmp_path, monkeypatch, compressed, plain):
    monkeypatch.setattr(reading, "EVERY_SECONDS", 0.0)
    monkeypatch.setattr(xes_plain, "BLOCK_BYTES", 64 << 10)  # many blocks of a small file
    if not plain:
        monkeypatch.setattr(xes_plain, "read_plain", lambda path: None)
    path = big_xes(tmp_path / ("log.xes.gz" if compressed else "log.xes"), compressed=compressed)
    seen: list[reading.ReadProgress] = []
    with reading.observed(seen.append):
        table = read(path)
    ours = [p for p in seen if p.file == path.name]
    shares = [p.share for p in ours]
    assert len({round(s, 2) for s in shares}) > 3, shares  # it moved on the way, not only at the end
    assert shares == sorted(shares) and shares[-1] == 1.0 and ours[-1].total == path.stat().st_size
    events = [p.events for p in ours]
    assert events == sorted(events) and 0 < max(events) <= table.frame.height == 40_000
    assert any(0 < p.events < 40_000 for p in ours)  # counted on the way too
    with reading.observed(seen.append):
        pass
    seen.clear()
    read(path)  # nobody observes: nothing told
    assert seen == []


def test_the_run_ingest_bar_moves_while_an_export_is_read():
    set_language("en")
    project = pt.restrict(pt.demo_project(), processes=["P3a"], offices=["GA-01", "GA-02"])
    first = project.exports[0]
    item = f"{first.office} {first.process}"
    console = Console(file=io.StringIO(), force_terminal=True, width=160)
    with StageBars(project, console, enabled=True) as bars:
        bars("ingest", item)
        task = bars.bars.tasks[bars.tasks["ingest"]]
        weight = bars.weights[("ingest", item)]
        time.sleep(0.05)
        bars.reading(reading.ReadProgress(first.path.name, 50, 100, 1000))
        assert task.completed == pytest.approx(weight * READ_SHARE * 0.5)
        assert task.fields["rate"].endswith("events/s") and float(task.fields["rate"].split()[0].replace(",", "")) > 0
        bars.reading(reading.ReadProgress(first.path.name, 20, 100, 10))  # a reader starting over: no step back
        assert task.completed == pytest.approx(weight * READ_SHARE * 0.5)
        bars.finished("ingest", item, 1000)
        bars("conform", "P3a GA-01")
        bars.reading(reading.ReadProgress("other", 100, 100, 5))  # not while ingesting: ignored
        assert task.completed == weight


def test_ingest_and_inspect_in_a_pipe_print_no_progress(tmp_path):
    path = big_xes(tmp_path / "GA-01_P1.xes.gz", traces=2000)
    runner = CliRunner()
    for args in (["ingest", str(path), "--allow-identifiable", "--out", str(tmp_path / "out")],
                 ["inspect", str(path)]):
        said = runner.invoke(app, ["--lang", "en", *args])
        assert said.exit_code == 0, said.output
        assert "events/s" not in said.output and "\x1b" not in said.output and "\r" not in said.output
    console = Console(file=io.StringIO(), force_terminal=False)
    with ReadBars(console, enabled=False) as bars:
        read(path)
    assert bars.tasks == {}  # not even observed


def _on_a_terminal(args: list[str], cwd) -> str:
    """What a command prints on a pseudo-terminal (bars are drawn only there), escape sequences included."""
    main, child = pty.openpty()
    env = {**os.environ, "COLUMNS": "160", "TERM": "xterm", "PMTOOL_LANG": "en"}
    proc = subprocess.Popen([sys.executable, "-m", "pmtool", *args], stdin=child, stdout=child, stderr=child,
                            cwd=cwd, env=env, close_fds=True)
    os.close(child)
    out = b""
    while True:
        ready, _, _ = select.select([main], [], [], 120)
        if not ready:
            proc.kill()
            break
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=60)
    os.close(main)
    assert proc.returncode == 0, out.decode(errors="replace")
    return out.decode(errors="replace")


@pytest.mark.slow
def test_pmtool_ingest_on_a_terminal_shows_a_bar_that_moves(tmp_path):
    path = big_xes(tmp_path / "GA-01_P1.xes.gz", traces=150_000)
    shown = _on_a_terminal(["ingest", str(path), "--allow-identifiable", "--out", str(tmp_path / "out")], tmp_path)
    assert "GA-01_P1.xes.gz" in shown and "events/s" in shown and "1 log written" in shown
    percents = {int(p) for p in __import__("re").findall(r"(\d+)%", shown)}
    assert any(0 < p < 100 for p in percents), percents  # seen between start and end
