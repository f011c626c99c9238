"""Keyed pseudonyms (HMAC-SHA256) for case ids, staff names and other identifying columns.

The key stays with the office: it is read from ``PMTOOL_PSEUDONYM_KEY`` or a key file and never written
to any output. Only a short fingerprint of it (``key_id``) is recorded, so two logs can be checked for
having used the same key. The same key gives the same pseudonym for the same value in every run and
every office (a case handed over between offices keeps its pseudonym).

>>> key = PseudonymKey(b"0123456789abcdef0123456789abcdef")
>>> pseudonym(key, "case", "2025-0001")
'C-52a7a5277554b44b'
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pmtool.errors import ConfigError, Location, PrivacyError

ENV_KEY = "PMTOOL_PSEUDONYM_KEY"
ENV_KEY_FILE = "PMTOOL_PSEUDONYM_KEY_FILE"
MIN_KEY_BYTES = 16
PREFIX = {"case": "C-", "resource": "R-", "attribute": "X-"}
_HEX_CHARS = 16  # 64 bits: collision-free in practice for the millions of ids of an office


@dataclass(frozen=True, repr=False)
class PseudonymKey:
    """A secret key. ``repr`` never shows it."""

    secret: bytes

    def __repr__(self) -> str:
        return f"PseudonymKey(key_id={self.key_id!r})"

    @property
    def key_id(self) -> str:
        """A fingerprint that identifies the key without revealing it."""
        return hmac.new(self.secret, b"pmtool key fingerprint", hashlib.sha256).hexdigest()[:12]


def pseudonym(key: PseudonymKey, kind: str, value: str) -> str:
    """The pseudonym of one ``value`` of ``kind`` ("case", "resource", "attribute")."""
    return PREFIX[kind] + hmac.digest(key.secret, f"{kind}\x1f{value}".encode(), "sha256").hex()[:_HEX_CHARS]


def pseudonym_table(values: pl.Series, key: PseudonymKey, kind: str) -> pl.DataFrame:
    """Each distinct non-null value with its pseudonym: columns ``value``, ``pseudonym``, ``rank``
    (the pseudonym's position in sorted order, for sorting by pseudonym without comparing strings)."""
    uniques = values.cast(pl.String).drop_nulls().unique().to_list()
    secret, prefix, digest = key.secret, PREFIX[kind], hmac.digest
    tag = f"{kind}\x1f"
    names = [prefix + digest(secret, (tag + v).encode(), "sha256").hex()[:_HEX_CHARS] for v in uniques]
    table = pl.DataFrame({"value": uniques, "pseudonym": names}, schema={"value": pl.String, "pseudonym": pl.String})
    return table.sort("pseudonym").with_row_index("rank")


def pseudonymise_series(series: pl.Series, key: PseudonymKey, kind: str) -> pl.Series:
    """Replace every non-null value by its pseudonym; hashes each distinct value once."""
    table = pseudonym_table(series, key, kind)
    text = series.cast(pl.String)
    if table.height == 0:
        return text
    return text.replace_strict(table["value"], table["pseudonym"], default=None,
                               return_dtype=pl.String).alias(series.name)


def load_key(key_file: Path | None = None) -> PseudonymKey | None:
    """The key from ``key_file``, else ``PMTOOL_PSEUDONYM_KEY_FILE``, else ``PMTOOL_PSEUDONYM_KEY``; or None."""
    path = key_file or (Path(os.environ[ENV_KEY_FILE]) if os.environ.get(ENV_KEY_FILE) else None)
    if path is not None:
        try:
            secret = path.read_bytes().strip()
        except OSError as exc:
            raise ConfigError("key.unreadable", Location(str(path)), reason=exc.strerror or str(exc)) from None
        where = str(path)
    elif os.environ.get(ENV_KEY):
        secret = os.environ[ENV_KEY].strip().encode("utf-8")
        where = ENV_KEY
    else:
        return None
    if len(secret) < MIN_KEY_BYTES:
        raise ConfigError("key.too_short", Location(where), n=MIN_KEY_BYTES)
    return PseudonymKey(secret)


def require_key(key: PseudonymKey | None, allow_identifiable: bool) -> PseudonymKey | None:
    """Refuse to go on without a key unless the user explicitly allowed identifiable output."""
    if key is None and not allow_identifiable:
        raise PrivacyError("key.missing", env=ENV_KEY)
    return key


def new_key_text() -> str:
    """A fresh random key (256 bits, hex) for ``pmtool key new``."""
    return secrets.token_hex(32)
