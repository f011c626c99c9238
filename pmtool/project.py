"""The project file (``pmtool.toml``): offices, processes, Soll models, period, privacy, language, output.

Settings resolve as defaults < project file < environment < command-line flags (the CLI applies the
last two). Every key is documented in ``docs/project-file.md``; unknown keys are errors.

A minimal project::

    [project]
    name = "Ist/Soll-Analyse Infektionsschutz"
    output = "reports/analysis"

    [sources]
    folder = "data/sample_logs"        # <process>/<office>_<process>.<ext> with .profile.toml beside

    [processes.P1]
    model = "models/P1_meldefallbearbeitung.bpmn"
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pmtool.calendar import WorkingCalendar
from pmtool.conform.rules_check import INCOMPLETE_POLICIES
from pmtool.errors import ConfigError, InputError, Location
from pmtool.i18n import LANGUAGES
from pmtool.ingest import registry
from pmtool.ingest.jobs import PROFILE_SUFFIX, export_stem

_TOP = {"project", "sources", "processes", "offices", "comparison"}
_PROJECT = {"name", "output", "language", "period", "privacy_threshold", "as_of", "allowlist", "stale_after_days",
            "incomplete", "workers", "formats", "tables"}
REPORT_FORMATS = ("html", "pdf")
TABLE_FORMATS = ("csv", "parquet", "json", "csv-excel", "xlsx")
_PROCESS = {"model", "rules", "name"}
_OFFICE = {"id", "name", "calendar", "exports"}
_EXPORT = {"process", "path", "profile"}
_COMPARISON = {"fdr", "min_coverage", "max_date_only_share", "max_running_share", "min_period_overlap"}
_OFFICE_ID = re.compile(r"^(GA-\d{2}|LUA)$")
#: Every key of a project file, by table (docs/project-file.md documents each one; a test checks).
KEYS: dict[str, frozenset[str]] = {
    "": frozenset(_TOP), "project": frozenset(_PROJECT), "sources": frozenset({"folder"}),
    "processes.<id>": frozenset(_PROCESS), "offices": frozenset(_OFFICE), "offices.exports": frozenset(_EXPORT),
    "comparison": frozenset(_COMPARISON),
}


@dataclass(frozen=True)
class ExportSource:
    office: str
    process: str
    path: Path
    profile: Path | None


@dataclass(frozen=True)
class OfficeConfig:
    id: str
    name: str
    calendar: WorkingCalendar


@dataclass(frozen=True)
class ProcessConfig:
    id: str
    model: Path
    rules: Path | None
    name: str | None = None


@dataclass(frozen=True)
class Project:
    name: str
    root: Path
    output: Path
    language: str
    period: str
    privacy_threshold: int
    as_of: datetime | None
    allowlist: Path | None
    stale_after_days: int
    incomplete: str
    workers: int
    processes: dict[str, ProcessConfig]
    offices: dict[str, OfficeConfig]
    exports: tuple[ExportSource, ...]
    comparison: dict[str, float] = field(default_factory=dict)
    source: Path | None = None
    formats: tuple[str, ...] = REPORT_FORMATS  # report formats
    tables: tuple[str, ...] = ("csv", "parquet")  # table formats of pmtool run

    @property
    def calendars(self) -> dict[str, WorkingCalendar]:
        return {o.id: o.calendar for o in self.offices.values()}


def load_project(path: Path) -> Project:
    where = str(path)
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise ConfigError("project.unreadable", Location(where), reason=exc.strerror or str(exc)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError("project.syntax", Location(where), reason=str(exc)) from None
    return project_from_dict(raw, root=path.parent, where=where, source=path)


def project_from_dict(raw: dict[str, Any], *, root: Path, where: str = "<project>",
                      source: Path | None = None) -> Project:
    _check(raw, _TOP, "", where)
    head = _table(raw, "project", where)
    _check(head, _PROJECT, "project.", where)
    language = head.get("language", "de")
    if language not in LANGUAGES:
        raise ConfigError("project.bad_value", Location(where), key="project.language", expected="de | en")
    threshold = head.get("privacy_threshold", 5)
    if not isinstance(threshold, int) or threshold < 1:
        raise ConfigError("project.bad_value", Location(where), key="project.privacy_threshold",
                          expected="a whole number ≥ 1")
    as_of = head.get("as_of")
    if as_of is not None:
        try:
            as_of = datetime.fromisoformat(str(as_of))
        except ValueError:
            raise ConfigError("project.bad_value", Location(where), key="project.as_of",
                              expected="an ISO date-time with offset") from None
        if as_of.tzinfo is None:  # a local date or time means Saxony's, as on the command line
            as_of = as_of.replace(tzinfo=ZoneInfo("Europe/Berlin"))
    incomplete = head.get("incomplete", "pending")
    if incomplete not in INCOMPLETE_POLICIES:
        raise ConfigError("project.bad_value", Location(where), key="project.incomplete",
                          expected=" | ".join(INCOMPLETE_POLICIES))
    for name, default in (("workers", 2), ("stale_after_days", 90)):
        value = head.get(name, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError("project.bad_value", Location(where), key=f"project.{name}",
                              expected="a whole number ≥ 1")
    processes: dict[str, ProcessConfig] = {}
    for pid, p in _table(raw, "processes", where).items():
        _check(p, _PROCESS, f"processes.{pid}.", where)
        if "model" not in p:
            raise ConfigError("project.missing", Location(where), key=f"processes.{pid}.model")
        model = _path(root, p["model"], f"processes.{pid}.model", where)
        rules = _path(root, p["rules"], f"processes.{pid}.rules", where) if p.get("rules") else None
        processes[pid] = ProcessConfig(pid, model, rules, p.get("name"))
    if not processes:
        raise ConfigError("project.no_processes", Location(where))
    offices: dict[str, OfficeConfig] = {}
    exports: list[ExportSource] = []
    for i, o in enumerate(raw.get("offices", []), 1):
        _check(o, _OFFICE, f"offices[{i}].", where)
        oid = o.get("id", "")
        if not _OFFICE_ID.match(oid):
            raise ConfigError("project.bad_value", Location(where), key=f"offices[{i}].id",
                              expected="a pseudonymous office code such as GA-07")
        calendar = WorkingCalendar.from_settings(o.get("calendar", {}), source=where)
        offices[oid] = OfficeConfig(oid, o.get("name", oid), calendar)
        for e in o.get("exports", []):
            _check(e, _EXPORT, f"offices[{i}].exports.", where)
            exports.append(ExportSource(oid, e["process"], _path(root, e["path"], "exports.path", where),
                                        _path(root, e["profile"], "exports.profile", where) if e.get("profile")
                                        else None))
    sources = _table(raw, "sources", where)
    _check(sources, set(KEYS["sources"]), "sources.", where)
    if "folder" in sources:
        exports.extend(_folder_exports(_path(root, sources["folder"], "sources.folder", where), processes, where))
    for e in exports:
        offices.setdefault(e.office, OfficeConfig(e.office, e.office, WorkingCalendar()))
        if e.process not in processes:
            raise ConfigError("project.unknown_process", Location(where), process=e.process, path=str(e.path))
    if not exports:
        raise ConfigError("project.no_exports", Location(where))
    comparison = _table(raw, "comparison", where)
    _check(comparison, _COMPARISON, "comparison.", where)
    allowlist = _path(root, head["allowlist"], "project.allowlist", where) if head.get("allowlist") else None
    return Project(
        name=head.get("name", "pmtool"), root=root, output=root / head.get("output", "reports/analysis"),
        language=language, period=str(head.get("period", "all")), privacy_threshold=threshold, as_of=as_of,
        allowlist=allowlist, stale_after_days=int(head.get("stale_after_days", 90)),
        incomplete=incomplete, workers=int(head.get("workers", 2)),
        processes=processes, offices=dict(sorted(offices.items())),
        exports=tuple(sorted(exports, key=lambda e: (e.process, e.office, str(e.path)))),
        comparison={k: float(v) for k, v in comparison.items()}, source=source,
        formats=_choices(head, "formats", REPORT_FORMATS, REPORT_FORMATS, where),
        tables=_choices(head, "tables", TABLE_FORMATS, ("csv", "parquet"), where))


def _folder_exports(folder: Path, processes: dict[str, ProcessConfig], where: str) -> list[ExportSource]:
    out = []
    for pid in processes:
        sub = folder / pid
        if not sub.is_dir():
            continue
        for path in sorted(sub.iterdir()):
            if not path.is_file() or path.name.endswith(PROFILE_SUFFIX):
                continue
            try:
                registry.detect_format(path)
            except InputError:
                continue  # not an export (README, notes)
            stem = export_stem(path)
            match = _OFFICE_ID.match(stem.split("_")[0])
            if not match:
                continue
            profile = path.with_name(stem + PROFILE_SUFFIX)
            out.append(ExportSource(match.group(1), pid, path, profile if profile.exists() else None))
    return out


def _check(table: dict[str, Any], allowed: set[str], prefix: str, where: str) -> None:
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            raise ConfigError("project.unknown_key", Location(where), key=prefix + key,
                              hint=prefix + (close[0] if close else ", ".join(sorted(allowed))))


def _choices(head: dict[str, Any], key: str, allowed: tuple[str, ...], default: tuple[str, ...],
             where: str) -> tuple[str, ...]:
    value = head.get(key, list(default))
    if not isinstance(value, list) or not all(v in allowed for v in value):
        raise ConfigError("project.bad_value", Location(where), key=f"project.{key}",
                          expected="a list from " + ", ".join(f'"{a}"' for a in allowed))
    return tuple(value)


def _table(raw: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError("project.bad_value", Location(where), key=key, expected=f"a table [{key}]")
    return value


def _path(root: Path, value: Any, key: str, where: str) -> Path:
    if not isinstance(value, str) or not value:
        raise ConfigError("project.bad_value", Location(where), key=key, expected="a path in quotes")
    path = (root / value) if not Path(value).is_absolute() else Path(value)
    if not path.exists():
        raise ConfigError("project.missing_file", Location(where), key=key, path=value)
    return path


def starter_project() -> str:
    """The starter project file ``pmtool init`` writes: every key with a German and English comment."""
    from importlib import resources

    return resources.files("pmtool").joinpath("project_template.toml").read_text("utf-8")
