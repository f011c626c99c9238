"""P3a Belehrung nach § 43 IfSG: bookings, group sessions, certificate on the same day.

People book online (any hour, also at weekends) or by phone, at most 14 days ahead, for one of the
office's group sessions (weekday and start time depend on the archetype). On the day: ID check, fee
exemption check, instruction, understanding check, signed declaration, certificate. The fee is paid at
the cash desk before the session or later on invoice; fee-exempt people pay nothing. A few ask for a
duplicate certificate weeks later.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pmtool.simulate.clock import DAY, OFFICE_END, OFFICE_LEN
from pmtool.simulate.process import Case, ProcessSpec
from pmtool.simulate.timing import Op, Sim

FEE, DUPLICATE = range(2)


class Belehrung(ProcessSpec):
    process = "P3a"
    model_file = "P3a_belehrung_43.bpmn"
    branches = {
        "Gw_Gebuehrenpflicht": ("BL_08", lambda plan, n: plan[FEE]),
        "Gw_Zweitschrift": ("BL_09", lambda plan, n: plan[DUPLICATE]),
    }

    def sample(self, sim: Sim, seq: int, office: Any) -> Case:
        clock = sim.clock
        first, last = clock.day_of(date(office.year, 1, 1)), clock.day_of(date(office.year, 12, 31))
        online = sim.chance(0.65)
        day = sim.u(first, last)
        if online:
            t0 = clock.avoid_dst(day * DAY + sim.u(6 * 60, 23 * 60))
        else:
            t0 = clock.office_add(day * DAY, sim.u(0, OFFICE_LEN - 1))
        plan = (sim.chance(0.9), sim.chance(0.03))
        attrs = {
            "channel": "online" if online else "Telefon",
            "sessions": office.archetype.sessions,
            "prepaid": sim.chance(0.6),
        }
        return Case(seq, attrs, plan, t0, self.skeleton(plan))

    final = "BL-07"

    @property
    def ops(self) -> dict[str, Op]:
        return OPS


def session_start(sim: Sim, case: Case, booked: int) -> int:
    """The first group session at least 1..14 days after the booking, on a working day."""
    clock = sim.clock
    day = booked // DAY + sim.u(1, 14)
    sessions = case.attrs["sessions"]
    while True:
        weekday = (clock.epoch.weekday() + day) % 7
        starts = [minute for wd, minute in sessions if wd == weekday]
        if starts and clock.is_working(day):
            return day * DAY + starts[int(sim.random() * len(starts))]
        day += 1


def _booking(sim: Sim, case: Case, base: int, i: int, times: list[int]) -> int:
    if case.skeleton.occurrence[i] == 0:
        return case.t0
    return sim.clock.avoid_dst(base + sim.u(3 * 60, 7 * DAY))  # rebooked after a no-show


def _id_check(sim: Sim, case: Case, base: int, i: int, times: list[int]) -> int:
    return session_start(sim, case, base) - sim.u(5, 25)


def _no_show(sim: Sim, case: Case, base: int, i: int, times: list[int]) -> int:
    start = session_start(sim, case, base)
    return min(start + sim.u(60, 180), (start // DAY) * DAY + OFFICE_END - 1)


def _fee(sim: Sim, case: Case, base: int, i: int, times: list[int]) -> int:
    if case.attrs["prepaid"]:
        return base + sim.u(1, 15)
    return sim.office(base, OFFICE_LEN, 10 * OFFICE_LEN)


OPS: dict[str, Op] = {
    "BL-01": _booking,
    "BL-02": _id_check,
    "BL-03": lambda sim, c, base, i, t: base + sim.u(1, 8),
    "BL-04": lambda sim, c, base, i, t: base + sim.u(40, 75),
    "BL-05": lambda sim, c, base, i, t: base + sim.u(5, 30),
    "BL-06": lambda sim, c, base, i, t: base + sim.u(1, 10),
    "BL-07": lambda sim, c, base, i, t: base + sim.u(2, 20),
    "BL-08": _fee,
    "BL-09": lambda sim, c, base, i, t: sim.office(base, 5 * OFFICE_LEN, 30 * OFFICE_LEN),
    "BL-90": _no_show,
}
