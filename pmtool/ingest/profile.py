"""Mapping profiles: how one office's export maps onto the canonical log. One TOML file per office.

A minimal profile::

    office = "GA-07"
    source_system = "OctoWare TN"

    [columns]
    case_id = "Aktenzeichen"
    activity = "Tätigkeit"
    timestamp = "Zeitpunkt"          # or ["Datum", "Uhrzeit"]

    [timestamps]
    formats = ["%d.%m.%Y %H:%M", "%d.%m.%Y"]

    [activities.map]
    "Meldung erfasst" = "IS-01"      # vocabulary id or canonical name
    "Erstkontakt" = { soll = "Ermittlung begonnen" }   # or a task of the Soll model by its own name

Every key is documented in ``docs/mapping-profiles.md``; unknown keys are errors, so a typo never
silently changes what is imported.
"""

from __future__ import annotations

import difflib
import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pmtool.calendar import WorkingCalendar
from pmtool.config_file import Settings, refuse_unknown_keys
from pmtool.errors import ConfigError, Location
from pmtool.eventlog import schema
from pmtool.i18n import t
from pmtool.ingest import timestamps
from pmtool.ingest.registry import ReadOptions
from pmtool.vocabulary import vocabulary

_TOP = {"office", "source_system", "description", "file", "columns", "timestamps", "activities", "duplicates",
        "calendar", "roles"}
_FILE = {"format", "delimiter", "encoding", "sheet", "object_type"}
_COLUMNS = {*schema.MAPPABLE, "drop", "pseudonymise", "keep", "keep_only"}
_TIMESTAMPS = {"timezone", "formats", "ambiguous", "nonexistent"}
_ACTIVITIES = {"map", "require_full_map", "ignore"}
_DUPLICATES = {"key"}
_ROLES = {"map"}


@dataclass(frozen=True)
class MappingProfile:
    """A validated mapping profile. ``activity_map`` maps source labels to vocabulary ids."""

    office: str | None = None
    source_system: str | None = None
    description: str = ""
    read_options: ReadOptions = field(default_factory=ReadOptions)
    format: str | None = None
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # canonical → source column(s)
    drop: tuple[str, ...] = ()
    pseudonymise: tuple[str, ...] = ()
    keep_only: tuple[str, ...] | None = None  # further columns imported as they are (TOML: keep); None: none
    timezone: str = "Europe/Berlin"
    formats: tuple[str, ...] | None = None
    ambiguous: str = "earliest"
    nonexistent: str = "quarantine"
    activity_map: dict[str, str] = field(default_factory=dict)
    soll_map: dict[str, str] = field(default_factory=dict)  # source label → a Soll task's own label
    role_map: dict[str, str] = field(default_factory=dict)  # export role value → vocabulary role or Soll lane
    require_full_map: bool = False
    ignore: tuple[str, ...] = ()
    duplicate_key: tuple[str, ...] | None = None  # None: every imported column (a copy is equal in all of them)
    calendar: dict[str, Any] = field(default_factory=dict)
    name: str = "<default>"
    sha256: str | None = None


def load_profile(path: Path) -> MappingProfile:
    """Read and validate a TOML profile; raise :class:`ConfigError` naming the file, key and fix."""
    where = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError("profile.unreadable", Location(where), reason=exc.strerror or str(exc)) from None
    try:
        raw = tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigError("profile.not_utf8", Location(where)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("profile.syntax", Location(where), reason=str(exc)) from None
    except RecursionError:
        raise ConfigError("profile.syntax", Location(where), reason=t("read.too_deep")) from None
    return profile_from_dict(raw, name=path.name, sha256=content_sha256(raw), where=where)


def content_sha256(raw: dict[str, Any]) -> str:
    """SHA-256 of a TOML file's parsed content (keys sorted, as JSON): comments, blank lines, layout and key
    order do not change it, every value does. Cache keys and the logs' provenance use it, so a comment in a
    profile never makes pmtool import an export again."""
    import json

    text = json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def profile_from_dict(raw: dict[str, Any], *, name: str = "<dict>", sha256: str | None = None,
                      where: str | None = None) -> MappingProfile:
    """Validate a profile given as a mapping (the parsed TOML)."""
    where = where or name
    _check_keys(raw, _TOP, "", where)
    file = _table(raw, "file", where)
    _check_keys(file, _FILE, "file.", where)
    cols = _table(raw, "columns", where)
    _check_keys(cols, _COLUMNS, "columns.", where)
    ts = _table(raw, "timestamps", where)
    _check_keys(ts, _TIMESTAMPS, "timestamps.", where)
    acts = _table(raw, "activities", where)
    _check_keys(acts, _ACTIVITIES, "activities.", where)
    dups = _table(raw, "duplicates", where)
    _check_keys(dups, _DUPLICATES, "duplicates.", where)
    roles = _table(raw, "roles", where)
    _check_keys(roles, _ROLES, "roles.", where)
    role_map = roles.get("map", {})
    if not isinstance(role_map, dict) or not all(isinstance(v, str) and v.strip() for v in role_map.values()):
        raise ConfigError("profile.bad_value", Location(where), key="roles.map",
                          expected='a table of "export value" = "role of the vocabulary or lane of the Soll model"')

    columns: dict[str, tuple[str, ...]] = {}
    for canon in schema.MAPPABLE:
        if canon not in cols:
            continue
        value = cols[canon]
        if isinstance(value, str) and value.strip():
            columns[canon] = (value.strip(),)
        elif (isinstance(value, list) and value and canon == schema.TIMESTAMP
              and all(isinstance(v, str) and v.strip() for v in value)):
            columns[canon] = tuple(v.strip() for v in value)
        else:
            expected = "text or a list of column names" if canon == schema.TIMESTAMP else "a column name (text)"
            raise ConfigError("profile.bad_value", Location(where), key=f"columns.{canon}", expected=expected)
    roles_of: dict[str, str] = {}
    for canon, names in columns.items():
        for column in names:  # (not `name`: that is the profile's file name)
            if column in roles_of:  # e.g. case ids stored as activity labels, in clear
                raise ConfigError("profile.same_column", Location(where), column=column, first=roles_of[column],
                                  second=canon)
            roles_of[column] = canon

    timezone = _string(ts, "timezone", "timestamps.", where, "Europe/Berlin")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError("profile.bad_timezone", Location(where), zone=timezone) from None
    formats = _string_list(ts, "formats", "timestamps.", where)
    ambiguous = _choice(ts, "ambiguous", timestamps.AMBIGUOUS_POLICIES, "timestamps.", where, "earliest")
    nonexistent = _choice(ts, "nonexistent", timestamps.NONEXISTENT_POLICIES, "timestamps.", where, "quarantine")

    amap_raw = acts.get("map", {})
    if not isinstance(amap_raw, dict):
        raise ConfigError("profile.bad_value", Location(where), key="activities.map",
                          expected="a table of \"source label\" = \"IS-01\"")
    vocab = vocabulary()
    activity_map: dict[str, str] = {}
    soll_map: dict[str, str] = {}
    for label, target in amap_raw.items():
        if isinstance(target, dict):
            if set(target) != {"soll"} or not isinstance(target["soll"], str) or not target["soll"].strip():
                raise ConfigError("profile.bad_value", Location(where), key=f"activities.map.{label}",
                                  expected='a vocabulary id, a canonical name, or { soll = "task of the Soll model" }')
            soll_map[label] = target["soll"].strip()
            continue
        act = vocab.resolve(target) if isinstance(target, str) else None
        if act is None:
            close = difflib.get_close_matches(str(target), [a.name for a in vocab.activities], n=1)
            hint = close[0] if close else "IS-01"
            raise ConfigError("profile.unknown_activity", Location(where), label=label, target=target, hint=hint)
        activity_map[label] = act.id
    require_full = acts.get("require_full_map", False)
    if not isinstance(require_full, bool):
        raise ConfigError("profile.bad_value", Location(where), key="activities.require_full_map",
                          expected="true or false")

    listed = _string_list(dups, "key", "duplicates.", where)
    if listed is not None and (not listed or any(not k.strip() for k in listed)):
        raise ConfigError("profile.bad_value", Location(where), key="duplicates.key",
                          expected="a non-empty list of canonical or export column names")
    dup_key = tuple(k.strip() for k in listed) if listed else None
    calendar = _table(raw, "calendar", where)
    WorkingCalendar.from_settings(calendar, source=where)  # unknown keys and wrong types are errors here

    keep_only = _string_list(cols, "keep", "columns.", where)
    if keep_only is None:  # the earlier name of the same list
        keep_only = _string_list(cols, "keep_only", "columns.", where)
    elif "keep_only" in cols:
        raise ConfigError("profile.bad_value", Location(where), key="columns.keep_only",
                          expected="not together with columns.keep (the same list under its earlier name)")
    return MappingProfile(
        office=_string(raw, "office", "", where, None),
        source_system=_string(raw, "source_system", "", where, None),
        description=_string(raw, "description", "", where, "") or "",
        read_options=ReadOptions(
            delimiter=_delimiter(file, where),
            encoding=_string(file, "encoding", "file.", where, None),
            sheet=_string(file, "sheet", "file.", where, None),
            object_type=_string(file, "object_type", "file.", where, None),
        ),
        format=_string(file, "format", "file.", where, None),
        columns=columns,
        drop=tuple(_string_list(cols, "drop", "columns.", where) or ()),
        pseudonymise=tuple(_string_list(cols, "pseudonymise", "columns.", where) or ()),
        keep_only=tuple(keep_only) if keep_only is not None else None,
        timezone=timezone,
        formats=tuple(formats) if formats else None,
        ambiguous=ambiguous,
        nonexistent=nonexistent,
        activity_map=activity_map,
        soll_map=soll_map,
        role_map={str(k): v.strip() for k, v in role_map.items()},
        require_full_map=require_full,
        ignore=tuple(_string_list(acts, "ignore", "activities.", where) or ()),
        duplicate_key=dup_key,
        calendar=calendar,
        name=name,
        sha256=sha256,
    )


def _check_keys(table: dict[str, Any], allowed: set[str], prefix: str, where: str) -> None:
    refuse_unknown_keys(table, allowed, kind="profile", prefix=prefix, where=where)


def _table(raw: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    return Settings("profile", where).table(raw, key)


def _string(table: dict[str, Any], key: str, prefix: str, where: str, default: str | None) -> str | None:
    return Settings("profile", where).text(table, key, default, prefix)


def _string_list(table: dict[str, Any], key: str, prefix: str, where: str) -> list[str] | None:
    return Settings("profile", where).texts(table, key, None, prefix)


def _choice(table: dict[str, Any], key: str, choices: tuple[str, ...], prefix: str, where: str, default: str) -> str:
    return Settings("profile", where).choice(table, key, choices, default, prefix)


def _delimiter(file: dict[str, Any], where: str) -> str | None:
    value = _string(file, "delimiter", "file.", where, None)
    if value is None:
        return None
    value = {"\\t": "\t", "tab": "\t"}.get(value, value)
    if len(value) != 1:
        raise ConfigError("profile.bad_value", Location(where), key="file.delimiter",
                          expected='one character such as ";", "," or "\\t"')
    return value
