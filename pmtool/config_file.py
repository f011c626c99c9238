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


class Settings:
    """Typed reading of one file's settings, with one-line errors ``<kind>.bad_value`` naming the key and what
    is expected. A bool is never a number, a number never text; ``None`` as default makes a key optional.

    >>> s = Settings("project", "pmtool.toml")
    >>> s.integer({"workers": 3}, "workers", 2, minimum=1)
    3
    >>> try:
    ...     s.integer({"privacy_threshold": True}, "privacy_threshold", 5, prefix="project.")
    ... except ConfigError as error:
    ...     print(error.key, error.params)
    project.bad_value {'key': 'project.privacy_threshold', 'expected': 'a whole number'}
    """

    def __init__(self, kind: str, where: str) -> None:
        self.kind = kind
        self.where = where

    def fail(self, key: str, expected: str) -> ConfigError:
        return ConfigError(f"{self.kind}.bad_value", Location(self.where), key=key, expected=expected)

    def known(self, table: dict[str, Any], allowed: Iterable[str], prefix: str = "") -> None:
        refuse_unknown_keys(table, allowed, kind=self.kind, prefix=prefix, where=self.where)

    def table(self, raw: dict[str, Any], key: str, prefix: str = "", allowed: Iterable[str] | None = None
              ) -> dict[str, Any]:
        """The sub-table ``key`` (empty when absent), its keys checked against ``allowed`` when given."""
        value = raw.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(prefix + key, f"a table [{prefix + key}]")
        if allowed is not None:
            self.known(value, allowed, f"{prefix}{key}.")
        return value

    def tables(self, raw: dict[str, Any], key: str, prefix: str = "") -> list[dict[str, Any]]:
        """The array of tables ``key`` (``[[key]]``; empty when absent)."""
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(prefix + key, f"tables [[{prefix + key}]]")
        return value

    def integer(self, table: dict[str, Any], key: str, default: int | None, prefix: str = "",
                minimum: int | None = None, maximum: int | None = None) -> int | None:
        value = table.get(key, default)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or (minimum is not None and value < minimum) \
                or (maximum is not None and value > maximum):
            raise self.fail(prefix + key, "a whole number" + _bounds(minimum, maximum))
        return value

    def number(self, table: dict[str, Any], key: str, default: float | None, prefix: str = "",
               minimum: float | None = None, maximum: float | None = None) -> float | None:
        value = table.get(key, default)
        if value is None:
            return None
        if not isinstance(value, int | float) or isinstance(value, bool) or value != value \
                or (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise self.fail(prefix + key, "a number" + _bounds(minimum, maximum))
        return float(value)

    def boolean(self, table: dict[str, Any], key: str, default: bool | None, prefix: str = "") -> bool | None:
        value = table.get(key, default)
        if value is not None and not isinstance(value, bool):
            raise self.fail(prefix + key, "true or false")
        return value

    def text(self, table: dict[str, Any], key: str, default: str | None, prefix: str = "",
             nonempty: bool = False) -> str | None:
        value = table.get(key, default)
        if value is None:
            return None
        if not isinstance(value, str) or (nonempty and not value.strip()):
            raise self.fail(prefix + key, "text in quotes" + (", not empty" if nonempty else ""))
        return value

    def texts(self, table: dict[str, Any], key: str, default: list[str] | None, prefix: str = "") -> list[str] | None:
        value = table.get(key, default)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(prefix + key, 'a list of texts ["…"]')
        return value

    def choice(self, table: dict[str, Any], key: str, choices: Iterable[str], default: str, prefix: str = "") -> str:
        options = tuple(choices)
        value = table.get(key, default)
        if not isinstance(value, str) or value not in options:
            raise self.fail(prefix + key, " | ".join(f'"{c}"' for c in options))
        return value


def _bounds(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f" from {minimum:g} to {maximum:g}"
    if minimum is not None:
        return f" ≥ {minimum:g}"
    return f" ≤ {maximum:g}" if maximum is not None else ""
