"""``pmtool simulate`` from the user's side: determinism, atomic and careful writing, the summary table."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from pmtool.cli.app import app

runner = CliRunner()
SMALL = ["--scale", "0.05", "--seed", "11"]


def files(folder):
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_same_seed_gives_byte_identical_files(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        result = runner.invoke(app, ["--lang", "en", "simulate", "--out", str(out), *SMALL])
        assert result.exit_code == 0, result.output
    fa, fb = files(a), files(b)
    assert len(fa) == 13 * 3 * 2 + 3
    assert fa.keys() == fb.keys()
    different = [name for name in fa if fa[name] != fb[name]]
    assert not different
    c = tmp_path / "c"
    assert runner.invoke(app, ["simulate", "--out", str(c), "--scale", "0.05", "--seed", "12"]).exit_code == 0
    assert files(c)["ground_truth_cases.csv"] != fa["ground_truth_cases.csv"]


def test_table_and_refusal_to_overwrite(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        ["--lang", "en", "simulate", "--out", str(out), "--offices", "2", "--processes", "P1,P3a", *SMALL],
    )
    assert result.exit_code == 0, result.output
    assert "GA-02" in result.output and "sormas-csv" in result.output and "ground_truth.json" in result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "P1",
        "P3a",
        "README.md",
        "ground_truth.json",
        "ground_truth_cases.csv",
    ]
    again = runner.invoke(app, ["--lang", "en", "simulate", "--out", str(out), *SMALL])
    assert again.exit_code == 2 and "not empty" in again.output
    assert not (out / "P2").exists()
    forced = runner.invoke(
        app, ["--lang", "de", "simulate", "--out", str(out), "--offices", "1", "--force", *SMALL]
    )
    assert forced.exit_code == 0, forced.output
    assert "Protokolle" in forced.output
    assert sorted(p.name for p in (out / "P2").iterdir()) == ["GA-01_P2.csv", "GA-01_P2.profile.toml"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary folders left behind"


def test_bad_options_are_one_line_errors(tmp_path):
    for args, text in (
        (["--offices", "14"], "--offices"),
        (["--scale", "0"], "--scale"),
        (["--processes", "P1,P9"], "P9"),
        (["--year", "1990"], "--year"),
    ):
        result = runner.invoke(app, ["--lang", "en", "simulate", "--out", str(tmp_path / "x"), *args])
        assert result.exit_code == 2, args
        assert text in result.output
    assert not (tmp_path / "x").exists()


def test_help_and_a_real_subprocess(tmp_path):
    result = runner.invoke(app, ["simulate", "--help"])
    assert result.exit_code == 0 and "--scale" in result.output and "--force" in result.output
    out = tmp_path / "s"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pmtool",
            "--lang",
            "en",
            "simulate",
            "--out",
            str(out),
            "--offices",
            "1",
            "--processes",
            "P2",
            "--scale",
            "0.5",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert (out / "P2" / "GA-01_P2.csv").exists()
