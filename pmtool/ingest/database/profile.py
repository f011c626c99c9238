"""Extraction profiles: which tables and columns of a case database yield which events. One TOML file each.

An event is a *state change* of a row, read from the row's versions (the history table plus the live row,
ordered by the start of their validity period): a version whose watched ``column`` differs from the
version before and holds one of the ``to`` values (any non-empty value when ``to`` is absent). A row's
first version counts as a change from nothing, so "a sample was registered" is the change of its
``reportdatetime`` from empty to a value. A minimal profile::

    source_system = "SORMAS"

    [case]
    table = "cases"
    key = "uuid"                     # the case id of the log (pseudonymised)

    [tables.task]
    case = "caze_id"                 # task.caze_id = cases.id
    user = "assigneeuser_id"

    [[events]]
    table = "task"
    column = "taskstatus"
    to = ["DONE"]
    activity_column = "tasktype"     # the label comes from the row; [activities.map] maps it
    time = ["completiondate", "statuschangedate"]

Every key is documented in ``docs/database.md``; unknown keys are errors with a suggestion. The
``[timestamps]``, ``[activities]`` and ``[duplicates]`` tables mean what they mean in a mapping profile
(``docs/mapping-profiles.md``): the extracted events run through the same import pipeline as a file.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pmtool.config_file import read_toml, refuse_unknown_keys
from pmtool.errors import ConfigError, Location
from pmtool.eventlog import schema
from pmtool.ingest.profile import MappingProfile, profile_from_dict

#: Columns of the table the extraction hands to the import pipeline (besides the case attributes).
CASE_ID, ACTIVITY, TIMESTAMP, RESOURCE, ROLE = "case_id", "activity", "timestamp", "resource", "role"
OBJECT_TYPE, OBJECT_ID = "object_type", "object_id"
RESERVED = frozenset({CASE_ID, ACTIVITY, TIMESTAMP, RESOURCE, ROLE, OBJECT_TYPE, OBJECT_ID, "__row"})
#: How the extraction writes times as text, and the formats the pipeline reads them with: UTC for
#: ``timestamptz``, local wall-clock time (in the profile's zone) for ``timestamp``, a day for ``date``.
TIME_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d")
#: The pseudo column that stands for the start of a version's validity period (when it was saved).
PERIOD_START = "period_start"

_TOP = {"description", "source_system", "office", "database", "case", "users", "tables", "events", "timestamps",
        "activities", "duplicates"}
_DATABASE = {"schema", "history_suffix", "period", "row_id"}
_CASE = {"table", "key", "attributes"}
_USERS = {"table", "id", "name", "role"}
_TABLE = {"case", "user", "history", "object_type", "object_key"}
_EVENT = {"table", "column", "to", "activity", "activity_column", "time", "user"}
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,62}$")
_QUALIFIED = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,62}\.[A-Za-z_][A-Za-z0-9_$]{0,62}$")
SHIPPED = "pmtool.ingest.database.profiles"


@dataclass(frozen=True)
class TableSpec:
    """How rows of one table belong to a case and who changed them.

    ``case`` is the path to the case row: ``("caze_id",)`` means ``table.caze_id = case.row_id``;
    ``("sample_id", "samples.associatedcase_id")`` goes through the live ``samples`` row first.
    Empty for the case table itself.
    """

    name: str
    case: tuple[str, ...] = ()
    user: str | None = None
    history: bool = True
    object_type: str = ""
    object_key: str | None = None


@dataclass(frozen=True)
class EventRule:
    """One ``[[events]]`` entry; ``number`` is its position (1-based) for messages."""

    number: int
    table: str
    column: str
    to: tuple[str | int | bool, ...] | None
    activity: str | None
    activity_column: str | None
    time: tuple[str, ...]
    user: str | None


@dataclass(frozen=True)
class ExtractionProfile:
    """A validated extraction profile. ``mapping`` carries what the import pipeline needs (office, source
    system, time zone and its policies, activity map, duplicate key) in mapping-profile form."""

    case_table: str
    case_key: str
    events: tuple[EventRule, ...]
    tables: dict[str, TableSpec]
    mapping: MappingProfile
    case_attributes: tuple[str, ...] = ()
    schema: str | None = None
    history_suffix: str = "_history"
    period: str = "sys_period"
    row_id: str = "id"
    users_table: str | None = None
    user_id: str = "id"
    user_name: str | None = None
    user_role: str | None = None
    description: str = ""
    name: str = "<dict>"
    sha256: str | None = None
    shipped: bool = False

    def table(self, name: str) -> TableSpec:
        return self.tables.get(name) or TableSpec(name, object_type=name)

    def history_table(self, name: str) -> str | None:
        return name + self.history_suffix if self.table(name).history else None


@dataclass(frozen=True)
class _Checker:
    """Strict reading of one TOML table: unknown keys and wrong types are errors naming the key."""

    where: str
    prefix: str = ""

    def keys(self, table: dict[str, Any], allowed: set[str]) -> None:
        refuse_unknown_keys(table, allowed, kind="extraction", prefix=self.prefix, where=self.where)

    def bad(self, key: str, expected: str) -> ConfigError:
        return ConfigError("extraction.bad_value", Location(self.where), key=self.prefix + key, expected=expected)

    def table(self, raw: dict[str, Any], key: str) -> dict[str, Any]:
        value = raw.get(key, {})
        if not isinstance(value, dict):
            raise self.bad(key, f"a table [{self.prefix}{key}]")
        return value

    def text(self, raw: dict[str, Any], key: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = raw.get(key, default)
        if value is None and required:
            raise ConfigError("extraction.missing_key", Location(self.where), key=self.prefix + key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise self.bad(key, "text in quotes")
        return value.strip() if isinstance(value, str) else None

    def name(self, raw: dict[str, Any], key: str, default: str | None = None, *, required: bool = False) -> str | None:
        """A table or column name: letters, digits, ``_`` and ``$``, as PostgreSQL writes them unquoted."""
        value = self.text(raw, key, default, required=required)
        if value is not None and not _IDENTIFIER.match(value):
            raise self.bad(key, "a table or column name (letters, digits, _)")
        return value

    def names(self, raw: dict[str, Any], key: str, *, one_or_list: bool = False) -> tuple[str, ...]:
        value = raw.get(key)
        if value is None:
            return ()
        if one_or_list and isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and _IDENTIFIER.match(v)
                                                               for v in value):
            raise self.bad(key, "a column name or a list of column names" if one_or_list
                           else 'a list of column names ["…"]')
        return tuple(value)


def load_extraction_profile(source: str | Path) -> ExtractionProfile:
    """Read and validate an extraction profile: a TOML file, or the name of a shipped profile (``sormas``).

    Raises :class:`ConfigError` naming the file, key and fix.
    """
    text = str(source)
    path = Path(source)
    if not path.is_file() and text in shipped_profiles():
        with resources.as_file(resources.files(SHIPPED).joinpath(f"{text}.toml")) as shipped:
            raw, data = read_toml(shipped, "extraction")
        return extraction_profile_from_dict(raw, name=text, sha256=hashlib.sha256(data).hexdigest(),
                                            where=f"{text} (pmtool)", shipped=True)
    if not path.suffix and not path.exists():
        raise ConfigError("extraction.unknown_profile", Location(text), known=", ".join(shipped_profiles()))
    raw, data = read_toml(path, "extraction")
    return extraction_profile_from_dict(raw, name=path.name, sha256=hashlib.sha256(data).hexdigest(), where=text)


def shipped_profiles() -> tuple[str, ...]:
    """Names of the extraction profiles that come with pmtool."""
    folder = resources.files(SHIPPED)
    return tuple(sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")))


def extraction_profile_from_dict(raw: dict[str, Any], *, name: str = "<dict>", sha256: str | None = None,
                                 where: str | None = None, shipped: bool = False) -> ExtractionProfile:
    """Validate an extraction profile given as a mapping (the parsed TOML)."""
    where = where or name
    top = _Checker(where)
    top.keys(raw, _TOP)
    db = _Checker(where, "database.")
    database = top.table(raw, "database")
    db.keys(database, _DATABASE)
    case_check = _Checker(where, "case.")
    case = top.table(raw, "case")
    case_check.keys(case, _CASE)
    users_check = _Checker(where, "users.")
    users = top.table(raw, "users")
    users_check.keys(users, _USERS)

    case_table = case_check.name(case, "table", required=True)
    assert case_table is not None
    tables = {case_table: TableSpec(case_table, object_type=case_table)}
    for table_name, spec in top.table(raw, "tables").items():
        tables[table_name] = _table_spec(table_name, spec, case_table, where)
    events = raw.get("events")
    if not isinstance(events, list) or not events or not all(isinstance(e, dict) for e in events):
        raise top.bad("events", "one or more [[events]] tables")
    rules = tuple(_event_rule(i, e, where) for i, e in enumerate(events, 1))
    for rule in rules:
        if rule.table != case_table and not tables.get(rule.table, TableSpec(rule.table)).case:
            raise ConfigError("extraction.no_case_path", Location(where), n=rule.number, table=rule.table)
    if (users or any(t.user for t in tables.values()) or any(r.user for r in rules)) and "table" not in users:
        raise ConfigError("extraction.missing_key", Location(where), key="users.table")

    attributes = case_check.names(case, "attributes")
    for attribute in attributes:
        if attribute in RESERVED:
            raise ConfigError("extraction.reserved_attribute", Location(where), name=attribute)

    mapping = profile_from_dict(
        {k: raw[k] for k in ("office", "source_system", "description", "timestamps", "activities", "duplicates")
         if k in raw}, name=name, sha256=sha256, where=where)
    if mapping.formats is not None:
        raise ConfigError("extraction.no_formats", Location(where))
    return ExtractionProfile(
        case_table=case_table,
        case_key=case_check.name(case, "key", required=True) or "",
        case_attributes=attributes,
        events=rules,
        tables=tables,
        mapping=mapping,
        schema=db.name(database, "schema"),
        history_suffix=db.text(database, "history_suffix", "_history") or "_history",
        period=db.name(database, "period", "sys_period") or "sys_period",
        row_id=db.name(database, "row_id", "id") or "id",
        users_table=users_check.name(users, "table"),
        user_id=users_check.name(users, "id", "id") or "id",
        user_name=users_check.name(users, "name"),
        user_role=users_check.name(users, "role"),
        description=mapping.description,
        name=name,
        sha256=sha256,
        shipped=shipped,
    )


def _table_spec(table_name: str, spec: Any, case_table: str, where: str) -> TableSpec:
    check = _Checker(where, f"tables.{table_name}.")
    if not isinstance(spec, dict) or not _IDENTIFIER.match(table_name):
        raise _Checker(where, "tables.").bad(table_name, "a table [tables.<table name>]")
    check.keys(spec, _TABLE)
    hops = spec.get("case", [])
    hops = [hops] if isinstance(hops, str) else hops
    if not isinstance(hops, list) or not all(isinstance(h, str) for h in hops) or (
            hops and (not _IDENTIFIER.match(hops[0]) or not all(_QUALIFIED.match(h) for h in hops[1:]))):
        raise check.bad("case", '"column" or ["column", "table.column", …]')
    path = tuple(hops)
    if table_name == case_table and path:
        raise check.bad("case", "nothing: the case table needs no path to the case")
    history = spec.get("history", True)
    if not isinstance(history, bool):
        raise check.bad("history", "true or false")
    return TableSpec(table_name, path, check.name(spec, "user"), history,
                     check.text(spec, "object_type", table_name) or table_name, check.name(spec, "object_key"))


def _event_rule(number: int, raw: dict[str, Any], where: str) -> EventRule:
    check = _Checker(where, f"events[{number}].")
    check.keys(raw, _EVENT)
    to = raw.get("to")
    if to is not None:
        kinds = {type(v) for v in to} if isinstance(to, list) else set()
        if not to or len(kinds) != 1 or not kinds <= {str, int, bool}:
            raise check.bad("to", "a list of values of one kind, e.g. [\"DONE\"] or [true]")
        to = tuple(to)
    activity = check.text(raw, "activity")
    activity_column = check.name(raw, "activity_column")
    if (activity is None) == (activity_column is None):
        raise ConfigError("extraction.activity_source", Location(where), n=number)
    time = check.names(raw, "time", one_or_list=True)
    if not time:
        raise ConfigError("extraction.missing_key", Location(where), key=f"events[{number}].time")
    return EventRule(number, check.name(raw, "table", required=True) or "",
                     check.name(raw, "column", required=True) or "", to, activity, activity_column, time,
                     check.name(raw, "user"))


def log_columns(profile: ExtractionProfile) -> dict[str, tuple[str, ...]]:
    """The mapping-profile ``[columns]`` for the extracted table (its column names are fixed)."""
    columns = {schema.CASE_ID: (CASE_ID,), schema.ACTIVITY: (ACTIVITY,), schema.TIMESTAMP: (TIMESTAMP,)}
    if profile.user_name:
        columns[schema.RESOURCE] = (RESOURCE,)
    if profile.user_role:
        columns[schema.ROLE] = (ROLE,)
    return columns
