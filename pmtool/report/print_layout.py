"""Where a picture goes on an A4 page, and at which size, so that its smallest text prints at 7 pt or more.

The report is A4 only: portrait, and landscape where a picture gains width. A picture is placed at an
explicit width (never "fit to the box"), so the size of every text on paper is known before Typst lays
out the page: ``min_text_pt(svg) × width / natural width``. :func:`place` picks the orientation and width;
a picture that cannot be placed with readable text anywhere on A4 (:attr:`Placement.readable` false)
must be replaced in print by its relevant part (:mod:`pmtool.report.map_parts`).

>>> svg = (b'<svg xmlns="http://www.w3.org/2000/svg" width="400pt" height="300pt" viewBox="0 0 400 300">'
...        b'<text font-size="10">A</text></svg>')
>>> p = place(svg, "sheet"); (p.landscape, p.width, p.min_text_pt)
(False, 400.0, 10.0)
"""

from __future__ import annotations

from dataclasses import dataclass

from pmtool.report.svg_text import MIN_PRINT_PT, min_text_pt, natural_size

#: Room for a picture (points) within the template's margins, after its heading, legend and notes:
#: a page of its own, portrait and landscape, and in the text flow (text width, at most 215 mm high).
SHEET_PORTRAIT = (510.0, 560.0)
SHEET_LANDSCAPE = (757.0, 320.0)
FLOW = (510.0, 600.0)
#: A picture on a page of its own is not drawn larger than its natural size (its text would grow
#: beyond the report's); charts in the text flow take the text width.
MAX_SHEET_SCALE = 1.0
MAX_FLOW_SCALE = 1.25
#: A picture turns the page only when it gets this much larger on a landscape page.
LANDSCAPE_GAIN = 1.15


@dataclass(frozen=True)
class Placement:
    """``width`` and ``height`` on paper (points), ``landscape`` page or not, and the smallest text size
    there (``None`` for a picture without text)."""

    landscape: bool
    width: float
    height: float
    min_text_pt: float | None

    @property
    def readable(self) -> bool:
        return self.min_text_pt is None or self.min_text_pt >= MIN_PRINT_PT - 1e-6


def place(svg: bytes, kind: str) -> Placement:
    """The placement of ``svg`` as a ``sheet`` (a page of its own, portrait or landscape) or in the text
    ``flow`` (portrait text width)."""
    width, height = natural_size(svg)
    smallest = min_text_pt(svg)
    if width <= 0 or height <= 0:
        return Placement(False, 0.0, 0.0, smallest)
    if kind == "flow":
        scale = min(FLOW[0] / width, FLOW[1] / height, MAX_FLOW_SCALE)
        return _placement(False, width, height, scale, smallest)
    portrait = min(SHEET_PORTRAIT[0] / width, SHEET_PORTRAIT[1] / height, MAX_SHEET_SCALE)
    across = min(SHEET_LANDSCAPE[0] / width, SHEET_LANDSCAPE[1] / height, MAX_SHEET_SCALE)
    if across > portrait * LANDSCAPE_GAIN:
        return _placement(True, width, height, across, smallest)
    return _placement(False, width, height, portrait, smallest)


def fits(svg: bytes, kind: str = "sheet") -> bool:
    """Whether ``svg`` can be printed on A4 (as ``kind``) with every text at 7 pt or more."""
    return place(svg, kind).readable


def _placement(landscape: bool, width: float, height: float, scale: float, smallest: float | None) -> Placement:
    return Placement(landscape, round(width * scale, 2), round(height * scale, 2),
                     None if smallest is None else smallest * scale)
