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

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pmtool.calendar import WorkingCalendar
from pmtool.config_file import Settings, read_toml, refuse_unknown_keys
from pmtool.conform.labels import MAX_UNKNOWN_SHARE, LabelSettings
from pmtool.conform.rules_check import INCOMPLETE_POLICIES
from pmtool.errors import ConfigError, Location
from pmtool.i18n import LANGUAGES
from pmtool.ingest.jobs import export_stem, is_export, profile_beside
from pmtool.limits import NAMES as LIMITS
from pmtool.offices import check_office_id, is_office_id
from pmtool.report.xdomea import EFILE_KEYS, EfileMeta, efile_meta
from pmtool.vocabulary import combine, load_vocabulary_file

_TOP = {"project", "sources", "processes", "offices", "comparison", "priorities", "efile", "limits"}
_PROJECT = {"name", "output", "language", "period", "privacy_threshold", "as_of", "allowlist", "stale_after_days",
            "incomplete", "workers", "formats", "tables", "filters", "scheduler"}
REPORT_FORMATS = ("html", "pdf")
TABLE_FORMATS = ("csv", "parquet", "json", "csv-excel", "xlsx")
_PROCESS = {"model", "rules", "name", "vocabulary", "labels", "accept_missing", "max_unknown_share", "valid_from",
            "filters"}
_OFFICE = {"id", "name", "calendar", "exports"}
_EXPORT = {"process", "path", "profile"}
_COMPARISON = {"fdr", "min_coverage", "max_date_only_share", "max_running_share", "min_period_overlap",
               "max_bounded_share"}
#: The factors of the process prioritisation, each with a weight (pmtool.compare.priority.FACTORS).
_PRIORITIES = {"volume", "nonconformance", "spread", "legal_risk", "time_lost"}
#: Every key of a project file, by table (docs/project-file.md documents each one; a test checks).
KEYS: dict[str, frozenset[str]] = {
    "": frozenset(_TOP), "project": frozenset(_PROJECT), "sources": frozenset({"folder"}),
    "processes.<id>": frozenset(_PROCESS), "offices": frozenset(_OFFICE), "offices.exports": frozenset(_EXPORT),
    "comparison": frozenset(_COMPARISON), "priorities": frozenset(_PRIORITIES),
    "efile": frozenset(EFILE_KEYS), "limits": frozenset(LIMITS),
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
    vocabulary: Path | None = None  # the project's own process: its activities, names and roles
    labels: Path | None = None  # label map: Soll tasks and lanes → what the logs show (default: beside the model)
    accept_missing: tuple[str, ...] = ()  # Soll tasks that may occur in no office (label check)
    max_unknown_share: float = MAX_UNKNOWN_SHARE  # largest share of an office's events the model may not know
    valid_from: date | None = None  # from when this Soll version is binding (default: its rule pack's valid_from)
    filters: tuple[str, ...] = ()  # pmtool.eventlog.filters text forms for this process (after the project's)

    @property
    def label_settings(self) -> LabelSettings:
        return LabelSettings(self.accept_missing, self.max_unknown_share)


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
    priorities: dict[str, float] = field(default_factory=dict)  # weight per prioritisation factor (default 1)
    source: Path | None = None
    formats: tuple[str, ...] = REPORT_FORMATS  # report formats
    tables: tuple[str, ...] = ("csv", "parquet")  # table formats of pmtool run
    efile: EfileMeta | None = None  # [efile]: how pmtool efile files the report in the e-file (xdomea)
    scheduler: str | None = None  # a Dask scheduler (tcp://host:8786) or "local:N" (pmtool.cluster)
    limits: dict[str, int] = field(default_factory=dict)  # [limits] over the defaults (pmtool.limits)
    filters: tuple[str, ...] = ()  # pmtool.eventlog.filters text forms applied to every process's log

    def filters_for(self, process: str) -> tuple[str, ...]:
        """The filters applied to ``process``'s log: the project's, then the process's own, in order."""
        own = self.processes[process].filters if process in self.processes else ()
        return (*self.filters, *own)

    @property
    def calendars(self) -> dict[str, WorkingCalendar]:
        return {o.id: o.calendar for o in self.offices.values()}

    @property
    def vocabulary_files(self) -> tuple[Path, ...]:
        """The vocabulary files of the project's own processes (see :func:`pmtool.vocabulary.extended`)."""
        return tuple(p.vocabulary for p in self.processes.values() if p.vocabulary is not None)

    @property
    def office_names(self) -> dict[str, str]:
        """Display name by office id (the id where the project file gives no name)."""
        return {o.id: o.name for o in self.offices.values()}


def load_project(path: Path) -> Project:
    raw, _ = read_toml(path, "project")
    return project_from_dict(raw, root=path.parent, where=str(path), source=path)


def project_from_dict(raw: dict[str, Any], *, root: Path, where: str = "<project>",
                      source: Path | None = None) -> Project:
    s = Settings("project", where)
    s.known(raw, _TOP)
    head = s.table(raw, "project", allowed=_PROJECT)
    language = s.choice(head, "language", LANGUAGES, "de", "project.")
    threshold = s.integer(head, "privacy_threshold", 5, "project.", minimum=1)
    name = s.text(head, "name", "pmtool", "project.", nonempty=True)
    output = s.text(head, "output", "reports/analysis", "project.", nonempty=True)
    period = head.get("period", "all")
    if not isinstance(period, str | int) or isinstance(period, bool) or not str(period).strip():
        raise s.fail("project.period", 'a period in quotes such as "2025" or "all"')
    as_of = head.get("as_of")
    if as_of is not None:
        try:
            as_of = datetime.fromisoformat(str(as_of))
        except ValueError:
            raise ConfigError("project.bad_value", Location(where), key="project.as_of",
                              expected="an ISO date-time with offset") from None
        if as_of.tzinfo is None:  # a local date or time means Saxony's, as on the command line
            as_of = as_of.replace(tzinfo=ZoneInfo("Europe/Berlin"))
    incomplete = s.choice(head, "incomplete", INCOMPLETE_POLICIES, "pending", "project.")
    workers = s.integer(head, "workers", 2, "project.", minimum=1)
    stale_after_days = s.integer(head, "stale_after_days", 90, "project.", minimum=1)
    processes: dict[str, ProcessConfig] = {}
    for pid in s.table(raw, "processes"):
        p = s.table(raw["processes"], pid, "processes.", allowed=_PROCESS)
        if "model" not in p:
            raise ConfigError("project.missing", Location(where), key=f"processes.{pid}.model")
        model = _path(root, p["model"], f"processes.{pid}.model", where)
        rules = _path(root, p["rules"], f"processes.{pid}.rules", where) if p.get("rules") else None
        process_name = s.text(p, "name", None, f"processes.{pid}.", nonempty=True)
        own = None
        if p.get("vocabulary"):
            own = _path(root, p["vocabulary"], f"processes.{pid}.vocabulary", where)
            defined, _ = load_vocabulary_file(own, process=pid)
            process_name = process_name or defined[pid].name
        labels = _path(root, p["labels"], f"processes.{pid}.labels", where) if p.get("labels") else None
        accept = p.get("accept_missing", [])
        if not isinstance(accept, list) or not all(isinstance(a, str) for a in accept):
            raise ConfigError("project.bad_value", Location(where), key=f"processes.{pid}.accept_missing",
                              expected='a list of Soll task names ["…"]')
        share = p.get("max_unknown_share", MAX_UNKNOWN_SHARE)
        if not isinstance(share, int | float) or isinstance(share, bool) or not 0 <= share <= 1:
            raise ConfigError("project.bad_value", Location(where), key=f"processes.{pid}.max_unknown_share",
                              expected="a number from 0 to 1")
        valid_from = _date(p.get("valid_from"), f"processes.{pid}.valid_from", where)
        processes[pid] = ProcessConfig(pid, model, rules, process_name, own, labels, tuple(accept), float(share),
                                       valid_from, _filters(p, f"processes.{pid}.filters", where))
    if not processes:
        raise ConfigError("project.no_processes", Location(where))
    combine([p.vocabulary for p in processes.values() if p.vocabulary])  # conflicts with pmtool's are errors
    offices: dict[str, OfficeConfig] = {}
    exports: list[ExportSource] = []
    for i, o in enumerate(s.tables(raw, "offices"), 1):
        s.known(o, _OFFICE, f"offices[{i}].")
        oid = check_office_id(s.text(o, "id", "", f"offices[{i}]."), where=where, key=f"offices[{i}].id")
        office_name = s.text(o, "name", oid, f"offices[{i}].", nonempty=True)
        if oid in offices:
            raise ConfigError("project.duplicate_office", Location(where), office=oid)
        calendar = WorkingCalendar.from_settings(s.table(o, "calendar", f"offices[{i}]."), source=where)
        offices[oid] = OfficeConfig(oid, office_name.strip(), calendar)
        for j, e in enumerate(s.tables(o, "exports", f"offices[{i}]."), 1):
            prefix = f"offices[{i}].exports[{j}]."
            s.known(e, _EXPORT, prefix)
            for required in ("process", "path"):
                if required not in e:
                    raise ConfigError("project.missing", Location(where), key=prefix + required)
            exports.append(ExportSource(oid, s.text(e, "process", None, prefix, nonempty=True),
                                        _path(root, e["path"], prefix + "path", where),
                                        _path(root, e["profile"], prefix + "profile", where)
                                        if e.get("profile") is not None else None))
    sources = s.table(raw, "sources", allowed=KEYS["sources"])
    folder = _path(root, sources["folder"], "sources.folder", where) if "folder" in sources else None
    if folder is not None:
        exports.extend(_folder_exports(folder, processes, where))
    for e in exports:
        offices.setdefault(e.office, OfficeConfig(e.office, e.office, WorkingCalendar()))
        if e.process not in processes:
            raise ConfigError("project.unknown_process", Location(where), process=e.process, path=str(e.path))
    if not exports and folder is not None:  # the folder is there, but nothing in it is an export
        pid = next(iter(processes))
        raise ConfigError("project.empty_folder", Location(where), folder=str(folder),
                          processes=", ".join(processes), example=str(folder / pid / f"GA-01_{pid}.csv"))
    if not exports:
        raise ConfigError("project.no_exports", Location(where))
    comparison = s.table(raw, "comparison", allowed=_COMPARISON)
    shares = {k: s.number(comparison, k, None, "comparison.", minimum=0, maximum=1) for k in sorted(comparison)}
    if shares.get("fdr") == 0:
        raise s.fail("comparison.fdr", "a number above 0 and at most 1 (e.g. 0.05)")
    priorities = _weights(s.table(raw, "priorities"), where)
    bounds = s.table(raw, "limits", allowed=LIMITS)
    chosen_limits = {k: s.integer(bounds, k, None, "limits.", minimum=1) for k in sorted(bounds)}
    allowlist = _path(root, head["allowlist"], "project.allowlist", where) if "allowlist" in head else None
    efile = efile_meta(s.table(raw, "efile"), where=where) if "efile" in raw else None
    return Project(
        name=name, root=root, output=root / output,
        language=language, period=str(period), privacy_threshold=threshold, as_of=as_of,
        allowlist=allowlist, stale_after_days=stale_after_days,
        incomplete=incomplete, workers=workers,
        processes=processes, offices=dict(sorted(offices.items())),
        exports=tuple(sorted(exports, key=lambda e: (e.process, e.office, str(e.path)))),
        comparison=shares, priorities=priorities, limits=chosen_limits, source=source,
        formats=_choices(head, "formats", REPORT_FORMATS, REPORT_FORMATS, where),
        tables=_choices(head, "tables", TABLE_FORMATS, ("csv", "parquet"), where), efile=efile,
        filters=_filters(head, "project.filters", where),
        scheduler=_scheduler(head.get("scheduler"), where))


def _filters(table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    """A list of filter texts (docs/filters.md), each checked now so a typo stops before any work."""
    from pmtool.eventlog.filters import parse_filters

    value = table.get("filters", [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError("project.bad_value", Location(where), key=key,
                          expected='a list of filters ["time:started:2025-01-01..2025-03-31", …]')
    texts = tuple(v.strip() for v in value)
    parse_filters(texts, where=where)
    return texts


def _scheduler(value: Any, where: str) -> str | None:
    from pmtool.cluster import check_address

    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError("project.bad_value", Location(where), key="project.scheduler",
                          expected='"tcp://host:8786" or "local:N"')
    return check_address(value, where)


def _weights(table: dict[str, Any], where: str) -> dict[str, float]:
    """The prioritisation weights: known factors only, each a number ≥ 0, and not all of them 0."""
    _check(table, _PRIORITIES, "priorities.", where)
    for key, value in table.items():
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise ConfigError("project.bad_value", Location(where), key=f"priorities.{key}",
                              expected="a number ≥ 0 (the factor's weight)")
    if table and not any(value > 0 for value in {**dict.fromkeys(_PRIORITIES, 1.0), **table}.values()):
        raise ConfigError("project.bad_value", Location(where), key="priorities",
                          expected="at least one factor with a weight above 0")
    return {key: float(table[key]) for key in sorted(table)}


def _folder_exports(folder: Path, processes: dict[str, ProcessConfig], where: str) -> list[ExportSource]:
    out = []
    for pid in processes:
        sub = folder / pid
        if not sub.is_dir():
            continue
        for path in sorted(p for p in sub.iterdir() if p.is_file() and is_export(p)):
            stem = export_stem(path)
            office = office_of_export(stem, pid)
            if office is None:  # an export nobody can attribute is an error, never silently left out
                raise ConfigError("project.unnamed_export", Location(str(path)), process=pid,
                                  suffix=path.name[len(stem):])
            out.append(ExportSource(office, pid, path, profile_beside(path)))
    return out


def office_of_export(stem: str, process: str) -> str | None:
    """The office of an export named ``<office>_<process>`` (optionally ``…_<process>_<more>``), ``None``
    when the name does not follow that pattern.

    >>> office_of_export("Amt_7_P1", "P1"), office_of_export("GA-07_P1_2025", "P1"), office_of_export("x", "P1")
    ('Amt_7', 'GA-07', None)
    """
    marker = f"_{process}"
    if stem.endswith(marker):
        office = stem[: -len(marker)]
    elif marker + "_" in stem:
        office = stem[: stem.rindex(marker + "_")]
    else:
        return None
    return office if is_office_id(office) else None


def _check(table: dict[str, Any], allowed: set[str], prefix: str, where: str) -> None:
    refuse_unknown_keys(table, allowed, kind="project", prefix=prefix, where=where)


def _choices(head: dict[str, Any], key: str, allowed: tuple[str, ...], default: tuple[str, ...],
             where: str) -> tuple[str, ...]:
    value = head.get(key, list(default))
    if not isinstance(value, list) or not all(v in allowed for v in value):
        raise ConfigError("project.bad_value", Location(where), key=f"project.{key}",
                          expected="a list from " + ", ".join(f'"{a}"' for a in allowed))
    return tuple(value)


def _date(value: Any, key: str, where: str) -> date | None:
    """A TOML date (``2025-06-01``) or an ISO date in quotes; ``None`` when absent."""
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ConfigError("project.bad_value", Location(where), key=key, expected="a date such as 2025-06-01")


def _path(root: Path, value: Any, key: str, where: str) -> Path:
    if not isinstance(value, str) or not value:
        raise ConfigError("project.bad_value", Location(where), key=key, expected="a path in quotes")
    absolute = Path(value).is_absolute()
    path = Path(value) if absolute else root / value
    if not path.exists():
        raise ConfigError("project.missing_file_absolute" if absolute else "project.missing_file", Location(where),
                          key=key, path=value)
    return path


def starter_project() -> str:
    """The starter project file ``pmtool init`` writes: every key with a German and English comment."""
    from importlib import resources

    return resources.files("pmtool").joinpath("project_template.toml").read_text("utf-8")
