"""One office × process: draw the cases, inject the deviations, add the data-quality artefacts, give rows.

The steps per case: sample a plan and a start → build the Soll skeleton → time it (conforming) → maybe
pick one deviation pattern (at most one per case) → modify and time again → check that the pattern's
expectation shows → cut events after the export date (cases still running) → rows. Artefacts come last
and never change what a conformance checker sees: date-only stamps only where the date keeps the order,
autosave copies and DST-skewed copies are extra rows that the importer quarantines.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from pmtool.simulate.archetypes import Office, volume
from pmtool.simulate.clock import DAY, Clock
from pmtool.simulate.deviations import STALE_DAYS, Pattern, choose, patterns_for
from pmtool.simulate.dialects import SYSTEM_USERS, Dialect, case_id
from pmtool.simulate.process import Case, ProcessSpec
from pmtool.simulate.staff import Person, render
from pmtool.simulate.timing import Sim, SimulationError, event_order

#: Activities often entered from paper, so an export may show only their date.
DATE_ONLY_ACTS = {"IS-08", "IS-17", "IS-24", "IS-25", "IS-26", "AB-15", "AB-17", "AB-18", "BL-08", "BL-09"}
_OUTSIDE = {
    "System": None,
    "LUA Labor": "LUA_LAB",
    "LUA Landesstelle": "LUA_LS",
    "Bürger/in": "CITIZEN",
    "Dienstleister (online)": "CONTRACTOR",
}
_TEAM = {"Ausbruchsteam": "Hygienekontrolleur/in"}
ROW_SCHEMA = {
    "seq": pl.Int64,
    "act": pl.String,
    "t": pl.Int64,
    "role": pl.String,
    "resource": pl.String,
    "date_only": pl.Boolean,
    "attribute": pl.String,
    "artefact": pl.String,
}


def stable_seed(*parts: object) -> int:
    """A 64-bit seed from the parts (stable across runs and platforms, unlike ``hash``)."""
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:8], "big")


def export_minute(clock: Clock, year: int) -> int:
    """The export is taken at the end of 31 March of the following year (Meldejahr ``year``)."""
    return clock.at(date(year + 1, 3, 31), 23, 59)


@dataclass
class PatternStats:
    probability: float
    elevated: bool
    eligible: int = 0
    applied: int = 0
    affected: int = 0


@dataclass
class GeneratedLog:
    office: Office
    process: str
    dialect: Dialect
    rows: pl.DataFrame
    case_ids: list[str]
    patterns: dict[str, PatternStats]
    affected: list[tuple[str, str]]  # (raw case id, pattern code)
    cases: int
    events: int
    quarantine: dict[str, int] = field(default_factory=dict)
    date_only_events: int = 0
    events_without_resource: int = 0
    adopted_from: date | None = None  # first day from which the office follows the Soll (adoption scenario)


def finalise(sim: Sim, case: Case) -> None:
    """Give every event of the case its own minute, in time order."""
    order, bumped = event_order(case.times, sim.clock)
    times = list(case.times)
    for i, t in zip(order, bumped, strict=True):
        times[i] = t
    case.times = times


def generate(
    spec: ProcessSpec,
    office: Office,
    dialect: Dialect,
    *,
    clock: Clock,
    seed: int,
    scale: float,
    staff: dict[str, tuple[Person, ...]],
    adopt_month: int | None = None,
) -> GeneratedLog:
    """All cases of one office × process, as export rows (see :data:`ROW_SCHEMA`) plus the ground truth.

    ``adopt_month``: cases that start in that month of the office's year or later are drawn with the
    baseline probabilities instead of the office's elevated ones (the office adopts the Soll)."""
    rnd = random.Random(stable_seed(seed, office.code, spec.process))
    export_at = export_minute(clock, office.year)
    sim = Sim(clock, rnd, speed=office.archetype.speed, caps=spec.caps, export_at=export_at)
    n = volume(office, spec.process, scale)
    candidates = patterns_for(spec.process)
    stats = {
        p.code: PatternStats(office.elevated.get(p.code, p.baseline), p.code in office.elevated)
        for p in candidates
    }
    dst_cases: set[int] = set()
    if spec.process == "P1" and dialect.naive_local and office.dst_skew_rows:
        dst_cases = set(rnd.sample(range(n), min(n, office.dst_skew_rows)))
    gap_day = clock.gap_day(office.year)
    adopted_from = date(office.year, adopt_month, 1) if adopt_month else None
    adopt_at = clock.at(adopted_from, 0) if adopted_from else None
    baseline = {p.code: p.baseline for p in candidates}
    adopted = {code: baseline[code] if code in office.elevated else s.probability for code, s in stats.items()}

    cases: list[Case] = []
    for seq in range(n):
        case = spec.sample(sim, seq, office)
        if seq in dst_cases:  # a report at 03:xx on the changeover night, re-imported with the CET clock
            case.t0 = gap_day * DAY + sim.u(180, 239)
            case.attrs["dst_skew"] = True
        spec.time(sim, case)
        finalise(sim, case)
        _inject(spec, sim, case, candidates, stats,
                adopted if adopt_at is not None and case.t0 >= adopt_at else None)
        _cut(spec, sim, case, export_at, stats)
        cases.append(case)
    cases.sort(key=lambda c: (c.t0, c.seq))
    log = _rows(spec, office, dialect, sim, cases, stats, staff, seed)
    log.adopted_from = adopted_from
    return log


def _inject(
    spec: ProcessSpec, sim: Sim, case: Case, candidates: list[Pattern], stats: dict[str, PatternStats],
    probabilities: dict[str, float] | None = None,
) -> None:
    probability = probabilities or {code: s.probability for code, s in stats.items()}
    if case.end + 45 * DAY <= sim.export_at:
        for p in candidates:
            if not p.natural and p.eligible(spec, sim, case):
                stats[p.code].eligible += 1
    pattern = choose(candidates, probability, spec, sim, case, sim.export_at)
    if pattern is None:
        return
    pattern.modify(spec, sim, case)
    spec.time(sim, case)
    finalise(sim, case)
    stats[pattern.code].applied += 1
    case.attrs["applied"] = pattern.code
    if pattern.realised(spec, sim, case):
        case.pattern = pattern.code
        stats[pattern.code].affected += 1


def _cut(spec: ProcessSpec, sim: Sim, case: Case, export_at: int, stats: dict[str, PatternStats]) -> None:
    if case.end <= export_at:
        return
    if "applied" in case.attrs:
        raise SimulationError(f"{spec.process} case {case.seq}: a deviating case runs past the export")
    kept = [t for t in case.times if t <= export_at]
    if not kept or max(kept) < export_at - STALE_DAYS * DAY:
        raise SimulationError(f"{spec.process} case {case.seq}: a running case looks stale at export")
    code = f"{spec.process}-RUNNING"
    case.pattern = code
    stats[code].applied += 1
    stats[code].affected += 1


def _rows(
    spec: ProcessSpec,
    office: Office,
    dialect: Dialect,
    sim: Sim,
    cases: list[Case],
    stats: dict[str, PatternStats],
    staff: dict[str, tuple[Person, ...]],
    seed: int,
) -> GeneratedLog:
    arche = office.archetype
    date_only_share = arche.date_only_share if dialect.date_only else 0.0
    users = SYSTEM_USERS[dialect.system_users]
    site = office.lua_site
    outside = {
        k: (v.format(site=site, site_id=site.lower(), SITE=site.upper()) if v else None)
        for k, v in users.items()
    }
    rendered: dict[Person, str] = {}
    cols: dict[str, list[Any]] = {k: [] for k in ROW_SCHEMA}
    ids: list[str] = []
    affected: list[tuple[str, str]] = []
    quarantine = {"duplicate_event": 0, "dst_nonexistent_time": 0}
    date_only_events = without_resource = events = 0
    rnd = sim.rnd
    for number, case in enumerate(cases, 1):
        raw = case_id(dialect.case_ids, office.number, spec.process, office.year, number, seed)
        ids.append(raw)
        if case.pattern:
            affected.append((raw, case.pattern))
        attribute = case.attrs.get("pathogen")
        owners: dict[str, Person] = {}
        order = sorted(
            (i for i, t in enumerate(case.times) if t <= sim.export_at), key=case.times.__getitem__
        )
        previous_day = -1
        for i in order:
            act = case.skeleton.nodes[i][0]
            t = case.times[i]
            role = spec.role(case, act)
            resource = _resource(role, act, owners, staff, outside, rendered, dialect, rnd, arche)
            day = t // DAY
            date_only = (
                date_only_share > 0
                and act in DATE_ONLY_ACTS
                and previous_day >= 0
                and day > previous_day
                and rnd.random() < date_only_share
            )
            previous_day = day
            row = (number, act, t, role, resource, date_only, attribute, None)
            _append(cols, row)
            events += 1
            date_only_events += date_only
            without_resource += resource is None
            if rnd.random() < arche.autosave_share:
                _append(cols, (*row[:-1], "duplicate_event"))
                quarantine["duplicate_event"] += 1
            if case.attrs.get("dst_skew") and act == case.skeleton.nodes[0][0] and i == 0:
                _append(cols, (number, act, t - 60, role, resource, False, attribute, "dst_nonexistent_time"))
                quarantine["dst_nonexistent_time"] += 1
    frame = pl.DataFrame(cols, schema=ROW_SCHEMA)
    return GeneratedLog(
        office,
        spec.process,
        dialect,
        frame,
        ids,
        stats,
        affected,
        len(cases),
        events,
        {k: v for k, v in quarantine.items() if v},
        date_only_events,
        without_resource,
    )


def _append(cols: dict[str, list[Any]], row: tuple) -> None:
    for key, value in zip(ROW_SCHEMA, row, strict=True):
        cols[key].append(value)


def _resource(
    role: str,
    act: str,
    owners: dict[str, Person],
    staff: dict[str, tuple[Person, ...]],
    outside: dict[str, str | None],
    rendered: dict[Person, str],
    dialect: Dialect,
    rnd: random.Random,
    arche: Any,
) -> str | None:
    if role in _OUTSIDE:
        token = _OUTSIDE[role] or ("DEMIS" if act in ("IS-01",) else "TRANSPORT")
        return outside[token]
    pool = staff[_TEAM.get(role, role)]
    if arche.unknown_resource_share and rnd.random() < arche.unknown_resource_share:
        return None
    owner = owners.get(role)
    if owner is None or rnd.random() < 0.25:
        person = pool[int(rnd.random() * len(pool))]
        owners.setdefault(role, person)
    else:
        person = owner
    text = rendered.get(person)
    if text is None:
        text = rendered[person] = render(person, dialect.resources)
    return text
