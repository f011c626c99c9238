"""Adoption over time: the interrupted-time-series estimate finds a simulated adoption in the right month and
direction and no change in the offices that kept working as before."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import pmtool as pt
from pmtool.compare.adoption import CONFORMING, adoption
from pmtool.compare.its import change_month, segmented
from pmtool.errors import ConfigError
from pmtool.simulate.simulator import Settings

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "pmtool" / "reference_models"


@pytest.fixture(scope="module")
def adopted(tmp_path_factory) -> pt.Analysis:
    """Four offices' P1 cases of 2025; GA-04 follows the Soll from June on (its elevated deviations stop)."""
    folder = tmp_path_factory.mktemp("adoption")
    pt.simulate_logs(folder / "logs", offices=4, scale=3, processes=["P1"], adoption={"GA-04": 6})
    return pt.analyse(pt.load_project(_project(folder, "valid_from = 2025-06-01")), key=pt.demo_key())


def _project(folder: Path, valid_from: str = "") -> Path:
    (folder / "pmtool.toml").write_text(f"""
[project]
name = "Einführung"
as_of = 2026-03-31T23:59:00+02:00
[sources]
folder = "logs"
[processes.P1]
model = "{MODELS / 'P1_meldefallbearbeitung.bpmn'}"
rules = "{MODELS / 'P1_meldefallbearbeitung.rules.toml'}"
{valid_from}
""", encoding="utf-8")
    return folder / "pmtool.toml"


def test_the_adopting_office_is_found_in_its_month_and_the_others_unchanged(adopted):
    result = pt.adoption(adopted, process="P1")
    assert (result.valid_from, result.valid_from_source) == (date(2025, 6, 1), "project")
    rows = {r["office"]: r for r in result.estimates.filter(pl.col("measure") == CONFORMING).iter_rows(named=True)}
    ga04 = rows["GA-04"]
    assert ga04["verdict"] == "improved" and ga04["level_low"] > 0
    assert ga04["month"] == "2025-06"
    assert ga04["change_month"] == "2025-06"  # the best break over all months, not told the binding date
    assert ga04["share_after"] > ga04["share_before"] + 0.15
    for control in ("GA-01", "GA-02", "GA-03"):
        assert rows[control]["verdict"] == "no_change", rows[control]
        assert rows[control]["level_low"] < 0 < rows[control]["level_high"]
    assert result.not_adopted == ("GA-01", "GA-02", "GA-03")


def test_small_months_are_neither_published_nor_used(adopted):
    result = pt.adoption(adopted, process="P1")
    assert result.series["judged"].min() >= adopted.project.privacy_threshold
    assert result.series.filter(pl.col("side") == "before")["month"].max() == "2025-05"


def test_without_a_binding_date_nothing_is_estimated(adopted):
    result = adoption(adopted.processes["P1"].conformance, valid_from=None)
    assert not result.estimable and set(result.estimates["verdict"]) == {"not_estimable"}
    assert result.not_adopted == ()


def test_segmented_regression_recovers_a_step_and_keeps_a_flat_series():
    months = np.arange(12)
    step = np.where(months >= 6, 0.9, 0.6)
    fit = segmented(step + 0.01 * np.sin(months), np.full(12, 40.0), 6)
    assert fit.level == pytest.approx(0.3, abs=0.05) and fit.level_low > 0.1
    assert change_month(step, np.full(12, 40.0)).month == 6
    flat = segmented(np.full(12, 1.0), np.full(12, 40.0), 6)
    assert flat.level_low < 0 < flat.level_high  # no residuals, yet the months are samples


def test_a_bad_adoption_setting_is_refused():
    with pytest.raises(ConfigError):
        Settings(offices=3, adoption=(("GA-09", 6),)).check()
    with pytest.raises(ConfigError):
        Settings(offices=3, adoption=(("GA-01", 13),)).check()


def test_the_report_section_shows_the_offices_in_html_and_pdf(adopted, tmp_path):
    import pypdfium2

    files = pt.write_report(adopted, tmp_path, lang="de")
    html = files.html.read_text("utf-8")
    section = html[html.index('id="adoption"'):html.index('id="appendix"')]
    assert "Anwendung des Soll-Prozesses" in section and "besser ab 2025-06" in section
    assert "Noch nicht übernommen" in section and "GA-01, GA-02, GA-03" in section
    assert section.count("unverändert") >= 3 and "<img" in section
    pdf = pypdfium2.PdfDocument(str(files.pdf))
    text = " ".join(" ".join(pdf[i].get_textpage().get_text_range().split()) for i in range(len(pdf)))
    assert "Anwendung des Soll-Prozesses" in text and "besser ab 2025-06" in text


def test_run_writes_the_adoption_tables(adopted):
    from pmtool.results import adoption_frames

    frames = adoption_frames(adopted)
    estimates = frames["adoption_estimates"]
    assert set(estimates["process"]) == {"P1"} and estimates.filter(pl.col("measure") != CONFORMING).height
    assert frames["adoption_series"]["judged"].min() >= 5


def test_cli_names_the_offices_and_says_when_nothing_can_be_estimated(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from pmtool.cli.app import app

    monkeypatch.setenv("PMTOOL_PSEUDONYM_KEY", "test-key-0123456789abcdef-not-secret")
    pt.simulate_logs(tmp_path / "logs", offices=1, scale=0.5, processes=["P1"])
    project = _project(tmp_path)  # the rule pack is valid from 2025-01-01: no months before it
    result = CliRunner().invoke(app, ["--lang", "en", "adoption", "--project", str(project)])
    assert result.exit_code == 2, result.output
    assert "No estimate possible" in result.output and "GA-01" in result.output
    project = _project(tmp_path, "valid_from = 2025-07-01")
    result = CliRunner().invoke(app, ["--lang", "en", "adoption", "--project", str(project)])
    assert result.exit_code == 0, result.output
    assert "P1: share of conforming cases before and after 2025-07-01" in result.output
