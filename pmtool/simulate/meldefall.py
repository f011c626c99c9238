"""P1 Meldefallbearbeitung: case plans driven by the pathogen, and how long each step takes.

A DEMIS report (IS-01) arrives at any hour, also at night and at weekends. The pathogen decides the
priority (measles, meningococci, EHEC, hepatitis A are high: an on-call service screens them at once)
and the chances of triage, contact tracing, protective measures and sampling. The LUA courier collects
samples on working days only; the LUA turnaround depends on the pathogen. Transmission to the
Landesstelle (IS-10) follows the office's transport habit (immediately, or a daily run at 15:00), the
LUA forwards to the RKI in its daily 13:00 run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pmtool.simulate.clock import DAY, OFFICE_LEN
from pmtool.simulate.process import Case, ProcessSpec
from pmtool.simulate.timing import Op, Sim


@dataclass(frozen=True)
class Pathogen:
    name: str
    weight: float
    high: bool
    season: str  # winter | summer | flat
    triage: float
    contact: float
    measure: float
    sampling: float
    lab_wd: tuple[int, int]  # LUA turnaround in working days
    isolation_days: tuple[int, int]  # from the verbal order to lifting the measure
    correction: float  # chance of at least one correction after transmission


PATHOGENS = (
    Pathogen("Norovirus", 25, False, "winter", 0.15, 0.10, 0.35, 0.30, (1, 2), (3, 7), 0.10),
    Pathogen("Campylobacter", 22, False, "summer", 0.05, 0.02, 0.10, 0.10, (2, 3), (5, 10), 0.10),
    Pathogen("Influenza", 20, False, "winter", 0.05, 0.05, 0.05, 0.05, (1, 1), (5, 7), 0.05),
    Pathogen("COVID-19", 15, False, "winter", 0.05, 0.30, 0.45, 0.10, (1, 1), (5, 10), 0.08),
    Pathogen("Salmonella", 6, False, "summer", 0.20, 0.10, 0.30, 0.50, (2, 4), (10, 21), 0.20),
    Pathogen("EHEC", 3, True, "summer", 1.0, 0.70, 0.80, 0.90, (3, 5), (14, 28), 0.35),
    Pathogen("Tuberkulose", 2, False, "flat", 0.60, 0.90, 0.40, 0.50, (15, 40), (21, 60), 0.40),
    Pathogen("Hepatitis A", 1.5, True, "flat", 1.0, 0.80, 0.60, 0.40, (1, 3), (14, 21), 0.20),
    Pathogen("Masern", 0.5, True, "winter", 1.0, 0.95, 0.90, 0.60, (1, 2), (7, 10), 0.30),
    Pathogen("Meningokokken", 0.5, True, "winter", 1.0, 0.95, 0.50, 0.30, (1, 3), (2, 4), 0.25),
)
BY_NAME = {p.name: p for p in PATHOGENS}
#: Relative frequency by month (January first) for the season kinds.
SEASON = {
    "winter": (2.2, 2.4, 1.8, 1.2, 0.7, 0.4, 0.3, 0.3, 0.5, 0.9, 1.5, 2.0),
    "summer": (0.5, 0.5, 0.6, 0.8, 1.1, 1.5, 1.9, 2.0, 1.6, 1.0, 0.7, 0.6),
    "flat": (1.0,) * 12,
}
# plan fields
LINK, TRIAGE, CONTACT, MEASURE, SAMPLING, CORRECTIONS, LIFT = range(7)


def arrival(sim: Sim, year: int, workday_hours: float = 0.65) -> int:
    """A report time in ``year``: fewer at weekends and holidays, mostly daytime, some at night."""
    clock = sim.clock
    first, last = clock.day_of(date(year, 1, 1)), clock.day_of(date(year, 12, 31))
    while True:
        day = sim.u(first, last)
        weekday = (clock.epoch.weekday() + day) % 7
        weight = 1.0 if clock.is_working(day) else (0.45 if weekday == 6 else 0.25)
        if sim.random() < weight:
            break
    minute = sim.u(8 * 60, 18 * 60 - 1) if sim.chance(workday_hours) else sim.u(1, DAY - 1)
    return clock.avoid_dst(day * DAY + minute)


class Meldefall(ProcessSpec):
    process = "P1"
    model_file = "P1_meldefallbearbeitung.bpmn"
    branches = {
        "Gw_Fall_vorhanden": ("IS_04", lambda plan, n: plan[LINK]),
        "Gw_Erstbewertung": ("IS_06", lambda plan, n: plan[TRIAGE]),
        "Gw_Kontaktpersonen": ("IS_12", lambda plan, n: plan[CONTACT]),
        "Gw_Schutzmassnahme": ("IS_14", lambda plan, n: plan[MEASURE]),
        "Gw_Probenahme": ("IS_18", lambda plan, n: plan[SAMPLING]),
        "Gw_Korrektur": ("IS_23", lambda plan, n: n < plan[CORRECTIONS]),
        "Gw_Aufhebung": ("IS_24", lambda plan, n: plan[LIFT]),
    }
    # The case definition is checked close to the end of the investigation, so that the § 11 clock
    # (IS-09 → IS-10 by the next working day) holds; it may come before or after IS-08 (both Soll).
    timing_after = {"IS-09": "IS-08"}

    def sample(self, sim: Sim, seq: int, office: Any) -> Case:
        t0 = arrival(sim, office.year)
        month = sim.clock.date(t0).month
        pathogen = sim.pick(PATHOGENS, [p.weight * SEASON[p.season][month - 1] for p in PATHOGENS])
        return self.case_for(sim, seq, t0, pathogen, office.archetype.transport)

    def case_for(self, sim: Sim, seq: int, t0: int, pathogen: Pathogen, transport: str) -> Case:
        measure = sim.chance(pathogen.measure)
        sampling = sim.chance(pathogen.sampling)
        corrections = 0
        p = pathogen.correction + (0.10 if sampling else 0.0)
        while corrections < 3 and sim.chance(p):
            corrections += 1
            p = 0.25
        plan = (
            sim.chance(0.05),
            pathogen.high or sim.chance(pathogen.triage),
            sim.chance(pathogen.contact),
            measure,
            sampling,
            corrections,
            measure and sim.chance(0.85),
        )
        attrs = {"pathogen": pathogen.name, "high": pathogen.high, "transport": transport}
        return Case(seq, attrs, plan, t0, self.skeleton(plan))

    final = "IS-26"

    @property
    def ops(self) -> dict[str, Op]:
        return OPS


def _high(case: Case) -> bool:
    return case.attrs["high"]


def _courier(sim: Sim, base: int) -> int:
    """LUA courier: collects at 10:00–12:00 on working days (same day if ready before 09:00)."""
    day, m = divmod(base, DAY)
    if not (sim.clock.is_working(day) and m < 9 * 60):
        day = sim.clock.add_wd(day, 1)
    return day * DAY + sim.u(600, 720)


def _lab(sim: Sim, case: Case, base: int, i: int, times: list[int]) -> int:
    lo, hi = BY_NAME[case.attrs["pathogen"]].lab_wd
    return sim.clock.office_add(base, sim.u(lo * OFFICE_LEN, hi * OFFICE_LEN))


def _case_definition(sim: Sim, case: Case, base: int, i: int, times: list[int]) -> int:
    j = case.skeleton.first.get("IS-08")
    if j is None or times[j] == 0:  # no investigation, or not timed before the check
        return sim.office(base, 30, 900)
    near = sim.clock.from_office_index(sim.clock.office_index(times[j]) + sim.u(-240, 90))
    return max(near, base + 1)


def _transmit(sim: Sim, case: Case, base: int, i: int, times: list[int]) -> int:
    if case.attrs.get("transport") == "daily":
        return sim.run_at(base, 15, 8)
    return sim.office(base, 5, 90)


def _lift(sim: Sim, case: Case, base: int, i: int, times: list[int]) -> int:
    ordered = case.skeleton.first.get("IS-14")
    start = base
    if ordered is not None:
        lo, hi = BY_NAME[case.attrs["pathogen"]].isolation_days
        start = max(base, (times[ordered] // DAY + sim.u(lo, hi)) * DAY)
    return sim.office(start, 0, 300)


OPS: dict[str, Op] = {
    "IS-01": lambda sim, c, base, i, t: c.t0,
    "IS-02": lambda sim, c, base, i, t: sim.office_or_oncall(base, _high(c), 5, 420, 15, 150),
    "IS-03": lambda sim, c, base, i, t: sim.office_or_oncall(base, _high(c), 2, 60, 5, 30),
    "IS-03a": lambda sim, c, base, i, t: sim.office(base, 10, 120),
    "IS-04": lambda sim, c, base, i, t: sim.office_or_oncall(base, _high(c), 2, 90, 5, 40),
    "IS-05": lambda sim, c, base, i, t: sim.office_or_oncall(base, _high(c), 2, 90, 5, 40),
    "IS-06": lambda sim, c, base, i, t: (
        sim.office_or_oncall(base, True, 5, 90, 10, 60) if _high(c) else sim.office(base, 15, 300)
    ),
    "IS-07": lambda sim, c, base, i, t: (
        sim.office_or_oncall(base, True, 10, 180, 15, 120) if _high(c) else sim.office(base, 30, 480)
    ),
    "IS-08": lambda sim, c, base, i, t: sim.office(base, 30, 1080),
    "IS-09": _case_definition,
    "IS-10": _transmit,
    "IS-11": lambda sim, c, base, i, t: sim.run_at(base, 13, 20),
    "IS-12": lambda sim, c, base, i, t: sim.office(base, 30, 900),
    "IS-13": lambda sim, c, base, i, t: sim.office(base, 10, 300),
    "IS-14": lambda sim, c, base, i, t: sim.office_or_oncall(base, _high(c), 10, 240, 10, 90),
    "IS-15": lambda sim, c, base, i, t: sim.office(base, 20, 150),
    "IS-16": lambda sim, c, base, i, t: sim.office(base, 15, 150),
    "IS-17": lambda sim, c, base, i, t: sim.office(base, 10, 120),
    "IS-18": lambda sim, c, base, i, t: sim.office(base, 20, 540),
    "IS-19": lambda sim, c, base, i, t: _courier(sim, base),
    "IS-20": lambda sim, c, base, i, t: base + sim.u(120, 300),
    "IS-21": _lab,
    "IS-22": lambda sim, c, base, i, t: sim.office(base, 10, 400),
    "IS-23": lambda sim, c, base, i, t: sim.office(base, OFFICE_LEN, 8 * OFFICE_LEN),
    "IS-24": _lift,
    "IS-25": lambda sim, c, base, i, t: sim.office(base, 60, 5 * OFFICE_LEN),
    "IS-26": lambda sim, c, base, i, t: sim.office(base, 10, 3 * OFFICE_LEN),
    "IS-90": lambda sim, c, base, i, t: sim.office(base, 30, 300),
    "IS-92": lambda sim, c, base, i, t: sim.office(base, 5, 120),
}
