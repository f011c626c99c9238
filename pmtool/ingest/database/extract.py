"""``ingest_database``: a case database → the same canonical log, quarantine and summary as a file import.

The extraction runs each rule of the profile as one query, streamed with ``COPY (query) TO STDOUT`` and
parsed in batches of rows, inside one read-only REPEATABLE READ transaction (so all rules see the same
snapshot). The rows become a :class:`~pmtool.ingest.registry.RawTable`
(``__row`` = event number in extraction order) and go through :func:`pmtool.ingest.pipeline.ingest_table`:
activity map, time zone, quarantine, pseudonymisation at the source, summary.

>>> import pmtool.ingest.database.extract as e
>>> e.office_of_schema("ga_07"), e.office_of_schema("public")
('GA-07', None)
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import polars as pl

from pmtool.errors import ConfigError, InputError, Location
from pmtool.ingest.database.address import DatabaseAddress, connect, driver, parse_address, query_error
from pmtool.ingest.database.catalog import check_profile, read_catalog
from pmtool.ingest.database.profile import (
    OBJECT_ID,
    TIME_FORMATS,
    ExtractionProfile,
    load_extraction_profile,
    log_columns,
)
from pmtool.ingest.database.sql import output_columns, rule_query
from pmtool.ingest.pipeline import IngestResult, ingest_table
from pmtool.ingest.pseudonymise import PseudonymKey, require_key
from pmtool.ingest.registry import ROW, RawTable

FORMAT = "postgresql"
DEFAULT_SCHEMA = "public"
DEFAULT_PROFILE = "sormas"
BATCH_SIZE = 50_000
_OFFICE_SCHEMA = re.compile(r"^(?:ga[-_]?(\d{2})|lua)$", re.IGNORECASE)

#: ``progress(rules_done, rules_total, events_so_far)``
Progress = Callable[[int, int, int], None]


@dataclass(frozen=True)
class Extraction:
    """The extracted events as the pipeline's input, the SHA-256 of their text, and events per rule."""

    raw: RawTable
    sha256: str
    events_per_rule: tuple[int, ...]


def office_of_schema(schema: str) -> str | None:
    """The office a schema is named after (``ga_07`` → ``GA-07``, ``lua`` → ``LUA``), else ``None``."""
    match = _OFFICE_SCHEMA.match(schema)
    if not match:
        return None
    return f"GA-{match.group(1)}" if match.group(1) else "LUA"


def source_name(address: DatabaseAddress, schema: str) -> str:
    """How the extraction is named in the summary, quarantine and provenance (no credentials)."""
    return f"{address.display}#{schema}"


def extract(
    address: DatabaseAddress,
    profile: ExtractionProfile,
    *,
    schema: str | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> Extraction:
    """Run every rule of ``profile`` against ``schema`` (default: the profile's, else ``public``).

    Returns the events as a :class:`RawTable`; raises :class:`InputError` for connection, schema-drift and
    permission problems (one line, no credentials) and when no rule finds an event.
    """
    psycopg = driver()
    schema = schema or profile.schema or DEFAULT_SCHEMA
    name = source_name(address, schema)
    columns = output_columns(profile)
    hasher = hashlib.sha256()
    frames: list[pl.DataFrame] = []
    counts: list[int] = []
    total = 0
    with connect(address) as conn:
        catalog = read_catalog(conn, address, schema)
        check_profile(profile, catalog, name)
        version = conn.info.server_version
        for index, rule in enumerate(profile.events):
            query, params = rule_query(profile, rule, catalog)
            found = 0
            try:
                for frame in _stream(conn, query, params, columns, batch_size, hasher):
                    frames.append(frame)
                    found += frame.height
                    if progress:
                        progress(index, len(profile.events), total + found)
            except psycopg.Error as exc:
                raise query_error(exc, address, f"events[{rule.number}] ({rule.table}.{rule.column})") from None
            counts.append(found)
            total += found
            if progress:
                progress(index + 1, len(profile.events), total)
        conn.rollback()  # read-only: nothing to keep; ends the snapshot
    if total == 0:
        raise InputError("database.no_events", Location(name), profile=profile.name)
    frame = pl.concat(frames, how="vertical") if len(frames) > 1 else frames[0]
    frame = frame.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(ROW))
    details: dict[str, Any] = {"schema": schema, "database": address.dbname, "rules": len(profile.events),
                               "server_version": version}
    silent = [f"events[{r.number}] ({r.table}.{r.column})" for r, n in zip(profile.events, counts, strict=True)
              if n == 0]
    if silent:  # a rule that finds nothing may be a value or column the database spells differently
        details["rules_without_events"] = ", ".join(silent)
    raw = RawTable(frame, name, FORMAT, row_label="event", office=office_of_schema(schema), details=details)
    return Extraction(raw, hasher.hexdigest(), tuple(counts))


def _stream(conn: Any, query: Any, params: dict[str, Any], columns: tuple[str, ...], batch_size: int,
            hasher: Any) -> Iterator[pl.DataFrame]:
    """The rows of ``query`` in batches of ``batch_size``, as text columns.

    ``COPY (query) TO STDOUT`` streams the rows as the server produces them, one CSV row per message (NULL
    unquoted, empty text quoted, which polars tells apart); each batch is parsed by polars at once, so
    memory holds one batch of text besides the frames. ``hasher`` sees the exact bytes received.
    """
    from psycopg import sql

    schema = dict.fromkeys(columns, pl.String)
    batch: list[bytes] = []
    with conn.cursor() as cursor, cursor.copy(
            sql.SQL("COPY ({}) TO STDOUT (FORMAT csv)").format(query), params) as copy:
        for row in copy:
            batch.append(bytes(row))
            if len(batch) >= batch_size:
                yield _parse(batch, schema, hasher)
                batch = []
    if batch:
        yield _parse(batch, schema, hasher)


def _parse(rows: list[bytes], schema: dict[str, pl.DataType], hasher: Any) -> pl.DataFrame:
    data = b"".join(rows)
    hasher.update(data)
    return pl.read_csv(io.BytesIO(data), has_header=False, new_columns=list(schema), schema=schema)


def ingest_database(
    url: str,
    profile: ExtractionProfile | str | Path | None = None,
    *,
    schema: str | None = None,
    office: str | None = None,
    key: PseudonymKey | None = None,
    allow_identifiable: bool = False,
    max_invalid_share: float = 0.5,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> IngestResult:
    """Extract an event log from the case database at ``url`` (``postgresql://host:port/database``).

    ``profile`` is an :class:`ExtractionProfile`, a TOML file or the name of a shipped profile (default:
    ``sormas``). The office comes from ``office``, else the profile, else a schema named after an office
    (``ga_07``). Credentials come from the environment or the pgpass file; a password in ``url`` is
    refused. The result is what :func:`pmtool.ingest.pipeline.ingest` gives for a file: canonical log
    (case ids and users pseudonymised with ``key``), quarantine and summary.

    Raises :class:`InputError` (connection, schema drift, permissions), :class:`ConfigError` (profile,
    address) and ``PrivacyError`` (no key and not ``allow_identifiable``).
    """
    key = require_key(key, allow_identifiable)
    if not isinstance(profile, ExtractionProfile):
        profile = load_extraction_profile(profile if profile is not None else DEFAULT_PROFILE)
    address = parse_address(url)
    schema = schema or profile.schema or DEFAULT_SCHEMA
    if not (office or profile.mapping.office or office_of_schema(schema)):
        raise ConfigError("database.no_office", Location(source_name(address, schema)))
    extraction = extract(address, profile, schema=schema, batch_size=batch_size, progress=progress)
    # the extraction profile chose every column of the table: the log keeps them (the object ids pseudonymised)
    mapping = replace(profile.mapping, columns=log_columns(profile), formats=TIME_FORMATS,
                      pseudonymise=(*profile.mapping.pseudonymise, OBJECT_ID),
                      keep_only=tuple(extraction.raw.frame.columns))
    return ingest_table(extraction.raw, mapping, name=extraction.raw.file, sha256=lambda: extraction.sha256,
                        named={"flag": office, "profile": profile.mapping.office}, key=key,
                        max_invalid_share=max_invalid_share)
