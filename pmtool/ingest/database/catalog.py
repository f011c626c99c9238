"""Check a database against an extraction profile before extracting: schema drift and permissions.

Every table, history table and column the profile names must exist with a usable type, and the account
must be allowed to read each table. The first problem found becomes a one-line error naming the table,
the column, where the profile uses it and what to do, instead of a failing query halfway through.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from pmtool.errors import InputError, Location
from pmtool.ingest.database.address import DatabaseAddress, driver, query_error
from pmtool.ingest.database.profile import PERIOD_START, ExtractionProfile

#: PostgreSQL type names (pg_type.typname) by what the profile needs of a column.
TIME_TYPES = {"date", "timestamp", "timestamptz"}
PERIOD_TYPES = {"tstzrange", "tsrange"}
_KIND_TYPES = {
    bool: {"bool"},
    int: {"int2", "int4", "int8", "numeric"},
    str: {"text", "varchar", "bpchar", "name", "citext"},
}
_KIND_NAMES = {bool: "boolean", int: "integer", str: "text or varchar"}

_CATALOG_SQL = """
SELECT c.relname, a.attname, t.typname, has_table_privilege(c.oid, 'SELECT')
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
ORDER BY c.relname, a.attnum
"""


@dataclass(frozen=True)
class Catalog:
    """Tables of one schema: column → type name, and whether the account may read each table."""

    schema: str
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    readable: dict[str, bool] = field(default_factory=dict)

    def type_of(self, table: str, column: str) -> str:
        return self.columns[table][column]


def read_catalog(conn: Any, address: DatabaseAddress, schema: str) -> Catalog:
    """The tables and columns of ``schema``; raises :class:`InputError` when the schema does not exist."""
    psycopg = driver()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
                        "AND nspname <> 'information_schema' ORDER BY nspname")
            schemas = [row[0] for row in cur.fetchall()]
            if schema not in schemas:
                raise InputError("database.no_schema", Location(address.display), schema=schema,
                                 known=", ".join(schemas[:20]) or "–")
            cur.execute(_CATALOG_SQL, (schema,))
            rows = cur.fetchall()
    except psycopg.Error as exc:
        raise query_error(exc, address, "") from None
    columns: dict[str, dict[str, str]] = {}
    readable: dict[str, bool] = {}
    for table, column, typname, may_read in rows:
        columns.setdefault(table, {})[column] = typname
        readable[table] = bool(may_read)
    return Catalog(schema, columns, readable)


def check_profile(profile: ExtractionProfile, catalog: Catalog, where: str) -> None:
    """Raise :class:`InputError` for the first table or column the profile needs and the database lacks;
    ``where`` names the database and schema in the message."""
    check = _Check(catalog, where, profile.name)
    check.columns(profile.case_table, {profile.row_id: "[case] table", profile.case_key: "case.key",
                                       **{a: "case.attributes" for a in profile.case_attributes}})
    if profile.users_table:
        needed = {profile.user_id: "users.id"}
        needed.update({c: f"users.{k}" for k, c in (("name", profile.user_name), ("role", profile.user_role)) if c})
        check.columns(profile.users_table, needed)
    for table in sorted({r.table for r in profile.events}):
        spec = profile.table(table)
        rules = [r for r in profile.events if r.table == table]
        needed = {profile.row_id: f"[tables.{table}]"}
        for rule in rules:
            use = f"events[{rule.number}]"
            needed.setdefault(rule.column, f"{use}.column")
            if rule.activity_column:
                needed.setdefault(rule.activity_column, f"{use}.activity_column")
            needed.update({c: f"{use}.time" for c in rule.time if c != PERIOD_START and c not in needed})
            if rule.user or spec.user:
                needed.setdefault(rule.user or spec.user or "", f"{use}.user")
        if spec.case:
            needed.setdefault(spec.case[0], f"tables.{table}.case")
        if spec.object_key:
            needed.setdefault(spec.object_key, f"tables.{table}.object_key")
        history = profile.history_table(table)
        uses_period = history is not None or any(PERIOD_START in r.time for r in rules)
        if uses_period:
            needed.setdefault(profile.period, "database.period")
        check.columns(table, needed)
        if history:
            check.history(table, history, needed)
        if uses_period:
            check.kind(table, profile.period, PERIOD_TYPES, "tstzrange", "database.period")
        for rule in rules:
            for column in rule.time:
                if column != PERIOD_START:
                    check.kind(table, column, TIME_TYPES, "date, timestamp, timestamptz", f"events[{rule.number}].time")
            if rule.to is not None:
                kind = type(rule.to[0])
                check.kind(table, rule.column, _KIND_TYPES[kind], _KIND_NAMES[kind], f"events[{rule.number}].to")
        for hop in spec.case[1:]:
            hop_table, hop_column = hop.split(".")
            check.columns(hop_table, {profile.row_id: f"tables.{table}.case", hop_column: f"tables.{table}.case"})


@dataclass(frozen=True)
class _Check:
    catalog: Catalog
    where: str
    profile: str

    def table(self, table: str) -> dict[str, str]:
        columns = self.catalog.columns.get(table)
        if columns is None:
            close = difflib.get_close_matches(table, sorted(self.catalog.columns), n=1)
            raise InputError("database.no_table", Location(self.where), schema=self.catalog.schema,
                             table=table, profile=self.profile, hint=close[0] if close else "–")
        if not self.catalog.readable.get(table, False):
            raise InputError("database.no_privilege", Location(self.where),
                             table=f"{self.catalog.schema}.{table}")
        return columns

    def columns(self, table: str, needed: dict[str, str]) -> None:
        columns = self.table(table)
        for column, use in needed.items():
            if column not in columns:
                close = difflib.get_close_matches(column, list(columns), n=1)
                raise InputError("database.no_column", Location(self.where, column=f"{table}.{column}"),
                                 use=use, profile=self.profile, hint=close[0] if close else "–")

    def history(self, table: str, history: str, needed: dict[str, str]) -> None:
        if history not in self.catalog.columns:
            raise InputError("database.no_history", Location(self.where), table=table, history=history)
        self.table(history)
        for column in needed:
            if column not in self.catalog.columns[history]:
                raise InputError("database.history_drift", Location(self.where,
                                 column=f"{history}.{column}"), table=table, column=column)

    def kind(self, table: str, column: str, allowed: set[str], expected: str, use: str) -> None:
        found = self.catalog.type_of(table, column)
        if found not in allowed:
            raise InputError("database.bad_type", Location(self.where, column=f"{table}.{column}"),
                             found=found, expected=expected, use=use)
