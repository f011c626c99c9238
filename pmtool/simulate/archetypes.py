"""The 13 pseudonymous offices GA-01 … GA-13: archetype, volumes, export dialect and elevated deviations.

Archetypes (domain brief, section 8):

- **A** big city: high volume, a dedicated infection-control team, fast, transmits at once;
- **B** large rural district: branch offices, a daily transport run at 15:00, medium volume;
- **C** small understaffed office: slow, paper remnants (date-only entries), few cases.

The codes are pseudonyms and deliberately not in the order of the real list of Saxon offices; no
invented deviation belongs to a real office. Each office has one to three *elevated* patterns (the
"critical differences" a ranking must find): some large, some moderate, and GA-12, a small office, has
an extreme rate on very few outbreaks (for shrinkage tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Archetype:
    code: str
    name: str
    speed: float  # stretches office delays (1.0 = typical)
    transport: str  # IS-10 habit: "immediate" | "daily" (15:00 run)
    sessions: tuple[tuple[int, int], ...]  # P3a group sessions: (weekday 0=Mon, start minute)
    staff: dict[str, int]  # people per role
    date_only_share: float  # of paper-prone events, where the export can say "date only"
    autosave_share: float  # events saved twice within the same minute
    unknown_resource_share: float  # staff events entered without a user


ARCHETYPES = {
    "A": Archetype(
        "A",
        "Großstadt",
        0.7,
        "immediate",
        ((1, 540), (1, 780), (3, 540), (3, 780)),
        {
            "Sachbearbeitung": 10,
            "Hygienekontrolleur/in": 10,
            "Ärztin/Arzt Infektionsschutz": 4,
            "Amtsärztin/Amtsarzt": 2,
            "MFA": 6,
            "Kasse": 2,
        },
        0.0,
        0.004,
        0.0,
    ),
    "B": Archetype(
        "B",
        "Flächenlandkreis",
        1.0,
        "daily",
        ((0, 780), (2, 540)),
        {
            "Sachbearbeitung": 6,
            "Hygienekontrolleur/in": 6,
            "Ärztin/Arzt Infektionsschutz": 3,
            "Amtsärztin/Amtsarzt": 1,
            "MFA": 3,
            "Kasse": 1,
        },
        0.05,
        0.006,
        0.01,
    ),
    "C": Archetype(
        "C",
        "kleines Amt",
        1.4,
        "immediate",
        ((3, 540),),
        {
            "Sachbearbeitung": 3,
            "Hygienekontrolleur/in": 3,
            "Ärztin/Arzt Infektionsschutz": 1,
            "Amtsärztin/Amtsarzt": 1,
            "MFA": 1,
            "Kasse": 1,
        },
        0.25,
        0.01,
        0.03,
    ),
}


@dataclass(frozen=True)
class Office:
    code: str
    archetype: Archetype
    volumes: dict[str, int]  # cases per year at scale 1, by process
    dialect: str
    elevated: dict[str, float] = field(default_factory=dict)  # pattern code → probability per eligible case
    lua_site: str = "Dresden"
    dst_skew_rows: int = 0  # P1 rows written by an interface that ignores summer time (if the dialect can)
    year: int = 2025

    @property
    def number(self) -> int:
        return int(self.code.split("-")[1])


def _office(
    code: str,
    arche: str,
    p1: int,
    p2: int,
    p3a: int,
    dialect: str,
    elevated: dict[str, float],
    lua: str,
    dst: int = 0,
) -> Office:
    return Office(code, ARCHETYPES[arche], {"P1": p1, "P2": p2, "P3a": p3a}, dialect, elevated, lua, dst)


OFFICES: tuple[Office, ...] = (
    _office(
        "GA-01",
        "B",
        380,
        18,
        450,
        "octoware-csv",
        {"P1-WEEKLY-BATCH": 0.55, "P3a-NO-SHOW": 0.20},
        "Chemnitz",
        dst=2,
    ),
    _office(
        "GA-02",
        "A",
        650,
        32,
        850,
        "sormas-csv",
        {"P3a-CONTRACTOR-INSTRUCTION": 0.45, "P1-DUPLICATE-MERGED": 0.10},
        "Dresden",
    ),
    _office(
        "GA-03",
        "B",
        300,
        15,
        380,
        "survnet-tsv",
        {"P1-WEEKEND-BACKLOG": 0.60, "P2-LATE-RECORD": 0.55},
        "Leipzig",
        dst=1,
    ),
    _office(
        "GA-04",
        "C",
        190,
        10,
        260,
        "excel-split",
        {"P1-NEVER-CLOSED": 0.18, "P1-VERBAL-ORDER-ONLY": 0.40, "P3a-CERTIFICATE-LATE": 0.15},
        "Dresden",
        dst=1,
    ),
    _office(
        "GA-05",
        "B",
        340,
        20,
        400,
        "excel-datetime",
        {"P1-CASEDEF-SKIPPED": 0.14, "P2-NO-FINAL-REPORT": 0.35},
        "Chemnitz",
        dst=2,
    ),
    _office(
        "GA-06",
        "B",
        260,
        12,
        320,
        "xes",
        {"P1-PRIVATE-LAB": 0.45, "P1-JURISDICTION-PINGPONG": 0.06},
        "Dresden",
    ),
    _office(
        "GA-07",
        "A",
        560,
        28,
        720,
        "parquet-text",
        {"P1-LATE-TRANSMISSION": 0.23, "P2-MEASURES-BY-PHYSICIAN": 0.40},
        "Leipzig",
        dst=2,
    ),
    _office(
        "GA-08",
        "B",
        320,
        16,
        360,
        "octoware-upper",
        {"P1-SIGNED-IA": 0.45, "P3a-CERTIFICATE-BEFORE-CHECK": 0.10},
        "Chemnitz",
        dst=1,
    ),
    _office(
        "GA-09",
        "C",
        160,
        9,
        230,
        "webapp-utc",
        {"P1-NO-INVESTIGATION": 0.25, "P1-LATE-FIRST-CONTACT": 0.22},
        "Leipzig",
    ),
    _office(
        "GA-10",
        "B",
        280,
        14,
        340,
        "pipe-split",
        {"P1-TRANSMIT-BEFORE-CHECK": 0.12, "P2-CASES-BEFORE-RECORD": 0.30},
        "Dresden",
        dst=1,
    ),
    _office(
        "GA-11",
        "A",
        600,
        25,
        780,
        "xes-english",
        {"P1-ORDER-UNSIGNED": 0.30, "P2-LATE-CONFIRMATION": 0.25},
        "Chemnitz",
    ),
    _office(
        "GA-12",
        "C",
        150,
        8,
        200,
        "parquet-typed",
        {"P2-NO-FINAL-REPORT": 0.75, "P1-ORDER-SENT-LATE": 0.30},
        "Dresden",
    ),
    _office(
        "GA-13",
        "C",
        210,
        11,
        280,
        "excel-text",
        {"P3a-NO-SHOW": 0.25, "P1-LATE-TRANSMISSION": 0.15},
        "Leipzig",
        dst=1,
    ),
)
BY_CODE = {o.code: o for o in OFFICES}


def volume(office: Office, process: str, scale: float) -> int:
    """Cases of ``process`` in ``office`` at ``scale`` (at least one)."""
    return max(1, round(office.volumes[process] * scale))
