"""How large the text of an SVG picture is, and at which scale it may be printed.

The report's pictures come from two programs that write text differently: Graphviz writes ``<text
font-size="12.00">`` elements, matplotlib (``svg.fonttype = path``) draws every glyph as a ``<use>`` of a
glyph path scaled by ``font size / 100``. :func:`text_sizes` reads both, follows every ``transform`` from
the root down, and converts user units into points with the root's ``width`` and ``viewBox``, so the
result is the size each text has when the picture is shown at its natural size.

A picture placed at ``scale`` (placed width / natural width) prints its smallest text at
``min(text_sizes(svg)) × scale``; :func:`max_width_for` and :func:`min_scale` answer the other way round.

>>> svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="200pt" height="100pt" viewBox="0 0 200 100">' \\
...       b'<g transform="scale(0.5)"><text font-size="14">A</text></g></svg>'
>>> natural_size(svg), text_sizes(svg)
((200.0, 100.0), [7.0])
"""

from __future__ import annotations

import math
import re

from lxml import etree

from pmtool.errors import RenderError
from pmtool.models.xml import parse_xml_safely

#: The smallest text size, in points, that any picture may have where it is printed.
MIN_PRINT_PT = 7.0
#: matplotlib's glyph paths are drawn for a font size of 100 (``matplotlib.textpath.FONT_SCALE``).
GLYPH_SCALE = 100.0

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_TRANSFORM = re.compile(r"(matrix|translate|scale|rotate|skewX|skewY)\s*\(([^)]*)\)")
_LENGTH = re.compile(rf"^\s*({_NUMBER})\s*(pt|px|in|mm|cm)?\s*$")
_UNIT_PT = {"pt": 1.0, None: 0.75, "px": 0.75, "in": 72.0, "mm": 72.0 / 25.4, "cm": 72.0 / 2.54}
_FONT_SIZE = re.compile(rf"font-size\s*:\s*({_NUMBER})\s*(pt|px)?")
_FONT_SHORTHAND = re.compile(rf"font\s*:[^;]*?({_NUMBER})\s*(pt|px)")
_SVG = "{http://www.w3.org/2000/svg}"
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"

Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def natural_size(svg: bytes) -> tuple[float, float]:
    """Width and height of the picture in points (from the root's ``width`` and ``height``; without
    them, from the ``viewBox`` taken as points)."""
    root = _root(svg)
    width, height = _length(root.get("width")), _length(root.get("height"))
    box = _view_box(root)
    if width is None or height is None:
        if box is None:
            return (0.0, 0.0)
        return (box[2], box[3])
    return (width, height)


def text_sizes(svg: bytes) -> list[float]:
    """The size in points of every text of the picture at its natural size (one entry per text element or
    glyph run), in document order."""
    root = _root(svg)
    width, _ = natural_size(svg)
    box = _view_box(root)
    unit = width / box[2] if box is not None and box[2] > 0 and width > 0 else 1.0
    sizes: list[float] = []
    _walk(root, _IDENTITY, unit, sizes, inherited=None)
    return sizes


def min_text_pt(svg: bytes) -> float | None:
    """The smallest text size of the picture in points at its natural size; ``None`` without text."""
    sizes = text_sizes(svg)
    return min(sizes) if sizes else None


def min_scale(svg: bytes, min_pt: float = MIN_PRINT_PT) -> float:
    """The smallest scale at which every text of the picture prints at ``min_pt`` or more (0 without
    text: any scale will do)."""
    smallest = min_text_pt(svg)
    return min_pt / smallest if smallest else 0.0


def max_width_for(svg: bytes, min_pt: float = MIN_PRINT_PT) -> float:
    """The placed width at which the smallest text is exactly ``min_pt``: any narrower placement makes it
    too small to read."""
    return natural_size(svg)[0] * min_scale(svg, min_pt)


def _root(svg: bytes) -> etree._Element:
    start = svg.find(b"<svg")
    return parse_xml_safely(svg[start:] if start > 0 else svg, "<svg>", RenderError)


def _length(value: str | None) -> float | None:
    match = _LENGTH.match(value or "")
    if not match:
        return None
    return float(match.group(1)) * _UNIT_PT[match.group(2)]


def _view_box(root: etree._Element) -> tuple[float, float, float, float] | None:
    parts = re.findall(_NUMBER, root.get("viewBox") or "")
    if len(parts) != 4:
        return None
    x, y, w, h = (float(p) for p in parts)
    return (x, y, w, h)


def _walk(el: etree._Element, matrix: Matrix, unit: float, sizes: list[float], inherited: float | None) -> None:
    if not isinstance(el.tag, str):
        return
    matrix = _multiply(matrix, _parse_transform(el.get("transform") or ""))
    if el.tag == f"{_SVG}defs":
        return  # glyph definitions are drawn where they are used
    own = _font_size(el)
    size = own if own is not None else inherited
    scale = math.sqrt(abs(matrix[0] * matrix[3] - matrix[1] * matrix[2]))
    if el.tag == f"{_SVG}text":
        if size is not None and "".join(el.itertext()).strip():
            sizes.append(size * scale * unit)
        return
    if el.tag == f"{_SVG}use" and (el.get(_XLINK_HREF) or el.get("href") or "").startswith("#DejaVu"):
        sizes.append(GLYPH_SCALE * scale * unit)
        return
    for child in el:
        _walk(child, matrix, unit, sizes, size)


def _font_size(el: etree._Element) -> float | None:
    value = el.get("font-size")
    if value:
        length = _length(value)
        # Graphviz and most writers give font sizes in user units (no unit): the same as a plain number
        match = _LENGTH.match(value)
        if match and match.group(2) in (None, "px"):
            return float(match.group(1))
        return length
    style = el.get("style") or ""
    match = _FONT_SIZE.search(style) or _FONT_SHORTHAND.search(style)
    return float(match.group(1)) if match else None


def _parse_transform(text: str) -> Matrix:
    matrix = _IDENTITY
    for name, args in _TRANSFORM.findall(text):
        values = [float(v) for v in re.findall(_NUMBER, args)]
        matrix = _multiply(matrix, _one(name, values))
    return matrix


def _one(name: str, v: list[float]) -> Matrix:
    if name == "matrix" and len(v) == 6:
        return (v[0], v[1], v[2], v[3], v[4], v[5])
    if name == "translate":
        return (1.0, 0.0, 0.0, 1.0, v[0] if v else 0.0, v[1] if len(v) > 1 else 0.0)
    if name == "scale":
        sx = v[0] if v else 1.0
        return (sx, 0.0, 0.0, v[1] if len(v) > 1 else sx, 0.0, 0.0)
    if name == "rotate" and v:
        a = math.radians(v[0])
        rot = (math.cos(a), math.sin(a), -math.sin(a), math.cos(a), 0.0, 0.0)
        if len(v) == 3:
            return _multiply(_multiply((1.0, 0.0, 0.0, 1.0, v[1], v[2]), rot), (1.0, 0.0, 0.0, 1.0, -v[1], -v[2]))
        return rot
    if name == "skewX" and v:
        return (1.0, 0.0, math.tan(math.radians(v[0])), 1.0, 0.0, 0.0)
    if name == "skewY" and v:
        return (1.0, math.tan(math.radians(v[0])), 0.0, 1.0, 0.0, 0.0)
    return _IDENTITY


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    """``m`` then ``n`` applied inside it (SVG order: the parent's matrix times the child's)."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + c * b2, b * a2 + d * b2, a * c2 + c * d2, b * c2 + d * d2, a * e2 + c * f2 + e,
            b * e2 + d * f2 + f)
