"""The notebooks for the project team: stored without outputs, built on the library only (they run top to
bottom on the sample data through nbmake as part of every test run, see pyproject.toml)."""

from __future__ import annotations

import json

import pytest
from conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def test_the_three_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == ["01_office_log.ipynb", "02_compare_offices.ipynb",
                                           "03_refine_soll.ipynb"]


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
    book = json.loads(path.read_text("utf-8"))
    code = "\n".join("".join(c["source"]) for c in book["cells"] if c["cell_type"] == "code")
    for forbidden in ("subprocess", "os.system", "!pmtool", "%%bash", "%%sh", "pmtool.cli"):
        assert forbidden not in code, f"{path.name} uses {forbidden}"
    assert "from pmtool" in code
