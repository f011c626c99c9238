"""``ingest``: one export file → validated, pseudonymised canonical :class:`EventLog` + quarantine + summary.

Nothing is lost silently: every source row is either loaded or quarantined with a reason, and the
summary reconciles ``rows_read == rows_loaded + rows_quarantined``.
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import polars as pl

from pmtool import __version__
from pmtool.errors import ConfigError, InputError, Location
from pmtool.eventlog import schema
from pmtool.eventlog.log import EventLog, Provenance, SourceInfo
from pmtool.i18n import t
from pmtool.ingest import registry, timestamps
from pmtool.ingest.profile import MappingProfile
from pmtool.ingest.pseudonymise import PseudonymKey, pseudonym_table, pseudonymise_series, require_key
from pmtool.ingest.registry import ROW, RawTable, ReadOptions
from pmtool.offices import OfficeChoice, check_office_id, choose_office, office_in_file_name
from pmtool.sinks import value_shape
from pmtool.stage_cache import sha256_file
from pmtool.vocabulary import vocabulary

#: Quarantine reasons, in the order they are checked (a row gets the first that applies).
REASONS = (
    "missing_case_id",
    "missing_activity",
    timestamps.REASON_MISSING,
    timestamps.REASON_UNPARSABLE,
    timestamps.REASON_DST_GAP,
    timestamps.REASON_DST_OVERLAP,
    timestamps.REASON_IMPLAUSIBLE,
    "excluded_by_profile",
    "unmapped_activity",
    "duplicate_event",
)
#: Reasons that, when they hit most rows, mean the profile is wrong rather than the rows.
_SYSTEMIC = {
    "missing_case_id": schema.CASE_ID,
    "missing_activity": schema.ACTIVITY,
    timestamps.REASON_MISSING: schema.TIMESTAMP,
    timestamps.REASON_UNPARSABLE: schema.TIMESTAMP,
}
_OFFICE_KEYS = {"flag": "--office", "project": "offices.id", "profile": "office", "data": "office",
                "file_name": "office"}
#: The canonical columns every export must name (``[columns]`` of a mapping profile, or the format itself).
REQUIRED = (schema.CASE_ID, schema.ACTIVITY, schema.TIMESTAMP)


@dataclass(frozen=True)
class IngestSummary:
    """What an ingest did, reconciled; written as ``<name>.summary.json`` beside the log."""

    file: str
    sha256: str
    format: str
    office: str
    profile: str | None
    profile_sha256: str | None
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    quarantine_by_reason: dict[str, int]
    cases: int
    activities: int
    period_start: str | None
    period_end: str | None
    date_only_events: int
    mapped_events: int
    coverage: float
    unmapped_labels: dict[str, int]
    timestamp_formats: list[str]
    pseudonymised: bool
    key_id: str | None
    reader: dict[str, Any] = field(default_factory=dict)
    pmtool_version: str = __version__
    timezone: str = "Europe/Berlin"  # the profile's zone: local times were read, and dates are shown, in it
    office_source: str = "flag"  # which source named the office (pmtool.offices.PRECEDENCE)
    office_disagreements: dict[str, str] = field(default_factory=dict)  # other sources naming another office
    unmapped_roles: dict[str, int] = field(default_factory=dict)  # role values neither mapped nor in the vocabulary
    dropped_columns: list[str] = field(default_factory=list)  # export columns not imported (not mapped, not kept)

    @property
    def reconciles(self) -> bool:
        return (self.rows_read == self.rows_loaded + self.rows_quarantined
                and sum(self.quarantine_by_reason.values()) == self.rows_quarantined)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class IngestResult:
    log: EventLog
    quarantine: pl.DataFrame
    summary: IngestSummary

    def write_log(self, path: Path) -> None:
        """Write the canonical log as Parquet with its provenance (not atomic; see ``ingest.output``)."""
        self.log.write_parquet(path)

    def _repr_html_(self) -> str:
        from pmtool.display import html_of  # how Jupyter shows it (pmtool.display)

        return html_of(self)


@dataclass(frozen=True, eq=False)
class SpooledIngest:
    """An :class:`IngestResult` whose log waits on disk (``file``, written by :meth:`IngestResult.write_log`)
    in a run's spool folder (:mod:`pmtool.spool`): ``log`` reads it when asked."""

    file: Path
    quarantine: pl.DataFrame
    summary: IngestSummary
    spool: Any = field(default=None, repr=False)  # the pmtool.spool.Spool that keeps the file

    @property
    def log(self) -> EventLog:
        from pmtool.eventlog.log import read_parquet

        return read_parquet(self.file)

    def write_log(self, path: Path) -> None:
        """Copy the log's file (the same bytes :meth:`IngestResult.write_log` writes)."""
        import shutil

        shutil.copyfile(self.file, path)

    @classmethod
    def of(cls, result: IngestResult, file: Path) -> SpooledIngest:
        """``result`` with its log written to ``file``."""
        result.write_log(file)
        return cls(file, result.quarantine, result.summary)

    def _repr_html_(self) -> str:
        from pmtool.display import html_of  # how Jupyter shows it (pmtool.display)

        return html_of(self)


def ingest(
    path: Path,
    profile: MappingProfile | None = None,
    *,
    office: str | None = None,
    office_source: str = "flag",
    key: PseudonymKey | None = None,
    allow_identifiable: bool = False,
    format: str | None = None,
    read_options: ReadOptions | None = None,
    max_invalid_share: float = 0.5,
    office_fallback: str | None = None,
) -> IngestResult:
    """Import one export.

    Takes the export ``path`` and its mapping ``profile`` (optional for XES, OCEL and canonical Parquet,
    which carry their own keys), the ``office`` id and where it came from (``office_source``: "flag" or
    "project"; else the profile's, the data's or a code in the file name, see :mod:`pmtool.offices`;
    ``office_fallback`` is used when none names one, else a missing office is an error before the file is
    read), the
    pseudonymisation ``key`` (required unless ``allow_identifiable``), and ``read_options`` that override
    the profile's. When more than ``max_invalid_share`` of the rows fail on the same required column,
    the profile is wrong, not the rows: that raises :class:`InputError` instead of quarantining.

    Returns an :class:`IngestResult`; raises :class:`InputError`, :class:`ConfigError`, ``PrivacyError``.
    """
    key = require_key(key, allow_identifiable)
    profile = profile or MappingProfile()
    named = require_office(path, profile, office=office, office_source=office_source, format=format,
                           fallback=office_fallback)
    fmt = format or profile.format or registry.detect_format(path)
    hashing = _Sha256Thread(path)
    options = _merge_options(profile.read_options, read_options)
    held = [registry.read(path, options, fmt)]  # handed over: the import lets go of the table when done with it
    return _ingest_owned(held, profile, name=path.name, sha256=hashing.result, named=named, key=key,
                         max_invalid_share=max_invalid_share, office_fallback=office_fallback)


def ingest_table(
    raw: RawTable,
    profile: MappingProfile,
    *,
    name: str,
    sha256: Callable[[], str],
    named: dict[str, str | None],
    key: PseudonymKey | None,
    max_invalid_share: float = 0.5,
    office_fallback: str | None = None,
) -> IngestResult:
    """The part of :func:`ingest` after reading: map, parse, pseudonymise, quarantine and summarise ``raw``.

    Every source of events (an export file, a database extraction) ends here, so all give the same canonical
    log, quarantine and summary. ``name`` is the source's name in the summary and provenance (a file name,
    or a database address without credentials); ``sha256`` returns the SHA-256 of the source's content when
    called; ``named`` are the sources that name the office (:func:`require_office`; the data's own office,
    ``raw.office``, joins them). ``key`` is ``None`` only when the caller allowed identifiable output.
    """
    return _ingest_owned([raw], profile, name=name, sha256=sha256, named=named, key=key,
                         max_invalid_share=max_invalid_share, office_fallback=office_fallback)


def _ingest_owned(held: list[RawTable], profile: MappingProfile, *, name: str, sha256: Callable[[], str],
                  named: dict[str, str | None], key: PseudonymKey | None, max_invalid_share: float,
                  office_fallback: str | None) -> IngestResult:
    """:func:`ingest_table` of the table in ``held``, which it takes out: when the caller holds no other
    reference to it, its memory is freed as soon as the loaded rows no longer need it."""
    raw = held.pop()
    # One chunk per column: polars aligns a frame's chunks by copying every column when a new column is
    # chunked otherwise (a reader's blocks against a parsed column's one), which copied the whole export.
    raw = replace(raw, frame=raw.frame.rechunk())
    choice = _resolve_office(named, raw, office_fallback)
    office_id = choice.office
    mapping = _resolve_columns(profile, raw)

    work = _canonical_columns(raw, profile, mapping)
    # Case pseudonyms are computed on the other core while polars parses (it releases the GIL).
    pool = ThreadPoolExecutor(max_workers=1)
    case_table = pool.submit(pseudonym_table, work[schema.CASE_ID], key, "case") if key else None
    parsed = timestamps.midnight_as_date(timestamps.plausible(_parse_time(work, raw, profile, mapping)),
                                         profile.timezone)
    work = work.with_columns(
        parsed.utc.alias(schema.TIMESTAMP), parsed.precision.alias(schema.PRECISION),
        parsed.reason.alias("__ts_reason"),
    )
    formats_used = parsed.formats_used
    del parsed
    work, activity_names = _map_activities(work, profile)
    if profile.role_map:
        work = work.with_columns(pl.col(schema.ROLE).replace(profile.role_map))
    work = work.with_columns(_reason_expr(profile).alias("__reason")).drop("__ts_reason")
    work = _mark_duplicates(work, _duplicate_columns(work, raw, profile, mapping))
    unmapped_counts = {k: v for k, v in _unmapped_labels(work).items() if k not in profile.soll_map}
    _refuse_systemic_failures(work, raw, mapping, formats_used, max_invalid_share)

    extras = _kept_columns(raw.frame.columns, profile, mapping)
    dropped = [c for c in raw.frame.columns
               if c != ROW and c not in extras and c not in {s for cols in mapping.values() for s in cols}]
    extra_names = {c: (f"src_{c}" if c in schema.COLUMNS else c) for c in extras}

    quarantine = _quarantine_frame(work, raw, profile, mapping, key, name)
    rows_read = raw.rows_read
    # The rest needs only the loaded rows' canonical columns: the export's table and the working columns go
    # now (unless the caller holds the table too), and the loaded rows are gathered in their final order one
    # column at a time, each from a column dropped right after (no second copy of a large export at once).
    raw = replace(raw, frame=raw.frame.clear())
    order = _loaded_order(work, case_table.result() if case_table is not None else None)
    source = work.select(*[pl.col(c) for c in schema.CANONICAL if c != schema.OFFICE],
                         *[pl.col(f"__x_{c}").alias(extra_names[c]) for c in extras])
    del work
    columns = []
    for column in source.columns:
        values = source.drop_in_place(column).gather(order)
        if column == schema.CASE_ID and case_table is not None:
            table = case_table.result()
            values = values.replace_strict(table["value"], table["pseudonym"])
        elif column == schema.ACTIVITY:
            values = values.replace(activity_names)
        columns.append(values)
    del source, order
    loaded_frame = pl.DataFrame(columns).select(pl.lit(office_id).alias(schema.OFFICE), pl.all())
    del columns
    pool.shutdown()
    loaded_frame = _pseudonymise(loaded_frame, key, [extra_names[c] for c in profile.pseudonymise if c in extras])
    summary = _summary(name, sha256(), raw, rows_read, profile, choice, loaded_frame, quarantine,
                       unmapped_counts, formats_used, key)
    summary = replace(summary, unmapped_roles=_unmapped_roles(loaded_frame, profile), dropped_columns=dropped)
    provenance = Provenance(
        sources=(SourceInfo(file=name, sha256=summary.sha256, format=raw.format, office=office_id,
                            profile=profile.name if profile.sha256 else None, profile_sha256=profile.sha256,
                            rows_read=summary.rows_read, rows_loaded=summary.rows_loaded,
                            rows_quarantined=summary.rows_quarantined),),
        pseudonymised=key is not None,
        key_id=key.key_id if key else None,
        pmtool_version=__version__,
        settings={"timezone": profile.timezone, "ambiguous": profile.ambiguous,
                  "nonexistent": profile.nonexistent, "max_invalid_share": max_invalid_share,
                  "duplicate_key": list(profile.duplicate_key) if profile.duplicate_key else "all columns"},
    )
    log = EventLog.from_frame(loaded_frame, provenance, assume_sorted=True)
    return IngestResult(log, quarantine, summary)


def _loaded_order(work: pl.DataFrame, case_table: pl.DataFrame | None) -> pl.Series:
    """The positions in ``work`` of the loaded rows (no quarantine reason), in the log's order: by case (the
    rank of its pseudonym in ``case_table``, else its id), time and source row (:func:`schema.sort`)."""
    loaded = work.lazy().with_row_index("__i").filter(pl.col("__reason").is_null())
    if case_table is not None:
        rank = pl.col(schema.CASE_ID).replace_strict(case_table["value"], case_table["rank"]).alias("__rank")
        keys = loaded.select("__i", rank, schema.TIMESTAMP, schema.SOURCE_ROW).collect()
        return keys.sort("__rank", schema.TIMESTAMP, schema.SOURCE_ROW)["__i"]
    # schema.sort's order (the office is one for all rows): a case id's rank among the sorted ids orders the
    # rows as the id does, and sorting numbers needs far less memory than sorting the ids themselves
    cases = work[schema.CASE_ID].drop_nulls().unique().sort()
    rank = pl.col(schema.CASE_ID).replace_strict(cases, pl.int_range(cases.len(), dtype=pl.UInt32, eager=True))
    keys = loaded.select("__i", rank.alias("__rank"), schema.TIMESTAMP, schema.SOURCE_ROW).collect()
    return keys.sort("__rank", schema.TIMESTAMP, schema.SOURCE_ROW, maintain_order=True)["__i"]


def _kept_columns(columns: list[str], profile: MappingProfile, mapping: dict[str, tuple[str, ...]]) -> list[str]:
    """The export's further columns the canonical log keeps: those the profile keeps (``keep``) or
    pseudonymises, never one it drops or maps. Every other column is left out, so a column nobody looked
    at (a name, a raw case id in an XES attribute) cannot reach the results."""
    mapped = {s for cols in mapping.values() for s in cols}
    wanted = {*(profile.keep_only or ()), *profile.pseudonymise}
    return [c for c in columns if c != ROW and c in wanted and c not in profile.drop and c not in mapped]


def _merge_options(base: ReadOptions, override: ReadOptions | None) -> ReadOptions:
    if override is None:
        return base
    changes = {k: v for k, v in asdict(override).items() if v is not None and v != getattr(ReadOptions(), k)}
    return replace(base, **changes)


def require_office(path: Path, profile: MappingProfile, *, office: str | None, office_source: str = "flag",
                   format: str | None = None, fallback: str | None = None) -> dict[str, str | None]:
    """The sources that name the office of ``path`` before it is read (see :mod:`pmtool.offices`).

    Raises :class:`ConfigError` at once, before a long parse, when none does and the data cannot either
    (only a canonical Parquet log carries its office) and there is no ``fallback``."""
    named = {office_source: office, "profile": profile.office, "file_name": office_in_file_name(path)}
    fmt = format or profile.format or registry.detect_format(path)
    if choose_office(named) is None and fallback is None and fmt != "parquet":
        raise ConfigError("ingest.no_office", Location(str(path)))
    return named


def _resolve_office(named: dict[str, str | None], raw: RawTable, fallback: str | None) -> OfficeChoice:
    choice = choose_office({**named, "data": raw.office})
    if choice is None:
        if fallback is None:
            raise ConfigError("ingest.no_office", Location(raw.file))
        return OfficeChoice(fallback, "fallback")
    check_office_id(choice.office, where=raw.file, key=_OFFICE_KEYS[choice.source])
    return choice


def _resolve_columns(profile: MappingProfile, raw: RawTable) -> dict[str, tuple[str, ...]]:
    mapping = {k: (v,) for k, v in raw.default_columns.items()}
    mapping.update(profile.columns)
    missing_roles = [c for c in REQUIRED if c not in mapping]
    if missing_roles:
        raise ConfigError("ingest.needs_profile", Location(raw.file), columns=", ".join(missing_roles),
                          format=raw.format)
    found = [c for c in raw.frame.columns if c != ROW]
    for canon, sources in mapping.items():
        for src in sources:
            if src not in found:
                delim = raw.details.get("delimiter")
                hint = _delimiter_hint(found[0], delim) if len(found) == 1 else ""
                shown, close = _columns_found(src, found)
                # a header row and a delimiter exist only in delimited text (CSV, TSV); XES, Excel, Parquet …
                # have named attributes or columns
                delimited = delim is not None
                raise InputError("ingest.missing_column_delimited" if delimited else "ingest.missing_column",
                                 Location(raw.file, 1 if delimited and raw.row_label == "line" else None, src,
                                          raw.row_label), canon=canon, found=shown, hint=hint, close=close)
            if f"{src}_duplicated_0" in found:  # the header names this column twice: which one is meant?
                raise InputError("ingest.duplicate_column", Location(raw.file, 1 if raw.row_label == "line" else None,
                                 src, raw.row_label), canon=canon)
    # a column the profile keeps or pseudonymises under a name the file lacks would be left out unnoticed
    for key, names in (("keep", profile.keep_only or ()), ("pseudonymise", profile.pseudonymise)):
        for name in names:
            if name not in raw.frame.columns:
                shown, close = _columns_found(name, found)
                raise InputError("ingest.missing_listed_column", Location(raw.file, column=name), name=name, key=key,
                                 found=shown, close=close)
    return mapping


def _columns_found(name: str, found: list[str]) -> tuple[str, str]:
    """The file's columns ``found`` as an error lists them (the one closest to the missing ``name`` first, so
    the likely one is never cut off; at most 12) and the "did you mean" sentence ("" when none is close)."""
    close = difflib.get_close_matches(name, found, n=1, cutoff=0.6)
    shown = close + [c for c in found if c not in close]
    return (", ".join(f"'{c}'" for c in shown[:12]) + (" …" if len(found) > 12 else ""),
            t("ingest.close_column", name=close[0]) if close else "")


def _delimiter_hint(single_header: str, used: str | None) -> str:
    for cand, name in ((";", "';'"), (",", "','"), ("\t", "tab"), ("|", "'|'")):
        if cand != used and cand in single_header:
            return f" (delimiter {name}?)"
    return ""


def _text(expr: pl.Expr) -> pl.Expr:
    stripped = expr.cast(pl.String).str.strip_chars()
    return pl.when(stripped == "").then(None).otherwise(stripped)


def _text_of(frame: pl.DataFrame, columns: list[str]) -> dict[str, pl.Expr]:
    """:func:`_text` of each of ``columns``; a text column it would not change is taken as it is (the
    canonical column then shares the export's memory instead of copying it)."""
    types = frame.schema
    text = [c for c in dict.fromkeys(columns) if types[c] == pl.String]
    # white space at either end (what strip_chars removes: Unicode White_Space, as regex's \s), or nothing
    changes = frame.select(
        (pl.col(c).str.contains(r"^\s|\s$") | (pl.col(c) == "")).any().alias(c) for c in text
    ).row(0) if text and frame.height else [True] * len(text)
    same = {c for c, changed in zip(text, changes, strict=True) if not changed}
    return {c: pl.col(c) if c in same else _text(pl.col(c)) for c in columns}


def _canonical_columns(raw: RawTable, profile: MappingProfile, mapping: dict[str, tuple[str, ...]]) -> pl.DataFrame:
    exprs: list[pl.Expr] = [pl.col(ROW).cast(pl.Int64).alias(schema.SOURCE_ROW)]
    texts = _text_of(raw.frame, [mapping[c][0] for c in (schema.CASE_ID, schema.ACTIVITY, schema.RESOURCE,
                                                         schema.ROLE, schema.LIFECYCLE, schema.SOURCE_SYSTEM)
                                 if c in mapping])
    for canon in (schema.CASE_ID, schema.ACTIVITY, schema.RESOURCE, schema.ROLE, schema.LIFECYCLE):
        if canon in mapping:
            exprs.append(texts[mapping[canon][0]].alias(canon))
        else:
            exprs.append(pl.lit(None, pl.String).alias(canon))
    if schema.SOURCE_SYSTEM in mapping:
        src = texts[mapping[schema.SOURCE_SYSTEM][0]]
        exprs.append((pl.coalesce(src, pl.lit(profile.source_system)) if profile.source_system else src)
                     .alias(schema.SOURCE_SYSTEM))
    else:
        exprs.append(pl.lit(profile.source_system, pl.String).alias(schema.SOURCE_SYSTEM))
    used = {s for cols in mapping.values() for s in cols}
    exprs += [pl.col(c).alias(f"__x_{c}") for c in raw.frame.columns if c != ROW and c not in used]
    return raw.frame.select(exprs)


def _parse_time(work: pl.DataFrame, raw: RawTable, profile: MappingProfile,
                mapping: dict[str, tuple[str, ...]]) -> timestamps.ParsedTimestamps:
    sources = mapping[schema.TIMESTAMP]
    column = raw.frame[sources[0]]
    if len(sources) == 1 and isinstance(column.dtype, pl.Datetime):
        utc = (column.dt.convert_time_zone("UTC") if column.dtype.time_zone
               else column.dt.replace_time_zone(profile.timezone, ambiguous="earliest", non_existent="null")
               .dt.convert_time_zone("UTC"))
        utc = utc.dt.cast_time_unit("us")
        reason = pl.select(pl.when(pl.lit(utc).is_null()).then(pl.lit(timestamps.REASON_MISSING))
                           .otherwise(pl.lit(None, pl.String))).to_series()
        precision = pl.Series([ "datetime"] * utc.len(), dtype=schema.PRECISION_DTYPE)
        return timestamps.ParsedTimestamps(utc, precision, reason, ("typed",))
    if isinstance(column.dtype, pl.Date) or len(sources) == 1:
        text = column.cast(pl.String)
    else:
        text = raw.frame.select(
            pl.concat_str([_text(pl.col(c)) for c in sources], separator=" ", ignore_nulls=True)
        ).to_series()
    return timestamps.parse(text, formats=profile.formats, timezone=profile.timezone,
                            ambiguous=profile.ambiguous, nonexistent=profile.nonexistent)


def _map_activities(work: pl.DataFrame, profile: MappingProfile) -> tuple[pl.DataFrame, dict[str, str]]:
    """``work`` with the source label as ``__label`` and the vocabulary code of each label, and the name each
    label is shown with in the log (the activity column gets it only for the loaded rows, in the end)."""
    vocab = vocabulary()
    labels = work[schema.ACTIVITY].drop_nulls().unique().to_list()
    code_of: dict[str, str | None] = {}
    for label in labels:
        code = profile.activity_map.get(label)
        if code is None:
            act = vocab.resolve(label)
            code = act.id if act else None
        code_of[label] = code
    codes = {k: v for k, v in code_of.items() if v is not None}
    name_of = {label: vocab.resolve(code).name for label, code in codes.items()}  # type: ignore[union-attr]
    # mapped onto a Soll task's own label: the label check ties it to the task when conformance runs
    name_of.update({label: target for label, target in profile.soll_map.items() if label not in codes})
    work = work.with_columns(
        pl.col(schema.ACTIVITY).alias("__label"),
        pl.col(schema.ACTIVITY).replace_strict(codes, default=None, return_dtype=pl.String)
        .alias(schema.ACTIVITY_CODE),
    )
    return work, name_of


def _unmapped_labels(work: pl.DataFrame) -> dict[str, int]:
    """Labels outside the vocabulary, with event counts, among rows loaded or quarantined only for that."""
    counts = (work.lazy().filter(pl.col(schema.ACTIVITY_CODE).is_null() & pl.col("__label").is_not_null()
                                 & (pl.col("__reason").is_null() | (pl.col("__reason") == "unmapped_activity")))
              .group_by("__label").len().sort(["len", "__label"], descending=[True, False]).collect())
    return dict(zip(counts["__label"].to_list(), counts["len"].to_list(), strict=True))


def _unmapped_roles(loaded: pl.DataFrame, profile: MappingProfile) -> dict[str, int]:
    """Role values of the loaded events that are neither a role of the vocabulary nor a target of the
    profile's ``[roles.map]``, with event counts (most first): like unmapped activity labels."""
    known = [*vocabulary().roles(), *profile.role_map.values()]
    counts = (loaded.lazy().filter(pl.col(schema.ROLE).is_not_null() & ~pl.col(schema.ROLE).is_in(known))
              .group_by(schema.ROLE).len().sort(["len", schema.ROLE], descending=[True, False]).collect())
    return dict(zip(counts[schema.ROLE].to_list(), counts["len"].to_list(), strict=True))


def _reason_expr(profile: MappingProfile) -> pl.Expr:
    expr = (pl.when(pl.col(schema.CASE_ID).is_null()).then(pl.lit("missing_case_id"))
            .when(pl.col(schema.ACTIVITY).is_null()).then(pl.lit("missing_activity"))
            .when(pl.col("__ts_reason").is_not_null()).then(pl.col("__ts_reason")))
    if profile.ignore:
        expr = expr.when(pl.col("__label").is_in(list(profile.ignore))).then(pl.lit("excluded_by_profile"))
    if profile.require_full_map:
        expr = expr.when(pl.col(schema.ACTIVITY_CODE).is_null() & ~pl.col("__label").is_in(list(profile.soll_map))
                         ).then(pl.lit("unmapped_activity"))
    return expr.otherwise(pl.lit(None, pl.String))


def _duplicate_columns(work: pl.DataFrame, raw: RawTable, profile: MappingProfile,
                       mapping: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The columns of ``work`` two rows must agree in to be one event: the profile's ``[duplicates] key``
    (canonical names or export columns), by default every imported column — case, source label, time,
    resource, role, lifecycle, source system and every further column of the export, also those the log leaves
    out (which events are copies does not depend on what the profile keeps); ``drop`` columns are never read."""
    imported = [f"__x_{c}" for c in raw.frame.columns if f"__x_{c}" in work.columns and c not in profile.drop]
    canonical = {schema.ACTIVITY: "__label"}
    if profile.duplicate_key is None:
        return (schema.CASE_ID, "__label", schema.TIMESTAMP, schema.PRECISION, schema.RESOURCE, schema.ROLE,
                schema.LIFECYCLE, schema.SOURCE_SYSTEM, *imported)
    columns = []
    for name in profile.duplicate_key:
        if name in schema.MAPPABLE:
            columns.append(canonical.get(name, name))
        elif f"__x_{name}" in imported:
            columns.append(f"__x_{name}")
        elif any(name in sources for sources in mapping.values()):
            canon = next(c for c, sources in mapping.items() if name in sources)
            columns.append(canonical.get(canon, canon))
        else:
            found = [c for c in raw.frame.columns if c != ROW]
            raise ConfigError("ingest.bad_duplicate_key", Location(raw.file, column=name), name=name,
                              found=", ".join(f"'{c}'" for c in found[:12]) + (" …" if len(found) > 12 else ""))
    return tuple(dict.fromkeys(columns))


def _mark_duplicates(work: pl.DataFrame, key: tuple[str, ...]) -> pl.DataFrame:
    """Among rows that are otherwise fine, the first occurrence in the source stays; later copies go.

    A 64-bit hash finds the candidates fast; the exact comparison then runs on those few rows only.
    """
    # Copies agree in case and time too: hashing those two first leaves few rows to hash in full. Only those
    # rows are taken out of ``work`` (not all of its rows that are fine: that would copy a large export).
    coarse = [c for c in (schema.CASE_ID, schema.TIMESTAMP) if c in key]
    first = coarse if coarse and len(coarse) < len(key) else list(key)
    fine = pl.col("__reason").is_null()
    ok = (work.lazy().with_row_index("__i")
          .filter(fine & pl.when(fine).then(pl.struct(first).hash()).is_duplicated())
          .select("__i", *key).collect())
    candidates = ok.filter(pl.struct(list(key)).hash().is_duplicated()) if first != list(key) else ok
    if candidates.height == 0:
        return work
    later = candidates.filter(~pl.struct(list(key)).is_first_distinct())["__i"]
    return work.with_columns(
        pl.when(pl.int_range(pl.len(), dtype=pl.UInt32).is_in(later.implode())).then(pl.lit("duplicate_event"))
        .otherwise(pl.col("__reason")).alias("__reason")
    )


def _refuse_systemic_failures(work: pl.DataFrame, raw: RawTable, mapping: dict[str, tuple[str, ...]],
                              formats: tuple[str, ...], share: float) -> None:
    n = work.height
    counts = dict(work.group_by("__reason").len().iter_rows())
    for reason, canon in _SYSTEMIC.items():
        bad = counts.get(reason, 0)
        if bad and bad > share * n:
            first = work.filter(pl.col("__reason") == reason).row(0, named=True)
            column = " + ".join(mapping[canon])
            value = raw.frame.filter(pl.col(ROW) == first[schema.SOURCE_ROW]).select(
                pl.concat_str([pl.col(c).cast(pl.String) for c in mapping[canon]], separator=" ",
                              ignore_nulls=True)).item()
            raise InputError(f"ingest.systemic.{reason}",
                             Location(raw.file, first[schema.SOURCE_ROW], column, raw.row_label),
                             bad=bad, n=n, value=value_shape(value if value is not None else ""),
                             formats=", ".join(formats or timestamps.DEFAULT_FORMATS))


def _pseudonymise(frame: pl.DataFrame, key: PseudonymKey | None, extra: list[str]) -> pl.DataFrame:
    if key is None:
        return frame
    cols = [pseudonymise_series(frame[schema.RESOURCE], key, "resource")]
    cols += [pseudonymise_series(frame[c], key, "attribute") for c in extra if c in frame.columns]
    return frame.with_columns(cols)


def _quarantine_frame(work: pl.DataFrame, raw: RawTable, profile: MappingProfile,
                      mapping: dict[str, tuple[str, ...]], key: PseudonymKey | None, name: str) -> pl.DataFrame:
    bad = work.lazy().filter(pl.col("__reason").is_not_null()).select(schema.SOURCE_ROW, "__reason").collect()
    column_of = {**{r: " + ".join(mapping[c]) for r, c in _SYSTEMIC.items()},
                 timestamps.REASON_DST_GAP: " + ".join(mapping[schema.TIMESTAMP]),
                 timestamps.REASON_DST_OVERLAP: " + ".join(mapping[schema.TIMESTAMP]),
                 timestamps.REASON_IMPLAUSIBLE: " + ".join(mapping[schema.TIMESTAMP]),
                 "excluded_by_profile": mapping[schema.ACTIVITY][0],
                 "unmapped_activity": mapping[schema.ACTIVITY][0],
                 "duplicate_event": ""}
    rows = raw.frame.join(bad, left_on=ROW, right_on=schema.SOURCE_ROW, how="inner", maintain_order="left")
    mapped = {s for cols in mapping.values() for s in cols}
    kept = set(_kept_columns(raw.frame.columns, profile, mapping))
    keep = [c for c in raw.frame.columns if c != ROW and (c in mapped or c in kept)]
    identifying = {
        *(mapping.get(schema.CASE_ID, ())), *(mapping.get(schema.RESOURCE, ())), *profile.pseudonymise,
    }
    value_cols = {r: mapping[c] for r, c in _SYSTEMIC.items()}
    value_cols.update({timestamps.REASON_DST_GAP: mapping[schema.TIMESTAMP],
                       timestamps.REASON_DST_OVERLAP: mapping[schema.TIMESTAMP],
                       timestamps.REASON_IMPLAUSIBLE: mapping[schema.TIMESTAMP],
                       "excluded_by_profile": mapping[schema.ACTIVITY],
                       "unmapped_activity": mapping[schema.ACTIVITY]})
    value_expr = pl.lit(None, pl.String)
    for reason, cols in value_cols.items():
        if any(c in identifying for c in cols):
            continue
        value_expr = pl.when(pl.col("__reason") == reason).then(
            pl.concat_str([pl.col(c).cast(pl.String) for c in cols], separator=" ", ignore_nulls=True)
        ).otherwise(value_expr)
    out = rows.select(
        pl.lit(name).alias("source_file"),
        pl.col(ROW).cast(pl.Int64).alias("source_row"),
        pl.col("__reason").alias("reason"),
        pl.col("__reason").replace_strict(column_of, default="").alias("column"),
        value_expr.alias("value"),
        *[pl.col(c).cast(pl.String).alias(f"raw:{c}") for c in keep],
    )
    if key is not None:
        kinds = {c: ("case" if c in mapping.get(schema.CASE_ID, ()) else
                     "resource" if c in mapping.get(schema.RESOURCE, ()) else "attribute") for c in identifying}
        out = out.with_columns([pseudonymise_series(out[f"raw:{c}"], key, kind) for c, kind in kinds.items()
                                if f"raw:{c}" in out.columns])
    return out.sort("source_row", maintain_order=True)


class _Sha256Thread:
    """SHA-256 of the input, computed beside the parse on the other core (hashlib releases the GIL)."""

    def __init__(self, path: Path) -> None:
        self._value: str | None = None
        self._thread = threading.Thread(target=self._run, args=(path,), daemon=True)
        self._thread.start()

    def _run(self, path: Path) -> None:
        try:
            self._value = sha256_file(path)
        except (OSError, InputError):  # an error here would print a thread's traceback
            self._value = None  # the reader reports the unreadable file (or the device that is no file)

    def result(self) -> str:
        self._thread.join()
        return self._value or ""


def _summary(name: str, sha256: str, raw: RawTable, rows_read: int, profile: MappingProfile, office: OfficeChoice,
             loaded: pl.DataFrame,
             quarantine: pl.DataFrame, unmapped: dict[str, int], formats: tuple[str, ...],
             key: PseudonymKey | None) -> IngestSummary:
    by_reason = {r: 0 for r in REASONS}
    for reason, count in quarantine.group_by("reason").len().iter_rows():
        by_reason[reason] = count
    mapped = loaded[schema.ACTIVITY_CODE].is_not_null().sum()
    ts = loaded[schema.TIMESTAMP]
    return IngestSummary(
        file=name,
        sha256=sha256,
        format=raw.format,
        office=office.office,
        profile=profile.name if profile.sha256 else None,
        profile_sha256=profile.sha256,
        rows_read=rows_read,
        rows_loaded=loaded.height,
        rows_quarantined=quarantine.height,
        quarantine_by_reason={r: c for r, c in by_reason.items() if c},
        cases=loaded[schema.CASE_ID].n_unique(),
        activities=loaded[schema.ACTIVITY].n_unique(),
        period_start=ts.min().isoformat() if loaded.height else None,  # type: ignore[union-attr]
        period_end=ts.max().isoformat() if loaded.height else None,  # type: ignore[union-attr]
        date_only_events=int((loaded[schema.PRECISION] == "date").sum()),
        mapped_events=int(mapped),
        coverage=round(mapped / loaded.height, 6) if loaded.height else 0.0,
        unmapped_labels=unmapped,
        timestamp_formats=list(formats),
        pseudonymised=key is not None,
        key_id=key.key_id if key else None,
        reader={k: v for k, v in raw.details.items() if isinstance(v, str | int | float | bool)},
        timezone=profile.timezone,
        office_source=office.source,
        office_disagreements=dict(office.disagreements),
    )
