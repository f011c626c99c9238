"""The allowlist: an office may be allowed a deviation, but only with a written justification. Accepted
findings stay in the tables and the report, marked as accepted.

Format (TOML)::

    [[accept]]
    office = "GA-02"
    item = "rule:P3a-Y-INSTRUCTOR"      # or finding = "F-P3a-…"
    process = "P3a"                    # optional
    justification = "Online-Belehrung durch beauftragten Dienstleister (Kreistagsbeschluss 2024/117)."
    accepted_by = "Lenkungsausschuss, Sitzung 2025-11-12"
    until = "2026-12-31"               # optional
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

from pmtool.compare.bundle import Bundle, period_span
from pmtool.config_file import Settings, read_toml
from pmtool.errors import ConfigError, Location

_KEYS = {"office", "item", "finding", "process", "justification", "accepted_by", "until"}


@dataclass(frozen=True)
class Acceptance:
    office: str
    justification: str
    item: str | None = None
    finding: str | None = None
    process: str | None = None
    accepted_by: str = ""
    until: date | None = None


@dataclass(frozen=True)
class Allowlist:
    """Accepted deviations. ``today`` is the day ``until`` is checked against (use the date of the data, see
    :func:`data_day`, so results do not depend on the day they are computed); ``None``: no expiry check."""

    entries: tuple[Acceptance, ...] = ()
    today: date | None = None

    def apply(self, table: pl.DataFrame) -> pl.DataFrame:
        """Add ``accepted`` and ``justification`` columns."""
        accepted, why = [], []
        today = self.today
        for office, process, item, fid in table.select("office", "process", "item", "finding_id").iter_rows():
            hit = next((e for e in self.entries
                        if e.office == office and (e.process in (None, process))
                        and (e.item == item or e.finding == fid)
                        and (e.until is None or today is None or today <= e.until)), None)
            accepted.append(hit is not None)
            why.append(hit.justification if hit else None)
        return table.with_columns(pl.Series("accepted", accepted, dtype=pl.Boolean),
                                  pl.Series("justification", why, dtype=pl.String))


def load_allowlist(path: Path, today: date | None = None) -> Allowlist:
    where = str(path)
    raw, _ = read_toml(path, "allowlist")
    s = Settings("allowlist", where)
    for key in raw:
        if key != "accept":
            raise s.fail(key, "only [[accept]] entries")
    entries = []
    for i, e in enumerate(s.tables(raw, "accept"), 1):
        unknown = set(e) - _KEYS
        if unknown:
            raise ConfigError("allowlist.unknown_key", Location(where), key=sorted(unknown)[0], n=i)
        prefix = f"accept[{i}]."
        text = {k: s.text(e, k, None, prefix) for k in _KEYS - {"until"}}
        if not (text["justification"] or "").strip():
            raise ConfigError("allowlist.no_justification", Location(where), n=i)
        if not text["office"] or not (text["item"] or text["finding"]):
            raise ConfigError("allowlist.incomplete", Location(where), n=i)
        until = e.get("until")
        if isinstance(until, str):
            try:
                until = date.fromisoformat(until)
            except ValueError:
                raise ConfigError("allowlist.bad_date", Location(where), n=i) from None
        if until is not None and (not isinstance(until, date) or isinstance(until, datetime)):
            raise ConfigError("allowlist.bad_date", Location(where), n=i)
        entries.append(Acceptance(office=text["office"], justification=text["justification"].strip(),
                                  item=text["item"], finding=text["finding"], process=text["process"],
                                  accepted_by=text["accepted_by"] or "", until=until))
    return Allowlist(tuple(entries), today)


def data_day(bundles: Sequence[Bundle], as_of: datetime | None = None) -> date | None:
    """The day an analysis speaks for: ``as_of`` if given, else the last day of the month of the last event
    in the bundles (a bundle holds months, no event's time)."""
    if as_of is not None:
        return as_of.date()
    ends = [span[1] for b in bundles if (span := period_span(b.quality)) is not None]
    return (max(ends) - timedelta(microseconds=1)).date() if ends else None
