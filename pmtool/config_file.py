"""Reading pmtool's TOML files (project, profiles, rule packs, label maps, vocabularies) the same way: one
error for a file that cannot be read or parsed, one for an unknown key with the closest known key as hint.

Each kind of file has its messages under its own prefix in the catalogue: ``<kind>.unreadable``,
``<kind>.syntax`` and ``<kind>.unknown_key``.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pmtool.errors import ConfigError, Location


def read_toml(path: Path, kind: str) -> tuple[dict[str, Any], bytes]:
    """The parsed file and its bytes (for a SHA-256). A UTF-8 byte-order mark is allowed. Raises
    :class:`ConfigError` ``<kind>.unreadable`` or ``<kind>.syntax`` naming the file and the reason."""
    where = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{kind}.unreadable", Location(where), reason=exc.strerror or str(exc)) from None
    try:
        return tomllib.loads(data.decode("utf-8-sig")), data
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{kind}.syntax", Location(where), reason=str(exc)) from None
    except RecursionError:
        from pmtool.i18n import t

        raise ConfigError(f"{kind}.syntax", Location(where), reason=t("read.too_deep")) from None


def refuse_unknown_keys(table: dict[str, Any], allowed: Iterable[str], *, kind: str, prefix: str,
                        where: str) -> None:
    """Raise :class:`ConfigError` ``<kind>.unknown_key`` for the first key of ``table`` not in ``allowed``,
    with ``key`` and ``hint`` (the closest allowed key, else all of them) both written with ``prefix``."""
    known = sorted(allowed)
    for key in table:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            raise ConfigError(f"{kind}.unknown_key", Location(where), key=prefix + key,
                              hint=prefix + (close[0] if close else ", ".join(known)))
