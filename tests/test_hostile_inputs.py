"""The hostile-input corpus (``tests/hostile/corpus.py``: XXE, billion laughs, bombs, NUL bytes, ragged and
mis-encoded CSV, deep JSON, malformed bundles, OCEL, XES, BPMN and TOML, symbolic links, huge and hostile
labels, …) through the CLI, one input per case: a refused input ends with exit code 2, one line on
standard error, no traceback and nothing written; a valid but dirty one is imported with exit code 0, no
raw case id in any file written and no CSV cell a formula.
Every case within bounded time and memory, watched from outside the process that runs it."""

from __future__ import annotations

import csv
import io
import multiprocessing
import sys
import time
from pathlib import Path

import pytest
from conftest import TEST_KEY_TEXT

sys.path.insert(0, str(Path(__file__).parent / "hostile"))

from corpus import CASES, GOOD_CSV, PROFILE, Case, command, outputs_left, write_case  # noqa: E402
from worker import serve  # noqa: E402

#: Seconds one input may take (the slowest, a 5 MB label, takes a few on a laptop).
TIME_LIMIT = 90.0
#: Resident memory the process running the inputs may reach (pmtool itself takes about 400 MB).
MEMORY_LIMIT = 2 << 30
ENV = {"PMTOOL_PSEUDONYM_KEY": TEST_KEY_TEXT, "PMTOOL_LANG": "en"}


def _rss(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


class Runner:
    """The worker process (:mod:`worker`), restarted after an input killed it or ran too long."""

    def __init__(self) -> None:
        self.context = multiprocessing.get_context("spawn")
        self.process = None
        self.conn = None

    def _start(self) -> None:
        parent, child = self.context.Pipe()
        self.process = self.context.Process(target=serve, args=(child,), daemon=True)
        self.process.start()
        self.conn = parent
        assert parent.poll(300) and parent.recv() == "ready"

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.join()
            self.process = None

    def run(self, args: list[str], cwd: Path) -> dict:
        if self.process is None or not self.process.is_alive():
            self._start()
        self.conn.send((args, ENV, str(cwd)))
        start, peak = time.perf_counter(), 0
        while not self.conn.poll(0.05):
            peak = max(peak, _rss(self.process.pid) or 0)
            elapsed = time.perf_counter() - start
            if peak > MEMORY_LIMIT or elapsed > TIME_LIMIT or not self.process.is_alive():
                alive = self.process.is_alive()
                self.stop()
                return {"killed": f"rss {peak / 2**20:.0f} MB, {elapsed:.0f} s, "
                                  f"{'alive' if alive else 'died'}", "peak": peak}
        answer = self.conn.recv()
        answer["peak"] = max(peak, _rss(self.process.pid) or 0)
        return answer


@pytest.fixture(scope="module")
def runner():
    r = Runner()
    yield r
    if r.process is not None and r.process.is_alive():
        r.conn.send(None)
        r.process.join(10)
    r.stop()


@pytest.fixture(scope="module")
def canonical_log(tmp_path_factory, key) -> Path:
    """A small canonical log (for the Soll-model cases, which run pmtool conform)."""
    import tomllib

    from pmtool.ingest.output import write_ingest
    from pmtool.ingest.pipeline import ingest
    from pmtool.ingest.profile import profile_from_dict

    folder = tmp_path_factory.mktemp("log")
    export = folder / "GA-07_P3a.csv"
    export.write_bytes(GOOD_CSV)
    result = ingest(export, profile_from_dict(tomllib.loads(PROFILE)), key=key)
    return write_ingest(result, folder / "log", "GA-07_P3a").log


@pytest.fixture(scope="module")
def key():
    from pmtool.ingest.pseudonymise import PseudonymKey

    return PseudonymKey(TEST_KEY_TEXT.encode())


def test_the_corpus_is_large_and_covers_every_kind():
    assert len(CASES) >= 80 and sum(not c.pending for c in CASES) >= 80
    assert len({c.name for c in CASES}) == len(CASES)
    kinds = {c.kind for c in CASES}
    assert {"bombs", "xml", "encoding", "limits", "labels", "privacy", "filesystem", "counts"} <= kinds
    assert {c.command for c in CASES} == {"ingest", "conform", "compare", "run"}


def _param(case: Case):
    if case.pending.startswith("heavy:"):
        return pytest.param(case, id=case.name, marks=pytest.mark.skip(reason=case.pending))
    if case.pending:
        return pytest.param(case, id=case.name, marks=pytest.mark.xfail(reason=case.pending, strict=False))
    return pytest.param(case, id=case.name)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_hostile_input(case: Case, runner: Runner, canonical_log: Path, tmp_path: Path):
    write_case(case, tmp_path)
    answer = runner.run(command(case, tmp_path, canonical_log), tmp_path)
    assert "killed" not in answer, f"{case.name}: stopped from outside ({answer.get('killed')})"
    assert answer["exception"] is None, answer["exception"]
    stderr = answer["stderr"]
    assert "Traceback" not in stderr + answer["stdout"]
    assert "\x1b" not in stderr + answer["stdout"]
    assert answer["peak"] < MEMORY_LIMIT
    if case.expect == "refuse":
        assert answer["exit"] == 2, (answer["exit"], stderr, answer["stdout"][-2000:])
        lines = [line for line in stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("pmtool: "), stderr
        assert outputs_left(case, tmp_path) == []
    else:
        assert answer["exit"] == 0, (stderr, answer["stdout"][-2000:])
        written = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
        assert written
        for path in written:
            data = path.read_bytes()
            assert b"AZ-" not in data, f"{path.name}: a raw case id"  # every case id pseudonymised
            if path.suffix == ".csv":
                assert not _formula_cells(data.decode("utf-8-sig")), path.name


def _formula_cells(text: str) -> list[str]:
    """Cells a spreadsheet would run: starting with = + @ tab CR, or with - when they are not a number."""
    bad = []
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            if cell[:1] in ("=", "+", "@", "\t", "\r"):
                bad.append(cell)
            elif cell.startswith("-"):
                try:
                    float(cell)
                except ValueError:
                    bad.append(cell)
    return bad
