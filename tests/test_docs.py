"""Docs are tested: every command is documented, the CLI reference is current, every project-file key is
explained, and the README's commands are the ones CI and users run."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from conftest import REPO

from pmtool.calendar.working_days import SETTINGS as CALENDAR_SETTINGS
from pmtool.cli.reference import cli_reference, commands
from pmtool.dictionary import BUNDLE, PAGES, TABLES
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


def test_test_command_runs_in_parallel_with_shared_fixtures_kept_together():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    command = re.search(r"^Run the tests: `(.*)`$", README, re.MULTILINE).group(1)
    assert re.search(r"pytest .*-n (logical|auto|\d+)", command), command
    assert "--dist loadgroup" in pyproject["tool"]["pytest"]["ini_options"]["addopts"]
    assert any(d.startswith("pytest-xdist") for d in pyproject["project"]["optional-dependencies"]["test"])


def test_documents_linked_from_the_readme_exist():
    for link in re.findall(r"\]\(((?:docs|notebooks)/[^)#]+)\)", README):
        assert (REPO / link).exists(), link
    for page in (1, 2):  # Part A of the demo report (docs/generate_report_pictures.py)
        picture = REPO / "docs" / "img" / f"report-page{page}.png"
        assert f"docs/img/report-page{page}.png" in README
        assert picture.exists() and picture.stat().st_size < 300_000


@pytest.mark.parametrize("name", sorted(PAGES))
def test_generated_pages_are_current_and_linked(name):
    assert (REPO / "docs" / name).read_text("utf-8") == PAGES[name](), "run: python docs/generate_pages.py"
    assert f"docs/{name}" in README


def test_vocabulary_page_names_every_activity():
    page = (REPO / "docs" / "vocabulary.md").read_text("utf-8")
    from pmtool.vocabulary import bundled

    for act in bundled().activities:  # every id and name is on the page
        assert f"`{act.id}` | {act.name.replace('|', chr(92) + '|')} |" in page
    assert "docs/vocabulary.md" in README


# --- every example runs ------------------------------------------------------------------------------------
#
# Every fenced block of README.md and docs/*.md runs on the sample data, as sqlite-utils and datasette test
# their documentation: ```sh blocks in bash (stopping at the first failing command), ```python blocks in
# Python (the blocks of one page share their names, like a notebook), ```toml blocks are read as TOML. The
# blocks of one page run in order in a folder of their own: a copy of the project docs/first-hour.md builds
# (its blocks run first, in an empty folder), with `data/` of the repository beside it and HOME inside it.
# A block that cannot run here says why, on the line before it: <!-- no-test: the reason -->.

FIRST_HOUR = REPO / "docs" / "first-hour.md"
GENERATED = {REPO / "docs" / "cli.md"}  # help texts, tested as current above
RUNS = {"sh": "shell", "bash": "shell", "shell": "shell", "python": "python", "toml": "toml"}
NO_TEST = re.compile(r"^<!--\s*no-test:\s*(.+?)\s*-->$")


@dataclass(frozen=True)
class Block:
    doc: Path
    line: int  # of the opening fence, 1-based
    lang: str
    code: str
    skip: str | None  # the reason it does not run

    @property
    def name(self) -> str:
        return f"{self.doc.relative_to(REPO).as_posix()}:{self.line}"


def doc_pages() -> list[Path]:
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    return [FIRST_HOUR] + [p for p in pages if p != FIRST_HOUR]


def fenced_blocks(path: Path) -> list[Block]:
    lines = path.read_text("utf-8").splitlines()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        opening = re.match(r"^```(\w*)\s*$", lines[i])
        if not opening:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        before = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        marker = NO_TEST.match(before)
        out.append(Block(path, i + 1, opening.group(1), "\n".join(lines[i + 1:end]) + "\n",
                         marker.group(1) if marker else None))
        i = end + 1
    return out


BLOCKS = [b for page in doc_pages() if page not in GENERATED for b in fenced_blocks(page)]
RUNNABLE = [b for b in BLOCKS if b.lang in RUNS]


class DocRunner:
    """Runs each page's blocks once, in order, in the page's folder; remembers what failed."""

    def __init__(self, root: Path):
        self.root = root
        self.results: dict[Block, str | None] = {}
        self.namespaces: dict[Path, dict] = {}
        self.seconds: dict[Path, float] = {}

    def folder(self, doc: Path) -> Path:
        folder = self.root / doc.stem
        if not folder.exists():
            if doc == FIRST_HOUR:
                folder.mkdir()
            else:  # the project the walkthrough built
                self.run_through(FIRST_HOUR)
                shutil.copytree(self.folder(FIRST_HOUR), folder, symlinks=True)
            (folder / ".home").mkdir(exist_ok=True)
            if not (folder / "data").exists():
                (folder / "data").symlink_to(REPO / "data", target_is_directory=True)
        return folder

    def run_through(self, doc: Path, last: Block | None = None) -> None:
        for block in (b for b in RUNNABLE if b.doc == doc):
            if block not in self.results:
                self.results[block] = None if block.skip else self._run(block)
            if block == last:
                return

    def _run(self, block: Block) -> str | None:
        folder = self.folder(block.doc)
        start = time.perf_counter()
        try:
            if RUNS[block.lang] == "shell":
                env = {k: v for k, v in os.environ.items() if not k.startswith("PMTOOL_")}
                env.update(HOME=str(folder / ".home"), PATH=f"{Path(sys.executable).parent}{os.pathsep}"
                           f"{env.get('PATH', '')}", COLUMNS="120", PYTHONHASHSEED="0")
                done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block.code], cwd=folder, env=env,
                                      capture_output=True, text=True, timeout=600)
                if done.returncode:
                    return f"exit code {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            elif RUNS[block.lang] == "python":
                namespace = self.namespaces.setdefault(block.doc, {"__name__": "__doc_example__"})
                here, home = Path.cwd(), os.environ.get("HOME")
                os.chdir(folder)
                os.environ["HOME"] = str(folder / ".home")  # as for the shell blocks, whichever test runs it
                try:
                    exec(compile(block.code, block.name, "exec"), namespace)
                finally:
                    os.chdir(here)
                    if home is None:
                        os.environ.pop("HOME", None)
                    else:
                        os.environ["HOME"] = home
            else:
                tomllib.loads(block.code)
        except Exception as exc:  # noqa: BLE001 - the failure is the test's message
            return f"{type(exc).__name__}: {exc}"
        finally:
            self.seconds[block.doc] = self.seconds.get(block.doc, 0.0) + time.perf_counter() - start
        return None


@pytest.fixture(scope="session")
def doc_runner(tmp_path_factory) -> DocRunner:
    return DocRunner(tmp_path_factory.mktemp("docs"))


@pytest.mark.parametrize("block", RUNNABLE, ids=[b.name for b in RUNNABLE])
def test_every_example_in_the_docs_runs(block, doc_runner):
    if block.skip:
        pytest.skip(f"{block.name} is marked no-test: {block.skip}")
    doc_runner.run_through(block.doc, block)
    error = doc_runner.results[block]
    assert error is None, f"{block.name} ({block.lang}) failed:\n{block.code}\n{error}"


def test_every_command_shown_is_in_a_block_that_runs():
    for block in BLOCKS:
        first = block.code.lstrip().split("\n", 1)[0]
        if block.lang not in RUNS:
            assert not re.match(r"^(\$ )?(pmtool|python3?|pip) ", first), \
                f"{block.name}: a command in a ```{block.lang or 'block'} without a language that runs (use ```sh)"


def test_the_walkthrough_builds_a_project_with_a_report(doc_runner):
    doc_runner.run_through(FIRST_HOUR)
    folder = doc_runner.folder(FIRST_HOUR)
    out = folder / "reports" / "analysis"
    assert (out / "report" / "bericht.html").is_file() and (out / "tables" / "findings.csv").is_file()
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert {i["role"] for i in manifest["inputs"]} >= {"project", "export", "profile", "model", "rules"}
    assert sorted(p.name for p in (folder / "bundles").iterdir()) == ["GA-01_P1_2025.bundle.json"]


def _written_tables(folder: Path) -> dict[str, list[list[str]]]:
    """Per documented table: the column lists of every file of it the walkthrough's run wrote."""
    out: dict[str, list[list[str]]] = {}
    results = folder / "reports" / "analysis"
    files = sorted(p.relative_to(results).as_posix() for p in results.rglob("*") if p.is_file())
    for table in TABLES:
        pattern = re.escape(table.path.replace("<fmt>", "csv")).replace(re.escape("<process>"), "[^/_]+")
        pattern = pattern.replace(re.escape("<office>"), "[^/]+")
        for path in (results / f for f in files if re.fullmatch(pattern, f)):
            if table.name == "quarantine" or path.suffix == ".csv":
                header = path.read_text("utf-8-sig").splitlines()[0]
                columns = next(csv.reader([header]))
            else:
                columns = list(pl.read_parquet_schema(path))
            out.setdefault(table.name, []).append(columns)
    return out


def test_every_table_a_run_writes_has_the_documented_columns(doc_runner):
    doc_runner.run_through(FIRST_HOUR)
    written = _written_tables(doc_runner.folder(FIRST_HOUR))
    for table in TABLES:
        assert table.name in written, f"{table.path}: the walkthrough's run wrote no such table"
        for columns in written[table.name]:
            if table.name == "canonical log":
                columns = columns[:len(table.columns)]  # then the export's own columns
            elif table.name == "quarantine":
                assert all(c.startswith("raw:") for c in columns[len(table.columns):]), columns
                columns = columns[:len(table.columns)]
            assert tuple(columns) == table.columns, f"{table.path}: run python docs/generate_pages.py after " \
                f"updating pmtool/dictionary.py; written {columns}"
    tables = doc_runner.folder(FIRST_HOUR) / "reports" / "analysis" / "tables"
    documented = {Path(t.path).name.split(".")[0] for t in TABLES if t.path.startswith("tables/") and
                  t.path.count("/") == 1}
    assert {p.name.split(".")[0] for p in tables.iterdir() if p.is_file()} == documented


def test_every_bundle_field_is_documented(doc_runner):
    doc_runner.run_through(FIRST_HOUR)
    bundle = json.loads(next((doc_runner.folder(FIRST_HOUR) / "bundles").glob("*.bundle.json")).read_text("utf-8"))
    fields = set()
    for key, value in bundle.items():
        if isinstance(value, dict):
            fields |= {f"{key}.{k}" for k in value}
        else:
            fields.add(f"{key}[]" if key in ("items", "edges") else key)
    documented = {name for name, _ in BUNDLE}
    assert fields <= documented, sorted(fields - documented)
    assert documented - fields == {"meta.filters"}  # written only for a bundle of filtered cases
    item_fields = set(bundle["items"][0])
    described = dict(BUNDLE)["items[]"]
    assert all(f"`{f}`" in described for f in item_fields), item_fields


def test_the_readme_python_example_gives_findings_and_a_changed_model(doc_runner):
    import pmtool as pt

    readme = REPO / "README.md"
    doc_runner.run_through(readme)
    namespace = doc_runner.namespaces[readme]
    assert namespace["analysis"].findings.height > 0
    assert isinstance(namespace["relaxed"], pt.ReferenceModel)


def test_discover_help_names_every_table_it_writes():
    from typer.testing import CliRunner

    from pmtool.cli.app import app
    text = " ".join(CliRunner().invoke(app, ["--lang", "en", "discover", "--help"]).output.split())
    for name in ("_dfg_edges.csv", "_variants.csv", "_bottlenecks.csv", "_activities.csv", "_discover.json"):
        assert f"<office>{name}" in text
