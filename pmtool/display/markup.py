"""The HTML building blocks of pmtool's notebook views: escaped text, tables whose count cells obey the
privacy threshold, fact lists, pictures as data URIs.

Every text that reaches the HTML passes through :func:`esc`. Count cells are made by :func:`count_cell`
only: it writes "·" for a count from 1 to ``k`` − 1 (or one hidden by secondary suppression) and marks the
cell ``pm-n``, so a test can find every count a view shows. Ranks get ``pm-rank``, so a small rank is
never mistaken for a count.

>>> View("de", 5).count(3), View("de", 5).count(1234)
('<td class="pm-n">·</td>', '<td class="pm-n">1.234</td>')
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pmtool.formatting import format_number
from pmtool.i18n import t
from pmtool.report import numbers
from pmtool.report.suppression import SUPPRESSED, is_small

STYLE = (
    "<style>.pmtool{font-family:'DejaVu Sans',sans-serif;font-size:13px;max-width:1100px}"
    ".pmtool h3{margin:.6em 0 .2em}.pmtool h4{margin:.8em 0 .2em}"
    ".pmtool table{border-collapse:collapse;margin:.2em 0 .6em}"
    ".pmtool th,.pmtool td{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}"
    ".pmtool td.pm-n,.pmtool td.pm-x,.pmtool td.pm-c,.pmtool td.pm-rank{text-align:right;"
    "font-variant-numeric:tabular-nums}"
    ".pmtool .pm-note{color:#595959;font-size:92%;margin:.1em 0}"
    ".pmtool .pm-warn{color:#a50f15;font-weight:bold}"
    ".pmtool figure{margin:.4em 0}.pmtool figure img{max-width:100%}"
    ".pmtool .pm-finding{font-weight:bold;outline:2px solid #222}</style>"
)


def esc(text: object) -> str:
    """``text`` escaped for HTML (quotes too, so it is safe inside attributes)."""
    return html.escape(str(text), quote=True)


@dataclass(frozen=True)
class View:
    """How to show things: ``lang`` (de, en) and the privacy threshold ``k`` (counts below it are "·")."""

    lang: str
    k: int

    def count(self, value: int | None, *, hidden: bool = False) -> str:
        """A count cell: "·" when ``hidden`` or the count is from 1 to k − 1."""
        if value is None or hidden or is_small(int(value), self.k):
            return '<td class="pm-n">' + SUPPRESSED + "</td>"
        return f'<td class="pm-n">{esc(format_number(int(value), self.lang))}</td>'

    def number(self, text: str, *, hidden: bool = False) -> str:
        """A value that is not a count (a rate, a mean, a duration), hidden when it would reveal one."""
        return f'<td class="pm-x">{SUPPRESSED if hidden else esc(text)}</td>'

    def rate(self, value: float | None, *, hidden: bool = False) -> str:
        return self.number(numbers.rate(value, self.lang), hidden=hidden)

    def decimal(self, value: float | None, places: int = 3, *, hidden: bool = False) -> str:
        return self.number(numbers.decimal(value, self.lang, places), hidden=hidden)

    def suppressed_note(self) -> str:
        return note(t("report.suppressed_note", self.lang, k=self.k))


def cell(text: object, *, css: str = "") -> str:
    """A text cell."""
    return f'<td class="{esc(css)}">{esc(text)}</td>' if css else f"<td>{esc(text)}</td>"


def rank_cell(rank: int | None) -> str:
    return f'<td class="pm-rank">{esc(rank if rank is not None else "—")}</td>'


def table(head: Sequence[str], rows: Iterable[tuple[str, Sequence[str]] | Sequence[str]], *,
          caption: str | None = None, foot: Sequence[tuple[str, Sequence[str]]] = ()) -> str:
    """A table: ``head`` texts, rows of cell HTML (from the cell functions above), optionally led by a row
    header text (a ``(header, cells)`` pair), and footer rows (totals) of the same shape."""
    out = ['<table class="pm-table">']
    if caption:
        out.append(f"<caption>{esc(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr></thead><tbody>")
    out.extend(_row(row) for row in rows)
    out.append("</tbody>")
    if foot:
        out.append("<tfoot>" + "".join(_row(row) for row in foot) + "</tfoot>")
    out.append("</table>")
    return "".join(out)


def _row(row: tuple[str, Sequence[str]] | Sequence[str]) -> str:
    if isinstance(row, tuple) and len(row) == 2 and isinstance(row[0], str) and not isinstance(row[1], str):
        return f'<tr><th scope="row">{esc(row[0])}</th>' + "".join(row[1]) + "</tr>"
    return "<tr>" + "".join(row) + "</tr>"  # type: ignore[arg-type]


def facts(pairs: Iterable[tuple[str, str]]) -> str:
    """A two-column list of facts: (label, cell HTML)."""
    return '<table class="pm-facts"><tbody>' + "".join(
        f'<tr><th scope="row">{esc(label)}</th>{value}</tr>' for label, value in pairs) + "</tbody></table>"


def heading(text: str, level: int = 3) -> str:
    return f"<h{level}>{esc(text)}</h{level}>"


def note(text: str, *, warn: bool = False) -> str:
    return f'<p class="{"pm-note pm-warn" if warn else "pm-note"}">{esc(text)}</p>'


def page(*parts: str) -> str:
    """The parts in one block with pmtool's small style sheet."""
    return STYLE + '<div class="pmtool">' + "".join(parts) + "</div>"


def svg_text(svg: bytes) -> str:
    """The ``<svg>`` element alone: without the XML declaration, the DOCTYPE line (it names an external DTD)
    and Graphviz's comments before it."""
    start = svg.find(b"<svg")
    return svg[start if start >= 0 else 0:].decode("utf-8")


def figure(svg: bytes, *, alt: str, caption: str = "", legend: Sequence[tuple[str, str]] = ()) -> str:
    """The picture as an image (a data URI: the SVG cannot run anything in the notebook) with its caption."""
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg_text(svg).encode("utf-8")).decode("ascii")
    swatches = "".join(f'<span style="display:inline-block;width:14px;height:10px;background:{esc(colour)};'
                       f'border:1px solid #999;margin:0 4px 0 10px"></span>{esc(label)}' for colour, label in legend)
    parts = [f'<figure><img src="{uri}" alt="{esc(alt)}">']
    if caption or swatches:
        parts.append(f'<figcaption class="pm-note">{esc(caption)}{"<br>" + swatches if swatches else ""}'
                     "</figcaption>")
    parts.append("</figure>")
    return "".join(parts)
