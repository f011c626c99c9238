"""Work on a Dask cluster (``dask.distributed``) when one machine is not enough.

``pmtool run --scheduler tcp://host:8786`` (or ``scheduler = "tcp://host:8786"`` in the project file's
``[project]`` table) connects to a running Dask scheduler; ``local:N`` starts a cluster of N worker
processes on this machine for the run. While connected, a run spreads over the workers:

- **ingest** by export, i.e. by office × process;
- **Ist discovery** by office × process;
- **alignments and precision** (conformance, the Ist models' fitness) by variant batch.

Every piece is computed by the same function as on one machine and put back in its place, so the results
are the same as the local run's, byte for byte. Rule checks, aggregation and the comparison work on counts
per process and stay with the run. The workers need pmtool (same version) and read the exports from the
paths the project names, so they must see the same files (a shared folder).

The federated path — each office aggregates its own bundle, the centre compares bundles — stays the
privacy-preserving default; a cluster is for a centre that holds the logs itself.

Dask is an optional dependency: ``pip install 'pmtool[cluster]'``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from pmtool.errors import ConfigError, Location

T = TypeVar("T")
_client: Any = None  # the connected dask.distributed Client while a run uses one


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
    previous = _client
    try:
        if address.startswith("local:"):
            cluster = LocalCluster(n_workers=int(address[6:]), threads_per_worker=1, processes=True,
                                   dashboard_address=None)
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


def client() -> Any:
    """The connected client, or ``None`` when the run is local."""
    return _client


def map_ordered(function: Callable[..., T], items: Sequence[Any], *common: Any) -> list[T]:
    """``[function(item, *common) for item in items]`` on the cluster (results in the order of ``items``),
    or here when no cluster is connected."""
    if _client is None or not items:
        return [function(item, *common) for item in items]
    token = uuid.uuid4().hex[:12]
    keys = [f"pmtool-{function.__name__}-{token}-{i}" for i in range(len(items))]  # named in the task stream
    futures = _client.map(_call, [function] * len(items), items, [common] * len(items), key=keys)
    return _client.gather(futures)


def map_later(function: Callable[..., T], items: Sequence[Any], *common: Any) -> list[Callable[[], T]]:
    """Like :func:`map_ordered`, but started now and waited for one by one: a function per item that returns
    its result (on the cluster the work runs meanwhile; without one, each computes when called)."""
    if _client is None or not items:
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
