"""Public API, part 1: projects, keys, language, and event logs (read, import, filter, inspect).

Heavy modules are imported inside the functions, so that ``import pmtool`` stays cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pmtool.eventlog.log import EventLog
    from pmtool.eventlog.overview import Overview
    from pmtool.ingest.pipeline import IngestResult
    from pmtool.ingest.profile import MappingProfile
    from pmtool.ingest.pseudonymise import PseudonymKey
    from pmtool.project import ExportSource, Project

LOCAL_ZONE = "Europe/Berlin"


def load_project(path: str | Path) -> Project:
    """Read a project file (``pmtool.toml``: offices, exports, Soll models, period, privacy threshold).

    Takes the file's path; returns the `Project`. Raises `ConfigError` naming the file and key for a
    broken or unknown setting, or a missing file it names.

    >>> import pmtool as pt
    >>> project = pt.load_project(pt.demo_project().source)
    >>> project.privacy_threshold, project.language
    (5, 'de')
    """
    from pmtool.project import load_project as load

    return load(Path(path))


def demo_project() -> Project:
    """The bundled demo project over the synthetic sample data: 13 offices, processes P1, P2 and P3a.

    >>> import pmtool as pt
    >>> project = pt.demo_project()
    >>> sorted(project.processes), len(project.offices), len(project.exports)
    (['P1', 'P2', 'P3a'], 13, 39)
    """
    from pmtool.errors import ConfigError, Location
    from pmtool.results import DEMO_PROJECT

    if not DEMO_PROJECT.exists():
        raise ConfigError("cli.demo.missing", Location(str(DEMO_PROJECT)))
    return load_project(DEMO_PROJECT)


def restrict(project: Project, *, processes: Sequence[str] | None = None,
             offices: Sequence[str] | None = None, filters: Sequence[str] = ()) -> Project:
    """``project`` with only some ``processes`` and ``offices`` (the others' exports are left out), and
    ``filters`` (text forms as for `filter_log`) applied to every process after the project file's own —
    what ``pmtool run --filter`` does.

    Raises `ConfigError` for a process or office the project does not have.

    >>> import pmtool as pt
    >>> small = pt.restrict(pt.demo_project(), processes=["P3a"], offices=["GA-01", "GA-02"])
    >>> [(e.office, e.process) for e in small.exports]
    [('GA-01', 'P3a'), ('GA-02', 'P3a')]
    """
    from dataclasses import replace

    from pmtool.errors import ConfigError, Location

    for wanted, known, key in ((processes, project.processes, "processes"), (offices, project.offices, "offices")):
        unknown = sorted(set(wanted or ()) - set(known))
        if unknown:
            raise ConfigError("api.unknown_choice", Location(str(project.source or project.name)), key=key,
                              value=unknown[0], known=", ".join(known))
    keep_p = set(processes) if processes is not None else set(project.processes)
    keep_o = set(offices) if offices is not None else set(project.offices)
    from pmtool.eventlog.filters import parse_filters

    return replace(project, processes={p: c for p, c in project.processes.items() if p in keep_p},
                   offices={o: c for o, c in project.offices.items() if o in keep_o},
                   exports=tuple(e for e in project.exports if e.process in keep_p and e.office in keep_o),
                   filters=(*project.filters, *parse_filters(filters).texts))


def load_key(path: str | Path | None = None) -> PseudonymKey | None:
    """The pseudonymisation key from the key file ``path`` (``~`` for the home folder), else
    ``PMTOOL_PSEUDONYM_KEY_FILE``, else ``PMTOOL_PSEUDONYM_KEY``; ``None`` when there is none. The key is never
    written anywhere.

    Raises `ConfigError` for an unreadable or too short key.

    >>> import pmtool as pt
    >>> pt.load_key() is None  # no key file and no key in the environment
    True
    """
    from pmtool.ingest.pseudonymise import load_key as load

    return load(Path(path).expanduser() if path is not None else None)


def demo_key() -> PseudonymKey:
    """The documented, non-secret key of the synthetic sample data (``pmtool demo`` uses it). Never for real
    data: use `load_key` or `new_key`.

    >>> import pmtool as pt
    >>> pt.demo_key()
    PseudonymKey(key_id='...')
    """
    from pmtool.ingest.pseudonymise import PseudonymKey
    from pmtool.results import DEMO_KEY

    return PseudonymKey(DEMO_KEY.encode())


def new_key() -> PseudonymKey:
    """A fresh random key that lives only in this session: for exploring a log in a notebook without storing
    anything (its pseudonyms differ from session to session). ``pmtool key new FILE`` makes a lasting one.

    >>> import pmtool as pt
    >>> pt.new_key().key_id != pt.new_key().key_id
    True
    """
    from pmtool.ingest.pseudonymise import PseudonymKey, new_key_text

    return PseudonymKey(new_key_text().encode())


def set_language(lang: str | None) -> None:
    """Show messages, tables and pictures in ``lang`` (``"de"`` or ``"en"``); ``None`` goes back to
    ``PMTOOL_LANG`` or German. Raises ``ValueError`` for another language.

    >>> import pmtool as pt
    >>> pt.set_language("en")
    >>> pt.set_language(None)
    """
    from pmtool.i18n import set_language as choose

    choose(lang)


def read_export(export: str | Path | ExportSource, *, profile: str | Path | MappingProfile | None = None,
                office: str | None = None, key: PseudonymKey | None = None, allow_identifiable: bool = False,
                format: str | None = None, delimiter: str | None = None, encoding: str | None = None,
                sheet: str | None = None, object_type: str | None = None,
                max_invalid_share: float = 0.5) -> IngestResult:
    """Import one office export (CSV, Excel, XES, OCEL 2.0, Parquet) into a canonical, pseudonymised log:
    what ``pmtool ingest`` does, without writing anything.

    ``export`` is a file or an export of a project (`Project.exports`, which names its profile and office).
    ``profile`` is the mapping profile (a file or a `MappingProfile`; XES, OCEL and canonical Parquet need
    none). ``key`` pseudonymises case ids and staff: default `load_key`; without any key this refuses
    (`PrivacyError`) unless ``allow_identifiable``. ``delimiter``, ``encoding``, ``sheet`` and
    ``object_type`` override the profile's reading options; above ``max_invalid_share`` of rows failing on
    one required column the profile is wrong and `InputError` says so.

    Returns an `IngestResult` (``log``, ``quarantine``, ``summary`` with rows read = loaded + quarantined).

    >>> import pmtool as pt
    >>> result = pt.read_export(pt.demo_project().exports[0], key=pt.demo_key())
    >>> s = result.summary
    >>> s.office, s.rows_read == s.rows_loaded + s.rows_quarantined
    ('GA-01', True)
    """
    from pmtool.ingest.pipeline import ingest
    from pmtool.ingest.profile import MappingProfile, load_profile
    from pmtool.ingest.pseudonymise import require_key
    from pmtool.ingest.registry import ReadOptions
    from pmtool.project import ExportSource

    if isinstance(export, ExportSource):
        path, office, profile = export.path, office or export.office, profile or export.profile
    else:
        path = Path(export)
    if profile is None or isinstance(profile, MappingProfile):
        chosen = profile or MappingProfile()
    else:
        chosen = load_profile(Path(profile))
    key = require_key(key if key is not None else load_key(), allow_identifiable)
    options = ReadOptions(delimiter=delimiter, encoding=encoding, sheet=sheet, object_type=object_type)
    return ingest(path, chosen, office=office, key=key, allow_identifiable=allow_identifiable, format=format,
                  read_options=options, max_invalid_share=max_invalid_share)


def read_database(url: str, *, profile: str | Path | None = None, schema: str | None = None,
                  office: str | None = None, key: PseudonymKey | None = None, allow_identifiable: bool = False,
                  max_invalid_share: float = 0.5) -> IngestResult:
    """Extract a canonical, pseudonymised log from a case database (PostgreSQL): what ``pmtool ingest
    postgresql://…`` does, without writing anything.

    ``url`` is ``postgresql://host:port/database``; the user and password come from ``PGUSER`` /
    ``PGPASSWORD`` or the pgpass file, never from the address (an address with a password is refused).
    ``profile`` is an extraction profile (a TOML file or the name of a shipped one; default ``sormas``,
    see docs/database.md); ``schema`` defaults to the profile's, else ``public``; ``office`` defaults to the
    profile's, else a schema named after an office (``ga_07``). Everything happens in one read-only
    transaction. ``key`` as in `read_export` (needs the extra ``pmtool[postgres]``).

    Returns an `IngestResult`, as `read_export` does for a file.

    >>> import pmtool as pt
    >>> pt.read_database("postgresql://analyse:geheim@db.example/sormas", key=pt.demo_key())
    Traceback (most recent call last):
    pmtool.errors.ConfigError: postgresql://db.example/sormas: ...
    """
    from pmtool.ingest.database.extract import ingest_database
    from pmtool.ingest.pseudonymise import require_key

    key = require_key(key if key is not None else load_key(), allow_identifiable)
    return ingest_database(url, profile, schema=schema, office=office, key=key,
                           allow_identifiable=allow_identifiable, max_invalid_share=max_invalid_share)

def read_log(*paths: str | Path) -> EventLog:
    """Read canonical logs (``.parquet`` written by ``pmtool ingest`` or ``pmtool run``); several are read as
    one log (events of one office and case id from two files form one case).

    Raises `InputError` for a file that is not a canonical log (import an export with `read_export`).

    >>> import pmtool as pt, tempfile, pathlib
    >>> log = pt.read_export(pt.demo_project().exports[0], key=pt.demo_key()).log
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "GA-01_P1.parquet"
    ...     log.write_parquet(path)
    ...     pt.read_log(path).n_cases == log.n_cases
    True
    """
    from pmtool.discover.scope import combine
    from pmtool.errors import InputError, Location
    from pmtool.eventlog.log import read_parquet

    if not paths:
        raise InputError("cli.conform.no_logs", Location())
    return combine([read_parquet(Path(p)) for p in paths])


def filter_log(log: EventLog, *, offices: Sequence[str] | None = None, process: str | None = None,
               start: date | datetime | str | None = None, end: date | datetime | str | None = None,
               filters: Sequence[str] = ()) -> EventLog:
    """The cases of ``log`` of some ``offices``, of one ``process`` of the vocabulary (``P1``…: the process
    most of a case's activities belong to), and that began on or after ``start`` and before ``end`` (dates
    are days in Saxony, Europe/Berlin). Every event of a kept case stays.

    ``filters`` are then applied in order, in the text form the command line's ``--filter`` takes
    (docs/filters.md): ``"time:started:2025-01-01..2025-03-31"``, ``"case:role=Amtsärztin/Amtsarzt"``,
    ``"variants:top=10"``, ``"duration:1d..30d"``, ``"follows:A>>B"``, … — the same text gives the same cases
    here and in ``pmtool discover --filter``.

    >>> import pmtool as pt
    >>> log = pt.read_export(pt.demo_project().exports[0], key=pt.demo_key()).log
    >>> q1 = pt.filter_log(log, filters=["time:started:2025-01-01..2025-03-31", "case:role=Amtsärztin/Amtsarzt"])
    >>> 0 < q1.n_cases < log.n_cases
    True

    Raises `InputError` for an unknown process. The result may be empty; its view says so.

    >>> import pmtool as pt
    >>> log = pt.read_export(pt.demo_project().exports[0], key=pt.demo_key()).log
    >>> spring = pt.filter_log(log, start="2025-03-01", end="2025-06-01")
    >>> 0 < spring.n_cases < log.n_cases
    True
    """
    import polars as pl

    from pmtool.discover.scope import PROCESS, case_processes
    from pmtool.errors import InputError, Location
    from pmtool.eventlog import schema
    from pmtool.eventlog.log import EventLog
    from pmtool.vocabulary import vocabulary

    key = [schema.OFFICE, schema.CASE_ID]
    cases = log.frame.group_by(key).agg(pl.col(schema.TIMESTAMP).min().alias("_first"))
    if process is not None:
        known = list(vocabulary().processes)
        if process not in known:
            raise InputError("discover.unknown_process", Location(), process=process, known=", ".join(known))
        cases = cases.join(case_processes(log).filter(pl.col(PROCESS) == process).select(key), on=key)
    if offices is not None:
        cases = cases.filter(pl.col(schema.OFFICE).is_in(list(offices)))
    if start is not None:
        cases = cases.filter(pl.col("_first") >= moment(start))
    if end is not None:
        cases = cases.filter(pl.col("_first") < moment(end))
    kept = log.frame.join(cases.select(key), on=key, how="semi", maintain_order="left")
    from pmtool.eventlog.filters import parse_filters

    kept = parse_filters(filters).apply(kept)
    return EventLog.from_frame(kept, log.provenance, assume_sorted=True)


def inspect(log: EventLog, *, top: int = 10) -> Overview:
    """The overview ``pmtool inspect`` prints: cases, events, activities, period, the ``top`` variants and
    activities, and data-quality flags.

    >>> import pmtool as pt
    >>> log = pt.read_export(pt.demo_project().exports[0], key=pt.demo_key()).log
    >>> view = pt.inspect(log)
    >>> view.cases == log.n_cases, view.offices
    (True, ('GA-01',))
    """
    from pmtool.eventlog.overview import overview

    return overview(log, top=top)


def moment(value: date | datetime | str) -> datetime:
    """A point in time in UTC: a date means the start of that day in Saxony, a time without a zone is
    Saxon local time (as on the command line). Raises `ConfigError` for text that is neither."""
    from zoneinfo import ZoneInfo

    from pmtool.errors import ConfigError, Location

    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ConfigError("cli.conform.bad_as_of", Location(), value=value) from None
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(LOCAL_ZONE))
    return value.astimezone(ZoneInfo("UTC"))
