"""One count of findings: the number ``pmtool run`` prints is the number of rows of ``findings.csv`` and the
number the report states (Part A's lead, the offices × processes totals, the verdict) — in a project with
a single process, where the prioritisation describes the process and claims no ranking."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polars as pl
import pytest
from conftest import MODEL_FILES, MODELS, SAMPLE_LOGS, TEST_KEY_TEXT
from typer.testing import CliRunner

from pmtool.cli.app import app

PROCESS = "P2"


@pytest.fixture(scope="module")
def ran(tmp_path_factory) -> tuple[Path, str]:
    """All 13 offices' P2 exports of the sample data, run by ``pmtool run`` (German, HTML and PDF)."""
    root = tmp_path_factory.mktemp("counts")
    (root / "exports").mkdir()
    shutil.copytree(SAMPLE_LOGS / PROCESS, root / "exports" / PROCESS)
    (root / "models").mkdir()
    for suffix in (".bpmn", ".rules.toml"):
        name = MODEL_FILES[PROCESS].replace(".bpmn", suffix)
        shutil.copy(MODELS / name, root / "models" / name)
    (root / "pmtool.toml").write_text("\n".join([
        "[project]", 'name = "Zählprobe"', 'output = "results"', 'period = "2025"', 'formats = ["html", "pdf"]',
        "as_of = 2026-03-31T23:59:00+02:00", "", "[sources]", 'folder = "exports"', "",
        f"[processes.{PROCESS}]", f'model = "models/{MODEL_FILES[PROCESS]}"', "",
        "[priorities]", "legal_risk = 2.0", ""]), encoding="utf-8")
    result = CliRunner().invoke(app, ["--lang", "de", "run", "--project", str(root / "pmtool.toml"), "--quiet"],
                                env={"PMTOOL_PSEUDONYM_KEY": TEST_KEY_TEXT})
    assert result.exit_code == 0, result.output
    return root / "results", result.output


def test_cli_findings_table_and_report_give_the_same_number(ran):
    pdfium = pytest.importorskip("pypdfium2")
    out, printed = ran
    said = re.search(r"(\d+) Befunde \((\d+) akzeptiert\)", " ".join(printed.split()))
    assert said, printed
    n = int(said.group(1))
    table = pl.read_csv(out / "tables" / "findings.csv")
    assert table.height == n and n > 0
    page_one = " ".join(pdfium.PdfDocument(out / "report" / "bericht.pdf")[0].get_textpage().get_text_range().split())
    assert re.search(rf"\b{n} Befunde:", page_one), page_one[:600]
    assert re.search(rf"\b{n} Befunde in \d+ Ämtern", page_one), "the verdict counts the same findings"
    html = (out / "report" / "bericht.html").read_text("utf-8")
    foot = re.search(r'<table id="matrix".*?<tfoot>(.*?)</tfoot>', html, re.S).group(1)
    assert re.findall(r"<td[^>]*>(\d+)", foot)[0] == str(n), "offices × processes adds up to the same number"
    per_office = table.group_by("office").len()
    body = re.search(r'<table id="matrix".*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    for office, count in per_office.iter_rows():
        row = re.search(rf'<th scope="row">{office}</th>(.*?)</tr>', body, re.S).group(1)
        assert re.findall(r"<td[^>]*>([^<]*)</td>", row)[0].split()[0] == str(count), office


def test_a_single_process_is_described_not_ranked(ran):
    out, _ = ran
    html = (out / "report" / "bericht.html").read_text("utf-8")
    assert "Nur ein Prozess: Die Faktoren beschreiben ihn, eine Rangfolge gibt es nicht." in html
    part_a = re.search(r'<section id="summary".*?</section>', html, re.S).group(0)
    assert "einziger Prozess" in part_a and "Zuerst vereinheitlichen" not in part_a
    for claim in ("viele Fälle", "große Unterschiede zwischen den Ämtern", "viele Verstöße"):
        assert claim not in part_a, claim
    priorities = pl.read_csv(out / "tables" / "priorities.csv")
    assert priorities["legal_risk_weight"].to_list() == [2.0] and priorities["reasons"].fill_null("").to_list() == [""]
    assert "Gewichte (aus der Projektdatei, [priorities])" in html


def test_a_single_office_is_shown_as_not_comparable_never_as_no_finding(tmp_path):
    """One office has no second to be compared with: the offices × processes table must not show it with
    "—", which its legend defines as "no finding"."""
    (tmp_path / "exports" / PROCESS).mkdir(parents=True)
    for name in (f"GA-01_{PROCESS}.csv", f"GA-01_{PROCESS}.profile.toml"):
        shutil.copy(SAMPLE_LOGS / PROCESS / name, tmp_path / "exports" / PROCESS / name)
    (tmp_path / "pmtool.toml").write_text("\n".join([
        "[project]", 'name = "Ein Amt"', 'output = "results"', 'formats = ["html"]',
        "as_of = 2026-03-31T23:59:00+02:00", "", "[sources]", 'folder = "exports"', "",
        f"[processes.{PROCESS}]", f'model = "{(MODELS / MODEL_FILES[PROCESS]).as_posix()}"', ""]), encoding="utf-8")
    result = CliRunner().invoke(app, ["--lang", "de", "run", "--project", str(tmp_path / "pmtool.toml"), "--quiet"],
                                env={"PMTOOL_PSEUDONYM_KEY": TEST_KEY_TEXT})
    assert result.exit_code == 3, result.output  # nothing could be compared
    html = (tmp_path / "results" / "report" / "bericht.html").read_text("utf-8")
    body = re.search(r'<table id="matrix".*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    row = re.search(r'<th scope="row">GA-01</th>(.*?)</tr>', body, re.S).group(1)
    assert "nicht vergleichbar" in re.findall(r"<td[^>]*>([^<]*)</td>", row)[0], row


def test_each_card_has_the_smallest_rank_of_its_findings_and_together_they_name_every_rank(ran):
    out, _ = ran
    ranks = pl.read_csv(out / "tables" / "findings.csv")["rank"].to_list()
    html = (out / "report" / "bericht.html").read_text("utf-8")
    cards = re.findall(r'<h4 id="[^"]*-h"><span class="card-number">(\d+)</span>(.*?)(?=<h4 id="|</section>)',
                       html, re.S)
    assert cards
    named = []
    for number, body in cards:
        others = [int(n) for n in re.findall(r"Nr\. (\d+):", body)]
        assert all(int(number) < n for n in others), (number, others)  # the card is led by its first rank
        assert others == sorted(others), others  # the others in the table's order
        named += [int(number), *others]
    assert sorted(named) == sorted(ranks)  # every finding once: on a card of its own or named on one
