"""Ctrl-C (SIGINT) stops pmtool run promptly, with its worker processes and helpers, leaving the results
folder as the last complete run left it, and says so in one line with exit code 130."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import TEST_KEY_TEXT
from test_run import files_of, make_project, run

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

# Loaded by every Python process of the run (PYTHONPATH): the process that serves the kind of work under test
# notes its process id, then holds its first piece of work for ten minutes, as a large office would.
_SLOW = """
import os
which = os.environ.get("PMTOOL_TEST_SLOW")
if which:
    import time
    from pathlib import Path
    import importlib
    module = importlib.import_module({"pool": "pmtool.cluster", "alignment": "pmtool.conform.workers",
                                      "graphviz": "pmtool.dot_worker"}[which])
    original = module.serve

    def serve(*args):
        (Path(os.environ["PMTOOL_TEST_MARKS"]) / str(os.getpid())).write_text(which)
        time.sleep(600)
        return original(*args)

    module.serve = serve
"""

# The run as `pmtool run` starts it, with the worker processes used on the small project.
_MAIN = """
import sys
import pmtool.analysis
import pmtool.conform.alignments
if {which!r} == "pool":
    pmtool.analysis.PARALLEL_FROM = 0  # the project is small: use the worker processes anyway
if {which!r} == "alignment":
    pmtool.conform.alignments.PARALLEL_MIN_VARIANTS = 0  # align in worker processes, a variant a batch
    pmtool.conform.alignments.CHUNK = 1
from pmtool.cli.app import app
sys.argv = ["pmtool", "--lang", "en", "run", "--project", {project!r}, "--no-cache"]
app()
"""


@pytest.fixture(scope="module")
def complete_run(tmp_path_factory) -> Path:
    """A project folder after one complete run (copied by each test)."""
    project = make_project(tmp_path_factory.mktemp("complete"))
    result = run("run", "--project", str(project), "--quiet")
    assert result.exit_code == 0, result.output
    return project.parent


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


@pytest.mark.parametrize(("which", "inherited"), [
    ("pool", "default"),  # Ctrl-C in a terminal
    ("pool", "ignored"),  # `pmtool run … &` from a script: the shell starts it with SIGINT ignored
    ("alignment", "default"),
    ("graphviz", "default"),
])
def test_sigint_stops_the_run_and_its_workers_and_leaves_the_last_results(complete_run, tmp_path, which,
                                                                          inherited):
    folder = tmp_path / "project"
    shutil.copytree(complete_run, folder)
    before = files_of(folder / "results")
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(textwrap.dedent(_SLOW), "utf-8")
    marks = tmp_path / "marks"
    marks.mkdir()
    spool = tmp_path / "tmp"
    spool.mkdir()
    env = {**os.environ, "PMTOOL_PSEUDONYM_KEY": TEST_KEY_TEXT, "PMTOOL_TEST_SLOW": which,
           "PMTOOL_TEST_MARKS": str(marks), "TMPDIR": str(spool),
           "PYTHONPATH": os.pathsep.join(p for p in (str(tmp_path / "site"), os.environ.get("PYTHONPATH")) if p)}

    def start() -> None:
        if inherited == "ignored":
            signal.signal(signal.SIGINT, signal.SIG_IGN)

    code = _MAIN.format(which=which, project=str(folder / "pmtool.toml"))
    # files, not pipes: a worker left behind would hold a pipe open, and the test would wait for it
    out_file, err_file = tmp_path / "stdout", tmp_path / "stderr"
    with out_file.open("wb") as stdout, err_file.open("wb") as stderr:
        proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=stdout, stderr=stderr,
                                preexec_fn=start)
    try:
        deadline = time.monotonic() + 300
        while not any(marks.iterdir()):
            assert proc.poll() is None, err_file.read_text("utf-8")
            assert time.monotonic() < deadline, "no worker took its work"
            time.sleep(0.2)
        time.sleep(1)  # every worker at its work
        workers = [int(p.name) for p in marks.iterdir()]
        proc.send_signal(signal.SIGINT)
        sent = time.monotonic()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=60)
        stopped = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = err_file.read_text("utf-8")
    assert stopped < 10, f"{stopped:.1f} s"
    assert proc.returncode == 130, err
    assert len(err.strip().splitlines()) == 1 and "interrupted" in err, err
    left = time.monotonic() + 5
    while any(_alive(pid) for pid in workers) and time.monotonic() < left:
        time.sleep(0.2)
    assert not [pid for pid in workers if _alive(pid)], which  # the worker processes ended with the run
    assert files_of(folder / "results") == before  # the last complete run's results, untouched
    assert not [p for p in (folder / "results").rglob("*.tmp")]
    assert not [p.name for p in spool.iterdir() if p.name.startswith("pmtool-spool-")]


def test_a_ctrl_c_while_the_results_folder_changes_waits_until_it_is_whole():
    from pmtool import interrupts

    done = []
    with pytest.raises(KeyboardInterrupt), interrupts.held():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.2)  # the signal has arrived: it is held back
        done.append("committed")
    assert done == ["committed"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handler is back
