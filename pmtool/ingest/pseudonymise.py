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
    digest = hmac.new(key.secret, f"{kind}\x1f{value}".encode(), hashlib.sha256).hexdigest()
    return PREFIX[kind] + digest[:_HEX_CHARS]


def pseudonymise_series(series: pl.Series, key: PseudonymKey, kind: str) -> pl.Series:
    """Replace every non-null value by its pseudonym; hashes each distinct value once."""
    text = series.cast(pl.String)
    uniques = text.drop_nulls().unique()
    mapping = {v: pseudonym(key, kind, v) for v in uniques.to_list()}
    if not mapping:
        return text
    return text.replace_strict(mapping, default=None, return_dtype=pl.String).alias(series.name)


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
