"""Every incoming bundle is checked as a whole before compare uses any of it: its format and types (a bool
is no count), numbers that can all be true together, and a publication threshold not below the
comparison's. A bundle that fails is refused with one line naming the file; nothing else is written."""

from __future__ import annotations

import json

import pytest
from conftest import TEST_KEY_TEXT
from synthetic import bundles
from typer.testing import CliRunner

from pmtool.cli.app import app
from pmtool.compare.bundle import Bundle, check_bundle
from pmtool.errors import InputError

runner = CliRunner()


@pytest.fixture(scope="module")
def good() -> dict:
    return json.loads(bundles({"GA-01": (3, 40)})[0].to_json())


def _broken(good: dict, change) -> str:
    data = json.loads(json.dumps(good))
    change(data)
    return json.dumps(data)


def _set(path: str, value):
    def change(data: dict) -> None:
        *parents, last = path.split(".")
        target = data
        for p in parents:
            target = target[int(p)] if p.isdigit() else target[p]
        target[int(last) if last.isdigit() else last] = value
    return change


def test_a_bundle_as_aggregate_writes_it_passes(good):
    bundle = Bundle.from_json(json.dumps(good), "GA-01.bundle.json")
    check_bundle(bundle, "GA-01.bundle.json", threshold=5)
    assert bundle.cases == 40


BROKEN = {
    "bool as count": _set("cases", True),
    "negative count": _set("finished_cases", -1),
    "huge integer": _set("cases", 10**400),
    "float count": _set("items.0.affected", 1.5),
    "affected above eligible": _set("items.0.affected", 10**6),
    "eligible above cases": _set("items.0.eligible", 41),
    "finished above cases": _set("finished_cases", 41),
    "histogram above cases": _set("throughput_bins.3", 1000),
    "histogram too short": _set("throughput_bins", [40]),
    "other bin edges": _set("bin_edges_hours", ["0", "1"]),
    "share above 1": _set("quality.coverage", 1.5),
    "period not a month": _set("quality.period_start", "Januar"),
    "period a number": _set("quality.period_end", 2025),
    "period without a zone": _set("quality.period_end", "2025-12-30T16:00:00"),
    "NaN fitness": _set("fitness_sum", float("nan")),
    "fitness above cases": _set("fitness_sum", 41.0),
    "threshold true": _set("meta.suppress_below", True),
    "threshold 0": _set("meta.suppress_below", 0),
    "edge count 0": _set("edges", [["A", "B", 0]]),
    "edge above cases": _set("edges", [["A", "B", 41]]),
    "unknown item field": lambda d: d["items"][0].update(extra=1),
    "item twice": lambda d: d["items"].append(dict(d["items"][0])),
    "items not a list": _set("items", {"a": 1}),
    "empty office": _set("office", ""),
    "office a number": _set("office", 7),
    "old format": _set("format", "pmtool-bundle/1"),
    "not an object": lambda d: d.clear(),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_an_inconsistent_bundle_is_refused_with_one_line(good, name):
    text = _broken(good, BROKEN[name])
    if name == "not an object":
        text = "[]"
    with pytest.raises(InputError) as caught:
        Bundle.from_json(text, "GA-01.bundle.json")
    message = caught.value.render("en")
    assert message.startswith("GA-01.bundle.json: ") and "\n" not in message
    assert "Dienst" not in message  # no label of the data, positions only


def test_deep_json_is_refused_not_a_crash():
    with pytest.raises(InputError):
        Bundle.from_json("[" * 100_000 + "]" * 100_000, "deep.bundle.json")


def test_a_bundle_asking_for_a_smaller_threshold_than_the_comparison_is_refused(good):
    bundle = Bundle.from_json(_broken(good, _set("meta.suppress_below", 3)), "GA-01.bundle.json")
    with pytest.raises(InputError) as caught:
        check_bundle(bundle, "GA-01.bundle.json", threshold=5)
    assert "threshold 3" in caught.value.render("en") and "--suppress-below 5" in caught.value.render("en")
    check_bundle(bundle, "GA-01.bundle.json", threshold=3)


def test_compare_refuses_an_inconsistent_bundle_file_and_writes_nothing(tmp_path, good):
    from synthetic import reference

    from pmtool.discover.pnml_export import write_pnml

    folder = tmp_path / "bundles"
    folder.mkdir()
    (folder / "GA-02.bundle.json").write_text(_broken(good, lambda d: (d.update(office="GA-02"),
                                                                       _set("items.0.affected", 99)(d))),
                                              encoding="utf-8")
    model = tmp_path / "T.pnml"
    write_pnml(reference().net, model)
    out = tmp_path / "out"
    result = runner.invoke(app, ["--lang", "en", "compare", str(folder), "--model", f"T={model}", "--out", str(out)],
                           env={"PMTOOL_PSEUDONYM_KEY": TEST_KEY_TEXT})
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "GA-02.bundle.json" in lines[0] and "contradicts itself" in lines[0]
    assert not out.exists()
