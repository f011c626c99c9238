"""Data is never markup: names from exports print literally, piped output is complete TSV, dates are local."""

from __future__ import annotations

import io
import subprocess
import sys

from rich.table import Table
from typer.testing import CliRunner

from pmtool.cli.app import app
from pmtool.cli.console import PlainConsole, literal, local_day

runner = CliRunner()
NASTY = "dev:REPEAT:Fall angelegt [bold red]x[/bold red] :repeat: \x1b[31mrot\x1b[0m"
LONG = "Kontaktperson informiert und beraten " * 8


def write_export(tmp_path, activities=(NASTY, LONG, "Fall angelegt")):
    lines = ["Fall;Tätigkeit;Zeitpunkt"]
    for case in range(3):
        for minute, act in enumerate(activities):
            lines.append(f"A{case};{act};02.01.2025 00:{30 + minute}")
    path = tmp_path / "GA-01_P1.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    profile = tmp_path / "GA-01_P1.profile.toml"
    profile.write_text('[columns]\ncase_id = "Fall"\nactivity = "Tätigkeit"\ntimestamp = "Zeitpunkt"\n'
                       '[timestamps]\nformats = ["%d.%m.%Y %H:%M"]\n', encoding="utf-8")
    return path, profile


def test_inspect_prints_activity_names_literally_and_complete(tmp_path):
    path, profile = write_export(tmp_path)
    result = runner.invoke(app, ["--lang", "en", "inspect", str(path), "--profile", str(profile)])
    assert result.exit_code == 0, result.output
    assert "dev:REPEAT:Fall angelegt [bold red]x[/bold red] :repeat: \ufffd[31mrot\ufffd[0m" in result.output
    assert "🔁" not in result.output and "\x1b" not in result.output
    assert LONG.strip() in result.output  # not cut at 80 columns
    assert "2025-01-02 – 2025-01-02" in result.output  # local dates, not the UTC 2025-01-01


def test_ingest_table_shows_local_dates_and_is_tab_separated_when_piped(tmp_path):
    path, profile = write_export(tmp_path)
    result = runner.invoke(app, ["--lang", "en", "ingest", str(path), "--profile", str(profile),
                                 "--out", str(tmp_path / "out"), "--allow-identifiable"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = lines.index("export\toffice\tread\tloaded\tquarantined\tcoverage\tcases\tperiod")
    assert lines[header - 1] == "# Ingest"
    row = lines[header + 1].split("\t")
    assert row[:3] == ["GA-01_P1", "GA-01", "9"] and row[-1] == "2025-01-02 – 2025-01-02"


def test_piped_output_of_a_real_subprocess_is_plain_and_complete(tmp_path):
    path, profile = write_export(tmp_path)
    done = subprocess.run([sys.executable, "-m", "pmtool", "--lang", "en", "inspect", str(path), "--profile",
                           str(profile)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert LONG.strip() in done.stdout and "\x1b" not in done.stdout and "[bold red]x[/bold red]" in done.stdout


def test_console_on_a_terminal_draws_boxes_without_markup():
    out = io.StringIO()
    console = PlainConsole(file=out, force_terminal=True, width=200, color_system=None)
    table = Table(title="t")
    table.add_column("item")
    table.add_row(NASTY)
    console.print(table)
    console.print(NASTY, style="bold")
    text = out.getvalue()
    assert "[bold red]x[/bold red] :repeat:" in text and "🔁" not in text and "\x1b[31m" not in text
    assert "┃" in text or "│" in text


def test_literal_and_local_day():
    assert literal("a\tb\nc\x07\u202ed") == "a\tb\nc\ufffd\ufffdd"
    assert local_day("2025-01-01T23:30:00+00:00") == "2025-01-02"
    assert local_day("2025-07-01T21:59:00+00:00", "Europe/Berlin") == "2025-07-01"
    assert local_day(None) == ""
