"""Independent batches on more than one core: the calling process plus plain worker subprocesses.

Why not :mod:`multiprocessing`: with the *spawn* start method (the default on Windows and macOS, and the
only safe one next to polars' thread pools) it re-imports the caller's ``__main__`` in every worker, so a
script without an ``if __name__ == "__main__":`` guard breaks the pool. Here each worker is a fresh
``python -c`` that imports only pmtool and talks over its stdin/stdout with pickles, so it works from any
script, notebook or CLI. The calling process takes batches from the front, each worker from the back;
results land at their batch's index, so their order never depends on timing. A batch a worker fails on
is computed by the calling process, which then raises the error itself if there is one.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import IO, Any

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
        try:
            pickle.dump((factory, setup), proc.stdin)
            while (index := take(front=False)) is not None:
                pickle.dump(batches[index], proc.stdin)
                proc.stdin.flush()  # type: ignore[union-attr]
                status, value = pickle.load(proc.stdout)  # type: ignore[arg-type]
                if status != "ok":
                    break
                results[index] = value
                index = None
        except (OSError, EOFError, pickle.UnpicklingError):
            pass
        finally:
            if index is not None:
                with lock:
                    returned.append(index)
            proc.stdin.close()  # type: ignore[union-attr]
            proc.wait()

    threads = []
    for _ in range(max(0, min(workers - 1, len(batches) - 1))):
        try:
            proc = subprocess.Popen([sys.executable, "-c", _CHILD], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, env=child_env())
        except OSError:  # no process to be had: this process does all the work
            break
        thread = threading.Thread(target=feed, args=(proc,), daemon=True)
        thread.start()
        threads.append(thread)
    try:
        while (index := take(front=True)) is not None:
            results[index] = work(batches[index])
    finally:
        with lock:  # on an error here, workers finish their current batch and take no more
            span[0] = len(batches)
        for thread in threads:
            thread.join()
    for index in sorted(returned):
        results[index] = work(batches[index])
    return results


def serve(inp: IO[bytes], out: IO[bytes]) -> None:
    """A worker's loop: set up from the first pickle, then answer each batch with ("ok", result)."""
    factory, setup = pickle.load(inp)
    module, name = factory.split(":")
    work = getattr(import_module(module), name)(*setup)
    while True:
        try:
            batch = pickle.load(inp)
        except EOFError:
            return
        try:
            answer: tuple[str, Any] = ("ok", work(batch))
        except Exception as exc:  # the caller recomputes the batch and raises the error itself
            answer = ("error", repr(exc))
        pickle.dump(answer, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()


def child_env() -> dict[str, str]:
    """The environment with pmtool's source directory on the path, for runs from a source tree."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env
