"""The message catalogue: every text a user reads comes from ``messages.toml`` (German default, English).

>>> t("location.line", "en", n=3)
'line 3'

Texts that name a number come in two forms, ``one`` and ``other`` (German and English need no more), and
optionally ``zero`` where "none" reads better than "0": :func:`tn` picks the form for the count, so no
text says "1 Fristen" or "in allen 1 Prozessen".

>>> tn("report.n.offices", 1, "de"), tn("report.n.offices", 13, "de")
('1 Amt', '13 Ämter')
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


#: The plural forms a counted text has in the catalogue (``<key>.one``, ``<key>.other``).
PLURAL_FORMS = ("one", "other")


def tn(key: str, count: int, /, lang: str | None = None, **params: Any) -> str:
    """The form of the counted message ``key`` for ``count`` (``<key>.one`` for 1, ``<key>.zero`` for 0 where
    the catalogue has it, else ``<key>.other``),
    formatted with ``params``; ``n`` is ``count`` written out unless given (e.g. with thousands separators).

    Raises ``KeyError`` when ``key`` has no such form in the catalogue.
    """
    params.setdefault("n", str(count))
    if count == 0 and f"{key}.zero" in catalogue():
        return t(f"{key}.zero", lang, **params)
    return t(f"{key}.{'one' if count == 1 else 'other'}", lang, **params)
