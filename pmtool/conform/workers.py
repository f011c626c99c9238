"""Independent batches on more than one core: the calling process plus plain worker subprocesses.

Why not :mod:`multiprocessing`: with the *spawn* start method (the default on Windows and macOS, and the
only safe one next to polars' thread pools) it re-imports the caller's ``__main__`` in every worker, so a
script without an ``if __name__ == "__main__":`` guard breaks the pool. Here each worker is a fresh
``python -c`` that imports only pmtool and talks over its stdin/stdout with pickles, so it works from any
script, notebook or CLI. The calling process takes batches from the front, each worker from the back;
results land at their batch's index, so their order never depends on timing. A batch a worker fails on
is computed by the calling process, which then raises the error itself if there is one.

Workers outlive a call: starting one (a Python process importing pmtool) costs about a tenth of a CPU
second, more than aligning a few hundred variants, so a worker that finished its batches waits, idle and
holding nothing, for the next call of this process (see :func:`_take_workers`); all are stopped at exit.
"""

from __future__ import annotations

import atexit
import os
import pickle
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from contextlib import suppress
from importlib import import_module
from pathlib import Path
from typing import IO, Any

from pmtool import interrupts

_CHILD = (
    "import sys; inp, out = sys.stdin.buffer, sys.stdout.buffer; sys.stdout = sys.stderr; "
    "from pmtool.conform.workers import serve; serve(inp, out)"
)


def run_batches(batches: list[Any], work: Callable[[Any], Any], *, workers: int, factory: str,
                setup: tuple) -> list[Any]:
    """``[work(b) for b in batches]``, computed by this process and ``workers - 1`` subprocesses.

    ``factory`` names a function ``"module:function"`` that each worker calls once with ``*setup``; it
    returns the worker's equivalent of ``work``. While a Dask cluster is connected (:mod:`pmtool.cluster`),
    its workers compute the batches instead.
    """
    from pmtool import cluster

    if cluster.client() is not None and len(batches) > 1:  # a Dask cluster: the batches go to its workers
        return cluster.map_ordered(cluster.run_batch, batches, factory, setup)
    results: list[Any] = [None] * len(batches)
    lock = threading.Lock()
    span = [0, len(batches) - 1]  # next batch from the front, next from the back
    returned: list[int] = []

    def take(front: bool) -> int | None:
        with lock:
            if span[0] > span[1]:
                return None
            if front:
                span[0] += 1
                return span[0] - 1
            span[1] -= 1
            return span[1] + 1

    def feed(proc: subprocess.Popen) -> None:
        index = None
        sound = False
        try:
            pickle.dump(("setup", (factory, setup)), proc.stdin)
            while (index := take(front=False)) is not None:
                pickle.dump(("batch", batches[index]), proc.stdin)
                proc.stdin.flush()  # type: ignore[union-attr]
                status, value = pickle.load(proc.stdout)  # type: ignore[arg-type]
                if status != "ok":
                    break
                results[index] = value
                index = None
            pickle.dump(("done", None), proc.stdin)  # the worker lets go of the set-up
            proc.stdin.flush()  # type: ignore[union-attr]
            sound = True
        except (OSError, EOFError, pickle.UnpicklingError):
            pass
        finally:
            if index is not None:
                with lock:
                    returned.append(index)
            _give_back(proc, sound)

    threads = []
    procs = _take_workers(max(0, min(workers - 1, len(batches) - 1)))
    for proc in procs:
        thread = threading.Thread(target=feed, args=(proc,), daemon=True)
        thread.start()
        threads.append(thread)
    try:
        while (index := take(front=True)) is not None:
            results[index] = work(batches[index])
        for thread in threads:
            interrupts.join(thread)
    except BaseException:  # an error or Ctrl-C: the workers' batches are not wanted, they stop at once
        with lock:
            span[0] = len(batches)
        for proc in procs:
            stop_now(proc)
        for thread in threads:
            thread.join()
        raise
    for index in sorted(returned):
        results[index] = work(batches[index])
    return results


_idle: list[subprocess.Popen] = []  # workers waiting for the next call
_idle_lock = threading.Lock()
_owner = os.getpid()  # a forked process must not talk to its parent's workers


def _take_workers(n: int) -> list[subprocess.Popen]:
    """``n`` workers: idle ones first, the rest started (fewer if no process can be had)."""
    global _owner
    taken: list[subprocess.Popen] = []
    with _idle_lock:
        if _owner != os.getpid():  # inherited through a fork: the parent's workers are not ours
            _idle.clear()
            _owner = os.getpid()
        while _idle and len(taken) < n:
            proc = _idle.pop()
            if proc.poll() is None:
                taken.append(proc)
    while len(taken) < n:
        try:
            taken.append(start([sys.executable, "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               env=child_env()))
        except OSError:  # no process to be had: this process does all the work
            break
    return taken


def _give_back(proc: subprocess.Popen, sound: bool) -> None:
    """An idle worker for the next call, or stopped when it broke off."""
    if sound and proc.poll() is None:
        with _idle_lock:
            if _owner == os.getpid():
                _idle.append(proc)
                return
    _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    with suppress(OSError):
        proc.stdin.close()  # type: ignore[union-attr]
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        stop_now(proc)


@atexit.register
def _stop_idle() -> None:
    with _idle_lock:
        procs = list(_idle) if _owner == os.getpid() else []
        _idle.clear()
    for proc in procs:
        _stop(proc)


def serve(inp: IO[bytes], out: IO[bytes]) -> None:
    """A worker's loop: ("setup", (factory, setup)) makes the work, each ("batch", b) is answered with
    ("ok", result) or ("error", text), ("done", None) lets go of the work; it ends when its input does."""
    work: Callable[[Any], Any] | None = None
    failed = ""
    while True:
        try:
            kind, payload = pickle.load(inp)
        except EOFError:
            return
        if kind == "setup":
            factory, setup = payload
            module, name = factory.split(":")
            try:
                work, failed = getattr(import_module(module), name)(*setup), ""
            except Exception as exc:  # every batch is answered with the error: the caller computes them
                work, failed = None, repr(exc)
            continue
        if kind == "done":
            work = None
            continue
        try:
            if work is None:
                raise RuntimeError(failed or "no set-up")
            answer: tuple[str, Any] = ("ok", work(payload))
        except Exception as exc:  # the caller recomputes the batch and raises the error itself
            answer = ("error", repr(exc))
        pickle.dump(answer, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()


def child_env() -> dict[str, str]:
    """The environment with pmtool's source directory on the path, for runs from a source tree, marked as a
    helper's (see :func:`start`)."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    env[_HELPER] = "1"
    # polars' allocator (jemalloc) hands freed pages back within a quarter of a second, on a thread of its own,
    # instead of keeping them for later: a worker computes office after office, and pages kept from one
    # office's steps would be held beside the next office's (the user's own setting wins)
    env.setdefault("_RJEM_MALLOC_CONF", WORKER_ALLOCATOR)
    return env


#: The allocator settings of worker processes (see :func:`child_env`).
WORKER_ALLOCATOR = "background_thread:true,dirty_decay_ms:250,muzzy_decay_ms:0"


_HELPER = "PMTOOL_HELPER_PROCESS"  # set in the environment of every helper and worker process pmtool starts


def start(args: list[str], **options: Any) -> subprocess.Popen:
    """A worker or helper process (``subprocess.Popen(args, **options)``; give it :func:`child_env`).

    Started by the run's own process, it heads a process group of its own: Ctrl-C in a terminal reaches the
    run's process only, which stops its helpers (:func:`stop_now`), and stopping a helper stops the processes
    it started, which stay in its group."""
    top = _HELPER not in os.environ
    return subprocess.Popen(args, start_new_session=top and os.name == "posix", **options)


def stop_now(proc: subprocess.Popen) -> None:
    """Stop ``proc`` (from :func:`start`) at once, with the processes it started, and wait for it."""
    if proc.poll() is None:
        try:
            if os.name == "posix" and os.getpgid(proc.pid) == proc.pid:
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
        except OSError:
            pass  # it has just ended
    proc.wait()
