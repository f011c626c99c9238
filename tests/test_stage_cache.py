"""The stage cache holds data only and uses nothing it cannot prove is its own: a pickle placed in an entry
is never loaded, a changed, damaged or linked entry is computed again, never published."""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
from pathlib import Path

import polars as pl
import pytest

import pmtool as pt
from pmtool.results import run_project
from pmtool.stage_cache import SECRET, StageCache, value_codec


class _Trojan:
    """Unpickling this writes a file: proof that code from the results folder ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').write('owned')",))


def _project():
    project = pt.restrict(pt.demo_project(), processes=["P3a"], offices=["GA-01", "GA-02", "GA-03"])
    return dataclasses.replace(project, formats=())


def _run(out: Path):
    return run_project(_project(), key=pt.demo_key(), output=out)


def _cached(result, stage: str) -> list[bool]:
    return [s.cached for s in result.steps if s.stage == stage]


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "results"
    result = _run(out)
    return out, result


@pytest.fixture
def results(first_run, tmp_path) -> Path:
    """A copy of a finished results folder (links kept as links), for one test to tamper with."""
    import shutil

    out = tmp_path / "results"
    shutil.copytree(first_run[0], out, symlinks=True)
    os.chmod(out / ".cache" / SECRET, 0o600)
    return out


def test_a_pickle_trojan_in_a_cache_entry_does_not_run(results, tmp_path):
    marker = tmp_path / "owned.txt"
    trojan = pickle.dumps(_Trojan(marker), protocol=pickle.HIGHEST_PROTOCOL)
    entries = [e for e in (results / ".cache" / "conform").iterdir() if e.is_dir()]
    assert entries
    for entry in entries:  # the file an older pmtool unpickled, and every file the entry holds
        (entry / "value.pickle").write_bytes(trojan)
        for path in entry.iterdir():
            path.write_bytes(trojan)
    again = _run(results)
    assert not marker.exists()
    assert _cached(again, "conform") == [False] * 3  # one per office: each entry made again, not used
    assert _cached(_run(results), "conform") == [True] * 3  # and good entries from then on


def test_nothing_in_the_cache_is_a_pickle(results):
    for path in (results / ".cache").rglob("*"):
        if path.is_file():
            assert not path.read_bytes().startswith(b"\x80"), path  # the pickle protocol's opcode PROTO
            assert path.suffix in (".json", ".arrow", ".parquet", ".sig", ".svg", ".png", ".bpmn", ".pnml",
                                   ".csv", "") , path


def test_a_changed_entry_is_computed_again_and_never_published(first_run, results):
    compare = next(e for e in (results / ".cache" / "compare").iterdir() if e.is_dir())
    findings = compare / "findings.arrow"
    frame = pl.read_ipc(findings)
    frame.with_columns(pl.lit("forged").alias("statement_en")).write_ipc(findings)  # a well-formed lie
    again = _run(results)
    assert _cached(again, "compare") == [False]
    assert "forged" not in (results / "tables" / "findings.csv").read_text("utf-8")
    assert again.analysis.findings.equals(first_run[1].analysis.findings)


def test_a_damaged_figure_in_the_cache_is_drawn_again(first_run, results):
    figures = next(e for e in (results / ".cache" / "figures").iterdir() if e.is_dir())
    svg = next(p for p in figures.rglob("*.svg"))
    good = svg.read_bytes()
    svg.write_bytes(good[: len(good) // 2])
    again = _run(results)
    assert sorted(_cached(again, "figures")) == [False, True, True]  # that office's figures only
    published = results / "figures" / "P3a" / svg.name
    assert published.read_bytes() == good


def test_a_linked_figure_in_the_cache_is_not_followed(results, tmp_path):
    private = tmp_path / "private.txt"
    private.write_text("secret notes of the analyst", "utf-8")
    private.chmod(0o600)
    figures = next(e for e in (results / ".cache" / "figures").iterdir() if e.is_dir())
    svg = next(p for p in figures.rglob("*.svg"))
    svg.unlink()
    svg.symlink_to(private)
    again = _run(results)
    assert sorted(_cached(again, "figures")) == [False, True, True]
    published = results / "figures" / "P3a" / svg.name
    assert not published.is_symlink()
    assert b"secret notes" not in published.read_bytes()
    assert private.read_text("utf-8") == "secret notes of the analyst"  # the target is untouched


def test_a_secret_others_may_read_or_replace_invalidates_the_cache(results):
    secret = results / ".cache" / SECRET
    secret.chmod(0o644)
    again = _run(results)
    assert not any(s.cached for s in again.steps)
    assert secret.stat().st_mode & 0o777 == 0o600


def test_the_secret_is_private(first_run):
    assert (first_run[0] / ".cache" / SECRET).stat().st_mode & 0o777 == 0o600


@dataclasses.dataclass(frozen=True)
class _Point:
    x: float
    tags: tuple[str, ...]
    table: pl.DataFrame
    extra: dict


def test_the_codec_builds_only_the_classes_it_was_given(tmp_path):
    save, load = value_codec(_Point)
    point = _Point(float("nan"), ("a", "b"), pl.DataFrame({"n": [1, 2]}), {("k", 1): [None, True]})
    save(point, tmp_path)
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    back = load(files)
    assert back.tags == ("a", "b") and back.table.equals(point.table) and back.extra == {("k", 1): [None, True]}
    document = json.loads(files["value.json"])
    document["$class"] = "os.system"
    with pytest.raises(ValueError, match="does not know"):
        load({**files, "value.json": json.dumps(document).encode()})
    with pytest.raises(TypeError, match="does not know"):
        value_codec()[0](point, tmp_path)


def test_the_cache_memo_recomputes_an_unsigned_entry(tmp_path):
    cache = StageCache(tmp_path)
    save, load = value_codec()
    key = cache.key("demo", 1)
    assert cache.memo("demo", key, lambda: [1, 2], save=save, load=load) == ([1, 2], False)
    (tmp_path / "demo" / f"{key}.sig").unlink()
    assert cache.memo("demo", key, lambda: [3], save=save, load=load) == ([3], False)
    assert cache.memo("demo", key, lambda: [4], save=save, load=load) == ([3], True)
