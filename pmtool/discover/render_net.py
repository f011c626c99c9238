"""A Petri net (Soll or Ist) as a figure: activities as labelled boxes, silent transitions as small black
bars, places as circles (● initial marking, double circle final marking), left to right.

Nodes are listed in the order a token would reach them (breadth-first from the initial marking, ties by
id), so the same net always gives the same DOT source and the same SVG, and ``dot`` starts from an order
that follows the flow.
"""

from __future__ import annotations

from collections import deque

from pmtool.discover.render import MUTED, NODE_FILL, NODE_LINE, TEXT
from pmtool.graphviz import FONT, attributes, html, html_label, run_dot, wrap
from pmtool.i18n import language, t
from pmtool.models.petri import PetriNet

LABEL_WIDTH = 20


def flow_order(net: PetriNet) -> list[str]:
    """Places and transitions breadth-first from the initially marked places (ties by id); nodes not
    reachable that way follow, sorted by id."""
    successors: dict[str, list[str]] = {}
    for src, dst, _ in net.arcs:
        successors.setdefault(src, []).append(dst)
    seen: dict[str, None] = {}
    queue = deque(sorted(p for p, _ in net.initial))
    while queue:
        node = queue.popleft()
        if node in seen:
            continue
        seen[node] = None
        queue.extend(sorted(n for n in successors.get(node, ()) if n not in seen))
    rest = sorted({*net.places, *(tr.id for tr in net.transitions)} - set(seen))
    return [*seen, *rest]


def net_to_dot(net: PetriNet, *, title: str, subtitle: str = "", lang: str | None = None) -> str:
    """The DOT source of the net's figure (deterministic for a given net)."""
    lang = lang or language()
    order = flow_order(net)
    ids = {node: f"n{i}" for i, node in enumerate(order)}
    places = set(net.places)
    initial = dict(net.initial)
    final = dict(net.final)
    labels = {tr.id: tr.label for tr in net.transitions}
    header = [_row(title, 20, bold=True)]
    if subtitle:
        header.append(_row(subtitle, 12, MUTED))
    header.append(_row(t("render.net_legend", lang), 10, MUTED))
    lines = [
        "digraph net {",
        "  graph " + attributes({
            "rankdir": "LR", "fontname": FONT, "bgcolor": "white", "pad": "0.3", "nodesep": "0.25",
            "ranksep": "0.35", "labelloc": "t", "labeljust": "l",
            "label": html_label('<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" CELLPADDING="2">'
                                + "".join(header) + "</TABLE>")}) + ";",
        "  node " + attributes({"fontname": FONT, "fontsize": 11, "fontcolor": TEXT, "color": NODE_LINE,
                                "penwidth": 1.2}) + ";",
        "  edge " + attributes({"color": "#555555", "arrowsize": 0.6, "penwidth": 1.0}) + ";",
    ]
    for node in order:
        if node in places:
            attrs = _place(initial.get(node, 0), node in final)
        else:
            attrs = _transition(node, labels[node])
        lines.append(f"  {ids[node]} " + attributes(attrs) + ";")
    position = {node: i for i, node in enumerate(order)}
    for src, dst, weight in sorted(net.arcs, key=lambda a: (position[a[0]], position[a[1]], a[2])):
        extra = {"label": str(weight), "fontname": FONT, "fontsize": 9} if weight != 1 else {}
        lines.append(f"  {ids[src]} -> {ids[dst]}" + (" " + attributes(extra) if extra else "") + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_net(net: PetriNet, *, title: str, subtitle: str = "", fmt: str = "svg",
               lang: str | None = None) -> bytes:
    """The net's figure as ``fmt`` (``svg`` or ``png``) bytes; :class:`RenderError` without Graphviz."""
    return run_dot(net_to_dot(net, title=title, subtitle=subtitle, lang=lang), fmt)


def _row(text: str, size: int, colour: str = TEXT, bold: bool = False) -> str:
    body = f"<B>{html(text)}</B>" if bold else html(text)
    return f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="{size}" COLOR="{colour}">{body}</FONT></TD></TR>'


def _place(tokens: int, final: bool) -> dict[str, str | float | int]:
    attrs: dict[str, str | float | int] = {
        "shape": "doublecircle" if final else "circle", "label": "", "width": 0.28, "fixedsize": "true",
        "style": "filled", "fillcolor": "white"}
    if tokens:
        attrs["label"] = "●" if tokens == 1 else str(tokens)
        attrs["fontsize"] = 12 if tokens == 1 else 9
    return attrs


def _transition(node: str, label: str | None) -> dict[str, str | float | int]:
    if label is None:
        return {"shape": "box", "style": "filled", "fillcolor": "black", "color": "black", "label": "",
                "width": 0.08, "height": 0.34, "fixedsize": "true"}
    text = "<BR/>".join(html(line) for line in wrap(label, LABEL_WIDTH))
    return {"shape": "box", "style": "rounded,filled", "fillcolor": NODE_FILL, "margin": "0.12,0.06",
            "label": html_label(text)}
