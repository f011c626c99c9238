"""Database addresses and read-only connections: credentials come from the environment, never from output.

``pmtool ingest postgresql://host:5432/sormas`` connects with libpq's usual sources for the user and the
password (``PGUSER``, ``PGPASSWORD``, the pgpass file ``~/.pgpass`` or ``PGPASSFILE``). A password in the
address itself is refused: it would end up in the shell history and the process list. Everything pmtool
shows or writes names the database by :attr:`DatabaseAddress.display` — host, port and database only.

The driver (psycopg 3) is optional (``pip install 'pmtool[postgres]'``) and imported only here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pmtool.errors import ConfigError, InputError, Location, first_line

if TYPE_CHECKING:
    import psycopg

SCHEMES = ("postgresql://", "postgres://")
#: libpq parameters that carry a secret; refused in an address.
_SECRETS = ("password", "sslpassword")
CONNECT_TIMEOUT_SECONDS = 10
LOCK_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class DatabaseAddress:
    """A parsed database address. ``url`` is only ever handed to the driver; ``display`` is safe to show."""

    url: str
    display: str
    dbname: str

    def __repr__(self) -> str:  # the default repr would show the address as given
        return f"DatabaseAddress({self.display!r})"


def is_database_url(text: str) -> bool:
    """Whether a command-line argument names a database rather than a file."""
    return text.strip().lower().startswith(SCHEMES)


def driver() -> Any:
    """The psycopg module, or :class:`InputError` with the install hint when it is missing."""
    try:
        import psycopg
    except ImportError:
        raise InputError("database.no_driver") from None
    return psycopg


def parse_address(url: str) -> DatabaseAddress:
    """Check a ``postgresql://`` address and derive the name to show. Raises :class:`ConfigError` for an
    address with a password in it or one libpq cannot read (without repeating the address)."""
    psycopg = driver()
    if not is_database_url(url):
        raise ConfigError("database.bad_url", Location("postgresql://…"), reason="postgresql://host/database")
    try:
        params = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        raise ConfigError("database.bad_url", Location("postgresql://…"),
                          reason="postgresql://host:port/database") from None
    if any(params.get(k) for k in _SECRETS):
        raise ConfigError("database.password_in_url", Location(_display(params)))
    return DatabaseAddress(url, _display(params), str(params.get("dbname") or ""))


def _display(params: dict[str, Any]) -> str:
    host = str(params.get("host") or "")
    port = str(params.get("port") or "")
    hostport = host + (f":{port}" if port else "")
    return f"postgresql://{hostport}/{params.get('dbname') or ''}"


def connect(address: DatabaseAddress, *, read_only: bool = True) -> psycopg.Connection:
    """Open a connection; for extraction (``read_only``) every transaction is READ ONLY and REPEATABLE READ,
    so all queries of one extraction see the same snapshot and none can change anything.

    Raises :class:`InputError` with a one-line reason; the reason never contains a password.
    """
    psycopg = driver()
    extra: dict[str, Any] = {"application_name": "pmtool"}
    if "connect_timeout" not in address.url:
        extra["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    try:
        conn = psycopg.connect(address.url, **extra)
    except psycopg.Error as exc:
        raise connection_error(exc, address) from None
    try:
        if read_only:
            conn.read_only = True
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            # a table locked by a schema change in progress: stop with a message instead of waiting forever
            conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT_SECONDS}s'")
        conn.execute("SET TIME ZONE 'UTC'")
        conn.execute("SET DateStyle = 'ISO, YMD'")
    except psycopg.Error as exc:
        conn.close()
        raise query_error(exc, address, "") from None
    return conn


def connection_error(exc: BaseException, address: DatabaseAddress) -> InputError:
    """One line for a failed connection: authentication, unknown database, or the network reason."""
    text = scrub(str(exc))
    lowered = text.lower()
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return InputError("database.auth_failed", Location(address.display))
    if "does not exist" in lowered and "database" in lowered:
        return InputError("database.no_database", Location(address.display), database=address.dbname)
    reason = first_line(text.replace("connection failed:", "").strip())
    return InputError("database.connect_failed", Location(address.display), reason=" ".join(reason.split())[:300])


def query_error(exc: BaseException, address: DatabaseAddress, where: str) -> InputError:
    """One line for a failed query; permission problems get their own message."""
    sqlstate = getattr(exc, "sqlstate", None)
    reason = scrub(first_line(exc))
    if sqlstate == "42501":
        return InputError("database.permission_denied", Location(address.display, column=where or None),
                          reason=reason)
    return InputError("database.query_failed", Location(address.display, column=where or None), reason=reason)


def scrub(text: str) -> str:
    """``text`` without the password from the environment (libpq never repeats it, but a proxy might)."""
    secret = os.environ.get("PGPASSWORD")
    return text.replace(secret, "***") if secret and len(secret) >= 3 else text
