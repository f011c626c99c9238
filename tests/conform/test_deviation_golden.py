"""Golden cases for every alignment-derived deviation code: data files in golden/<CODE>.toml, one test."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from pmtool.conform.alignments import align_variants
from pmtool.conform.deviations import KINDS, alignment_deviations
from pmtool.eventlog import pm4py_bridge as bridge

GOLDEN = Path(__file__).parent / "golden"


def _cases():
    for path in sorted(GOLDEN.glob("*.toml")):
        data = tomllib.loads(path.read_text("utf-8"))
        for case in data["cases"]:
            yield pytest.param(data["code"], case, id=f"{path.stem}:{case['name']}")


def net_of(tree: str):
    pm4py = bridge.pm4py()
    return bridge.from_pm4py_net(*pm4py.convert_to_petri_net(pm4py.parse_process_tree(tree)))


@pytest.mark.parametrize("code, case", list(_cases()))
def test_golden(code, case):
    assert code in KINDS and KINDS[code].doc
    net = net_of(case["soll"])
    (alignment,) = align_variants(net, [tuple(case["trace"])], workers=1)
    found = sorted([c, a] for c, a, _, _ in alignment_deviations(alignment, net.labels))
    options = case.get("expected_any") or [case["expected"]]
    assert found in [sorted(o) for o in options]


def test_every_alignment_code_has_golden_cases():
    files = {p.stem for p in GOLDEN.glob("*.toml")}
    assert {c for c, k in KINDS.items() if k.source == "alignment"} <= files
