"""The notebooks for the project team: stored without outputs, built on the public API only (``import pmtool
as pt``; they run top to bottom on the sample data through nbmake as part of every test run, see
pyproject.toml)."""

from __future__ import annotations

import ast
import json
import shutil

import pytest
from conftest import REPO

import pmtool

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def code_of(path) -> str:
    book = json.loads(path.read_text("utf-8"))
    return "\n".join("".join(c["source"]) for c in book["cells"] if c["cell_type"] == "code")


def test_the_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == ["01_office_log.ipynb", "02_compare_offices.ipynb",
                                           "03_refine_soll.ipynb", "04_real_log.ipynb",
                                           "05_soll_design.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_without_outputs(path):
    book = json.loads(path.read_text("utf-8"))
    for cell in book["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{path.name}: clear the outputs before committing"
            assert cell["execution_count"] is None, f"{path.name}: clear the execution counts"
    assert "widgets" not in book.get("metadata", {})


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_uses_the_library_not_the_command_line(path):
    code = code_of(path)
    for forbidden in ("subprocess", "os.system", "!pmtool", "%%bash", "%%sh", "pmtool.cli"):
        assert forbidden not in code, f"{path.name} uses {forbidden}"
    assert "import pmtool as pt" in code


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_imports_nothing_of_pmtool_but_its_public_api(path):
    tree = ast.parse(code_of(path))
    aliases = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for name in node.names:
                assert not name.name.startswith("pmtool."), f"{path.name}: import {name.name}"
                if name.name == "pmtool":
                    aliases.add(name.asname or "pmtool")
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            assert not module.startswith("pmtool."), f"{path.name}: from {module} import …"
            if module == "pmtool":
                bad = [n.name for n in node.names if n.name not in pmtool.__all__]
                assert not bad, f"{path.name}: from pmtool import {bad}"
    assert aliases, f"{path.name} does not import pmtool"
    used = {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases}
    assert used <= set(pmtool.__all__), f"{path.name} uses pt.{sorted(used - set(pmtool.__all__))}"


def test_the_real_log_notebook_says_so_and_carries_on_without_the_real_logs(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient

    monkeypatch.delenv("PMTOOL_REAL_LOGS", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    folder = tmp_path / "notebooks"  # no shared/real_logs anywhere above
    folder.mkdir()
    shutil.copy(REPO / "notebooks" / "04_real_log.ipynb", folder)
    book = nbformat.read(folder / "04_real_log.ipynb", as_version=4)
    NotebookClient(book, timeout=300, resources={"metadata": {"path": str(folder)}}).execute()
    printed = "".join(o.get("text", "") for c in book.cells if c.cell_type == "code" for o in c.outputs)
    assert "MISSING" in printed and "GA-06_P1.xes.gz" in printed and "PMTOOL_REAL_LOGS=" in printed
    assert not any(o.output_type == "error" for c in book.cells if c.cell_type == "code" for o in c.outputs)


def _first_cell_prints(folder, env: dict[str, str]) -> str:
    """What the real-log notebook's first code cell (which finds the log) prints when run in ``folder``."""
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient

    book = nbformat.read(REPO / "notebooks" / "04_real_log.ipynb", as_version=4)
    book.cells = [next(c for c in book.cells if c.cell_type == "code")]
    client = NotebookClient(book, timeout=120, resources={"metadata": {"path": str(folder)}})
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        client.execute()
    return "".join(o.get("text", "") for o in book.cells[0].outputs)


def test_the_real_log_notebook_finds_the_logs_where_pmtool_real_logs_points(tmp_path):
    """A clone anywhere: the environment variable names the folder; a wrong one is named in the message."""
    logs = tmp_path / "elsewhere" / "logs"
    logs.mkdir(parents=True)
    (logs / "receipt.xes.gz").write_bytes(b"")  # found is all the first cell checks
    clone = tmp_path / "clone" / "notebooks"
    clone.mkdir(parents=True)
    printed = _first_cell_prints(clone, {"PMTOOL_REAL_LOGS": str(logs), "HOME": str(tmp_path)})
    assert printed.strip() == f"Echtes Protokoll / real log: {logs / 'receipt.xes.gz'}"
    wrong = _first_cell_prints(clone, {"PMTOOL_REAL_LOGS": str(tmp_path / "nowhere"), "HOME": str(tmp_path)})
    assert "MISSING" in wrong and f"PMTOOL_REAL_LOGS={tmp_path / 'nowhere'}" in wrong


def test_the_real_log_notebook_looks_in_real_logs_above_the_clone(tmp_path, monkeypatch):
    monkeypatch.delenv("PMTOOL_REAL_LOGS", raising=False)
    logs = tmp_path / "real_logs"
    logs.mkdir()
    (logs / "receipt.xes.gz").write_bytes(b"")
    clone = tmp_path / "work" / "clone" / "notebooks"
    clone.mkdir(parents=True)
    assert _first_cell_prints(clone, {"HOME": str(tmp_path / "work")}).strip() == \
        f"Echtes Protokoll / real log: {logs / 'receipt.xes.gz'}"
