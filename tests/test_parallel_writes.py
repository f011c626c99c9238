"""Files written in several threads and figures drawn by several helper processes: the same files, the same
order of results and errors as one after the other."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from pmtool import graphviz
from pmtool.errors import InputError, Location, RenderError
from pmtool.graphviz import Drawings, concurrently, graphviz_available, run_dot
from pmtool.ingest.output import Weighted, write_atomically
from pmtool.sinks import spreadsheet_csv, write_spreadsheet_csv


def test_written_files_and_their_digests(tmp_path):
    texts = {tmp_path / "a" / f"file{i}.txt": f"line {i}\n" * (i * 1000 + 1) for i in range(6)}
    writers = {path: (lambda p, text=text: p.write_text(text, encoding="utf-8")) for path, text in texts.items()}
    digests = write_atomically(writers, digest=True)
    assert list(digests) == list(texts)
    for path, text in texts.items():
        data = path.read_bytes()
        assert data == text.encode("utf-8")
        assert digests[path] == (hashlib.sha256(data).hexdigest(), len(data))
    assert write_atomically({tmp_path / "b.txt": lambda p: p.write_text("b")}) == {}  # no digest asked for
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file() and p.name.endswith(".tmp")) == []


def test_the_first_failing_writer_in_order_is_named_and_nothing_is_written(tmp_path):
    def failing(name: str, delay: float):
        def write(path: Path) -> None:
            time.sleep(delay)  # the second writer fails first in time
            raise OSError(28, "No space left on device", name)
        return write

    writers = {tmp_path / "ok.txt": lambda p: p.write_text("ok"),
               tmp_path / "first.txt": failing("first.txt", 0.3),
               tmp_path / "second.txt": failing("second.txt", 0.0)}
    with pytest.raises(InputError) as caught:
        write_atomically(writers)
    assert caught.value.location == Location("first.txt")
    assert not any(tmp_path.iterdir())  # neither targets nor temporary files


def test_the_heaviest_files_are_started_first_and_the_results_keep_the_writers_order(tmp_path, monkeypatch):
    from pmtool.ingest import output

    monkeypatch.setattr(output, "WRITE_THREADS", 1 + 1)
    started: list[str] = []
    lock = threading.Lock()

    def writer(name: str) -> Callable[[Path], None]:
        def write(path: Path) -> None:
            with lock:
                started.append(name)
            time.sleep(0.05)
            path.write_text(name)
        return write

    weights = {"small.csv": 1, "large.csv": 100, "plain.txt": None, "middle.csv": 10}
    writers = {tmp_path / name: writer(name) if w is None else Weighted(writer(name), w)
               for name, w in weights.items()}
    digests = write_atomically(writers, digest=True)
    assert set(started[:2]) == {"large.csv", "middle.csv"} and set(started[2:]) == {"small.csv", "plain.txt"}
    assert list(digests) == list(writers)  # in the order asked for, not the order written
    assert all((tmp_path / name).read_text() == name for name in weights)


def test_a_spreadsheet_csv_written_to_a_file_is_the_same_bytes(tmp_path):
    frame = pl.DataFrame({"label": ["=1+1", "Ärger", None], "n": [-1, 2, 3],
                          "variant": [["=A", "B"], ["C"], []]})
    write_spreadsheet_csv(frame, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_bytes() == spreadsheet_csv(frame)
    assert spreadsheet_csv(frame).decode("utf-8").splitlines()[1] == "'=1+1,-1,'=A → B"


def test_tasks_run_at_once_and_keep_their_order_and_errors(monkeypatch):
    monkeypatch.setattr(graphviz, "ENGINES", 2)
    both = threading.Barrier(2, timeout=10)  # passes only when two tasks run at the same time

    def task(name: str) -> bytes:
        both.wait()
        if name == "bad":
            raise RenderError("render.dot_failed", Location(), reason="syntax error")
        return name.encode()

    results = concurrently({"bad": lambda: task("bad"), "good": lambda: task("good")})
    assert list(results) == ["bad", "good"]
    assert isinstance(results["bad"], RenderError) and results["good"] == b"good"


@pytest.mark.skipif(not graphviz_available(), reason="pygraphviz (Graphviz) is not installed")
def test_figures_drawn_at_once_are_the_same_bytes_as_one_after_the_other():
    sources = {f"g{i}": "digraph { " + " ".join(f'"n{j}" -> "n{j + 1}";' for j in range(i + 3)) + " }"
               for i in range(4)}
    one_by_one = {f"{name}.{fmt}": run_dot(source, fmt) for name, source in sources.items() for fmt in ("svg", "png")}
    tasks = {f"{name}.{fmt}": (lambda source=source, fmt=fmt: run_dot(source, fmt))
             for name, source in sources.items() for fmt in ("svg", "png")}
    assert concurrently(tasks) == one_by_one


def test_drawings_queued_ahead_run_in_their_order_and_leaving_drops_the_ones_not_started(monkeypatch):
    monkeypatch.setattr(graphviz, "ENGINES", 1)
    release = threading.Event()
    started: list[str] = []

    def task(name: str) -> bytes:
        started.append(name)
        if name == "first":
            assert release.wait(10)
        if name == "bad":
            raise RenderError("render.dot_failed", Location(), reason="syntax error")
        return name.encode()

    with Drawings() as drawings:
        first = drawings.queue({"first": lambda: task("first")})
        rest = drawings.queue({name: (lambda name=name: task(name)) for name in ("bad", "good")})
        release.set()
        assert first["first"].result() == b"first" and rest["good"].result() == b"good"
        assert isinstance(rest["bad"].result(), RenderError)
    assert started == ["first", "bad", "good"]
    with Drawings() as drawings:
        release.clear()
        waiting = drawings.queue({name: (lambda name=name: task(name)) for name in ("first", "never")})
        while "first" not in started[3:]:
            time.sleep(0.01)
        threading.Timer(0.2, release.set).start()
    assert waiting["never"].cancelled() and started[3:] == ["first"]
