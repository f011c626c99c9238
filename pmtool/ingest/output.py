"""Write an ingest result atomically: all files appear together, or none does.

Each file is written to a temporary name in the target folder and renamed into place only after every
file was written, so an interrupted run leaves no partial output behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from pmtool.errors import InputError, Location
from pmtool.eventlog.log import EventLog
from pmtool.ingest.pipeline import IngestResult, SpooledIngest
from pmtool.sinks import spreadsheet_csv

Writer = Callable[[Path], None]


@dataclass(frozen=True)
class IngestFiles:
    log: Path
    quarantine: Path
    summary: Path


def output_paths(out_dir: Path, name: str) -> IngestFiles:
    return IngestFiles(out_dir / f"{name}.parquet", out_dir / f"{name}.quarantine.csv",
                       out_dir / f"{name}.summary.json")


def write_atomically(writers: dict[Path, Writer]) -> None:
    """Call each writer on a temporary path beside its target, then rename all into place."""
    with ExitStack() as stack:
        temps: dict[Path, Path] = {}
        try:
            for target, write in writers.items():
                target.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
                os.close(fd)
                temps[target] = Path(tmp)
                stack.callback(Path(tmp).unlink, missing_ok=True)
                write(Path(tmp))
        except OSError as exc:
            raise InputError("output.write_failed", Location(str(exc.filename or target)),
                             reason=exc.strerror or str(exc)) from None
        mode = 0o666 & ~_umask()
        for target, tmp in temps.items():
            try:
                os.chmod(tmp, mode)  # mkstemp creates 0600; results get the user's usual permissions
                os.replace(tmp, target)
            except OSError as exc:
                raise InputError("output.write_failed", Location(str(target)),
                                 reason=exc.strerror or str(exc)) from None


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
