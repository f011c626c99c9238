"""Office ids and which source names an export's office.

An office id is any short code of letters, digits, ``-`` and ``_`` that does not start with ``-``:
``GA-07``, ``LUA``, ``Leipzig-Land``, ``HO-1``, ``Amt_7``. A display name for reports and tables is set in
the project file (``[[offices]] name``).

Several places can name the office of an export. The first that does wins (:data:`PRECEDENCE`):

1. ``--office`` on the command line, or the project file for ``pmtool run`` (``[[offices]] id``, or the
   file name ``<office>_<process>.<ext>`` under ``[sources] folder``);
2. the mapping profile's ``office``;
3. the data itself (a canonical Parquet log holding one office);
4. an office code ``GA-NN`` or ``LUA`` in the export's file name.

When two of them name different offices, the export is imported under the winner and the disagreement is
recorded in the summary and printed.

>>> choose_office({"flag": "GA-07", "profile": "GA-08"})
OfficeChoice(office='GA-07', source='flag', disagreements=(('profile', 'GA-08'),))
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pmtool.errors import ConfigError, Location

#: Letters (any script), digits, ``-`` and ``_``; not starting with ``-``; at most 64 characters.
OFFICE_ID = re.compile(r"^(?!-)[\w-]{1,64}$")
#: Sources of an export's office, strongest first.
PRECEDENCE = ("flag", "project", "profile", "data", "file_name")
_CODE_IN_NAME = re.compile(r"(?<![A-Za-z0-9])(GA-\d{2}|LUA)(?![A-Za-z0-9])", re.IGNORECASE)


def is_office_id(value: object) -> bool:
    """Whether ``value`` is a valid office id.

    >>> [is_office_id(v) for v in ("Leipzig-Land", "HO-1", "Amt_7", "GA 07", "-x", "")]
    [True, True, True, False, False, False]
    """
    return isinstance(value, str) and OFFICE_ID.match(value) is not None


def check_office_id(value: object, *, where: str, key: str) -> str:
    """``value`` if it is a valid office id, else :class:`ConfigError` naming ``key`` in ``where``."""
    if not is_office_id(value):
        raise ConfigError("office.bad_id", Location(where), key=key, value=str(value))
    return value  # type: ignore[return-value]


def office_in_file_name(path: Path) -> str | None:
    """The office code ``GA-NN`` or ``LUA`` in a file name (upper case), if there is one."""
    match = _CODE_IN_NAME.search(path.name)
    return match.group(1).upper() if match else None


@dataclass(frozen=True)
class OfficeChoice:
    """The office an export is imported under, which source named it, and every other source that named a
    different office (source, value)."""

    office: str
    source: str
    disagreements: tuple[tuple[str, str], ...] = ()


def choose_office(named: dict[str, str | None]) -> OfficeChoice | None:
    """The strongest source in ``named`` (source → office, see :data:`PRECEDENCE`) with the sources that
    disagree with it; ``None`` if no source names an office."""
    present = [(s, named[s]) for s in PRECEDENCE if named.get(s)]
    if not present:
        return None
    source, office = present[0]
    return OfficeChoice(office, source, tuple((s, v) for s, v in present[1:] if v != office))  # type: ignore[arg-type]
