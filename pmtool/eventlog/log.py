"""``EventLog``: a validated canonical frame together with where it came from."""

from __future__ import annotations

import io
import itertools
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from pmtool.errors import InputError, Location, LogSchemaError, first_line
from pmtool.eventlog import schema

PROVENANCE_KEY = "pmtool.provenance"


@dataclass(frozen=True)
class SourceInfo:
    """One imported export: file name (never a full path), its SHA-256, format and mapping profile."""

    file: str
    sha256: str
    format: str
    office: str
    profile: str | None = None
    profile_sha256: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0


@dataclass(frozen=True)
class Provenance:
    """How a log was made: sources, pseudonymisation (key fingerprint only, never the key), pmtool version."""

    sources: tuple[SourceInfo, ...] = ()
    pseudonymised: bool = True
    key_id: str | None = None
    pmtool_version: str = ""
    settings: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Provenance:
        raw = json.loads(text)
        raw["sources"] = tuple(SourceInfo(**s) for s in raw.get("sources", ()))
        return cls(**raw)


#: Cases a step over a large log holds at a time (:meth:`EventLog.case_slices`): conformance, bundles and the
#: directly-follows graph work a slice of whole cases at a time, so their working tables grow with the slice,
#: not with the log. Their figures are per case or add up over cases, so any slicing gives those of the whole.
CASES_PER_SLICE = 25_000


@dataclass(frozen=True)
class EventLog:
    """A canonical event log. Construct with :meth:`from_frame`, which validates once.

    >>> import polars as pl, datetime as dt
    >>> frame = pl.DataFrame({"office": ["GA-01"], "case_id": ["c1"], "activity": ["Fall angelegt"],
    ...     "timestamp": [dt.datetime(2025, 3, 1, 9, tzinfo=dt.timezone.utc)]})
    >>> EventLog.from_frame(frame).n_events
    1
    """

    frame: pl.DataFrame
    provenance: Provenance = field(default_factory=Provenance)

    @classmethod
    def from_frame(cls, frame: pl.DataFrame, provenance: Provenance | None = None, *,
                   assume_sorted: bool = False) -> EventLog:
        """Fill optional canonical columns, cast, sort canonically, validate; raise ``LogSchemaError``.

        ``assume_sorted`` skips sorting for a caller that has already put the rows in canonical order
        (the importer sorts by pseudonym rank, which is faster than comparing strings)."""
        filled = frame
        for name, (dtype, required) in schema.COLUMNS.items():
            if name in filled.columns:
                if filled.schema[name] == pl.Null:  # an all-empty column built in code
                    filled = filled.with_columns(pl.col(name).cast(dtype))
                continue
            if name == schema.PRECISION:
                filled = filled.with_columns(pl.lit("datetime").cast(dtype).alias(name))
            elif name == schema.SOURCE_ROW:
                filled = filled.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(name))
            elif not required:
                filled = filled.with_columns(pl.lit(None, dtype).alias(name))
        if schema.TIMESTAMP in filled.columns:
            ts = filled.schema[schema.TIMESTAMP]
            if isinstance(ts, pl.Datetime) and ts.time_zone not in (None, "UTC"):
                filled = filled.with_columns(pl.col(schema.TIMESTAMP).dt.convert_time_zone("UTC"))
            if isinstance(ts, pl.Datetime):
                filled = filled.with_columns(pl.col(schema.TIMESTAMP).dt.cast_time_unit("us"))
        filled = schema.order_columns(filled) if set(schema.CANONICAL) <= set(filled.columns) else filled
        sorted_here = False
        if assume_sorted:
            sorted_here = True
        elif set(schema.SORT_KEY) <= set(filled.columns):
            try:
                filled = schema.sort(filled)
                sorted_here = True
            except pl.exceptions.PolarsError:
                pass  # validation below names the broken column
        problems = schema.validate(filled, check_order=not sorted_here)
        if problems:
            first = problems[0]
            raise LogSchemaError(
                "schema.invalid",
                Location(column=first.column),
                n=len(problems),
                details="; ".join(f"{p.column}: {p.detail}" + (f" ({p.count})" if p.count else "") for p in problems),
            )
        return cls(filled, provenance or Provenance())

    @property
    def n_events(self) -> int:
        return self.frame.height

    @property
    def n_cases(self) -> int:
        # the two key columns alone (a struct of them would be hashed row by row)
        return int(self.frame.lazy().select(schema.OFFICE, schema.CASE_ID).unique().select(pl.len()).collect().item())

    def case_slices(self, cases: int | None = None) -> list[EventLog]:
        """The log in consecutive parts of ``cases`` whole cases each (the last may hold fewer; default
        :data:`CASES_PER_SLICE`), in canonical order: views of this log's rows, not copies. A log of at most
        ``cases`` cases is one part, itself."""
        cases = CASES_PER_SLICE if cases is None else cases
        if cases < 1:
            raise ValueError("case_slices needs at least one case per part")
        if self.frame.height == 0:
            return [self]
        lengths = self.frame.select((pl.struct(schema.OFFICE, schema.CASE_ID).rle_id() // cases).rle()
                                    .struct.field("len")).to_series().to_list()
        if len(lengths) == 1:
            return [self]
        starts = [0, *itertools.accumulate(lengths)][:-1]
        return [EventLog(self.frame.slice(start, n), self.provenance) for start, n in zip(starts, lengths, strict=True)]

    def sequences(self) -> tuple[list[str], pl.DataFrame]:
        """Each case's activities in order, as numbers: the activities' names (sorted) and one row per case in
        canonical order with its office, case id and ``codes``, the positions of its activities in the names.
        A number per event instead of a text: variants are counted without a copy of the activity texts."""
        names = self.frame[schema.ACTIVITY].unique().sort().to_list()
        code = (pl.col(schema.ACTIVITY).replace_strict(names, list(range(len(names))), return_dtype=pl.UInt32)
                if names else pl.lit(None, pl.UInt32))  # (an empty mapping would keep the text type)
        per_case = (self.frame.lazy()
                    .group_by(pl.struct(schema.OFFICE, schema.CASE_ID).rle_id().alias("_case"), maintain_order=True)
                    .agg(pl.col(schema.OFFICE).first(), pl.col(schema.CASE_ID).first(), code.alias("codes"))
                    .drop("_case").collect())
        return names, per_case

    @property
    def offices(self) -> list[str]:
        return sorted(self.frame[schema.OFFICE].unique().to_list())

    @property
    def extra_columns(self) -> list[str]:
        return [c for c in self.frame.columns if c not in schema.COLUMNS]

    def write_parquet(self, path: Path) -> None:
        """Write the log with its provenance in the Parquet metadata (not atomic; see ``ingest.output``)."""
        self.frame.write_parquet(path, metadata={PROVENANCE_KEY: self.provenance.to_json()}, statistics=True)

    def _repr_html_(self) -> str:
        from pmtool.display import html_of  # how Jupyter shows it (pmtool.display)

        return html_of(self)


def read_parquet(path: Path | bytes, name: str = "log.parquet") -> EventLog:
    """Read a canonical log written by pmtool (a file, or its bytes known as ``name``); raise ``InputError``
    when it is not one."""
    data = path if isinstance(path, bytes) else None
    path = Path(name) if isinstance(path, bytes) else path
    try:
        frame = pl.read_parquet(io.BytesIO(data) if data is not None else path)
        meta = pl.read_parquet_metadata(io.BytesIO(data) if data is not None else path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError("parquet.unreadable", Location(str(path)), reason=first_line(exc)) from None
    provenance = Provenance.from_json(meta[PROVENANCE_KEY]) if PROVENANCE_KEY in meta else Provenance()
    try:
        return EventLog.from_frame(frame, provenance)
    except LogSchemaError as exc:
        raise LogSchemaError(exc.key, Location(str(path), column=exc.location.column), **exc.params) from None

