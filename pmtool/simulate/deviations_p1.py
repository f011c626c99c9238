"""Deviation patterns of P1 Meldefallbearbeitung (registered in :mod:`pmtool.simulate.deviations`).

Each docstring gives a tiny example; ``expectations`` is what the conformance and rule checkers must find.
"""

from __future__ import annotations

from pmtool.simulate.clock import DAY
from pmtool.simulate.deviations import STALE_DAYS, Expectation, Pattern, act, edit_cached, register, rule
from pmtool.simulate.meldefall import CONTACT, LINK, MEASURE, SAMPLING
from pmtool.simulate.process import Case, ProcessSpec
from pmtool.simulate.timing import Sim


def _day(case: Case, activity: str) -> int:
    t = case.time_of(activity)
    assert t is not None
    return t // DAY


def _late_on(days_from: str, lo: int, hi: int, start_hour: int = 7, end_hour: int = 15):
    """An op: office time on the lo..hi-th working day after the date of ``days_from``."""

    def op(sim: Sim, case: Case, base: int, i: int, times: list[int]) -> int:
        j = case.skeleton.first[days_from]
        day = sim.clock.add_wd(times[j] // DAY, sim.u(lo, hi))
        return max(day * DAY + sim.u(start_hour * 60, end_hour * 60 + 59), base + 1)

    return op


@register
class LateTransmission(Pattern):
    """Late § 11 transmission: IS-10 two to six working days after IS-09, more often when the next day is
    no working day (Fridays, days before holidays), in the summer holidays and before Christmas.

    Example: IS-09 Thu 30.10.2025 10:12 → IS-10 Wed 05.11.2025 09:40 (due Mon 03.11.).
    """

    code = "P1-LATE-TRANSMISSION"
    process = "P1"
    title = "Übermittlung nach § 11 verspätet"
    domain_ref = "8.1"
    expectations = (rule("DEADLINE", "P1-L-11-GA"),)
    baseline = 0.04
    changes = "time of IS-10 (and of everything after it)"

    def eligible(self, spec: ProcessSpec, sim: Sim, case: Case) -> bool:
        return case.skeleton.has("IS-09") and case.skeleton.has("IS-10")

    def weight(self, spec: ProcessSpec, sim: Sim, case: Case) -> float:
        day = _day(case, "IS-09")
        if not sim.clock.is_working(day + 1):
            return 2.0
        month, dom = sim.clock.date(day * DAY).month, sim.clock.date(day * DAY).day
        return 1.5 if month in (7, 8) or (month == 12 and dom >= 15) else 0.75

    def modify(self, spec: ProcessSpec, sim: Sim, case: Case) -> None:
        case.uncapped.add("IS-10")
        case.overrides["IS-10"] = _late_on("IS-09", 2, 6)


def _monday_run(sim: Sim, case: Case, base: int, i: int, times: list[int]) -> int:
    day, minute = divmod(base, DAY)
    clock = sim.clock
    if not ((clock.epoch.weekday() + day) % 7 == 0 and clock.is_working(day) and minute < 15 * 60):
        day += 1
        while (clock.epoch.weekday() + day) % 7 != 0:
            day += 1
        day = clock.add_wd(day, 0)
    return day * DAY + 15 * 60 + sim.u(0, 8)


@register
class WeeklyBatch(Pattern):
    """Weekly batch transmission (pre-2017 habit): cases wait for the Monday 15:00 transport run.
    Only cases whose check was not on the last working day before that run breach § 11.

    Example: IS-09 Tue 04.03.2025 → IS-10 Mon 10.03.2025 15:03 (due Wed 05.03.): DEADLINE.
    IS-09 Fri 07.03.2025 → IS-10 Mon 10.03.2025 15:02: in time, not affected.
    """

    code = "P1-WEEKLY-BATCH"
    process = "P1"
    title = "Wöchentlicher Übermittlungslauf (montags)"
    domain_ref = "8.2"
    expectations = (rule("DEADLINE", "P1-L-11-GA"),)
    baseline = 0.0
    changes = "time of IS-10: the next Monday run at 15:00"

    def eligible(self, spec: ProcessSpec, sim: Sim, case: Case) -> bool:
        return case.skeleton.has("IS-09") and case.skeleton.has("IS-10")

    def modify(self, spec: ProcessSpec, sim: Sim, case: Case) -> None:
        case.uncapped.add("IS-10")
        case.overrides["IS-10"] = _monday_run


@register
class WeekendBacklog(Pattern):
    """Weekend on-call only: at weekends and on holidays only high-priority reports are screened; the
    others pile up and are screened only on the second working day.

    Example: Campylobacter report Sat 15.03.2025 11:20 → IS-02 Tue 18.03.2025 09:05 (due Mon 17.03.).
    """

    code = "P1-WEEKEND-BACKLOG"
    process = "P1"
    title = "Wochenend-Rückstau bei niedriger Priorität"
    domain_ref = "8.4"
    expectations = (rule("DEADLINE", "P1-S-SIGHT"),)
    baseline = 0.05
    changes = "time of IS-02 (and of everything after it)"

    def eligible(self, spec: ProcessSpec, sim: Sim, case: Case) -> bool:
        return not case.attrs["high"] and not sim.clock.is_working(case.t0 // DAY)

    def modify(self, spec: ProcessSpec, sim: Sim, case: Case) -> None:
        case.uncapped.add("IS-02")
        case.overrides["IS-02"] = _late_on("IS-01", 2, 2, 7, 11)


@register
class LateFirstContact(Pattern):
    """First contact with the affected person two to four working days after the case was created
    (understaffed investigation team).

    Example: IS-05 Mon 03.02.2025 → IS-07 Thu 06.02.2025 (due Tue 04.02.).
    """

    code = "P1-LATE-FIRST-CONTACT"
    process = "P1"
    title = "Erstkontakt verspätet"
    domain_ref = "8.8"
    expectations = (rule("DEADLINE", "P1-S-CONTACT"),)
    baseline = 0.04
    changes = "time of IS-07 (and of everything after it)"

    def eligible(self, spec: ProcessSpec, sim: Sim, case: Case) -> bool:
        return not case.attrs["high"] and case.skeleton.has("IS-05") and case.skeleton.has("IS-07")

    def modify(self, spec: ProcessSpec, sim: Sim, case: Case) -> None:
        case.uncapped.add("IS-07")
        case.overrides["IS-07"] = _late_on("IS-05", 2, 4)


@register
class CaseDefinitionSkipped(Pattern):
    """Case definition not explicitly evaluated: IS-09 is missing, the case is transmitted anyway.

    Example: … IS-08 Ermittlung abgeschlossen → IS-10 Fall an Landesstelle übermittelt (no IS-09).
    """

    code = "P1-CASEDEF-SKIPPED"
    process = "P1"
    title = "Falldefinition nicht bewertet"
    domain_ref = "8.7"
    expectations = (act("SKIP", "IS-09"), rule("SKIP", "P1-L-11-CHECK"))
    baseline = 0.02
    changes = "IS-09 removed"

    def modify(self, spec: ProcessSpec, sim: Sim, case: Case) -> None:
        edit_cached(self, case, lambda sk: sk.without(["IS-09"]))


@register
class TransmitBeforeCheck(Pattern):
    """Transmission before the case-definition check: IS-09 comes only after IS-10/IS-11 and triggers a
    correction (IS-23).

    Example: IS-08 → IS-10 → IS-11 → IS-09 → IS-23 → IS-25 → IS-26.
    """

    code = "P1-TRANSMIT-BEFORE-CHECK"
    process = "P1"
    title = "Übermittlung vor Prüfung der Falldefinition"
    domain_ref = "8.18"
    expectations = (act("ORDER", "IS-09"), rule("ORDER", "P1-L-11-ORDER"))
    baseline = 0.01
    changes = "IS-09 moved after IS-11, followed by a correction IS-23"

    def modify(self, spec: ProcessSpec, sim: Sim, case: Case) -> None:
        edit_cached(
            self,
            case,
            lambda sk: sk.move_after("IS-09", "IS-11").insert_after("IS-09", ["IS-23"], series=True),
        )
        case.overrides["IS-09"] = lambda sim, c, base, i, t: sim.office(base, 60, 1080)


@register
class NoInvestigation(Pattern):
    """No documented investigation for a low-priority case: IS-07 and IS-08 are missing.

    Example: IS-05 Fall angelegt → IS-09 → IS-10 → IS-11 → IS-25 → IS-26.
    """

    code = "P1-NO-INVESTIGATION"
    process = "P1"
    title = "Keine dokumentierte Ermittlung"
    domain_ref = "8.8"
    expectations = (act("SKIP", "IS-07"), act("SKIP", "IS-08"))
    baseline = 0.03
    changes = "IS-07 and IS-08 removed (only cases without contacts, measures or samples)"

    def eligible(self, spec: ProcessSpec, sim: Sim, case: Case) -> bool:
        plan = case.plan
        return not (case.attrs["high"] or plan[CONTACT] or plan[MEASURE] or plan[SAMPLING])

    def modify(self, spec: ProcessSpec, sim: Sim, case: Case) -> None:
        edit_cached(self, case, lambda sk: sk.without(["IS-07", "IS-08"]))


@register
class VerbalOrderOnly(Pattern):
    """Verbal order without a written Bescheid: IS-14 without IS-15, IS-16, IS-17. An optimal alignment
    explains this with one extra IS-14 (cost 1) rather than three missing steps (cost 3).

    Example: IS-07 → IS-14 Schutzmaßnahme mündlich angeordnet → IS-08 (no Bescheid).
    """

    code = "P1-VERBAL-ORDER-ONLY"
    process = "P1"
    title = "Mündliche Anordnung ohne Bescheid"
    domain_ref = "8.10"
    expectations = (rule("SKIP", "P1-S-WRITTEN"), act("INSERT", "IS-14"))
    baseline = 0.03
    changes = "IS-15, IS-16 and IS-17 removed"

    def eligible(self, spec: ProcessSpec, sim: Sim, case: Case) -> bool:
        return bool(case.plan[MEASURE])

    def modify(self, spec: ProcessSpec, sim: Sim, case: Case) -> None:
        edit_cached(self, case, lambda sk: sk.without(["IS-15", "IS-16", "IS-17"]))


@register
class OrderUnsigned(Pattern):
    """Bescheid sent without the medical officer's signature: IS-16 is missing.

    Example: IS-14 → IS-15 Bescheid erstellt → IS-17 Bescheid versandt.
    """

    code = "P1-ORDER-UNSIGNED"
    process = "P1"
    title = "Bescheid ohne Zeichnung"
    domain_ref = "8.10"
    expectations = (act("SKIP", "IS-16"), rule("SKIP", "P1-S-SIGNED"))
    baseline = 0.02
    changes = "IS-16 removed"

    def eligible(self, spec: ProcessSpec, sim: Sim, case: Case) -> bool:
        return bool(case.plan[MEASURE])

    def modify(self, spec: ProcessSpec, sim: Sim, case: Case) -> None:
        edit_cached(self, case, lambda sk: sk.without(["IS-16"]))


@register
class SignedIA(Pattern):
    """A Hygienekontrolleur/in signs the Bescheid "i.A." instead of the Amtsärztin/Amtsarzt.

    Example: IS-16 Bescheid gezeichnet, role Hygienekontrolleur/in.
    """

    code = "P1-SIGNED-IA"
    process = "P1"
    title = "Bescheid i.A. durch Hygienekontrolleur/in gezeichnet"
    domain_ref = "8.23"
    expectations = (rule("ROLE", "P1-S-SIGNER"),)
    baseline = 0.03
    changes = "role (and resource) of IS-16"

    def eligible(self, spec: ProcessSpec, sim: Sim, case: Case) -> bool:
        return bool(case.plan[MEASURE])

    def modify(self, spec: ProcessSpec, sim: Sim, case: Case) -> None:
        case.roles["IS-16"] = "Hygienekontrolleur/in"


@register
class OrderSentLate(Pattern):
    """The written Bescheid goes out two to five working days after the verbal order (paper post).

    Example: IS-14 Mon 12.05.2025 → IS-17 Fri 16.05.2025 (due Tue 13.05.).
    """

    code = "P1-ORDER-SENT-LATE"
    process = "P1"
    title = "Bescheid verspätet versandt"
    domain_ref = "8.16"
    expectations = (rule("DEADLINE", "P1-S-ORDER-SENT"),)
    baseline = 0.05
    changes = "time of IS-17"

    def eligible(self, spec: ProcessSpec, sim: Sim, case: Case) -> bool:
        return bool(case.plan[MEASURE])

    def modify(self, spec: ProcessSpec, sim: Sim, case: Case) -> None:
        case.uncapped.add("IS-17")
        case.overrides["IS-17"] = _late_on("IS-14", 2, 5)


@register
class NeverClosed(Pattern):
    """Case never closed: IS-25 and IS-26 are missing and the last event is more than 90 days old at
    export.

    Example: … IS-10 → IS-11 (March 2025), nothing after that by the export on 31.03.2026.
    """

    code = "P1-NEVER-CLOSED"
    process = "P1"
    title = "Fall nie abgeschlossen"
    domain_ref = "8.11"
    expectations = (
        Expectation("NO_CLOSURE"),
        act("SKIP", "IS-25"),
        act("SKIP", "IS-26"),
        rule("SKIP", "P1-S-CLOSED"),
    )
    baseline = 0.03
    changes = "IS-25 and IS-26 removed (only cases whose remaining events are older than 90 days)"

    def eligible(self, spec: ProcessSpec, sim: Sim, case: Case) -> bool:
        rest = [
            t
            for (a, _), t in zip(case.skeleton.nodes, case.times, strict=True)
            if a not in ("IS-25", "IS-26")
        ]
        return max(rest) < sim.export_at - (STALE_DAYS + 5) * DAY

    def modify(self, spec: ProcessSpec, sim: Sim, case: Case) -> None:
        edit_cached(self, case, lambda sk: sk.without(["IS-25", "IS-26"]))


@register
class DuplicateMerged(Pattern):
    """Duplicate cases for the lab and the physician report, merged later: IS-04 after IS-05 plus
    IS-92 Fall zusammengeführt.

    Example: IS-05 → IS-07 → IS-04 Meldung einem Fall zugeordnet → IS-92 Fall zusammengeführt → …
    """

    code = "P1-DUPLICATE-MERGED"
    process = "P1"
    title = "Dublette angelegt und zusammengeführt"
    domain_ref = "8.14"
    expectations = (act("INSERT", "IS-04"), act("INSERT", "IS-92"))
    baseline = 0.02
    changes = "IS-04 and IS-92 inserted after IS-07"

    def eligible(self, spec: ProcessSpec, sim: Sim, case: Case) -> bool:
        return not case.plan[LINK] and case.skeleton.has("IS-07")

    def modify(self, spec: ProcessSpec, sim: Sim, case: Case) -> None:
        edit_cached(self, case, lambda sk: sk.insert_after("IS-07", ["IS-04", "IS-92"], series=False))


def _forward(sim: Sim, case: Case, base: int, i: int, times: list[int]) -> int:
    if case.skeleton.occurrence[i] == 0:
        return sim.office(base, 10, 120)
    return sim.office(base, 540, 3 * 540)  # sent back by the other office, forwarded again


@register
class JurisdictionPingPong(Pattern):
    """Jurisdiction ping-pong: the report is forwarded to another office twice (it came back), and the
    case is later handed over once more (IS-90) before this office keeps it.

    Example: IS-03 → IS-03a → IS-03a → IS-05 → … → IS-07 → IS-90 → …
    """

    code = "P1-JURISDICTION-PINGPONG"
    process = "P1"
    title = "Zuständigkeits-Pingpong"
    domain_ref = "8.15"
    expectations = (act("INSERT", "IS-03a"), act("INSERT", "IS-90"))
    baseline = 0.005
    changes = "IS-03a twice after IS-03, IS-90 after IS-07"

    def eligible(self, spec: ProcessSpec, sim: Sim, case: Case) -> bool:
        return case.skeleton.has("IS-07")

    def modify(self, spec: ProcessSpec, sim: Sim, case: Case) -> None:
        edit_cached(
            self,
            case,
            lambda sk: sk.insert_after("IS-03", ["IS-03a", "IS-03a"], series=True).insert_after(
                "IS-07", ["IS-90"], series=False
            ),
        )
        case.overrides["IS-03a"] = _forward


@register
class PrivateLab(Pattern):
    """Sample sent to a private lab instead of the LUA: IS-19 but no IS-20/IS-21 (no LUA events).

    Example: IS-18 → IS-19 → IS-22 Befund bewertet (three days later).
    """

    code = "P1-PRIVATE-LAB"
    process = "P1"
    title = "Privatlabor statt LUA"
    domain_ref = "8.24"
    expectations = (act("SKIP", "IS-20"), act("SKIP", "IS-21"))
    baseline = 0.05
    changes = "IS-20 and IS-21 removed"

    def eligible(self, spec: ProcessSpec, sim: Sim, case: Case) -> bool:
        return bool(case.plan[SAMPLING])

    def modify(self, spec: ProcessSpec, sim: Sim, case: Case) -> None:
        edit_cached(self, case, lambda sk: sk.without(["IS-20", "IS-21"]))
        case.overrides["IS-22"] = lambda sim, c, base, i, t: sim.office(base, 540, 3 * 540)


@register
class RunningP1(Pattern):
    """Still running at the export date (not injected): the events after the export are cut off."""

    code = "P1-RUNNING"
    process = "P1"
    title = "Fall läuft noch (Exportstand)"
    expectations = (Expectation("INCOMPLETE"),)
    natural = True
    changes = "events after the export date are not in the export"
