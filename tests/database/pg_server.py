"""A throwaway PostgreSQL server on loopback for the database tests and the benchmark.

``initdb`` into a fresh temporary folder, ``pg_ctl start`` on 127.0.0.1 and a free port (unix socket in the
same folder), password authentication (scram-sha-256) for every connection, ``pg_ctl stop`` and removal at
the end. PostgreSQL refuses to run as root: as root, the server runs as the ``postgres`` user of the Debian
package (else ``nobody``), which owns the folder.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

ADMIN = "pmtool_admin"
ADMIN_PASSWORD = "admin-Secret-4711"
ANALYST = "pmtool_analyst"
ANALYST_PASSWORD = "analyst-Secret-0815"
DATABASE = "casedb"


def binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: on PATH, else the Debian package's folder."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def server_user() -> str | None:
    """The user the server runs as: the current one, or as root ``postgres`` / ``nobody``."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid()).pw_name
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    return None


def why_not() -> str | None:
    """Why no server can be started here (``None``: it can)."""
    if binaries() is None:
        return "PostgreSQL server programs (initdb, pg_ctl) not found: install the Debian package postgresql"
    if server_user() is None:
        return "running as root and no 'postgres' or 'nobody' user to run the PostgreSQL server as"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    folder: Path
    port: int
    user: str
    bin: Path

    @property
    def host(self) -> str:
        return "127.0.0.1"

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql://{self.host}:{self.port}/{database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        as_root = os.geteuid() == 0
        return subprocess.run([str(self.bin / args[0]), *args[1:]], check=True, capture_output=True, text=True,
                              user=self.user if as_root else None, cwd=self.folder, timeout=120)

    @classmethod
    def start(cls) -> PostgresServer:
        reason = why_not()
        if reason:
            raise RuntimeError(reason)
        user = server_user()
        assert user is not None
        folder = Path(tempfile.mkdtemp(prefix="pmtool-pg-"))
        server = cls(folder, _free_port(), user, binaries())  # type: ignore[arg-type]
        if os.geteuid() == 0:
            shutil.chown(folder, user)
        pwfile = folder / "pw"
        pwfile.write_text(ADMIN_PASSWORD + "\n")
        if os.geteuid() == 0:
            shutil.chown(pwfile, user)
        try:
            server._run("initdb", "-D", str(folder / "data"), "-U", ADMIN, f"--pwfile={pwfile}",
                        "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
            pwfile.unlink()
            options = (f"-c listen_addresses=127.0.0.1 -p {server.port} -k {folder} -c fsync=off "
                       "-c synchronous_commit=off -c full_page_writes=off -c max_connections=30")
            server._run("pg_ctl", "-D", str(folder / "data"), "-o", options, "-l", str(folder / "log"), "-w",
                        "-t", "60", "start")
        except subprocess.CalledProcessError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            raise RuntimeError(f"PostgreSQL did not start: {exc.stderr or exc.stdout}") from None
        return server

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def admin_sql(self, *statements: str, database: str = DATABASE) -> None:
        """Run statements as the administrator (autocommit)."""
        import psycopg

        with psycopg.connect(self.url(database), user=ADMIN, password=ADMIN_PASSWORD, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def create_database(self) -> None:
        """The test database and a read-only analyst account (granted reading per schema)."""
        self.admin_sql(f"CREATE DATABASE {DATABASE}", database="postgres")
        self.admin_sql(f"CREATE ROLE {ANALYST} LOGIN PASSWORD '{ANALYST_PASSWORD}'")

    def grant_read(self, schema: str) -> None:
        self.admin_sql(f"GRANT USAGE ON SCHEMA {schema} TO {ANALYST}",
                       f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {ANALYST}")
