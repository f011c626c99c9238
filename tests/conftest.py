from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from pmtool.i18n import set_language
from pmtool.ingest.pseudonymise import PseudonymKey

REPO = Path(__file__).resolve().parents[1]
REAL_LOGS = Path(os.environ.get("PMTOOL_REAL_LOGS") or REPO.parent / "shared" / "real_logs")
SAMPLE_LOGS = REPO / "data" / "sample_logs"
TEST_KEY_TEXT = "test-key-0123456789abcdef-not-secret"


@pytest.fixture
def key() -> PseudonymKey:
    return PseudonymKey(TEST_KEY_TEXT.encode())


@pytest.fixture(autouse=True)
def _english_messages(monkeypatch: pytest.MonkeyPatch):
    """Tests assert on English messages unless they switch language themselves; no key leaks in from outside."""
    for var in ("PMTOOL_LANG", "PMTOOL_PSEUDONYM_KEY", "PMTOOL_PSEUDONYM_KEY_FILE"):
        monkeypatch.delenv(var, raising=False)
    set_language("en")
    yield
    set_language(None)


def real_log(name: str) -> Path:
    path = REAL_LOGS / name
    if not path.exists():
        pytest.skip(f"real log {name} not found in {REAL_LOGS} (PMTOOL_REAL_LOGS names another folder)")
    return path

MODELS = REPO / "pmtool" / "reference_models"
MODEL_FILES = {"P1": "P1_meldefallbearbeitung.bpmn", "P2": "P2_ausbruchsmanagement.bpmn",
               "P3a": "P3a_belehrung_43.bpmn"}


@pytest.fixture(scope="session")
def sample_ingested(tmp_path_factory) -> Path:
    """The bundled sample exports ingested once per test session (folder of canonical logs per process)."""
    from pmtool.ingest.jobs import collect_jobs
    from pmtool.ingest.output import write_ingest
    from pmtool.ingest.pipeline import ingest
    from pmtool.ingest.profile import MappingProfile, load_profile

    out = tmp_path_factory.mktemp("sample_ingested")
    key = PseudonymKey(TEST_KEY_TEXT.encode())
    for job in collect_jobs([SAMPLE_LOGS], None):
        prof = load_profile(job.profile) if job.profile else MappingProfile()
        result = ingest(job.export, prof, key=key)
        write_ingest(result, out / Path(job.name).parent, Path(job.name).name)
    return out


@pytest.fixture(scope="session")
def sample_logs_by_process(sample_ingested):
    """{process: EventLog of all offices} from the ingested sample data."""
    import polars as pl

    from pmtool.eventlog.log import EventLog, read_parquet

    logs = {}
    for process in MODEL_FILES:
        frames = [read_parquet(p).frame for p in sorted((sample_ingested / process).glob("*.parquet"))]
        logs[process] = EventLog.from_frame(pl.concat(frames, how="diagonal_relaxed"))
    return logs


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In a parallel run (README's test command: pytest-xdist, ``--dist loadgroup``) the tests that share a
    fixture built once per module or session — a run of the demo, the docs walkthrough, a database server — go
    to one worker as one group, so the fixture is built once, as in a serial run; all other tests are spread
    one by one. Without xdist the mark does nothing."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            continue
        shared = {d.baseid for defs in info.name2fixturedefs.values() for d in defs[-1:]
                  if d.scope != "function" and d.baseid not in ("", "tests")}
        if shared:  # one group per test: a folder's conftest (all its modules) before a single module
            item.add_marker(pytest.mark.xdist_group(min(shared, key=lambda baseid: (baseid.endswith(".py"), baseid))))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Refuse a parallel run whose groups did not take: xdist marks a grouped test by its node id
    ("…::test@group"), which pytest 9.2 no longer lets it change (pytest-dev/pytest-xdist#1386). The tests
    would still pass, each module's shared run built once per test instead of once, and the suite take twice
    as long without a word."""
    if not getattr(session.config.option, "loadgroup", False):  # set on xdist's workers only
        return
    lost = [item.nodeid for item in session.items
            if item.get_closest_marker("xdist_group") is not None and "@" not in item.nodeid]
    if lost:
        message = (f"--dist loadgroup did not group {len(lost)} tests (first: {lost[0]}); install the pytest "
                   "versions pyproject.toml's [test] extra names")
        sys.__stderr__.write(f"\n{message}\n")  # a worker's error reaches the terminal only as an INTERNALERROR
        raise pytest.UsageError(message)


class NotedProgress:
    """A run's progress that keeps the lines the run tells above its bars (``notes``) and ignores the steps."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    def __call__(self, stage: str, item: str) -> None:
        return None

    def note(self, text: str) -> None:
        self.notes.append(text)
