"""Write an ingest result atomically: all files appear together, or none does.

Each file is written to a temporary name in the target folder and renamed into place only after every
file was written, so an interrupted run leaves no partial output behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from contextvars import copy_context
from dataclasses import dataclass
from pathlib import Path

from pmtool.errors import InputError, Location
from pmtool.eventlog.log import EventLog
from pmtool.ingest.pipeline import IngestResult, SpooledIngest
from pmtool.sinks import spreadsheet_csv

Writer = Callable[[Path], None]


@dataclass(frozen=True)
class Weighted:
    """A writer with the work it is expected to take (rows × a factor per format; any unit will do): of the
    files :func:`write_atomically` writes at once, the heaviest are started first, so that no thread is
    left writing one large table alone at the end."""

    write: Writer
    weight: float

    def __call__(self, path: Path) -> None:
        self.write(path)


@dataclass(frozen=True)
class IngestFiles:
    log: Path
    quarantine: Path
    summary: Path


def output_paths(out_dir: Path, name: str) -> IngestFiles:
    return IngestFiles(out_dir / f"{name}.parquet", out_dir / f"{name}.quarantine.csv",
                       out_dir / f"{name}.summary.json")


def write_atomically(writers: dict[Path, Writer], *, digest: bool = False) -> dict[Path, tuple[str, int]]:
    """Call each writer on a temporary path beside its target, then rename all into place. The writers run
    in a few threads at once (writing Parquet and CSV leaves Python's lock to the others); the first error,
    in the order of ``writers``, is raised. ``digest``: also return each target's SHA-256 and size, read
    back while the file is fresh (empty otherwise)."""
    with staged(writers, digest=digest) as files:
        files.commit()
        return files.digests


@dataclass
class Staged:
    """Files written to temporary paths, waiting to be renamed into place by :meth:`commit`."""

    digests: dict[Path, tuple[str, int]]
    commit: Callable[[], None]


@contextmanager
def staged(writers: dict[Path, Writer], *, digest: bool = False) -> Iterator[Staged]:
    """:func:`write_atomically` in two steps: the files are written when the block starts, and renamed into
    place when it calls ``commit()``; those not renamed are removed when it ends."""
    with ExitStack() as stack:
        temps: dict[Path, Path] = {}
        try:
            for target in writers:
                target.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
                os.close(fd)
                temps[target] = Path(tmp)
                stack.callback(Path(tmp).unlink, missing_ok=True)
        except OSError as exc:
            raise InputError("output.write_failed", Location(str(exc.filename or target)),
                             reason=exc.strerror or str(exc)) from None
        digests, errors = _write_all(writers, temps, digest)
        for target, error in errors:
            if isinstance(error, OSError):
                raise InputError("output.write_failed", Location(str(error.filename or target)),
                                 reason=error.strerror or str(error)) from None
            raise error

        def commit() -> None:
            mode = 0o666 & ~_umask()
            for target, tmp in temps.items():
                try:
                    os.chmod(tmp, mode)  # mkstemp creates 0600; results get the user's usual permissions
                    os.replace(tmp, target)
                except OSError as exc:
                    raise InputError("output.write_failed", Location(str(target)),
                                     reason=exc.strerror or str(exc)) from None

        yield Staged(digests, commit)


#: Threads writing the files of :func:`write_atomically` at once.
WRITE_THREADS = max(1, min(2, os.cpu_count() or 1))  # more would hold more files in memory at once


def _write_all(writers: dict[Path, Writer], temps: dict[Path, Path],
               digest: bool) -> tuple[dict[Path, tuple[str, int]], list[tuple[Path, BaseException]]]:
    """Run every writer on its temporary path: the digests (``digest``) and the errors (target, exception),
    both in the order of ``writers``."""
    def attempt(target: Path) -> tuple[str, int] | BaseException | None:
        try:
            writers[target](temps[target])
            return _digest(temps[target]) if digest else None
        except Exception as exc:  # raised by the caller, the first in the writers' order
            return exc

    if len(writers) <= 1 or WRITE_THREADS == 1:
        outcomes = [attempt(target) for target in writers]
    else:  # the heaviest first (the writers' order among equals); the outcomes in the writers' order
        order = sorted(writers, key=lambda target: -getattr(writers[target], "weight", 0.0))
        with ThreadPoolExecutor(max_workers=WRITE_THREADS) as pool:
            done = dict(zip(order, pool.map(lambda target: copy_context().run(attempt, target), order),
                            strict=True))
        outcomes = [done[target] for target in writers]
    pairs = list(zip(writers, outcomes, strict=True))
    return ({target: o for target, o in pairs if isinstance(o, tuple)},
            [(target, o) for target, o in pairs if isinstance(o, BaseException)])


def _digest(path: Path) -> tuple[str, int]:
    sha, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            sha.update(block)
            size += len(block)
    return sha.hexdigest(), size


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def ingest_writers(result: IngestResult | SpooledIngest, out_dir: Path,
                   name: str) -> tuple[IngestFiles, dict[Path, Writer]]:
    """The files of one ingest and how to write them, for :func:`write_atomically`."""
    files = output_paths(out_dir, name)
    summary = result.summary.to_dict()
    summary["outputs"] = {"log": files.log.name, "quarantine": files.quarantine.name}
    text = json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    return files, {
        files.log: result.write_log,
        files.quarantine: lambda p: p.write_bytes(spreadsheet_csv(result.quarantine)),
        files.summary: lambda p: p.write_text(text, encoding="utf-8"),
    }


def write_ingest(result: IngestResult, out_dir: Path, name: str) -> IngestFiles:
    """Write ``<name>.parquet``, ``<name>.quarantine.csv`` and ``<name>.summary.json`` into ``out_dir``."""
    files, writers = ingest_writers(result, out_dir, name)
    write_atomically(writers)
    return files


def write_log(log: EventLog, path: Path) -> None:
    """Write a canonical log to ``path`` atomically."""
    write_atomically({path: log.write_parquet})
