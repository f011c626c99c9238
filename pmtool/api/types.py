"""Result types the public API adds: the discoveries of a log, and a table of findings.

Both are frozen and show themselves in Jupyter like every other result (see :mod:`pmtool.display`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

    from pmtool.discover.discovery import Discovery


@dataclass(frozen=True)
class Discoveries:
    """What `discover_process` found: one `Discovery` per office and process, sorted by office, then
    process. Iterate over it, index it by position, or pick one with `get`."""

    items: tuple[Discovery, ...]

    def __iter__(self) -> Iterator[Discovery]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> Discovery:
        return self.items[index]

    def get(self, office: str, process: str | None = None) -> Discovery:
        """The discovery of ``office`` (and ``process``, needed when the office has several).

        Raises ``KeyError`` naming what there is when nothing or more than one matches."""
        found = [d for d in self.items if d.scope.office == office and process in (None, d.scope.process)]
        if len(found) != 1:
            there = ", ".join(f"{d.scope.office}/{d.scope.process}" for d in self.items)
            raise KeyError(f"{office}/{process or '*'}: {len(found)} matches among {there}")
        return found[0]

    def _repr_html_(self) -> str:
        from pmtool.display import html_of

        return html_of(self)


@dataclass(frozen=True)
class Findings:
    """Ranked critical differences between offices, with their statement in German and English, the best
    practice and whether they are accepted. ``frame`` holds one row per finding (the ``findings`` table of
    ``pmtool compare``)."""

    frame: pl.DataFrame

    @property
    def open(self) -> pl.DataFrame:
        """The findings that are not accepted."""
        import polars as pl

        return self.frame.filter(~pl.col("accepted")) if self.frame.height else self.frame

    def __len__(self) -> int:
        return self.frame.height

    def _repr_html_(self) -> str:
        from pmtool.display import html_of

        return html_of(self)
