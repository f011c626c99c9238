"""Work beside a run's main thread (the disclosure audit's linear programs) is called off when the run stops,
and waited for: a thread still inside HiGHS when the interpreter ends aborts the process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest

from pmtool import interrupts
from pmtool.compare.disclosure import Ledger, protect

# A thread solving linear programs without end, and the main thread interrupted while it does.
_STOPPED = """
import sys, time
import numpy as np
from scipy import sparse
from scipy.optimize import linprog
from pmtool import interrupts

def work():
    rng = np.random.default_rng(1)
    matrix = sparse.random(300, 400, density=0.05, random_state=1, format="csr")
    while True:
        interrupts.check()
        linprog(rng.random(400), A_ub=matrix, b_ub=np.full(300, 5.0), bounds=[(0, 10)] * 400, method="highs")

try:
    with interrupts.Background() as background:
        background.submit(work)
        time.sleep(1.0)
        raise KeyboardInterrupt
except KeyboardInterrupt:
    sys.exit(130)
"""


def test_a_run_interrupted_while_linear_programs_are_solved_beside_it_ends_with_130_not_an_abort():
    for _ in range(3):  # without the wait, the process aborts in most runs (exit code 134)
        done = subprocess.run([sys.executable, "-c", textwrap.dedent(_STOPPED)], capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 130, done.stderr
        assert "terminate called" not in done.stderr


def _grid(size: int) -> Ledger:
    ledger = Ledger()
    for i in range(size):
        for j in range(size):
            ledger.cell(("c", i, j), 1 + (i * 7 + j * 3) % 4)  # every count small
    for i in range(size):
        ledger.total(("row", i), [("c", i, j) for j in range(size)])
        ledger.total(("col", i), [("c", j, i) for j in range(size)])
    return ledger


def test_the_disclosure_audit_called_off_stops_between_its_linear_programs():
    background = interrupts.Background(timeout=30)
    future = background.submit(protect, _grid(40), 5)
    time.sleep(0.3)
    start = time.monotonic()
    background.cancel()
    assert time.monotonic() - start < 10
    with pytest.raises(interrupts.Cancelled):
        future.result(timeout=0)


def test_work_outside_a_background_thread_is_never_called_off():
    interrupts.check()  # no background: nothing to call off
    with interrupts.Background() as background:
        future = background.submit(protect, _grid(3), 5)
        assert future.result(timeout=60).hidden  # finished normally: the block ended without an error
