"""A user's own Soll model (a PNML from a mining tool, its net id an internal number) on a user's own log, as
the commands are run on real public logs: the process is called what the user gave (``--model RTF=…``), else
by the model file's name — never by the net id; before-after gives one verdict, says how many cases are
still running only where some are, and writes dates and counts in the language chosen."""

from __future__ import annotations

import html
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
from conftest import TEST_KEY_TEXT
from typer.testing import CliRunner

from pmtool.cli.app import app
from pmtool.cli.errors import EXIT_NOT_COMPARED

runner = CliRunner()
NET_ID = "imdf_net_1683005706.7810512"
ACTIVITIES = ("Create Fine", "Send Fine", "Payment")


def pnml(path: Path, activities: tuple[str, ...] = ACTIVITIES, net_id: str = NET_ID) -> Path:
    """A sequence net as pm4py writes it: its net id and name a number, not a process."""
    places = [f'<place id="p{i}"><name><text>p{i}</text></name>'
              + ('<initialMarking><text>1</text></initialMarking>' if i == 0 else "") + "</place>"
              for i in range(len(activities) + 1)]
    transitions = [f'<transition id="t{i}"><name><text>{a}</text></name></transition>'
                   for i, a in enumerate(activities)]
    arcs = [f'<arc id="a{i}" source="p{i}" target="t{i}"/><arc id="b{i}" source="t{i}" target="p{i + 1}"/>'
            for i in range(len(activities))]
    path.write_text(
        "<?xml version='1.0' encoding='UTF-8'?>\n<pnml><net id=\"" + net_id + '" type="http://www.pnml.org/'
        'version-2009/grammar/pnmlcoremodel"><name><text>' + net_id + '</text></name><page id="n0">'
        + "".join(places + transitions + arcs) + "</page><finalmarkings><marking>"
        f'<place idref="p{len(activities)}"><text>1</text></place></marking></finalmarkings></net></pnml>\n',
        encoding="utf-8")
    return path


def xes(path: Path, traces: list[tuple[str, datetime, tuple[str, ...]]], *, date_only: bool = False) -> Path:
    """An XES log: per case its id, first timestamp and activities one day apart (with ``date_only``,
    every timestamp at midnight, as day-granular public logs are)."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0">']
    for case, start, activities in traces:
        parts.append(f'<trace><string key="concept:name" value="{case}"/>')
        for i, activity in enumerate(activities):
            moment = start + timedelta(days=i, hours=0 if date_only else i)
            if date_only:
                moment = moment.replace(hour=0, minute=0)
            parts.append(f'<event><string key="concept:name" value="{activity}"/>'
                         f'<date key="time:timestamp" value="{moment:%Y-%m-%dT%H:%M:%S}.000+00:00"/></event>')
        parts.append("</trace>")
    path.write_text("\n".join([*parts, "</log>"]) + "\n", encoding="utf-8")
    return path


def fines(n_before: int, n_after: int, *, running_after: int = 0) -> list[tuple[str, datetime, tuple[str, ...]]]:
    """Cases before and after 2024-07-01; every fourth skips „Send Fine“; ``running_after`` of the later cases
    stop after „Send Fine“ a few days before the last event (still running)."""
    traces = []
    for i in range(n_before):
        traces.append((f"b{i}", datetime(2024, 1, 2) + timedelta(days=i % 150, minutes=i),
                       ACTIVITIES if i % 4 else ("Create Fine", "Payment")))
    for i in range(n_after):
        traces.append((f"a{i}", datetime(2024, 7, 2) + timedelta(days=i % 150, minutes=i),
                       ACTIVITIES if i % 4 else ("Create Fine", "Payment")))
    for i in range(running_after):
        traces.append((f"r{i}", datetime(2024, 12, 20) + timedelta(minutes=i), ACTIVITIES[:2]))
    return traces


def ingest(tmp_path: Path, source: Path, office: str) -> Path:
    result = runner.invoke(app, ["ingest", str(source), "--office", office, "--out", str(tmp_path / "import")],
                           env={"PMTOOL_PSEUDONYM_KEY": TEST_KEY_TEXT})
    assert result.exit_code == 0, result.output
    return tmp_path / "import" / (source.name.split(".")[0] + ".parquet")


def before_after(log: Path, model: str, out: Path, lang: str = "en"):
    return runner.invoke(app, ["--lang", lang, "before-after", str(log), "--model", model, "--office", "IT-01",
                               "--at", "2024-07-01", "--out", str(out)])


def test_before_after_names_the_process_as_given_and_gives_one_verdict_when_nothing_is_comparable(tmp_path):
    model = pnml(tmp_path / "fines_discovered.pnml")
    log = ingest(tmp_path, xes(tmp_path / "fines.xes", fines(40, 30), date_only=True), "IT-01")
    result = before_after(log, f"RTF={model}", tmp_path / "ba")
    out = " ".join(result.output.split())
    assert result.exit_code == EXIT_NOT_COMPARED, out
    assert "RTF: NOT COMPARABLE" in out and NET_ID not in out
    assert "No findings" not in out and "offices compared" not in out  # one verdict, not two
    assert out.index("Cases:") < out.index("NOT COMPARABLE") < out.index("files written")  # the verdict last
    assert "still running" not in out  # no case is running
    assert json.loads((tmp_path / "ba" / "before_after.json").read_text("utf-8"))["process"] == "RTF"
    table = pl.read_csv(tmp_path / "ba" / "comparability.csv")
    assert table["process"].to_list() == ["RTF", "RTF"] and not table["compared"].any()

    unnamed = before_after(log, str(model), tmp_path / "ba2")
    assert "fines_discovered: NOT COMPARABLE" in " ".join(unnamed.output.split()), unnamed.output
    assert pl.read_csv(tmp_path / "ba2" / "comparability.csv")["process"].unique().to_list() == ["fines_discovered"]


def test_before_after_in_english_and_german_writes_dates_and_counts_as_the_language_does(tmp_path):
    model = pnml(tmp_path / "fines.pnml")
    log = ingest(tmp_path, xes(tmp_path / "fines.xes", fines(1200, 1050, running_after=7)), "IT-01")
    en = before_after(log, f"RTF={model}", tmp_path / "en")
    text = " ".join(en.output.split())
    assert en.exit_code == 0, text
    assert "Cases: IT-01 before 2024-07-01 1,200, IT-01 from 2024-07-01 1,057" in text
    assert "01.07.2024" not in text
    assert "Cases still running: IT-01 before 2024-07-01 0, IT-01 from 2024-07-01 7" in text
    assert "(2 offices compared)" in text  # both sides were compared: the count is true
    de = before_after(log, f"RTF={model}", tmp_path / "de", lang="de")
    text = " ".join(de.output.split())
    assert "Fälle: IT-01 vor 01.07.2024 1.200, IT-01 ab 01.07.2024 1.057" in text
    said = text.replace(str(tmp_path), "")  # the paths it names hold the English file names
    assert "2024-07-01" not in said and "before " not in said, said
    assert "Noch laufende Fälle: IT-01 vor 01.07.2024 0, IT-01 ab 01.07.2024 7" in text
    summary = json.loads((tmp_path / "de" / "before_after.json").read_text("utf-8"))
    assert summary["running"] == {"IT-01_before": 0, "IT-01_after": 7}
    assert summary["sides"]["IT-01_after"]["name"] == "IT-01 ab 01.07.2024"


def test_conform_names_the_process_by_the_file_or_as_given_never_by_the_net_id(tmp_path):
    model = pnml(tmp_path / "road_traffic_fines_discovered.pnml", ("Create Fine", "Send Fine", "Appeal", "Payment"))
    log = ingest(tmp_path, xes(tmp_path / "fines.xes", fines(10, 10)), "IT-01")
    result = runner.invoke(app, ["conform", str(log), "--model", str(model), "--out", str(tmp_path / "c")])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "„Appeal“ occur in no office" in said and NET_ID not in said
    assert "[processes.road_traffic_fines_discovered]" in said
    named = runner.invoke(app, ["conform", str(log), "--model", f"RTF={model}", "--accept-missing", "Appeal",
                                "--out", str(tmp_path / "c")])
    assert named.exit_code == 0, named.output
    assert (tmp_path / "c" / "RTF_cases.csv").exists() and not list((tmp_path / "c").glob(f"{NET_ID}*"))


def test_a_process_that_could_not_be_compared_is_not_ranked_in_table_report_and_summary(tmp_path):
    """Three processes of one's own: two compared between two offices each, and the largest one with a single
    office (nothing to compare it with). Only the two compared ones are ranked."""
    folder = tmp_path / "exports"
    folder.mkdir()
    processes = {"RC": ("Receipt", ("NL-01", "NL-02"), 30), "OB": ("Objections", ("NL-01", "NL-02"), 20),
                 "RTF": ("Road traffic fines", ("IT-01",), 400)}
    lines = ['[project]\nname = "Own processes"\noutput = "results"\nformats = ["html"]\ntables = ["csv"]\n'
             'language = "en"\n']
    offices: dict[str, list[str]] = {}
    for pid, (name, owners, n) in processes.items():
        activities = tuple(f"{pid} {a}" for a in ("open", "check", "close"))
        lines.append(f'[processes.{pid}]\nname = "{name}"\nmodel = "{pnml(tmp_path / f"{pid}.pnml", activities)}"\n')
        for j, office in enumerate(owners):
            traces = [(f"{pid}{j}-{i}", datetime(2025, 1, 2) + timedelta(days=i % 60, hours=i % 5),
                       activities if (i + j) % 3 else activities[::2]) for i in range(n)]
            export = xes(folder / f"{office}_{pid}.xes", traces)
            offices.setdefault(office, []).append(f'[[offices.exports]]\nprocess = "{pid}"\npath = "{export}"\n')
    for office, exports in offices.items():
        lines.append(f'[[offices]]\nid = "{office}"\n' + "".join(exports))
    project = tmp_path / "pmtool.toml"
    project.write_text("\n".join(lines), encoding="utf-8")
    result = runner.invoke(app, ["--lang", "en", "run", "--project", str(project), "--quiet"],
                           env={"PMTOOL_PSEUDONYM_KEY": TEST_KEY_TEXT})
    said = " ".join(result.output.split())
    assert result.exit_code == EXIT_NOT_COMPARED, said
    assert "RTF: NOT COMPARABLE" in said
    assert "Not ranked: RTF Road traffic fines – the offices could not be compared" in said
    assert "Standardise first: RTF" not in said and re.search(r"Standardise first: (RC|OB) ", said), said

    table = pl.read_csv(tmp_path / "results" / "tables" / "priorities.csv")
    rows = {r["process"]: r for r in table.iter_rows(named=True)}
    assert rows["RTF"]["comparable"] is False and rows["RTF"]["rank"] is None
    assert rows["RTF"]["priority"] is None and rows["RTF"]["volume_norm"] is None
    assert rows["RTF"]["cases"] == 400  # the facts stay
    assert sorted(rows[p]["rank"] for p in ("RC", "OB")) == [1, 2]
    assert rows["RC"]["volume_norm"] == 1.0  # shares among the compared processes: RC is the largest of them

    page = html.unescape((tmp_path / "results" / "report" / "report.html").read_text("utf-8"))
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    part = text[text.index("Which process first?"):]
    part = part[:part.index("Weights (")]
    assert "Not ranked: RTF Road traffic fines" in part, part
    # no rank, no priority
    assert re.search(r"RTF Road traffic fines — 400 \d+ of 400 \(\d+%\) .* — Weight", part), part
    reasons = text[text.index("Weights ("):]
    assert "RTF Road traffic fines – not ranked: its offices could not be compared" in reasons
    assert "Standardise first: RTF" not in text and "rank 1" not in reasons.split("RTF Road traffic fines –")[1][:80]
