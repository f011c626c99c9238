"""P2 Ausbruchsmanagement: outbreaks in care homes, Kitas, hospitals, schools and restaurants.

A signal (AB-01) comes mostly from a facility during office hours, sometimes from automatic cluster
detection at any hour. Confirmation, record, team and site visit follow within a working day; then the
outbreak is described, a hypothesis is built (and sometimes tested), control measures are ordered, and
the cycle "cases linked → line list updated → transmitted" repeats while new cases come in (geometric
number of rounds). Two incubation periods without a new case end it; the final report follows within
30 days.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pmtool.simulate.clock import DAY, OFFICE_LEN
from pmtool.simulate.process import Case, ProcessSpec
from pmtool.simulate.timing import Op, Sim

OUTBREAK_PATHOGENS = ("Norovirus", "Influenza", "COVID-19", "Salmonella", "Rotavirus", "Campylobacter")
OUTBREAK_WEIGHTS = (50, 15, 15, 8, 8, 4)
SETTINGS = ("Pflegeheim", "Kita", "Krankenhaus", "Schule", "Gaststätte")
SETTING_WEIGHTS = (40, 25, 15, 10, 10)
TEST, ROUNDS = range(2)


class Ausbruch(ProcessSpec):
    process = "P2"
    model_file = "P2_ausbruchsmanagement.bpmn"
    branches = {
        "Gw_Hypothesenpruefung": ("AB_11", lambda plan, n: plan[TEST]),
        "Gw_Aktualisierung": ("Gw_Aktualisierung_Join", lambda plan, n: n < plan[ROUNDS] - 1),
    }

    def sample(self, sim: Sim, seq: int, office: Any) -> Case:
        clock = sim.clock
        first, last = clock.day_of(date(office.year, 1, 1)), clock.day_of(date(office.year, 12, 31))
        if sim.chance(0.8):  # facility notification during office hours
            t0 = clock.office_add(sim.u(first, last) * DAY, sim.u(0, OFFICE_LEN - 1))
            if t0 > (last + 1) * DAY:
                t0 = clock.office_add(first * DAY, sim.u(0, OFFICE_LEN - 1))
        else:  # automatic cluster detection
            t0 = clock.avoid_dst(sim.u(first, last) * DAY + sim.u(1, DAY - 1))
        rounds = 1
        while rounds < 10 and sim.chance(0.65):
            rounds += 1
        plan = (sim.chance(0.4), rounds)
        attrs = {
            "pathogen": sim.pick(OUTBREAK_PATHOGENS, OUTBREAK_WEIGHTS),
            "setting": sim.pick(SETTINGS, SETTING_WEIGHTS),
        }
        return Case(seq, attrs, plan, t0, self.skeleton(plan))

    final = "AB-18"

    @property
    def ops(self) -> dict[str, Op]:
        return OPS


def _line_list(sim: Sim, case: Case, base: int, i: int, times: list[int]) -> int:
    if case.skeleton.occurrence[i] == 0:
        return sim.office(base, 60, OFFICE_LEN)
    return sim.office(base, 30, 300)


def _declared_over(sim: Sim, case: Case, base: int, i: int, times: list[int]) -> int:
    day = sim.clock.add_wd(base // DAY + sim.u(14, 35), 0)
    return max(sim.office_on(day), base + 1)


OPS: dict[str, Op] = {
    "AB-01": lambda sim, c, base, i, t: c.t0,
    "AB-02": lambda sim, c, base, i, t: sim.office(base, 30, 400),
    "AB-03": lambda sim, c, base, i, t: sim.same_day(base, 5, 120),
    "AB-04": lambda sim, c, base, i, t: sim.office(base, 10, 240),
    "AB-05": lambda sim, c, base, i, t: sim.office(base, 20, 300),
    "AB-06": lambda sim, c, base, i, t: sim.office(base, 120, 3 * OFFICE_LEN),
    "AB-07": lambda sim, c, base, i, t: sim.office(base, 30, OFFICE_LEN),
    "AB-08": lambda sim, c, base, i, t: sim.office(base, 60, 2 * OFFICE_LEN),
    "AB-09": _line_list,
    "AB-10": lambda sim, c, base, i, t: sim.office(base, 60, 2 * OFFICE_LEN),
    "AB-11": lambda sim, c, base, i, t: sim.office(base, OFFICE_LEN, 6 * OFFICE_LEN),
    "AB-12": lambda sim, c, base, i, t: sim.office(base, 10, 300),
    "AB-13": lambda sim, c, base, i, t: sim.office(base, OFFICE_LEN // 2, 4 * OFFICE_LEN),
    "AB-14": lambda sim, c, base, i, t: sim.office(base, 5, 120),
    "AB-15": lambda sim, c, base, i, t: sim.office(base, 60, 3 * OFFICE_LEN),
    "AB-16": _declared_over,
    "AB-17": lambda sim, c, base, i, t: sim.office(base, 2 * OFFICE_LEN, 15 * OFFICE_LEN),
    "AB-18": lambda sim, c, base, i, t: sim.office(base, 60, 5 * OFFICE_LEN),
}
