"""``pmtool conform`` from the user's side: canonical logs in, tables and the overlay picture out."""

from __future__ import annotations

import json

import polars as pl
from conftest import MODEL_FILES, MODELS
from typer.testing import CliRunner

from pmtool.cli.app import app


def test_conform_writes_tables_and_overlay(sample_ingested, tmp_path):
    out = tmp_path / "conform"
    result = CliRunner().invoke(app, ["--lang", "en", "conform", str(sample_ingested / "P2"), "--model",
                                      str(MODELS / MODEL_FILES["P2"]), "--out", str(out), "--format",
                                      "csv,json", "--figures", "svg,png", "--as-of", "2026-03-31T23:59"])
    assert result.exit_code == 0, result.output
    summary = pl.read_csv(out / "P2_summary.csv")
    assert summary.height == 13 and summary["fitness"].max() <= 1.0
    deviations = json.loads((out / "P2_deviations.json").read_text("utf-8"))
    assert {d["code"] for d in deviations} >= {"SKIP", "DEADLINE"}
    svg = (out / "P2_soll_overlay.svg").read_text("utf-8")
    assert "Abschlussbericht erstellt" in svg and "<svg" in svg
    assert (out / "P2_soll_overlay.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_fail_under_exits_1(sample_ingested, tmp_path):
    result = CliRunner().invoke(app, ["conform", str(sample_ingested / "P2"), "--model",
                                      str(MODELS / MODEL_FILES["P2"]), "--out", str(tmp_path), "--figures", "",
                                      "--fail-under", "0.999"])
    assert result.exit_code == 1
