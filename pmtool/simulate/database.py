"""``simulate --database``: fill a PostgreSQL database with the simulated offices' case databases.

Each office gets a schema of its own (``ga_01`` … ``ga_13``) holding a SORMAS-like case database with
history tables (:mod:`pmtool.simulate.sormas`), populated from the same simulated P1 cases as the export
files of ``pmtool simulate``, so that ``pmtool ingest postgresql://…`` can be checked against them. Each
schema is written in one transaction and marked as pmtool's with a comment; an existing schema is replaced
only with ``force`` and only when it carries that mark, because pmtool deletes only what it wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pmtool.errors import ConfigError, InputError, Location, first_line
from pmtool.ingest.database.address import DatabaseAddress, connect, driver, parse_address, scrub
from pmtool.simulate.archetypes import OFFICES
from pmtool.simulate.clock import Clock
from pmtool.simulate.simulator import Settings, office_log
from pmtool.simulate.sormas import TABLES, VERSIONED, Database

#: The only process a case database holds: outbreaks and § 43 instructions live elsewhere.
PROCESS = "P1"
MARK = "pmtool simulate: synthetic SORMAS-like case database"


@dataclass(frozen=True)
class SchemaSummary:
    """What was written for one office: its schema, cases, events and row versions per table."""

    office: str
    schema: str
    cases: int
    events: int
    versions: dict[str, int]


@dataclass(frozen=True)
class DatabaseResult:
    database: str  # the address without credentials
    settings: Settings
    schemas: tuple[SchemaSummary, ...]

    @property
    def events(self) -> int:
        return sum(s.events for s in self.schemas)


def schema_name(office: str) -> str:
    """``GA-07`` → ``ga_07`` (a name PostgreSQL takes unquoted)."""
    return office.lower().replace("-", "_")


def populate_database(
    url: str,
    settings: Settings | None = None,
    *,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> DatabaseResult:
    """Write one schema per office into the database at ``url`` (credentials from the environment).

    Only P1 is written (``settings.processes`` must include it). Raises :class:`ConfigError` for bad
    settings, :class:`InputError` when the database cannot be reached or written, or a schema exists that
    pmtool did not write (or ``force`` is not given).
    """
    settings = settings or Settings()
    settings.check()
    if PROCESS not in settings.processes:
        raise ConfigError("simulate_db.process", processes=",".join(settings.processes))
    address = parse_address(url)
    psycopg = driver()
    epoch = datetime.combine(Clock(settings.year).epoch, datetime.min.time())
    summaries = []
    with connect(address, read_only=False) as conn:
        for office in OFFICES[: settings.offices]:
            if progress:
                progress(office.code)
            log = office_log(settings, office.code, PROCESS)
            db = Database()
            db.add_log(log, epoch)
            schema = schema_name(office.code)
            try:
                with conn.transaction():
                    _prepare(conn, address, schema, force)
                    versions = _write(conn, schema, db)
            except psycopg.Error as exc:
                raise InputError("simulate_db.write_failed", Location(f"{address.display}#{schema}"),
                                 reason=scrub(first_line(exc))) from None
            summaries.append(SchemaSummary(office.code, schema, log.cases, log.events, versions))
    return DatabaseResult(address.display, settings, tuple(summaries))


def _prepare(conn: Any, address: DatabaseAddress, schema: str, force: bool) -> None:
    from psycopg import sql

    row = conn.execute("SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = %s",
                       (schema,)).fetchone()
    if row is not None:
        if row[0] != MARK:
            raise InputError("simulate_db.schema_not_ours", Location(address.display), schema=schema)
        if not force:
            raise InputError("simulate_db.schema_exists", Location(address.display), schema=schema)
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    conn.execute(sql.SQL("COMMENT ON SCHEMA {} IS {}").format(sql.Identifier(schema), sql.Literal(MARK)))
    for table, columns in TABLES.items():
        body = [sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(kind)) for c, kind in columns]
        if table in VERSIONED:
            body.append(sql.SQL("sys_period tstzrange NOT NULL"))
        conn.execute(sql.SQL("CREATE TABLE {} ({})").format(sql.Identifier(schema, table), sql.SQL(", ").join(body)))
        if table in VERSIONED:
            conn.execute(sql.SQL("ALTER TABLE {} ADD PRIMARY KEY (id)").format(sql.Identifier(schema, table)))
            conn.execute(sql.SQL("CREATE TABLE {} (LIKE {})").format(
                sql.Identifier(schema, f"{table}_history"), sql.Identifier(schema, table)))


def _write(conn: Any, schema: str, db: Database) -> dict[str, int]:
    from psycopg import sql
    from psycopg.types.range import Range

    counts: dict[str, int] = {}
    with conn.cursor() as cur:
        with cur.copy(sql.SQL("COPY {} (id, uuid, username, userrole) FROM STDIN").format(
                sql.Identifier(schema, "users"))) as copy:
            for user in db.users_rows():
                copy.write_row(user)
        for table in VERSIONED:
            columns = [c for c, _ in TABLES[table]]
            target = sql.SQL("({}, sys_period)").format(sql.SQL(", ").join(sql.Identifier(c) for c in columns))
            live, history = [], []
            for row in db.rows[table]:
                ends = [at for at, _ in row.versions[1:]] + [None]
                for (start, values), end in zip(row.versions, ends, strict=True):
                    record = (*(values[c] for c in columns), Range(start, end, "[)"))
                    (history if end is not None else live).append(record)
            for name, records in ((table, live), (f"{table}_history", history)):
                with cur.copy(sql.SQL("COPY {} {} FROM STDIN").format(sql.Identifier(schema, name), target)) as copy:
                    for record in records:
                        copy.write_row(record)
            counts[table] = len(live) + len(history)
    return counts
