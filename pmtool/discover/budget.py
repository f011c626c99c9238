"""Mining with a time and memory budget: the miner runs in a helper process that is stopped when it takes too
long or grows too large, so discovery never hangs.

pm4py's inductive miner on a log with hundreds of activities can run for hours (its IMf on BPIC 2015's first
municipality alone takes more than five minutes) and cannot be interrupted inside the calling process. Here
it runs in one helper process that lives as long as this one (started on first use, ``python -c``, so it
needs no ``__main__`` guard), reads a mining request from its stdin and answers on its stdout. When the
answer does not come within the budget, the helper is killed and :func:`mine_within` returns ``None``; the
caller then uses a labelled fallback (see :mod:`pmtool.discover.mining`). The helper's address space is
limited (:data:`MEMORY_BYTES`), so a miner that would exhaust the machine fails in the helper instead.
"""

from __future__ import annotations

import atexit
import io
import pickle
import subprocess
import sys
import threading
import time
from typing import Any

import polars as pl

from pmtool import interrupts
from pmtool.conform.workers import child_env, start, stop_now
from pmtool.errors import Location, ModelError
from pmtool.eventlog import schema
from pmtool.eventlog.log import EventLog
from pmtool.models.petri import PetriNet
from pmtool.models.tree import ProcessTree

#: Address space of the helper process (bytes); a miner needing more fails there, not in the caller.
MEMORY_BYTES = 6 << 30
_CHILD = "from pmtool.discover.budget import serve; serve()"
_COLUMNS = (schema.OFFICE, schema.CASE_ID, schema.ACTIVITY, schema.TIMESTAMP)


class _Helper:
    """One helper process mining on request; killed after a request over its budget, restarted on demand."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None

    def mine(self, miner: str, log: EventLog, noise: float, seconds: float,
             net_name: str | None = None) -> tuple[ProcessTree, PetriNet | None] | str:
        """The tree (and with ``net_name`` its net), or why it is missing: "time_budget" or "memory_budget"."""
        from pmtool.discover.inductive import VARIANT_MINERS
        from pmtool.eventlog.pm4py_bridge import variant_log

        if miner in VARIANT_MINERS:  # the miner sees the variants only: send them, not the events
            request: tuple[str, str, float, Any, str | None] = ("variants", miner, noise, variant_log(log),
                                                                 net_name)
        else:
            buffer = io.BytesIO()
            log.frame.select(_COLUMNS).write_ipc(buffer)
            request = ("log", miner, noise, buffer.getvalue(), net_name)
        with self._lock:
            proc = self._process()
            answer: list[tuple[float, tuple[str, Any]]] = []
            reader = threading.Thread(target=lambda: answer.append((time.monotonic(), _read(proc))), daemon=True)
            start = time.monotonic()
            try:
                pickle.dump(request, proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
                proc.stdin.flush()  # type: ignore[union-attr]
            except OSError:
                self.stop()
                raise ModelError("discover.helper_failed", Location(), reason="helper process ended") from None
            reader.start()
            try:
                interrupts.join(reader, seconds)
            except BaseException:  # Ctrl-C: the mining is not wanted, the helper stops with it
                self.stop()
                raise
            if reader.is_alive():
                self.stop()  # over budget: the miner is stopped with its process
                return "time_budget"
        arrived, (status, value) = answer[0]
        if arrived - start > seconds:  # answered, but after the budget (on a busy machine this thread wakes late)
            return "time_budget"
        if status == "ok":
            return value
        if status == "memory":
            self.stop()
            return "memory_budget"
        raise ModelError("discover.helper_failed", Location(), reason=value)

    def _process(self) -> subprocess.Popen:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        self._proc = start([sys.executable, "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, env=child_env(), preexec_fn=_limit_memory)
        # the budget counts mining, not the helper's start-up (importing pm4py takes seconds on a busy machine)
        status, value = _read(self._proc)
        if status != "ready":
            self.stop()
            raise ModelError("discover.helper_failed", Location(), reason=value or "helper process ended")
        return self._proc

    def stop(self) -> None:
        if self._proc is not None:
            stop_now(self._proc)
            self._proc = None


def _limit_memory() -> None:  # pragma: no cover - runs in the child before exec
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    except (ImportError, ValueError, OSError):
        pass  # no limit where the platform has none


def _read(proc: subprocess.Popen) -> tuple[str, Any]:
    try:
        return pickle.load(proc.stdout)  # type: ignore[arg-type]
    except (EOFError, pickle.UnpicklingError, OSError):
        return ("memory", None)  # the helper died (the kernel stops a process over its address space)


_helper: _Helper | None = None


def mine_within(miner: str, log: EventLog, *, noise_threshold: float, seconds: float,
                net_name: str | None = None) -> tuple[ProcessTree, PetriNet | None] | str:
    """Mine ``log`` with ``miner`` (see :data:`pmtool.discover.inductive.MINERS`) in the helper process;
    the process tree with, given ``net_name``, its Petri net of that name (converted there, so this process
    need not import pm4py; ``None`` when the conversion failed there), or "time_budget" / "memory_budget"
    when it did not finish within ``seconds`` or :data:`MEMORY_BYTES`. Raises
    :class:`~pmtool.errors.ModelError` when the miner fails otherwise."""
    global _helper
    if _helper is None:
        _helper = _Helper()
        atexit.register(_helper.stop)
    return _helper.mine(miner, log, noise_threshold, seconds, net_name)


def serve() -> None:
    """The helper process: answer each mining request with ("ok", (tree, net or None)), ("memory", None) or
    ("error", text)."""
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # pm4py greets on stdout; the answers need it clean
    from pmtool.discover.inductive import MINERS, VARIANT_MINERS
    from pmtool.eventlog.pm4py_bridge import pm4py, tree_to_petri_net

    pm4py()
    pickle.dump(("ready", None), out, protocol=pickle.HIGHEST_PROTOCOL)
    out.flush()
    while True:
        try:
            kind, miner, noise, data, net_name = pickle.load(inp)
        except EOFError:
            return
        try:
            if kind == "variants":
                tree = VARIANT_MINERS[miner](data, noise)
            else:
                tree = MINERS[miner](EventLog.from_frame(pl.read_ipc(io.BytesIO(data))), noise)
            net = None
            if net_name is not None:
                try:
                    net = tree_to_petri_net(tree, name=net_name)
                except Exception:  # the caller converts it and meets the error itself
                    net = None
            answer: tuple[str, Any] = ("ok", (tree, net))
        except MemoryError:
            answer = ("memory", None)
        except Exception as exc:  # the caller raises it as ModelError
            answer = ("error", f"{type(exc).__name__}: {exc}".splitlines()[0])
        pickle.dump(answer, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()
