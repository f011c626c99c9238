"""Docs are tested: every command is documented, the CLI reference is current, every project-file key is
explained, and the README's commands are the ones CI and users run."""

from __future__ import annotations

import re
import tomllib

import pytest
from conftest import REPO

from pmtool.calendar.working_days import SETTINGS as CALENDAR_SETTINGS
from pmtool.cli.reference import cli_reference, commands
from pmtool.project import KEYS, starter_project

README = (REPO / "README.md").read_text("utf-8")
CLI_MD = REPO / "docs" / "cli.md"
PROJECT_MD = (REPO / "docs" / "project-file.md").read_text("utf-8")
COMMANDS = [path for path, _, _ in commands() if path != "pmtool"]
MAIN_JOB = "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/pmtool demo"


def test_cli_reference_is_current():
    assert CLI_MD.read_text("utf-8") == cli_reference(), "run: python docs/generate_cli_reference.py"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_readme_and_the_reference(command):
    assert f"`{command}" in README, f"{command} is missing from README.md"
    assert f"## `{command}`" in CLI_MD.read_text("utf-8")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_and_option_has_help(command):
    _, cmd, _ = next(c for c in commands() if c[0] == command)
    assert (cmd.help or "").strip(), f"{command} has no help"
    for param in cmd.params:
        if param.name != "help":
            assert (getattr(param, "help", None) or "").strip(), f"{command}: {param.name} has no help"


@pytest.mark.parametrize(("table", "key"), sorted((t, k) for t, keys in KEYS.items() for k in keys))
def test_every_project_file_key_is_documented_and_in_the_starter(table, key):
    assert f"`{key}`" in PROJECT_MD or f"[{key}]" in PROJECT_MD or f"[[{key}]]" in PROJECT_MD, key
    k = re.escape(key)  # `key = …` (perhaps commented out), or a table header [key…] / [….key]
    assert re.search(rf"^#?\s*({k}\s*=|\[+{k}[\].])|\.{k}\]", starter_project(), re.MULTILINE), \
        f"{table}.{key} is missing from the starter project file"


@pytest.mark.parametrize("key", CALENDAR_SETTINGS)
def test_calendar_settings_are_documented(key):
    assert f"`{key}`" in PROJECT_MD


def test_starter_project_is_valid_toml_with_documented_keys():
    raw = tomllib.loads(starter_project())
    for key in raw["project"]:
        assert key in KEYS["project"]


def test_readme_starts_with_the_main_job_and_the_test_command_ci_runs():
    commands_in_order = re.findall(r"^Run (?:the main job on the bundled sample data|the tests): `(.*)`$", README,
                                   re.MULTILINE)
    assert commands_in_order[0] == MAIN_JOB
    ci = (REPO / ".ci" / "run").read_text("utf-8")
    pattern = re.search(r"sed -n 's/(.*?)/\\1/p' README.md", ci)
    assert pattern, ".ci/run no longer extracts the test command from README.md"
    sed = pattern.group(1).replace("\\(", "(").replace("\\)", ")").replace("\\`", "`")
    extracted = [m.group(1) for line in README.splitlines() if (m := re.match(sed, line))]
    assert extracted and extracted[0] == commands_in_order[1]
    first_lines = [line for line in README.splitlines() if "`" in line][:2]
    assert first_lines[0].endswith(f"`{MAIN_JOB}`") and first_lines[1].startswith("Run the tests: `")


def test_test_command_runs_the_notebooks():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    options = pyproject["tool"]["pytest"]["ini_options"]
    assert "--nbmake" in options["addopts"] and "notebooks" in options["testpaths"]
    assert any(d.startswith("nbmake") for d in pyproject["project"]["optional-dependencies"]["test"])


def test_documents_linked_from_the_readme_exist():
    for link in re.findall(r"\]\(((?:docs|notebooks)/[^)#]+)\)", README):
        assert (REPO / link).exists(), link
    picture = REPO / "docs" / "img" / "report.png"
    assert picture.exists() and picture.stat().st_size < 300_000


def test_vocabulary_page_is_current_and_linked():
    from pmtool.vocabulary.reference import vocabulary_reference

    page = (REPO / "docs" / "vocabulary.md").read_text("utf-8")
    assert page == vocabulary_reference(), "run: python docs/generate_vocabulary.py"
    from pmtool.vocabulary import bundled

    for act in bundled().activities:  # every id and name is on the page
        assert f"`{act.id}` | {act.name.replace('|', chr(92) + '|')} |" in page
    assert "docs/vocabulary.md" in README
