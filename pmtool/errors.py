"""Typed errors of the library; the CLI turns them into one-line messages and exit code 2.

Every error carries a message key from the catalogue (:mod:`pmtool.i18n`) and its parameters, so the
same error reads in German or English, plus the place it happened (file, row, column).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Location:
    """Where in an input a problem sits. ``row`` is 1-based as a user sees it (a CSV line, an XML line)."""

    file: str | None = None
    row: int | None = None
    column: str | None = None
    row_label: str = "line"  # "line" for text files, "row" for sheets, "event" for logs without lines

    def render(self, lang: str | None = None) -> str:
        from pmtool.i18n import t

        parts: list[str] = []
        if self.file:
            parts.append(self.file)
        if self.row is not None:
            parts.append(t(f"location.{self.row_label}", lang, n=self.row))
        if self.column:
            parts.append(t("location.column", lang, name=self.column))
        return ", ".join(parts)


class PmtoolError(Exception):
    """Base of all errors pmtool raises on purpose. Message text comes from the catalogue."""

    def __init__(self, key: str, location: Location | None = None, /, **params: Any) -> None:
        self.key = key
        self.location = location or Location()
        self.params = params
        super().__init__(self.render())

    def __reduce__(self) -> tuple:
        # rebuilt with its key and parameters when it crosses to another process (a worker's error)
        return (_rebuild, (type(self), self.key, self.location, self.params))

    def render(self, lang: str | None = None) -> str:
        from pmtool.i18n import catalogue, t

        if self.key not in catalogue():
            # Rebuilt from its rendered text (polars re-raises errors from expressions that way).
            return self.key
        where = self.location.render(lang)
        text = t(self.key, lang, **self.params)
        return f"{where}: {text}" if where else text


def _rebuild(cls: type[PmtoolError], key: str, location: Location, params: dict[str, Any]) -> PmtoolError:
    return cls(key, location, **params)


class InputError(PmtoolError):
    """A user file cannot be read or does not have the expected structure."""


class LogSchemaError(PmtoolError):
    """An event log does not satisfy the canonical schema."""


class ConfigError(PmtoolError):
    """A mapping profile, project file or setting is invalid."""


class ModelError(PmtoolError):
    """A process model (BPMN, PNML) cannot be loaded or used."""


class RenderError(PmtoolError):
    """A figure cannot be drawn (Graphviz missing or failing)."""


class PrivacyError(PmtoolError):
    """An operation would store identifiable data without the user's explicit consent."""


def first_line(exc: BaseException | str) -> str:
    """The first line of an exception's text (or of a text), for one-line messages; the type name if empty."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def display_path(path: str | Path) -> str:
    """The path as the user gave it, for messages (never resolved to an absolute path)."""
    return str(path)
