"""``simulate``: synthetic event logs of the 13 pseudonymous offices with an exact ground truth.

Writes ``OUT/<process>/<office>_<process>.<ext>`` with ``<office>_<process>.profile.toml`` beside each
export, ``OUT/ground_truth.json``, ``OUT/ground_truth_cases.csv`` and ``OUT/README.md``. Everything is
written into a temporary folder beside ``OUT`` and renamed into place at the end, so an interrupted run
leaves nothing half-written. Same settings → byte-identical files (no wall-clock time anywhere).

>>> from pathlib import Path; import tempfile
>>> result = simulate(Path(tempfile.mkdtemp()) / "out", Settings(offices=1, scale=0.05, processes=("P3a",)))
>>> [s.file for s in result.logs]
['P3a/GA-01_P3a.csv']
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from pmtool.calendar import FIRST_YEAR, LAST_YEAR
from pmtool.errors import ConfigError, InputError, Location
from pmtool.simulate import groundtruth
from pmtool.simulate.archetypes import BY_CODE, OFFICES
from pmtool.simulate.ausbruch import Ausbruch
from pmtool.simulate.belehrung import Belehrung
from pmtool.simulate.clock import Clock
from pmtool.simulate.dialects import DIALECTS, csv_instead, profile_toml, sheet_overflow
from pmtool.simulate.generate import GeneratedLog, export_minute, generate, stable_seed
from pmtool.simulate.meldefall import Meldefall
from pmtool.simulate.process import ProcessSpec
from pmtool.simulate.staff import staff
from pmtool.simulate.writers import render, write

SPECS: dict[str, type[ProcessSpec]] = {"P1": Meldefall, "P2": Ausbruch, "P3a": Belehrung}
TITLES = {"P1": "Meldefallbearbeitung", "P2": "Ausbruchsmanagement", "P3a": "Belehrung nach § 43 IfSG"}


@dataclass(frozen=True)
class Settings:
    """What to simulate. ``offices``: GA-01 … GA-NN; ``scale`` multiplies every volume."""

    seed: int = 2025
    offices: int = 13
    scale: float = 1.0
    year: int = 2025
    processes: tuple[str, ...] = ("P1", "P2", "P3a")
    #: (office, month): from that month of ``year`` on, the office works as the Soll says — its elevated
    #: deviation patterns fall back to the baseline for cases that start then or later (an adoption scenario)
    adoption: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "scale", float(self.scale))  # 10 and 10.0 give the same files
        object.__setattr__(self, "adoption", tuple(sorted((str(o), int(m)) for o, m in self.adoption)))

    def adoption_month(self, office: str) -> int | None:
        """The month from which ``office`` follows the Soll (``None``: it never changes)."""
        return dict(self.adoption).get(office)

    def check(self) -> None:
        if not 1 <= self.offices <= len(OFFICES):
            raise ConfigError("simulate.bad_offices", n=self.offices, max=len(OFFICES))
        if not self.scale > 0:
            raise ConfigError("simulate.bad_scale", scale=self.scale)
        if not FIRST_YEAR + 1 <= self.year <= LAST_YEAR - 4:
            raise ConfigError("simulate.bad_year", year=self.year, first=FIRST_YEAR + 1, last=LAST_YEAR - 4)
        unknown = [p for p in self.processes if p not in SPECS]
        if unknown or not self.processes or len(set(self.processes)) != len(self.processes):
            raise ConfigError(
                "simulate.bad_processes", value=",".join(self.processes), known=", ".join(SPECS)
            )
        codes = [o.code for o in OFFICES[: self.offices]]
        for office, month in self.adoption:
            if office not in codes or not 1 <= month <= 12:
                raise ConfigError("simulate.bad_adoption", value=f"{office}={month}", first=codes[0],
                                  last=codes[-1])
        if len({o for o, _ in self.adoption}) != len(self.adoption):
            raise ConfigError("simulate.bad_adoption", value=",".join(f"{o}={m}" for o, m in self.adoption),
                              first=codes[0], last=codes[-1])

    @property
    def command(self) -> str:
        parts = ["pmtool simulate --out data/sample_logs", f"--seed {self.seed}"]
        defaults = Settings()
        if self.offices != defaults.offices:
            parts.append(f"--offices {self.offices}")
        if self.scale != defaults.scale:
            parts.append(f"--scale {self.scale:g}")
        if self.year != defaults.year:
            parts.append(f"--year {self.year}")
        if self.processes != defaults.processes:
            parts.append(f"--processes {','.join(self.processes)}")
        if self.adoption:
            parts.append(f"--adopt {','.join(f'{o}={m}' for o, m in self.adoption)}")
        return " ".join(parts)


@dataclass(frozen=True)
class LogSummary:
    office: str
    process: str
    archetype: str
    dialect: str
    file: str
    cases: int
    events: int
    rows: int
    affected: int
    elevated: tuple[str, ...]


@dataclass(frozen=True)
class SimulationResult:
    out: Path
    settings: Settings
    logs: tuple[LogSummary, ...]

    @property
    def events(self) -> int:
        return sum(s.events for s in self.logs)

    def _repr_html_(self) -> str:
        from pmtool.display import html_of  # how Jupyter shows it (pmtool.display)

        return html_of(self)


def simulate(
    out: Path,
    settings: Settings | None = None,
    *,
    force: bool = False,
    model_dir: Path | None = None,
    progress: Callable[[str, str], None] | None = None,
) -> SimulationResult:
    """Generate the sample into ``out`` (atomically). Refuses a non-empty ``out`` unless ``force``.

    Raises :class:`ConfigError` for bad settings and :class:`InputError` when ``out`` cannot be written.
    """
    settings = settings or Settings()
    settings.check()
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not force)):
        raise InputError(
            "simulate.out_not_empty" if out.is_dir() else "simulate.out_is_file", Location(str(out))
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
        mask = os.umask(0)
        os.umask(mask)
        tmp.chmod(0o777 & ~mask)  # mkdtemp makes it private; the result is an ordinary folder
    except OSError as exc:
        raise InputError("output.write_failed", Location(str(out)), reason=exc.strerror or str(exc)) from None
    try:
        logs = write_sample(tmp, settings, model_dir=model_dir, progress=progress)
        _swap(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return SimulationResult(out, settings, logs)


def _swap(tmp: Path, out: Path) -> None:
    try:
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
            os.replace(out, old / out.name)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except OSError as exc:
        raise InputError("output.write_failed", Location(str(out)), reason=exc.strerror or str(exc)) from None


def write_sample(
    folder: Path,
    settings: Settings,
    *,
    model_dir: Path | None = None,
    progress: Callable[[str, str], None] | None = None,
) -> tuple[LogSummary, ...]:
    """Write every log, profile and the ground truth into ``folder`` (no atomicity here).

    Each office × process is an independent job seeded from (seed, office, process).
    """
    jobs = [(folder, settings, model_dir, office.code, process)
            for office in OFFICES[: settings.offices] for process in settings.processes]
    for process in settings.processes:
        (folder / process).mkdir(exist_ok=True)
    results = []
    for job in jobs:
        if progress:
            progress(job[3], job[4])
        results.append(_job(*job))
    offices: dict[str, dict] = {}
    summaries: list[LogSummary] = []
    affected_rows: list[tuple[str, str, str, str]] = []
    table = []
    instead = []  # exports written in another dialect than their office's (README)
    for summary, entry, rows in results:
        office = BY_CODE[summary.office]
        if office.code not in offices:
            offices[office.code] = {
                "archetype": office.archetype.code,
                "archetype_name": office.archetype.name,
                "dialect": office.dialect,
                "software": DIALECTS[office.dialect].software,
                "elevated": dict(sorted(office.elevated.items())),
                "processes": {},
            }
            table.append((office.code, office.archetype.code, office.dialect, tuple(sorted(office.elevated))))
        offices[office.code]["processes"][summary.process] = entry
        summaries.append(summary)
        affected_rows += rows
        if "instead_of" in entry:
            instead.append((summary.file, entry["instead_of"]["dialect"], summary.dialect))
    clock = Clock(settings.year)
    export_at = clock.datetime(export_minute(clock, settings.year)).isoformat()
    doc = groundtruth.document(settings, offices, export_at, settings.command)
    (folder / "ground_truth.json").write_text(groundtruth.to_json(doc), encoding="utf-8")
    (folder / "ground_truth_cases.csv").write_text(groundtruth.cases_csv(affected_rows), encoding="utf-8")
    (folder / "README.md").write_text(groundtruth.readme(settings.command, settings, table, instead), encoding="utf-8")
    return tuple(summaries)


@cache
def _spec(process: str, model_dir: Path | None) -> ProcessSpec:
    return SPECS[process](model_dir)


@cache
def _clock(year: int) -> Clock:
    return Clock(year)


def office_log(settings: Settings, code: str, process: str, model_dir: Path | None = None) -> GeneratedLog:
    """The simulated cases of one office × process, before they are written anywhere (file or database)."""
    office = replace(BY_CODE[code], year=settings.year)
    people = staff(office.archetype.staff, stable_seed(settings.seed, office.code, "staff"))
    return generate(_spec(process, model_dir), office, DIALECTS[office.dialect], clock=_clock(settings.year),
                    seed=settings.seed, scale=settings.scale, staff=people,
                    adopt_month=settings.adoption_month(code))


def _job(folder: Path, settings: Settings, model_dir: Path | None, code: str, process: str):
    """Generate and write one office × process; return its summary, ground-truth entry, affected cases."""
    log = office_log(settings, code, process, model_dir)
    reason = sheet_overflow(log.dialect, log.rows.height)
    overflow = None
    if reason:  # the office exports the same system's CSV instead: one worksheet cannot hold the rows
        overflow = {"dialect": log.dialect.name, "reason": reason}
        log = replace(log, dialect=csv_instead(log.dialect))
    office, dialect, clock = log.office, log.dialect, _clock(settings.year)
    name = f"{office.code}_{process}"
    file = f"{process}/{name}.{dialect.suffix}"
    write(log, render(log, clock), folder / file, settings.year)
    profile = f"{process}/{name}.profile.toml"
    text = profile_toml(dialect, office.code, process, TITLES[process])
    (folder / profile).write_text(text, encoding="utf-8")
    entry = groundtruth.log_entry(log, file, profile, overflow)
    rows = [(office.code, process, raw, pattern) for raw, pattern in log.affected]
    elevated = tuple(sorted(c for c in office.elevated if c.startswith(process + "-")))
    summary = LogSummary(office.code, process, office.archetype.code, dialect.name, file, log.cases,
                         log.events, log.rows.height, len(log.affected), elevated)
    return summary, entry, rows
