"""Deviation patterns of P2 Ausbruchsmanagement and P3a Belehrung (registered in :mod:`deviations`)."""

from __future__ import annotations

from pmtool.simulate.clock import DAY
from pmtool.simulate.deviations import Expectation, Pattern, act, edit_cached, register, rule
from pmtool.simulate.process import Case, ProcessSpec
from pmtool.simulate.timing import Sim


def _on_working_day_after(anchor: str, lo: int, hi: int, start: int = 7 * 60, end: int = 15 * 60):
    def op(sim: Sim, case: Case, base: int, i: int, times: list[int]) -> int:
        day = sim.clock.add_wd(times[case.skeleton.first[anchor]] // DAY, sim.u(lo, hi))
        return max(day * DAY + sim.u(start, end), base + 1)

    return op


# -- P2 ---------------------------------------------------------------------------------------------


@register
class LateConfirmation(Pattern):
    """Outbreak confirmed only two to four working days after the signal.

    Example: AB-01 Mon 06.10.2025 → AB-02 Thu 09.10.2025 (due Tue 07.10.).
    """

    code = "P2-LATE-CONFIRMATION"
    process = "P2"
    title = "Ausbruch verspätet bestätigt"
    domain_ref = "8.20"
    expectations = (rule("DEADLINE", "P2-S-CONFIRM"),)
    baseline = 0.03
    changes = "time of AB-02 (and of everything after it)"

    def modify(self, spec: ProcessSpec, sim: Sim, case: Case) -> None:
        case.uncapped.add("AB-02")
        case.overrides["AB-02"] = _on_working_day_after("AB-01", 2, 4)


@register
class LateRecord(Pattern):
    """Outbreak record (AB-03) created only on the working day after the confirmation.

    Example: AB-02 Tue 04.02.2025 14:10 → AB-03 Wed 05.02.2025 08:30 (due Tue 04.02.).
    """

    code = "P2-LATE-RECORD"
    process = "P2"
    title = "Ausbruchsdatensatz verspätet angelegt"
    domain_ref = "8.20"
    expectations = (rule("DEADLINE", "P2-S-RECORD"),)
    baseline = 0.03
    changes = "time of AB-03"

    def modify(self, spec: ProcessSpec, sim: Sim, case: Case) -> None:
        case.uncapped.add("AB-03")
        case.overrides["AB-03"] = _on_working_day_after("AB-02", 1, 1, 7 * 60, 10 * 60)


def _record_after_cases(sim: Sim, case: Case, base: int, i: int, times: list[int]) -> int:
    confirmed = times[case.skeleton.first["AB-02"]]
    t = sim.office(base, 30, 180)
    if t <= sim.clock.due_end(confirmed, 0):
        day = sim.clock.add_wd(confirmed // DAY, 1)
        t = max(t, day * DAY + sim.u(7 * 60, 15 * 60))
    return t


@register
class CasesBeforeRecord(Pattern):
    """Outbreak record created only after the first cases were linked (late AB-03, after AB-13).

    Example: AB-02 → AB-04 … AB-12 → AB-13 Fälle zugeordnet → AB-03 Ausbruch angelegt → AB-09 → AB-14.
    """

    code = "P2-CASES-BEFORE-RECORD"
    process = "P2"
    title = "Fälle vor Anlage des Ausbruchsdatensatzes zugeordnet"
    domain_ref = "8.20"
    expectations = (
        act("ORDER", "AB-03"),
        rule("ORDER", "P2-S-RECORD-FIRST"),
        rule("DEADLINE", "P2-S-RECORD"),
    )
    baseline = 0.02
    changes = "AB-03 moved after the first AB-13 (a later working day than AB-02)"

    def modify(self, spec: ProcessSpec, sim: Sim, case: Case) -> None:
        edit_cached(self, case, lambda sk: sk.move_after("AB-03", "AB-13"))
        case.uncapped.add("AB-03")
        case.overrides["AB-03"] = _record_after_cases


@register
class NoFinalReport(Pattern):
    """Outbreak closed without a final report: AB-17 is missing.

    Example: AB-15 → AB-16 Ausbruch für beendet erklärt → AB-18 Ausbruch abgeschlossen.
    """

    code = "P2-NO-FINAL-REPORT"
    process = "P2"
    title = "Ausbruch ohne Abschlussbericht"
    domain_ref = "8.11"
    expectations = (act("SKIP", "AB-17"), rule("SKIP", "P2-S-REPORT"))
    baseline = 0.04
    changes = "AB-17 removed"

    def modify(self, spec: ProcessSpec, sim: Sim, case: Case) -> None:
        edit_cached(self, case, lambda sk: sk.without(["AB-17"]))


@register
class MeasuresByPhysician(Pattern):
    """Control measures ordered by the physician of the infection-control team, not the medical officer.

    Example: AB-12 Kontrollmaßnahmen angeordnet, role Ärztin/Arzt Infektionsschutz.
    """

    code = "P2-MEASURES-BY-PHYSICIAN"
    process = "P2"
    title = "Kontrollmaßnahmen ohne Amtsärztin/Amtsarzt angeordnet"
    domain_ref = "8.23"
    expectations = (rule("ROLE", "P2-S-MEASURES-ROLE"),)
    baseline = 0.03
    changes = "role (and resource) of AB-12"

    def modify(self, spec: ProcessSpec, sim: Sim, case: Case) -> None:
        case.roles["AB-12"] = "Ärztin/Arzt Infektionsschutz"


@register
class RunningP2(Pattern):
    """Outbreak still running at the export date (not injected): later events are not exported."""

    code = "P2-RUNNING"
    process = "P2"
    title = "Ausbruch läuft noch (Exportstand)"
    expectations = (Expectation("INCOMPLETE"),)
    natural = True
    changes = "events after the export date are not in the export"


# -- P3a --------------------------------------------------------------------------------------------


@register
class NoShow(Pattern):
    """No-show and rebooking: the person misses the session (BL-90) and books again, once or twice.

    Example: BL-01 → BL-90 Termin nicht wahrgenommen → BL-01 → BL-02 → … → BL-07.
    """

    code = "P3a-NO-SHOW"
    process = "P3a"
    title = "Termin nicht wahrgenommen und umgebucht"
    domain_ref = "8.17"
    expectations = (act("INSERT", "BL-90"), rule("INSERT", "P3a-Y-NO-SHOW"), act("REPEAT", "BL-01"))
    baseline = 0.06
    changes = "BL-90 and a second booking BL-01 after the first (twice in one of five cases)"

    def modify(self, spec: ProcessSpec, sim: Sim, case: Case) -> None:
        twice = sim.chance(0.2)
        chain = ["BL-90", "BL-01", "BL-90", "BL-01"] if twice else ["BL-90", "BL-01"]
        cache = case.skeleton._cache
        key = ("edit", self.code, twice)
        if key not in cache:
            cache[key] = case.skeleton.insert_after("BL-01", chain, series=True)
        case.skeleton = cache[key]


@register
class CertificateBeforeCheck(Pattern):
    """Certificate printed right after the instruction, before the understanding check and declaration.

    Example: BL-04 Belehrung → BL-07 Bescheinigung → BL-05 Verständnis geprüft → BL-06 Erklärung.
    """

    code = "P3a-CERTIFICATE-BEFORE-CHECK"
    process = "P3a"
    title = "Bescheinigung vor Verständnisprüfung"
    domain_ref = "8.19"
    expectations = (act("ORDER", "BL-07"), rule("ORDER", "P3a-L-43-CHECK"))
    baseline = 0.01
    changes = "BL-07 moved right after BL-04"

    def modify(self, spec: ProcessSpec, sim: Sim, case: Case) -> None:
        edit_cached(self, case, lambda sk: sk.move_after("BL-07", "BL-04"))


@register
class ContractorInstruction(Pattern):
    """Instruction held by an online contractor (film and test) instead of medical or hygiene staff.

    Example: BL-04 Belehrung durchgeführt, role Dienstleister (online).
    """

    code = "P3a-CONTRACTOR-INSTRUCTION"
    process = "P3a"
    title = "Belehrung durch Online-Dienstleister"
    domain_ref = "8.25"
    expectations = (rule("ROLE", "P3a-Y-INSTRUCTOR"),)
    baseline = 0.0
    changes = "role (and resource) of BL-04"

    def modify(self, spec: ProcessSpec, sim: Sim, case: Case) -> None:
        case.roles["BL-04"] = "Dienstleister (online)"


@register
class CertificateLate(Pattern):
    """Certificate issued one to five working days after the instruction (printed and posted later).

    Example: BL-04 Tue 11.03.2025 10:05 → BL-07 Fri 14.03.2025 (due Tue 11.03.).
    """

    code = "P3a-CERTIFICATE-LATE"
    process = "P3a"
    title = "Bescheinigung nicht am Tag der Belehrung"
    domain_ref = "8.3"
    expectations = (rule("DEADLINE", "P3a-S-SAME-DAY"),)
    baseline = 0.02
    changes = "time of BL-07"

    def modify(self, spec: ProcessSpec, sim: Sim, case: Case) -> None:
        case.uncapped.add("BL-07")
        case.overrides["BL-07"] = _on_working_day_after("BL-04", 1, 5)


@register
class RunningP3a(Pattern):
    """Instruction still running at the export date (not injected; rare: bookings are at most 14 days
    ahead)."""

    code = "P3a-RUNNING"
    process = "P3a"
    title = "Belehrung läuft noch (Exportstand)"
    expectations = (Expectation("INCOMPLETE"),)
    natural = True
    changes = "events after the export date are not in the export"
