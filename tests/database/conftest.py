"""A real PostgreSQL server for the database tests, populated by the simulator (one per test session).

The tests are skipped with the reason when the PostgreSQL server programs are absent (``.ci/run`` installs
the Debian package, so CI runs them).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from database import pg_server
from pmtool.simulate.simulator import Settings

#: All 13 offices (13 export dialects) at a small scale: the ground truth the extraction must reproduce.
SETTINGS = Settings(offices=13, scale=0.1, processes=("P1",))


@dataclass(frozen=True)
class Populated:
    server: pg_server.PostgresServer
    files: Path  # the same simulation as export files with their mapping profiles
    settings: Settings

    @property
    def url(self) -> str:
        return self.server.url()


@pytest.fixture(scope="session")
def pg() -> Iterator[pg_server.PostgresServer]:
    reason = pg_server.why_not()
    if reason:
        pytest.skip(reason)
    server = pg_server.PostgresServer.start()
    try:
        server.create_database()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def populated(pg, tmp_path_factory) -> Populated:
    """The simulated offices as a case database (schemas ga_01 … ga_13, readable by the analyst account)
    and as export files."""
    from pmtool.simulate.database import populate_database
    from pmtool.simulate.simulator import simulate

    files = tmp_path_factory.mktemp("sample") / "logs"
    simulate(files, SETTINGS)
    with pytest.MonkeyPatch.context() as mp:
        as_admin(mp)
        result = populate_database(pg.url(), SETTINGS)
    for schema in result.schemas:
        pg.grant_read(schema.schema)
    return Populated(pg, files, SETTINGS)


def as_admin(mp: pytest.MonkeyPatch) -> None:
    mp.setenv("PGUSER", pg_server.ADMIN)
    mp.setenv("PGPASSWORD", pg_server.ADMIN_PASSWORD)


def as_analyst(mp: pytest.MonkeyPatch) -> None:
    mp.setenv("PGUSER", pg_server.ANALYST)
    mp.setenv("PGPASSWORD", pg_server.ANALYST_PASSWORD)


@pytest.fixture
def analyst(monkeypatch) -> None:
    """Connect as the read-only analyst account (credentials in the environment, as users do)."""
    for var in ("PGPASSFILE", "PGSERVICE", "PGHOST", "PGPORT", "PGDATABASE"):
        monkeypatch.delenv(var, raising=False)
    as_analyst(monkeypatch)
