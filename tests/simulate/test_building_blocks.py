"""The simulator's parts: minute calendar, skeleton edits, the pattern registry, dialects and profiles."""

from __future__ import annotations

import random
import tomllib
from datetime import date, timedelta
from pathlib import Path

import pytest

from pmtool.calendar import WorkingCalendar
from pmtool.ingest.profile import profile_from_dict
from pmtool.models.reference import load_reference
from pmtool.simulate.clock import DAY, OFFICE_END, OFFICE_START, Clock
from pmtool.simulate.deviations import CODES, PATTERNS, patterns_for
from pmtool.simulate.dialects import DIALECTS, profile_toml
from pmtool.simulate.labels import STYLES, labels
from pmtool.simulate.runs import Skeleton

MODELS = Path(__file__).resolve().parents[2] / "pmtool" / "reference_models"
PACKS = {
    "P1": "P1_meldefallbearbeitung.bpmn",
    "P2": "P2_ausbruchsmanagement.bpmn",
    "P3a": "P3a_belehrung_43.bpmn",
}


def test_clock_agrees_with_the_saxon_calendar():
    clock, cal, rnd = Clock(2025), WorkingCalendar(), random.Random(3)
    for _ in range(3000):
        day = date(2024, 6, 1) + timedelta(days=rnd.randrange(900))
        n = rnd.randrange(4)
        t = clock.at(day, rnd.randrange(24), rnd.randrange(60))
        assert clock.date(clock.due_end(t, n)) == cal.add_working_days(day, n)
        later = clock.office_add(t, rnd.randrange(3000))
        assert later >= t and clock.in_office(later)
        assert cal.is_working_day(clock.date(later))
    assert clock.date(clock.due_end(clock.at(date(2025, 10, 30), 9), 1)) == date(2025, 11, 3)
    assert clock.date(clock.due_end(clock.at(date(2025, 11, 18), 9), 1)) == date(
        2025, 11, 20
    )  # Buß- und Bettag
    gap = clock.at(date(2025, 3, 30), 2, 30)
    assert clock.in_dst_window(gap) and not clock.in_dst_window(clock.avoid_dst(gap))
    assert OFFICE_START < OFFICE_END <= DAY


def test_skeleton_edits():
    sk = Skeleton((("A", ()), ("B", (0,)), ("C", (0,)), ("D", (1, 2))))
    assert sk.without(["B"]).nodes == (("A", ()), ("C", (0,)), ("D", (0, 1)))
    series = sk.insert_after("A", ["X"], series=True)
    assert series.nodes == (("A", ()), ("X", (0,)), ("B", (1,)), ("C", (1,)), ("D", (2, 3)))
    side = sk.insert_after("B", ["Y"], series=False)
    assert side.nodes == (("A", ()), ("B", (0,)), ("Y", (1,)), ("C", (0,)), ("D", (1, 3)))
    moved = sk.move_after("B", "D")
    assert moved.nodes == (("A", ()), ("C", (0,)), ("D", (0, 1)), ("B", (2,)))
    assert Skeleton((("A", ()), ("A", (0,)))).occurrence == (0, 1)


@pytest.mark.parametrize("process", sorted(PACKS))
def test_pattern_registry_is_complete_and_documented(process):
    ref = load_reference(MODELS / PACKS[process])
    rule_ids = {r.id for r in ref.rules.rules}
    patterns = patterns_for(process)
    assert patterns
    for p in patterns:
        assert p.code.startswith(process + "-") and p.process == process
        doc = type(p).__doc__ or ""
        assert doc.strip() and (p.natural or "Example" in doc), p.code
        assert p.expectations and p.title and p.changes
        for e in p.expectations:
            assert e.code in CODES
            assert e.rule is None or e.rule in rule_ids, (p.code, e.rule)
        assert 0.0 <= p.baseline < 0.1


def test_at_least_fifteen_injected_patterns():
    patterns_for("P1")
    injected = [p for p in PATTERNS.values() if not p.natural]
    assert len(injected) >= 15
    assert len({p.code for p in injected}) == len(injected)


def test_label_styles_are_unique_and_encodable():
    for style in STYLES:
        for process in PACKS:
            values = list(labels(style, process).values())
            assert len(set(values)) == len(values)
    for dialect in DIALECTS.values():
        for process in PACKS:
            text = profile_toml(dialect, "GA-99", process, "Titel")
            profile = profile_from_dict(tomllib.loads(text))
            assert profile.require_full_map and len(profile.activity_map) == len(
                labels(dialect.labels, process)
            )
            if dialect.encoding == "cp1252":
                "".join(labels(dialect.labels, process).values()).encode("cp1252")
