"""The ground truth of a simulated sample: which office and process shows which deviation, how often.

``ground_truth.json`` holds, per office × process × pattern, the cases, the eligible, applied and affected
(realised) cases and the rate, whether the pattern is elevated in that office, and its expectations; per
office × process the union per expectation (what a checker counts) and the data-quality artefacts the
importer quarantines. ``ground_truth_cases.csv`` lists every affected case by its raw id.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from pmtool import __version__
from pmtool.calendar import WorkingCalendar
from pmtool.simulate import dialects
from pmtool.simulate.deviations import CODES, MARGIN_DAYS, PATTERNS, STALE_DAYS, patterns_for
from pmtool.simulate.generate import GeneratedLog

FORMAT = "pmtool-simulate-ground-truth/1"

SEMANTICS = {
    "rate": "affected / cases: the realised share of all cases of the office and process in the export "
    "that show the pattern's expectations. rate_eligible = affected / eligible (cases the pattern "
    "could hit). probability is the configured chance per eligible case.",
    "exclusive": "At most one pattern per case, so expectations of different patterns never hide each other; "
    "the union per expectation (expectations[]) is what a checker counts.",
    "deadline": "Deadlines are measured from the first occurrence of `from` to the first occurrence of `to`; "
    "'within N working days' = by the end of the N-th working day after the local date of "
    "`from` (N = 0: that day if it is a working day, else the next working day), Saxon "
    "calendar (SächsSFG), Europe/Berlin. Only the primary clock `from` is guaranteed; the "
    "alternative clock `alt_from` (P1-L-11-GA from IS-01) is informational: conforming cases "
    "with lab work breach it by design of the Soll model (IS-10 waits for IS-08).",
    "order": "An order rule is evaluated only when both activities occur.",
    "mandatory": "A mandatory rule is violated when its activity is missing (and `if_present` occurred); it "
    "is not evaluated for INCOMPLETE cases.",
    "closure": f"A case without its final activity is INCOMPLETE when its last event lies within "
    f"{STALE_DAYS} days before the export, else NO_CLOSURE.",
    "alignment": "SKIP/INSERT/ORDER/REPEAT follow optimal alignments with unit costs (a verbal order without "
    "Bescheid is one extra IS-14, not three missing steps).",
    "margin": f"Patterns are only applied to cases that end at least {MARGIN_DAYS} days before the export.",
    "artefacts": "Data-quality artefacts never change what conformance sees: autosave copies and DST-skewed "
    "copies are extra rows the importer quarantines; date-only stamps only on the first event "
    "of a day of a case (order and working-day deadlines unchanged).",
}
EXPECTATION_CODES = {
    "SKIP": "a Soll activity is missing (activity), or a mandatory rule is violated (rule)",
    "INSERT": "an activity the Soll does not have here or at all (activity), or an absent rule (rule)",
    "ORDER": "wrong order (activity moved), or an order rule is violated (rule)",
    "REPEAT": "rework: an activity repeated outside a Soll loop",
    "DEADLINE": "a deadline rule is violated (rule)",
    "ROLE": "a role rule is violated (rule)",
    "NO_CLOSURE": "the case was never closed",
    "INCOMPLETE": "the case is still running at export",
}
assert set(EXPECTATION_CODES) == set(CODES)


def _rate(n: int, d: int) -> float | None:
    return round(n / d, 6) if d else None


def log_entry(
    log: GeneratedLog, file: str, profile: str, instead_of: dict[str, str] | None = None
) -> dict[str, Any]:
    """Ground truth of one office × process; ``instead_of``: the office's own dialect and why the export is
    written in another (``dialect``, ``reason``), ``None`` when it is not."""
    patterns = {}
    for code, s in sorted(log.patterns.items()):
        if s.probability <= 0 and s.affected == 0:
            continue
        patterns[code] = {
            "probability": s.probability,
            "elevated": s.elevated,
            "eligible": s.eligible,
            "applied": s.applied,
            "affected": s.affected,
            "rate": _rate(s.affected, log.cases),
            "rate_eligible": _rate(s.affected, s.eligible),
            "expectations": [e.to_dict() for e in PATTERNS[code].expectations],
        }
    union: dict[Any, dict[str, Any]] = {}
    for _, code in log.affected:
        for e in PATTERNS[code].expectations:
            entry = union.setdefault(e, {**e.to_dict(), "affected": 0, "patterns": set(), "elevated": False})
            entry["affected"] += 1
            entry["patterns"].add(code)
            entry["elevated"] |= log.patterns[code].elevated
    expectations = []
    for e in sorted(union, key=lambda x: x.key):
        entry = union[e]
        entry["rate"] = _rate(entry["affected"], log.cases)
        entry["patterns"] = sorted(entry["patterns"])
        expectations.append(entry)
    rows = log.rows.height
    adoption = {"adopts_soll_from": log.adopted_from.isoformat()} if log.adopted_from else {}
    return {
        **adoption,
        "file": file,
        "profile": profile,
        "dialect": log.dialect.name,
        **({"instead_of": instead_of} if instead_of else {}),
        "cases": log.cases,
        "events": log.events,
        "conforming_cases": log.cases - len(log.affected),
        "patterns": patterns,
        "expectations": expectations,
        "data_quality": {
            "rows_written": rows,
            "quarantine": dict(sorted(log.quarantine.items())),
            "date_only_events": log.date_only_events,
            "events_without_resource": log.events_without_resource,
        },
    }


def document(
    settings: Any, offices: dict[str, dict[str, Any]], export_at: str, command: str
) -> dict[str, Any]:
    """The whole ``ground_truth.json``."""
    processes = list(settings.processes)
    return {
        "format": FORMAT,
        "generator": {
            "command": command,
            "seed": settings.seed,
            "scale": settings.scale,
            "year": settings.year,
            "offices": settings.offices,
            "processes": processes,
            "pmtool_version": __version__,
        },
        "observation": {
            "cases_reported_in": settings.year,
            "export_at": export_at,
            "timezone": "Europe/Berlin",
            "calendar": WorkingCalendar().describe("en"),
            "office_hours": "07:00-16:00",
        },
        "semantics": SEMANTICS,
        "expectation_codes": EXPECTATION_CODES,
        "patterns": {p.code: p.describe() for proc in processes for p in patterns_for(proc)},
        "offices": offices,
    }


def to_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=False) + "\n"


def cases_csv(rows: list[tuple[str, str, str, str]]) -> str:
    """``office,process,case_id,pattern`` for every affected case, sorted."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("office", "process", "case_id", "pattern"))
    writer.writerows(sorted(rows))
    return buffer.getvalue()


def readme(
    command: str,
    settings: Any,
    table: list[tuple[str, str, str, str]],
    instead: Sequence[tuple[str, str, str]] = (),
) -> str:
    """German and English short description of the sample folder; ``instead``: (file, own dialect, dialect
    written) of every export written in another dialect than its office's."""
    listing = "\n".join(f"| {o} | {a} | {d} | {', '.join(e) or '–'} |" for o, a, d, e in table)
    return _readme_text(command, settings, listing) + _instead_text(instead)


def _instead_text(instead: Sequence[tuple[str, str, str]]) -> str:
    if not instead:
        return ""
    rows = f"{dialects.SHEET_ROWS:,}"
    zeilen = rows.replace(",", ".")
    listing = "\n".join(f"| `{file}` | {own} | {written} |" for file, own, written in instead)
    return f"""
**Deutsch.** Diese Exporte haben mehr Zeilen, als ein Excel-Arbeitsblatt fasst ({zeilen} mit Kopfzeile);
das Amt hat sie deshalb als CSV-Export desselben Systems geschrieben (gleiche Spalten, Semikolon, UTF-8 mit
BOM, Zeitpunkte als Text), mit passendem Mapping-Profil. `ground_truth.json` nennt es je Export unter
`instead_of`.

**English.** These exports have more rows than one Excel worksheet holds ({rows} with the header); the
office wrote them as the same system's CSV export instead (same columns, semicolon, UTF-8 with BOM, timestamps
as text), with a matching mapping profile. `ground_truth.json` records it per export under `instead_of`.

| export | office's dialect | written as |
|---|---|---|
{listing}
"""


def _readme_text(command: str, settings: Any, listing: str) -> str:
    return f"""# Synthetische Beispieldaten / Synthetic sample data

**Deutsch.** Alle Daten in diesem Ordner sind **synthetisch**. Sie wurden mit `{command}` erzeugt
(Meldejahr {settings.year}, Exportstand 31.03.{settings.year + 1}) und gehören zu **keinem realen
Gesundheitsamt**: GA-01 … GA-13 sind Pseudonyme, die eingebauten Abweichungen sind erfunden. Je Prozess ein
Unterordner (`P1` Meldefallbearbeitung, `P2` Ausbruchsmanagement, `P3a` Belehrung nach § 43 IfSG) mit
`<Amt>_<Prozess>.<Format>` und dem Mapping-Profil `<Amt>_<Prozess>.profile.toml`. Jedes Amt exportiert in
einem anderen Dialekt (CSV, Tabulator, Excel, XES, Parquet). `ground_truth.json` nennt je Amt, Prozess und
Muster die betroffenen Fälle und Raten, `ground_truth_cases.csv` jeden betroffenen Fall. Import:
`pmtool ingest <Ordner> --out <Ziel>`.

**English.** Everything in this folder is **synthetic**, generated by `{command}` (cases reported in
{settings.year}, exported on 31 March {settings.year + 1}); it describes **no real health office**: GA-01 …
GA-13 are pseudonyms and the injected deviations are invented. One sub-folder per process with
`<office>_<process>.<format>` and its mapping profile `<office>_<process>.profile.toml`; every office
exports in a different dialect. `ground_truth.json` gives, per office, process and pattern, the affected
cases and rates (elevated patterns are the office-specific critical differences); `ground_truth_cases.csv`
lists every affected case. Import with `pmtool ingest <folder> --out <target>`.

| office | archetype | dialect | elevated patterns |
|---|---|---|---|
{listing}
"""
