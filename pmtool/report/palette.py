"""Fixed colours, hatchings and markers per office, and the sequential scale for rates.

An office keeps its colour in every chart of every report (keyed by its id, not by its position), so a
reader who has found GA-07 once finds it again. Colour alone does not carry the meaning: every office row
is labelled, and hatchings and markers differ as well, so the charts survive grey printing. Rates use one
sequential scale whose lightness falls monotonically, so "darker = more" also holds in grey.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

# Paul Tol's "muted" and "dark" qualitative schemes: distinguishable for colour-blind readers.
_COLOURS = ("#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255",
            "#AA4499", "#4477AA", "#228833", "#CCBB44", "#EE6677", "#66CCEE")
# line hatchings only: dotted and circled patterns make SVG files ten times larger
_HATCHES = ("", "///", "\\\\\\", "xxx", "---", "|||", "+++", "//", "\\\\", "xx", "--", "||", "++", "/-")
_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "<", ">", "p", "h", "*", "d", "8")


@dataclass(frozen=True)
class OfficeStyle:
    colour: str
    hatch: str
    marker: str


def office_index(office: str) -> int:
    """GA-01 … GA-13 → 0 … 12, LUA → 13; other ids get a stable position from their hash."""
    if office == "LUA":
        return 13
    if office.startswith("GA-") and office[3:].isdigit() and 1 <= int(office[3:]) <= 13:
        return int(office[3:]) - 1
    return int(hashlib.sha256(office.encode()).hexdigest(), 16) % len(_COLOURS)


def office_style(office: str) -> OfficeStyle:
    i = office_index(office)
    return OfficeStyle(_COLOURS[i], _HATCHES[i], _MARKERS[i])


#: Rate classes (upper bounds) for heat maps and the Soll overlay; the last class is open-ended.
RATE_BOUNDS: tuple[float, ...] = (0.01, 0.02, 0.05, 0.10, 0.20, 1.0)
#: ColorBrewer "PuRd"-like sequential scale, light to dark (monotone lightness, readable in grey).
RATE_COLOURS: tuple[str, ...] = ("#f7f4f9", "#e7e1ef", "#d4b9da", "#c994c7", "#df65b0", "#ce1256")
#: Text colour that stays readable on each class (contrast ≥ 4.5:1).
RATE_TEXT: tuple[str, ...] = ("#1a1a1a", "#1a1a1a", "#1a1a1a", "#1a1a1a", "#1a1a1a", "#ffffff")


#: Finer classes for the Soll overlay: rates pooled over all offices are small where few offices deviate.
OVERLAY_BOUNDS: tuple[float, ...] = (0.005, 0.01, 0.02, 0.03, 0.05, 1.0)
#: The overlay's own scale (ColorBrewer "Oranges"-like, monotone lightness): its classes have other bounds
#: than the heat map's, so the same colour never stands for two different thresholds.
OVERLAY_COLOURS: tuple[str, ...] = ("#fff5eb", "#fee6ce", "#fdd0a2", "#fdae6b", "#f16913", "#a63603")
OVERLAY_TEXT: tuple[str, ...] = ("#1a1a1a", "#1a1a1a", "#1a1a1a", "#1a1a1a", "#1a1a1a", "#ffffff")


def rate_class(rate: float | None, bounds: tuple[float, ...] = RATE_BOUNDS) -> int | None:
    """The class 0 … 5 of a rate (``None``: no value) for the class upper ``bounds``."""
    if rate is None:
        return None
    for i, upper in enumerate(bounds):
        if rate < upper or i == len(bounds) - 1:
            return i
    return len(bounds) - 1
