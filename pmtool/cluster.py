"""Work in several processes: on this machine, or on a Dask cluster (``dask.distributed``) when one machine
is not enough.

A run hands its work out in the same pieces either way (:mod:`pmtool.analysis`, :mod:`pmtool.office_steps`):

- **ingest** by export, i.e. by office × process, each written to the run's spool folder (:mod:`pmtool.spool`);
- **each office's part** of a process: read from the spool, labelled and filtered, then its conformance check
  (alignments, rules, precision), Ist models and bundles, by office × process.

Every piece is computed by the same function as in one process and put back in its place, so the results are
the same as the one-process run's, byte for byte. The label check, the comparison and the report work on
counts and stay with the run.

**On this machine** (:func:`local_workers`): a run whose exports take 16 MiB or more together uses the project's
``workers`` processes (plain ``python -c`` subprocesses fed over their stdin, so a script needs no
``__main__`` guard); they end when the offices' steps are done.

**On a Dask cluster**: ``pmtool run --scheduler tcp://host:8786`` (or ``scheduler = "tcp://host:8786"`` in the
project file's ``[project]`` table) connects to a running Dask scheduler; ``local:N`` starts a cluster of N
worker processes on this machine for the run. The workers need pmtool (same version) and read the exports
from the paths the project names and the spool files from the run's spool folder, so they must see the same
files: a shared folder for the exports, and ``TMPDIR`` pointing into a shared folder for the spool.

The federated path — each office aggregates its own bundle, the centre compares bundles — stays the
privacy-preserving default; a cluster is for a centre that holds the logs itself.

Dask is an optional dependency: ``pip install 'pmtool[cluster]'``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

from pmtool.errors import ConfigError, Location

T = TypeVar("T")
_client: Any = None  # the connected dask.distributed Client while a run uses one
_local: Any = None  # a pool of worker processes on this machine while a run uses one (no cluster)


def check_address(address: str, where: str = "") -> str:
    """``address`` if it names a scheduler (``tcp://…``, ``tls://…``, ``local:N``), else a ConfigError."""
    if address.startswith(("tcp://", "tls://", "ucx://", "inproc://")):
        return address
    if address.startswith("local:") and address[6:].isdigit() and int(address[6:]) >= 1:
        return address
    raise ConfigError("project.bad_value", Location(where), key="scheduler",
                      expected='"tcp://host:8786" or "local:N" (N worker processes on this machine)')


@contextmanager
def connected(address: str | None) -> Iterator[Any]:
    """Connect to the scheduler at ``address`` for the block (``None``: no cluster, nothing happens)."""
    global _client
    if address is None:
        yield None
        return
    check_address(address)
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise ConfigError("cluster.not_installed", Location(), address=address) from exc
    cluster = None
    scratch = None
    previous = _client
    try:
        if address.startswith("local:"):
            import tempfile

            import dask

            scratch = tempfile.mkdtemp(prefix="pmtool-dask-")  # the workers' scratch space, removed after
            with dask.config.set({"temporary-directory": scratch}):
                cluster = LocalCluster(n_workers=int(address[6:]), threads_per_worker=1, processes=True,
                                       dashboard_address=None, local_directory=scratch)
            client = Client(cluster)
        else:
            try:
                client = Client(address, timeout="20s")
            except OSError as exc:
                raise ConfigError("cluster.unreachable", Location(), address=address, reason=str(exc)) from exc
        _client = client
        yield client
    finally:
        _client = previous
        if "client" in locals():
            client.close()
        if cluster is not None:
            cluster.close()
        if scratch is not None:
            import shutil

            shutil.rmtree(scratch, ignore_errors=True)


@contextmanager
def local_workers(n: int) -> Iterator[int]:
    """``n`` worker processes on this machine for the block, used by :func:`map_later` (yields how many:
    none with ``n`` ≤ 1, while a Dask cluster is connected, or inside another such block).

    Each worker is a fresh ``python -c`` that imports only pmtool and takes its work as pickles over its
    stdin (as :mod:`pmtool.conform.workers` does), so it works from any script, notebook or command line:
    nothing of the caller's ``__main__`` is imported again. Work a worker fails on, or loses by ending, is
    computed by the calling process when it asks for the result, and any error is raised there."""
    global _local
    if n <= 1 or _client is not None or _local is not None:
        yield 0
        return
    pool = _LocalPool(n)
    _local = pool
    try:
        yield n
    finally:
        _local = None
        pool.shutdown()


_POOL_CHILD = (
    "import sys; inp, out = sys.stdin.buffer, sys.stdout.buffer; sys.stdout = sys.stderr; "
    "from pmtool.cluster import serve; serve(inp, out)"
)
_AGAIN = object()  # a worker's answer meaning: compute it yourself
#: How much the calls running at once on the local workers may weigh together, in shares of the largest call
#: of their kind (see :func:`map_later`): the largest export's import or office's steps goes beside calls of up
#: to a quarter of its weight, two of half of it go together.
LOAD_LIMIT = 1.25


class _LocalPool:
    """Worker subprocesses, each fed by a thread of this process from one queue of calls."""

    def __init__(self, n: int) -> None:
        import threading

        self._pending: list[tuple[Any, ...]] = []  # calls not started, in the order they came
        self._ready = threading.Condition()  # guards _pending and _load
        self._load = 0.0  # the shares (see submit) of the calls running now
        self._procs: list[Any] = []
        self._busy: set[Any] = set()  # the workers at work now
        self._lock = threading.Lock()
        self._closed = False
        self._threads = [threading.Thread(target=self._feed, daemon=True) for _ in range(n)]
        for thread in self._threads:
            thread.start()

    def submit(self, function: Callable[..., T], item: Any, common: Sequence[Any],
               share: float = 0.0) -> Callable[[], T]:
        """Queue ``function(item, *common)``; ``share``: its expected memory as a share of the largest call's
        of its kind (0 to 1). A call starts when the shares of the calls running beside it, with its own, stay
        within :data:`LOAD_LIMIT`, or when no other call runs."""
        from concurrent.futures import Future

        future: Future = Future()
        with self._ready:
            self._pending.append((future, function, item, common, share))
            self._ready.notify_all()

        def result() -> T:
            from pmtool import interrupts

            value = interrupts.result(future)
            return function(item, *common) if value is _AGAIN else value
        return result

    def _next(self) -> tuple[Any, ...] | None:
        """The first queued call that may start now (a large one waits while the calls running would hold too
        much beside it, and the smaller ones behind it go first; see :meth:`submit`), or ``None`` when the pool
        closes."""
        with self._ready:
            while True:
                if self._closed and not self._pending:
                    return None
                for i, job in enumerate(self._pending):
                    if self._load == 0 or self._load + job[4] <= LOAD_LIMIT:
                        self._load += job[4]
                        return self._pending.pop(i)
                self._ready.wait()

    def _done(self, share: float) -> None:
        with self._ready:
            self._load = max(0.0, self._load - share)
            self._ready.notify_all()

    def _feed(self) -> None:
        import pickle
        import subprocess
        import sys

        from pmtool.conform.workers import child_env, start, stop_now

        proc = None
        while (job := self._next()) is not None:
            future, function, item, common, share = job
            try:
                if not future.set_running_or_notify_cancel():
                    continue
                answer: Any = _AGAIN
                try:
                    with self._lock:
                        if self._closed:
                            future.set_result(_AGAIN)
                            continue
                        if proc is None:
                            proc = start([sys.executable, "-c", _POOL_CHILD], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, env=child_env())
                            self._procs.append(proc)
                        self._busy.add(proc)
                    try:
                        pickle.dump((function, item, common), proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
                        proc.stdin.flush()
                        status, value = pickle.load(proc.stdout)
                    finally:
                        with self._lock:
                            self._busy.discard(proc)
                    if status == "ok":
                        answer = value
                except (OSError, EOFError, pickle.PickleError, AttributeError, ValueError):
                    if proc is not None:
                        stop_now(proc)
                    proc = None
                future.set_result(answer)
            finally:
                self._done(share)
        if proc is not None:
            proc.stdin.close()
            proc.wait()

    def shutdown(self) -> None:
        """Cancel what has not started, stop the workers (those still working are stopped at once, with the
        processes they started: after an error or Ctrl-C, their work is not wanted)."""
        from pmtool.conform.workers import stop_now

        with self._lock:
            self._closed = True
            with self._ready:
                for job in self._pending:
                    job[0].cancel()
                self._pending.clear()
                self._ready.notify_all()
            for proc in self._procs:
                if proc.poll() is None and proc.stdin is not None:
                    with suppress(OSError):
                        proc.stdin.close()
            busy = list(self._busy)
        for proc in busy:
            stop_now(proc)
        for thread in self._threads:
            thread.join()


def serve(inp: Any, out: Any) -> None:
    """A local worker's loop: answer each ``(function, item, common)`` with ``("ok", result)``, or with
    ``("error", type)`` for the caller to compute it itself."""
    import pickle

    while True:
        try:
            function, item, common = pickle.load(inp)
        except EOFError:
            return
        try:
            answer: tuple[str, Any] = ("ok", function(item, *common))
        except Exception as exc:  # the caller computes it and raises the error itself
            answer = ("error", type(exc).__name__)
        pickle.dump(answer, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()
        del function, item, common, answer
        release_memory()


def release_memory() -> None:
    """Give the memory freed by the last piece of work back to the system: collect cyclic garbage, and have
    the C allocator (glibc) return its free pages. Without this, a worker keeps the high-water mark of its
    largest office for the rest of the run (freed, but held by the allocator): two workers that each once
    took a large office hold both offices' memory while they work on small ones."""
    import ctypes
    import gc

    gc.collect()
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc: its allocator returns memory by itself, or keeps it
        return
    trim.argtypes = [ctypes.c_size_t]
    trim(0)


def client() -> Any:
    """The connected client, or ``None`` when the run is local."""
    return _client


def remote() -> bool:
    """Whether :func:`map_later` hands work to other processes (a cluster, or local worker processes)."""
    return _client is not None or _local is not None


def map_ordered(function: Callable[..., T], items: Sequence[Any], *common: Any) -> list[T]:
    """``[function(item, *common) for item in items]`` on the cluster (results in the order of ``items``),
    or here when no cluster is connected."""
    if _client is None or not items:
        return [function(item, *common) for item in items]
    token = uuid.uuid4().hex[:12]
    keys = [f"pmtool-{function.__name__}-{token}-{i}" for i in range(len(items))]  # named in the task stream
    futures = _client.map(_call, [function] * len(items), items, [common] * len(items), key=keys)
    return _client.gather(futures)


def map_later(function: Callable[..., T], items: Sequence[Any], *common: Any,
              weights: Sequence[float] | None = None) -> list[Callable[[], T]]:
    """Like :func:`map_ordered`, but started now and waited for one by one: a function per item that returns
    its result (on the cluster or the local worker processes the work runs meanwhile; without either, each
    computes when called). ``weights``: each item's expected memory, in any unit; on the local worker
    processes an item runs beside others only while their weights together stay within :data:`LOAD_LIMIT`
    times the largest (two large exports or offices at once would add their memory; the largest goes beside
    small ones only), else alone. Results do not depend on it."""
    if not items:
        return []
    if _client is None and _local is not None:
        shares = [0.0] * len(items)
        if weights is not None and len(weights) == len(items) and max(weights, default=0) > 0:
            top = max(weights)
            shares = [max(0.0, w) / top for w in weights]
        return [_local.submit(function, item, common, s) for item, s in zip(items, shares, strict=True)]
    if _client is None:
        return [lambda item=item: function(item, *common) for item in items]
    token = uuid.uuid4().hex[:12]
    keys = [f"pmtool-{function.__name__}-{token}-{i}" for i in range(len(items))]
    futures = _client.map(_call, [function] * len(items), items, [common] * len(items), key=keys)
    return [future.result for future in futures]


def _call(function: Callable[..., T], item: Any, common: Sequence[Any]) -> T:
    return function(item, *common)


_setups: dict[tuple[str, Any], Callable[[Any], Any]] = {}


def run_batch(batch: Any, factory: str, setup: tuple) -> Any:
    """A worker's part of :func:`pmtool.conform.workers.run_batches`: ``factory(*setup)(batch)``, the set-up
    kept per worker process for the next batches of the same work."""
    from importlib import import_module
    from pickle import dumps

    key = (factory, dumps(setup))
    work = _setups.get(key)
    if work is None:
        module, name = factory.split(":")
        work = getattr(import_module(module), name)(*setup)
        _setups.clear()  # one work's set-up at a time: a worker's memory does not grow with the runs
        _setups[key] = work
    return work(batch)


def extended_call(function: Callable[..., T], context: tuple[Sequence[Path], Mapping[str, int] | None],
                  *args: Any) -> T:
    """``function(*args)`` with the project's vocabulary files and limits (``context``) in force, on a worker
    as in the run."""
    from pmtool import limits
    from pmtool.vocabulary import extended

    vocabulary_files, settings = context
    with extended(tuple(vocabulary_files)), limits.configured(settings):
        return function(*args)


def project_context(project: Any) -> tuple[tuple[Path, ...], dict[str, int] | None]:
    """What a worker needs of ``project`` to compute like the run: vocabulary files and limits."""
    return tuple(project.vocabulary_files), dict(project.limits) if project.limits else None
