"""Limits on what pmtool reads, so that a hostile or broken input ends in one clear line, not in a crash.

An archive that inflates to gigabytes (a "zip bomb" in an .xlsx, an .xes.gz or an OCEL .json.gz), JSON
nested thousands of levels deep, a Soll model with ten thousand tasks or one whose parallel branches make
its state space explode would otherwise run for minutes into a MemoryError or abort the process. Each limit
has a default far above what real exports and models need, and can be raised:

=====================  ============  ==================================  ======================================
limit                  default       environment variable                what it bounds
=====================  ============  ==================================  ======================================
``decompressed_mb``    4096          ``PMTOOL_MAX_DECOMPRESSED_MB``      bytes one compressed input may inflate
                                                                         to (.gz, .zip, every sheet of .xlsx)
``archive_entries``    10000         ``PMTOOL_MAX_ARCHIVE_ENTRIES``      files inside one .zip or .xlsx
``json_depth``         200           ``PMTOOL_MAX_JSON_DEPTH``           nesting of JSON inputs (OCEL)
``model_tasks``        2000          ``PMTOOL_MAX_MODEL_TASKS``          tasks (transitions) of one Soll model
``state_space``        50000         ``PMTOOL_MAX_STATE_SPACE``          reachable states of one Soll model
``memory_mb``          none          ``PMTOOL_MAX_MEMORY_MB``            memory a run plans its worker processes
                                                                         by (see :func:`planned_workers`)
=====================  ============  ==================================  ======================================

The project file's ``[limits]`` table sets them for a run (:func:`configured`); the environment variable wins
over the default, the project file over both. The largest model shipped with pmtool or found in the public
logs it is tested with has about 2,000 reachable states and 53 tasks.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields, replace
from typing import Any

from pmtool.errors import InputError, Location, PmtoolError


@dataclass(frozen=True)
class Limits:
    decompressed_mb: int = 4096
    archive_entries: int = 10_000
    json_depth: int = 200
    model_tasks: int = 2_000
    state_space: int = 50_000
    memory_mb: int = 0  # 0: no budget


ENV = {f.name: f"PMTOOL_MAX_{f.name.upper()}" for f in fields(Limits)}
NAMES = tuple(ENV)
_override: ContextVar[Limits | None] = ContextVar("pmtool_limits", default=None)


def current() -> Limits:
    """The limits in force: those of :func:`configured` if inside it, else the defaults with the
    environment's values (a value that is not a whole number ≥ 1 is an error naming the variable)."""
    chosen = _override.get()
    return chosen if chosen is not None else from_environment()


def from_environment() -> Limits:
    values: dict[str, int] = {}
    for name, var in ENV.items():
        text = os.environ.get(var, "").strip()
        if not text:
            continue
        if not text.isdigit() or int(text) < 1:
            raise InputError("limits.bad_env", Location(), env=var, value=text[:40])
        values[name] = int(text)
    return replace(Limits(), **values)


def checked(settings: Mapping[str, Any] | None, where: str | None = None) -> Limits:
    """The limits a run with ``settings`` (a project file's ``[limits]`` table) works with, each checked: a
    key or value of ``settings`` that is not a limit's name with a whole number ≥ 1 is a ConfigError naming
    the key and ``where`` (the project file), a bad environment variable an InputError naming the variable."""
    from pmtool.config_file import Settings

    table = dict(settings or {})
    s = Settings("project", where or "<project>")
    s.known(table, NAMES, "limits.")
    for name in sorted(table):
        s.integer(table, name, None, "limits.", minimum=1)
    return replace(from_environment(), **table)


@contextmanager
def configured(settings: Mapping[str, int] | None) -> Iterator[Limits]:
    """Run with the limits of a project file's ``[limits]`` table (already validated) over the others."""
    limits = replace(from_environment(), **dict(settings or {}))
    token = _override.set(limits)
    try:
        yield limits
    finally:
        _override.reset(token)


#: What a worker process holds besides its work (Python, polars, pm4py), and per byte of the largest export
#: what its import and its office's steps hold at most (measured on the simulated exports: CSV, Excel, XES).
WORKER_BASE_MB = 300
WORKER_PER_EXPORT_BYTE = 12


#: Peak memory of importing an export per byte of its file, by how the file ends: measured on the benchmark's
#: simulated exports at 3 × 10^7 events (pmtool.benchmarks), where a byte of CSV held 3.4 bytes, of gzipped
#: XES 56, of Excel 27; Parquet is counted by its rows (400 bytes each). Used to keep two large imports from
#: running at once (:func:`pmtool.cluster.map_later`), never as a limit.
IMPORT_BYTES_PER_BYTE = {".xes.gz": 56.0, ".xes": 6.0, ".xlsx": 27.0, ".xls": 27.0, ".ods": 27.0,
                         ".json.gz": 56.0}
IMPORT_BYTES_PER_BYTE_OTHER = 3.4
IMPORT_BYTES_PER_PARQUET_ROW = 400


def import_memory(path: Any) -> float:
    """The expected peak memory in bytes of importing the export file ``path`` (0 when it cannot be read)."""
    from pathlib import Path

    path = Path(path)
    name = path.name.lower()
    try:
        if name.endswith(".parquet"):
            import polars as pl

            return float(pl.scan_parquet(path).select(pl.len()).collect().item()) * IMPORT_BYTES_PER_PARQUET_ROW
        size = path.stat().st_size
    except Exception:  # noqa: BLE001 - a file the import will report itself; here it only weighs nothing
        return 0.0
    factor = next((f for suffix, f in IMPORT_BYTES_PER_BYTE.items() if name.endswith(suffix)),
                  IMPORT_BYTES_PER_BYTE_OTHER)
    return size * factor


def worker_need(path: Any) -> float:
    """What a worker process holds at most for the export file ``path``, in bytes, besides
    :data:`WORKER_BASE_MB`: its import or its office's steps, whichever is more — :data:`WORKER_PER_EXPORT_BYTE`
    per byte on disk, or the import's expected peak (:func:`import_memory`; far more for compressed XES)."""
    return max(WORKER_PER_EXPORT_BYTE * file_size(path), import_memory(path))


def file_size(path: Any) -> int:
    """The size of the file ``path`` in bytes, 0 when it cannot be read (weights and plans only: the import
    reports an unreadable file itself)."""
    from pathlib import Path

    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


def planned_workers(wanted: int, largest_need: float) -> int:
    """How many worker processes a run uses: ``wanted``, fewer when the memory budget (``memory_mb``) does not
    hold that many besides the run's own process, which keeps half of the budget for itself (its tables). At
    least 1: one process works on one office at a time, the logs wait on disk (:mod:`pmtool.spool`).
    ``largest_need``: the largest :func:`worker_need` of the run's exports."""
    budget = current().memory_mb
    if not budget or wanted <= 1:
        return wanted
    per_worker = WORKER_BASE_MB + largest_need / 2**20
    return max(1, min(wanted, int((budget / 2) // per_worker)))


def exceeded(name: str, value: Any, where: str | None = None, *,
             error: type[PmtoolError] = InputError) -> PmtoolError:
    """The one-line error for ``value`` above the limit ``name``, saying how to raise it."""
    return error("limits.exceeded", Location(where), limit=name, value=value, max=getattr(current(), name),
                 env=ENV[name])


def check_zip(data: bytes, where: str) -> None:
    """Refuse a zip archive (.xlsx, .ods, .zip) with more entries than ``archive_entries`` or whose entries
    inflate to more than ``decompressed_mb`` in total — counted by inflating them, not by trusting the sizes
    the archive declares — before any other reader sees it. Not a zip archive: nothing to check."""
    import io
    import zipfile

    limits = current()
    budget = limits.decompressed_mb << 20
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # the reader says what is wrong with it
    with archive:
        entries = archive.infolist()
        if len(entries) > limits.archive_entries:
            raise exceeded("archive_entries", len(entries), where)
        total = 0
        for entry in entries:
            if entry.is_dir():
                continue
            try:
                with archive.open(entry) as stream:
                    while block := stream.read(1 << 20):
                        total += len(block)
                        if total > budget:
                            raise exceeded("decompressed_mb", f"> {limits.decompressed_mb} MB", where)
            except zipfile.BadZipFile:  # an entry larger than declared, or its checksum does not match
                raise InputError("limits.bad_archive", Location(where)) from None
            except (OSError, ValueError, NotImplementedError, EOFError):
                return  # encrypted or otherwise unreadable: the reader says so


class BoundedStream:
    """A read-only stream over ``inner`` (a decompressing file object) that raises the ``decompressed_mb``
    error once more than the limit has come out of it."""

    def __init__(self, inner: Any, where: str) -> None:
        self.inner = inner
        self.where = where
        self.budget = current().decompressed_mb << 20
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            chunks = []
            while block := self.read(1 << 20):
                chunks.append(block)
            return b"".join(chunks)
        block = self.inner.read(min(size, self.budget - self.count + 1))
        self.count += len(block)
        if self.count > self.budget:
            raise exceeded("decompressed_mb", f"> {self.budget >> 20} MB", self.where)
        return block

    def readable(self) -> bool:
        return True

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def check_json_depth(value: Any, where: str) -> None:
    """Refuse parsed JSON nested deeper than ``json_depth`` (walked without recursion)."""
    limit = current().json_depth
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            raise exceeded("json_depth", depth, where)
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node if isinstance(v, dict | list))
