from __future__ import annotations

from pathlib import Path

import pytest

from pmtool.i18n import set_language
from pmtool.ingest.pseudonymise import PseudonymKey

REPO = Path(__file__).resolve().parents[1]
REAL_LOGS = REPO.parent / "shared" / "real_logs"
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
        pytest.skip(f"real log {name} not found in ../shared/real_logs")
    return path
