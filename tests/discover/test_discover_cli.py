"""``pmtool discover`` from the user's side: canonical logs in, figures, tables and models out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from discover_helpers import P1_CASES, combine_frames, make_log
from typer.testing import CliRunner

from pmtool.cli.app import app
from pmtool.graphviz import graphviz_available
from pmtool.models.bpmn import load_bpmn
from pmtool.models.pnml import load_pnml

pytestmark = pytest.mark.skipif(not graphviz_available(), reason="pygraphviz (Graphviz) is not installed")
runner = CliRunner()
KINDS = ("_dfg.svg", "_dfg.png", "_dfg_edges.csv", "_dfg_edges.parquet", "_variants.csv", "_bottlenecks.csv",
         "_ist.bpmn", "_ist.pnml", "_ist_net.svg", "_ist_net.png", "_discover.json")
P3A = {"x": [("Termin gebucht (online/telefonisch)", 0), ("Identität geprüft", 24)],
       "y": [("Termin gebucht (online/telefonisch)", 0), ("Identität geprüft", 30)]}


def run(*args: str):
    return runner.invoke(app, ["--lang", "en", *args])


@pytest.fixture
def logs(tmp_path: Path) -> list[Path]:
    first, second = tmp_path / "ga01.parquet", tmp_path / "ga02.parquet"
    make_log(P1_CASES, office="GA-01").write_parquet(first)
    combine_frames(make_log(P1_CASES, office="GA-02"), make_log(P3A, office="GA-02")).write_parquet(second)
    return [first, second]


def test_discover_writes_every_file_per_office(tmp_path, logs):
    out = tmp_path / "out"
    result = run("discover", *map(str, logs), "--out", str(out), "--process", "P1", "--noise", "0",
                 "--top-variants", "3", "--min-edge-share", "0.2")
    assert result.exit_code == 0, result.output
    expected = sorted(f"{office}{kind}" for office in ("GA-01", "GA-02") for kind in KINDS)
    assert sorted(p.name for p in out.iterdir()) == expected
    assert "GA-01" in result.output and "GA-02" in result.output and "22 files written" in result.output
    variants = pl.read_csv(out / "GA-01_variants.csv")
    assert variants.columns == ["rank", "variant", "cases", "share", "cumulative_share", "length"]
    assert variants.height == 3 and variants["cases"].sum() == 5  # 4 of the 6 variants are distinct
    edges = pl.read_csv(out / "GA-01_dfg_edges.csv")
    assert edges.equals(pl.read_parquet(out / "GA-01_dfg_edges.parquet"))
    assert edges["shown"].sum() < edges.height  # the figure hides rare edges, the table keeps them
    summary = json.loads((out / "GA-01_discover.json").read_text("utf-8"))
    assert summary["settings"]["min_edge_share"] == 0.2 and summary["cases"] == 6
    assert summary["ist_model"]["alignment_fitness"] == 1.0  # noise 0: every case fits
    assert summary["edges_shown"] == int(edges["shown"].sum())
    assert load_bpmn(out / "GA-01_ist.bpmn").net.labels == load_pnml(out / "GA-01_ist.pnml")[0].labels
    assert "Meldung eingegangen" in (out / "GA-01_dfg.svg").read_text("utf-8")
    assert not list(out.glob(".*")), "no temporary files left behind"


def test_an_office_with_two_processes_gets_one_set_of_files_per_process(tmp_path, logs):
    out = tmp_path / "out"
    result = run("discover", str(logs[1]), "--out", str(out), "--format", "svg")
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert {"GA-02_P1_dfg.svg", "GA-02_P3a_dfg.svg", "GA-02_P3a_ist.bpmn"} <= names
    assert not any(n.endswith(".png") for n in names)


@pytest.mark.parametrize(("args", "message"), [
    (["--process", "P9"], "unknown process 'P9'"),
    (["--process", "P2"], "no cases to discover"),
    (["--format", "svg,pdf"], "unknown image format 'pdf'"),
])
def test_errors_are_one_line_and_exit_2(tmp_path, logs, args, message):
    out = tmp_path / "out"
    result = run("discover", str(logs[0]), "--out", str(out), *args)
    assert result.exit_code == 2
    assert message in result.output and result.output.count("\n") == 1
    assert not out.exists(), "nothing is written when the run fails"


def test_a_file_that_is_not_a_canonical_log_is_refused(tmp_path):
    other = tmp_path / "other.parquet"
    pl.DataFrame({"x": [1]}).write_parquet(other)
    result = run("discover", str(other), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2 and "canonical schema" in result.output


def test_real_subprocess_gives_byte_identical_files(tmp_path, logs):
    in_process, separate = tmp_path / "a", tmp_path / "b"
    assert run("discover", *map(str, logs), "--out", str(in_process)).exit_code == 0
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PMTOOL_LANG": "en"}
    command = [sys.executable, "-m", "pmtool", "discover", *map(str, logs), "--out", str(separate)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in in_process.iterdir())
    assert names == sorted(p.name for p in separate.iterdir())
    for name in names:
        assert (in_process / name).read_bytes() == (separate / name).read_bytes(), name
