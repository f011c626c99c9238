"""Pictures for the notebook: the process map of an office (privacy-filtered directly-follows graph), the
Soll model with or without the deviations overlaid, and an Ist model as a Petri net.

They are drawn by the same renderers as ``pmtool discover`` and the report, and follow the report's privacy
rules: a process map leaves out every activity and transition of fewer than ``k`` cases and is refused for
fewer than ``k`` cases in all; an overlay shows no deviation share that fewer than ``k`` cases make up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pmtool.discover.dfg import DirectlyFollowsGraph
from pmtool.display.markup import esc, figure, page, svg_text
from pmtool.errors import Location, PrivacyError
from pmtool.i18n import t
from pmtool.models.petri import PetriNet
from pmtool.models.reference import ReferenceModel
from pmtool.report.models import ActivityOverlay


@dataclass(frozen=True)
class Picture:
    """A figure as SVG with its title and caption; shows itself in Jupyter.

    ``svg`` holds the bytes (``Path("map.svg").write_bytes(picture.svg)`` saves it); ``legend`` lists
    (colour, meaning) pairs that the caption explains."""

    svg: bytes
    title: str
    caption: str = ""
    legend: tuple[tuple[str, str], ...] = ()

    def _repr_svg_(self) -> str:
        return svg_text(self.svg)

    def _repr_html_(self) -> str:
        return page(f"<h4>{esc(self.title)}</h4>",
                    figure(self.svg, alt=self.title, caption=self.caption, legend=self.legend))


def map_picture(dfg: DirectlyFollowsGraph, *, title: str, k: int, lang: str) -> Picture:
    """The process map of ``dfg`` without activities and transitions of fewer than ``k`` cases.

    Raises :class:`PrivacyError` when the graph has fewer than ``k`` cases."""
    from pmtool.discover.render import render_dfg
    from pmtool.report.models import private_dfg

    shown = private_dfg(dfg, k)
    if shown is None:
        raise PrivacyError("display.too_few_cases", Location(), k=k)
    return Picture(render_dfg(shown, title=title, fmt="svg", lang=lang), title,
                   t("display.map_caption", lang, k=k))


def soll_picture(reference: ReferenceModel, *, lang: str, title: str | None = None,
                 overlay: Mapping[str, ActivityOverlay] | None = None) -> Picture:
    """The Soll model, from its BPMN file where there is one (else from the Petri net), optionally with the
    deviation shares ``overlay`` per activity."""
    from pmtool.report.bpmn_view import read_process_view
    from pmtool.report.models import overlay_legend, soll_figure

    view = read_process_view(reference.path, reference.sha256) if reference.path else None
    if title is None:
        key = "report.overlay.title" if overlay is not None else "report.soll.title"
        title = t(key, lang, name=reference.name)
    svg = soll_figure(view, reference.net, title=title, lang=lang, overlay=overlay)
    if overlay is None:
        return Picture(svg, title, t("report.soll.legend", lang))
    return Picture(svg, title, t("report.overlay.legend", lang), overlay_legend(lang))


def net_picture(net: PetriNet, *, title: str, subtitle: str, lang: str) -> Picture:
    """A Petri net (an Ist model) left to right."""
    from pmtool.discover.render_net import render_net

    return Picture(render_net(net, title=title, subtitle=subtitle, fmt="svg", lang=lang), title, subtitle)
