"""The message catalogue: every text a user reads comes from ``messages.toml`` (German default, English).

>>> t("location.line", "en", n=3)
'line 3'
"""

from __future__ import annotations

import os
import tomllib
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"
_current: str | None = None


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """All messages, flattened to ``{"dotted.key": {"de": ..., "en": ...}}``."""
    raw = tomllib.loads(resources.files("pmtool.i18n").joinpath("messages.toml").read_text("utf-8"))
    flat: dict[str, dict[str, str]] = {}

    def walk(prefix: str, node: dict[str, Any]) -> None:
        for key, value in node.items():
            dotted = f"{prefix}.{key}" if prefix else key
            if isinstance(value, dict) and set(value) <= set(LANGUAGES) and value:
                flat[dotted] = value
            elif isinstance(value, dict):
                walk(dotted, value)
    walk("", raw)
    return flat


def set_language(lang: str | None) -> None:
    """Choose the language for messages of this process (``None`` goes back to ``PMTOOL_LANG`` / German)."""
    if lang is not None and lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    global _current
    _current = lang


def chosen_language() -> str | None:
    """The language the user chose (:func:`set_language`, else ``PMTOOL_LANG``); ``None`` if neither, so a
    project file's language can apply (defaults < project file < environment < flags)."""
    if _current:
        return _current
    env = os.environ.get("PMTOOL_LANG", "").strip().lower()[:2]
    return env if env in LANGUAGES else None


def language() -> str:
    """The language in effect: :func:`set_language`, else ``PMTOOL_LANG``, else German."""
    return chosen_language() or DEFAULT_LANGUAGE


def t(key: str, /, lang: str | None = None, **params: Any) -> str:
    """The message ``key`` in ``lang`` (default: :func:`language`), formatted with ``params``."""
    entry = catalogue().get(key)
    if entry is None:
        raise KeyError(f"message key {key!r} is missing from the catalogue")
    text = entry.get(lang or language()) or entry[DEFAULT_LANGUAGE]
    return text.format(**params) if params else text
