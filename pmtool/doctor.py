"""``doctor``: which parts pmtool needs are present on this machine, which optional ones are missing, and where
pmtool reads and writes.

Every check actually uses the part it checks (a figure is drawn, a one-page PDF is made), so a green line
means the part works here, not just that a package is installed. Checks are entries of :data:`CHECKS`.

>>> report = diagnose()
>>> report.ok  # every required part works
True
"""

from __future__ import annotations

import glob
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from pmtool import __version__


@dataclass(frozen=True)
class Check:
    """One line of the diagnosis. ``name`` is a catalogue key below ``doctor.check``; ``required`` parts are
    needed by ``pmtool run``/``demo``, optional ones only by some tests or features."""

    name: str
    required: bool
    ok: bool
    detail: str


@dataclass(frozen=True)
class Diagnosis:
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """Whether every required part works."""
        return all(c.ok for c in self.checks if c.required)

    @property
    def missing(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.ok)


def _package(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return ""


def _python() -> tuple[bool, str]:
    return sys.version_info >= (3, 11), f"{platform.python_version()} ({sys.executable})"


def _core() -> tuple[bool, str]:
    names = ("polars", "pandas", "pm4py", "scipy", "matplotlib")
    found = {n: _package(n) for n in names}
    missing = [n for n, v in found.items() if not v]
    if missing:
        return False, "pip install " + " ".join(missing)
    return True, ", ".join(f"{n} {v}" for n, v in found.items())


def _graphviz() -> tuple[bool, str]:
    from pmtool.errors import PmtoolError
    from pmtool.graphviz import dot_version, run_dot

    try:
        run_dot('digraph { a -> b }', "svg")
        run_dot('digraph { a -> b }', "png")
    except PmtoolError as exc:
        return False, exc.render()
    return True, dot_version() or "?"


def _pdf() -> tuple[bool, str]:
    from pmtool.errors import PmtoolError
    from pmtool.report.pdf import engine_check

    try:
        return True, engine_check()
    except PmtoolError as exc:
        return False, exc.render()


def _fonts() -> tuple[bool, str]:
    from pmtool.errors import PmtoolError
    from pmtool.report.pdf import font_files

    try:
        files = font_files()
    except PmtoolError as exc:
        return False, exc.render()
    return True, f"DejaVu Sans ({files[0].parent})"


def _sample_data() -> tuple[bool, str]:
    from pmtool.results import DEMO_PROJECT

    return DEMO_PROJECT.is_file(), str(DEMO_PROJECT.parent)


def _key() -> tuple[bool, str]:
    for var in ("PMTOOL_PSEUDONYM_KEY_FILE", "PMTOOL_PSEUDONYM_KEY"):
        if os.environ.get(var):
            return True, var
    return False, "PMTOOL_PSEUDONYM_KEY_FILE / --key-file"


def _folder_state(folder: Path) -> tuple[bool, str]:
    """Whether pmtool can write ``folder`` (it or its nearest existing parent is a writable folder) and its
    absolute path with its true state: existing, or to be created on the first run."""
    from pmtool.i18n import t

    folder = folder.absolute()
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    writable = existing.is_dir() and os.access(existing, os.W_OK | os.X_OK)
    state = "exists" if folder == existing and folder.is_dir() else "absent"
    text = t(f"doctor.folder.{state}", folder=str(folder))
    return writable, text if writable else f"{text}, {t('doctor.folder.not_writable', folder=str(existing))}"


def _folders() -> tuple[bool, str]:
    from pmtool.results import DEMO_OUT

    demo_ok, demo = _folder_state(Path(DEMO_OUT))
    temp_ok, temp = _folder_state(Path(tempfile.gettempdir()))
    return demo_ok and temp_ok, f"{demo} · {temp}"


def _program(*names: str) -> Callable[[], tuple[bool, str]]:
    def check() -> tuple[bool, str]:
        for name in names:
            found = shutil.which(name)
            if found:
                return True, found
        return False, " / ".join(names)

    return check


def _postgres_driver() -> tuple[bool, str]:
    found = _package("psycopg")
    return (True, f"psycopg {found}") if found else (False, "pip install 'pmtool[postgres]'")


def _postgres_server() -> tuple[bool, str]:
    found = shutil.which("initdb") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))), None)
    return (True, found) if found else (False, "apt-get install postgresql")


#: name → (required, check). A check returns (works, detail: version, path or what to do).
CHECKS: dict[str, tuple[bool, Callable[[], tuple[bool, str]]]] = {
    "python": (True, _python),
    "core": (True, _core),
    "graphviz": (True, _graphviz),
    "pdf": (True, _pdf),
    "fonts": (True, _fonts),
    "sample_data": (False, _sample_data),
    "key": (False, _key),
    "folders": (False, _folders),
    "browser": (False, _program("chromium", "chromium-browser", "google-chrome")),
    "postgres_driver": (False, _postgres_driver),
    "postgres_server": (False, _postgres_server),
}


def diagnose() -> Diagnosis:
    """Run every check of :data:`CHECKS` (a few seconds: it draws a figure and makes a PDF)."""
    checks = []
    for name, (required, check) in CHECKS.items():
        ok, detail = check()
        checks.append(Check(name, required, ok, detail))
    return Diagnosis(tuple(checks))


__all__ = ["CHECKS", "Check", "Diagnosis", "diagnose", "__version__"]
