"""Logs on disk while a run works: the run's spool folder.

A run writes each export's canonical log, and each office's part of a process as the analysis sees it
(labelled, filtered, in canonical order), to a spool folder as Parquet the moment it is made, and reads it
back when a step needs it; each office's per-case conformance tables (cases, deviations, rule results) wait
there too, and the run writes its tables from them a slice at a time. So a run holds in memory what one
office's steps need, not every event and case of the state: memory grows with the largest office, not with
the number of offices.

The folder is made by :func:`tempfile.mkdtemp` (in ``TMPDIR``, or the system's temporary folder) and removed
when the last object that reads from it is gone, or when Python exits; pmtool removes only this folder, which
it made itself. Nothing in it is executable: Parquet files only.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pmtool.eventlog.log import EventLog, Provenance


class Spool:
    """A spool folder of its own, removed with the last reference to this object."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="pmtool-spool-"))
        self._removal = weakref.finalize(self, shutil.rmtree, str(self.path), True)

    def file(self, name: str) -> Path:
        """The path of the spool file ``name`` (a plain file name)."""
        if Path(name).name != name:
            raise ValueError(f"spool file names are plain names, not {name!r}")
        return self.path / name

    def remove(self) -> None:
        """Remove the folder now (objects reading from it can no longer load their logs)."""
        self._removal()


@dataclass(frozen=True, eq=False)
class SpooledLog:
    """A canonical log kept on disk: Parquet ``files`` whose rows, one file after another, are the log in
    canonical order (each office's part, in office order). :meth:`load` reads it into memory."""

    files: tuple[Path, ...]
    provenance: Provenance = field(default_factory=Provenance)
    spool: Spool | None = field(default=None, repr=False)  # keeps the folder while this log is alive

    def load(self) -> EventLog:
        """The log in memory (read anew on every call: the caller decides how long to keep it)."""
        frames = [pl.read_parquet(f) for f in self.files]
        frame = pl.concat(frames, how="vertical") if len(frames) > 1 else frames[0]
        return EventLog.from_frame(frame, self.provenance, assume_sorted=True)


@dataclass(frozen=True, eq=False)
class SpooledFrame:
    """A table kept on disk: Parquet ``files`` whose rows, one file after another, are the table (each
    office's part, in office order; every part keeps the table's columns, an empty one too). :meth:`scan`
    reads it lazily (the streaming engine holds a slice at a time), :meth:`load` into memory."""

    files: tuple[Path, ...]
    height: int
    spool: Spool | None = field(default=None, repr=False)  # keeps the folder while this table is alive

    @classmethod
    def write(cls, frame: pl.DataFrame, path: Path) -> SpooledFrame:
        """``frame`` written to ``path`` (a spool file), as a one-part table."""
        frame.write_parquet(path)
        return cls((path,), frame.height)

    @classmethod
    def of_file(cls, path: Path) -> SpooledFrame:
        """The one-part table in the Parquet file ``path``."""
        return cls((path,), pl.scan_parquet(path).select(pl.len()).collect().item())

    @classmethod
    def joined(cls, parts: list[SpooledFrame], spool: Spool | None = None) -> SpooledFrame:
        """The table whose rows are ``parts``' rows one after another."""
        return cls(tuple(f for p in parts for f in p.files), sum(p.height for p in parts), spool)

    def scan(self) -> pl.LazyFrame:
        scans = [pl.scan_parquet(f) for f in self.files]
        return pl.concat(scans, how="diagonal_relaxed") if len(scans) > 1 else scans[0]

    def parts(self) -> Iterator[pl.DataFrame]:
        """The table part by part (one file at a time in memory)."""
        for f in self.files:
            yield pl.read_parquet(f)

    def load(self) -> pl.DataFrame:
        """The table in memory (read anew on every call: the caller decides how long to keep it)."""
        frames = list(self.parts())
        return pl.concat(frames, how="diagonal_relaxed") if len(frames) > 1 else frames[0]

    @property
    def columns(self) -> list[str]:
        return list(pl.read_parquet_schema(self.files[0]))


def scan_table(table: pl.DataFrame | SpooledFrame) -> pl.LazyFrame:
    """A table in memory or on disk, as a lazy frame."""
    return table.scan() if isinstance(table, SpooledFrame) else table.lazy()
