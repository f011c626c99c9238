"""Large process maps in print: the relevant part, or the whole map in parts, each readable on A4.

A Soll model of 30 tasks drawn top to bottom is more than a metre long at readable text size. The HTML
shows the whole picture (it scales on screen); the PDFs print

- :func:`soll_excerpt`: the tasks around the findings — the focus tasks and their neighbours in the flow,
  as many of the highest-scoring findings as fit on one A4 page with text of 7 pt or more;
- :func:`soll_parts`: the whole flow cut into consecutive parts (by the rank of each node from the
  start), each on a page of its own, with "⋯" boxes where the flow continues in the next part;
- :func:`dfg_for_print`: a directly-follows graph narrowed until it fits — to the activities around a
  finding (``focus``) or to the most frequent activities — the caption then says how much is hidden.

Each function gets a ``draw`` callable (the subset to draw → SVG bytes), so it works for the Soll, the
overlay and the Ist maps alike, and tries the largest readable part first.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace

import polars as pl

from pmtool.discover.dfg import END, START, DirectlyFollowsGraph
from pmtool.report.bpmn_view import ProcessView
from pmtool.report.models import EXTRA
from pmtool.report.print_layout import fits

DrawPart = Callable[[frozenset[str]], bytes]
#: At most this many parts of one process map in the annex (a longer flow is cut into larger, still
#: readable parts only if they fit; else the last part holds the rest and says so).
MAX_PARTS = 12


def flow_ranks(view: ProcessView) -> dict[str, int]:
    """The rank of every flow node: the longest path from a start node, back edges (loops) left out."""
    succ: dict[str, list[str]] = {}
    indegree: dict[str, int] = {n.id: 0 for n in view.nodes}
    for src, dst, _ in _forward_flows(view):
        succ.setdefault(src, []).append(dst)
        indegree[dst] = indegree.get(dst, 0) + 1
    rank = {n.id: 0 for n in view.nodes}
    queue = deque(n for n, d in indegree.items() if d == 0)
    while queue:
        node = queue.popleft()
        for nxt in succ.get(node, ()):
            rank[nxt] = max(rank[nxt], rank[node] + 1)
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                queue.append(nxt)
    return rank


def _forward_flows(view: ProcessView) -> list[tuple[str, str, str]]:
    """The flows without the back edges a depth-first walk from the start nodes finds."""
    succ: dict[str, list[str]] = {}
    for src, dst, _ in view.flows:
        succ.setdefault(src, []).append(dst)
    starts = [n.id for n in view.nodes if n.kind == "start"] or [n.id for n in view.nodes[:1]]
    back: set[tuple[str, str]] = set()
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    for root in [*starts, *(n.id for n in view.nodes)]:
        if root in state:
            continue
        stack = [(root, iter(succ.get(root, ())))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                back.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(succ.get(child, ()))))
    return [f for f in view.flows if (f[0], f[1]) not in back]


def neighbourhood(view: ProcessView, focus: Sequence[str], radius: int) -> frozenset[str]:
    """The flow nodes within ``radius`` tasks of the tasks named in ``focus`` (either direction) and the
    gateways and events right next to them (a step to a task costs 1, to a gateway or event ½), and
    ``extra:<name>`` for a focus activity the Soll does not have."""
    links: dict[str, set[str]] = {}
    for src, dst, _ in view.flows:
        links.setdefault(src, set()).add(dst)
        links.setdefault(dst, set()).add(src)
    kind = {n.id: n.kind for n in view.nodes}
    start = [n.id for n in view.nodes if n.kind == "task" and n.name in set(focus)]
    limit = radius + 0.5
    cost = dict.fromkeys(start, 0.0)
    queue = [(0.0, node) for node in start]
    heapq.heapify(queue)
    while queue:
        here, node = heapq.heappop(queue)
        if here > cost.get(node, limit + 1):
            continue
        for nxt in sorted(links.get(node, ())):
            step = here + (1.0 if kind.get(nxt) == "task" else 0.5)
            if step <= limit and step < cost.get(nxt, limit + 1):
                cost[nxt] = step
                heapq.heappush(queue, (step, nxt))
    names = {n.name for n in view.nodes}
    return frozenset(cost) | {EXTRA + a for a in focus if a not in names}


#: At most this many excerpts of one process map in the report (one page each).
MAX_EXCERPTS = 3


def soll_excerpts(view: ProcessView, focus_groups: Sequence[Sequence[str]],
                  draw: DrawPart) -> list[tuple[bytes, tuple[int, ...]]]:
    """Readable excerpts around the findings, highest score first: each excerpt takes the next finding's
    tasks and keeps adding the following findings' tasks while the picture still fits on one A4 page
    (neighbours within one task where that fits, else the tasks alone). Returns up to
    :data:`MAX_EXCERPTS` pictures with the (0-based) numbers of the findings each one shows."""
    groups = [list(g) for g in focus_groups if g]
    out: list[tuple[bytes, tuple[int, ...]]] = []
    shown: set[int] = set()
    for i in range(len(groups)):
        if len(out) == MAX_EXCERPTS:
            break
        if i in shown:
            continue
        best = _fitting(view, groups[i], draw)
        if best is None:
            continue
        members = [i]
        for j in range(i + 1, len(groups)):
            if j in shown:
                continue
            focus = [a for m in (*members, j) for a in groups[m]]
            more = _fitting(view, focus, draw)
            if more is not None:
                best, members = more, [*members, j]
        shown.update(members)
        out.append((best, tuple(members)))
    return out


def _fitting(view: ProcessView, focus: Sequence[str], draw: DrawPart) -> bytes | None:
    for radius in (1, 0):
        svg = draw(neighbourhood(view, focus, radius))
        if fits(svg):
            return svg
    return None


def soll_parts(view: ProcessView, draw: DrawPart, extras: Sequence[str] = ()) -> list[bytes]:
    """The whole flow in consecutive parts by rank, each as large as fits on one A4 page (a single rank
    that does not fit is a part of its own); the activities outside the Soll (``extras``) below the last."""
    ranks = flow_ranks(view)
    tail = frozenset(EXTRA + a for a in extras)
    by_rank: dict[int, set[str]] = {}
    for node, r in ranks.items():
        by_rank.setdefault(r, set()).add(node)
    order = sorted(by_rank)
    whole = draw(frozenset(ranks) | tail)
    if fits(whole):
        return [whole]
    parts: list[bytes] = []
    i = 0
    while i < len(order) and len(parts) < MAX_PARTS:
        low, high, best = i + 1, len(order), None
        while low <= high:  # the most ranks from i on that fit
            mid = (low + high) // 2
            svg = draw(frozenset(n for r in order[i:mid] for n in by_rank[r]) | (tail if mid == len(order) else
                                                                                    frozenset()))
            if fits(svg):
                best, low = (svg, mid), mid + 1
            else:
                high = mid - 1
        if best is None:  # one rank too wide (many tasks side by side): its tasks in parts that fit
            parts += _rank_in_parts(view, by_rank[order[i]], draw, MAX_PARTS - 1 - len(parts))
            i += 1
            continue
        if len(parts) == MAX_PARTS - 1 and best[1] < len(order):
            best = (draw(frozenset(n for r in order[i:] for n in by_rank[r]) | tail), len(order))
        parts.append(best[0])
        i = best[1]
    return parts


def _rank_in_parts(view: ProcessView, nodes: set[str], draw: DrawPart, room: int) -> list[bytes]:
    """The flow nodes of one rank (in the model's order) in consecutive parts, each as many as fit on one
    A4 page; at most ``room`` parts (at least one: the last holds the rest)."""
    ordered = [n.id for n in view.nodes if n.id in nodes]
    out: list[bytes] = []
    j = 0
    while j < len(ordered):
        if len(out) >= max(room, 1) - 1:
            out.append(draw(frozenset(ordered[j:])))
            break
        low, high, best = 1, len(ordered) - j, None
        while low <= high:
            mid = (low + high) // 2
            svg = draw(frozenset(ordered[j:j + mid]))
            if fits(svg):
                best, low = (svg, j + mid), mid + 1
            else:
                high = mid - 1
        best = best or (draw(frozenset(ordered[j:j + 1])), j + 1)
        out.append(best[0])
        j = best[1]
    return out


def dfg_excerpt(dfg: DirectlyFollowsGraph, focus: Sequence[str], neighbours: int) -> DirectlyFollowsGraph:
    """``dfg`` narrowed to the ``focus`` activities and, for each, its ``neighbours`` strongest predecessors
    and successors (by cases), with the edges between them."""
    edges = dfg.edges
    keep = {a for a in focus if a in set(dfg.activities["activity"].to_list())}
    for activity in sorted(keep):
        for column, other in (("target", "source"), ("source", "target")):
            near = edges.filter((pl.col(column) == activity) & ~pl.col(other).is_in([START, END]))
            keep |= set(near.head(neighbours)[other].to_list())
    shown = sorted(keep) + [START, END]
    nodes = dfg.nodes.filter(pl.col("activity").is_in(shown))
    kept_edges = edges.filter(pl.col("source").is_in(shown) & pl.col("target").is_in(shown))
    linked = set(kept_edges["source"].to_list()) | set(kept_edges["target"].to_list())
    nodes = nodes.filter((pl.col("kind") == "activity") | pl.col("activity").is_in(sorted(linked)))
    return replace(dfg, nodes=nodes, edges=kept_edges)


def dfg_for_print(dfg: DirectlyFollowsGraph, draw: Callable[[DirectlyFollowsGraph], bytes],
                  focus: Sequence[str] = ()) -> tuple[DirectlyFollowsGraph, bytes, bool] | None:
    """The largest readable view of ``dfg`` on A4 and whether it is the one around ``focus``: the focus
    activities with their neighbours (more neighbours first) when the map shows any of them, else the
    most frequent activities. ``None`` if nothing fits."""
    if focus and set(focus) & set(dfg.activities["activity"].to_list()):
        for neighbours in (3, 2, 1, 0):
            view = dfg_excerpt(dfg, focus, neighbours)
            svg = draw(view)
            if fits(svg):
                return view, svg, True
    total = dfg.activities.height
    low, high, best = 1, total, None
    while low <= high:  # the most activities that fit
        mid = (low + high) // 2
        view = dfg.filter(top_activities=mid, min_edge_share=dfg.min_edge_share,
                          min_activity_share=dfg.min_activity_share)
        svg = draw(view)
        if fits(svg):
            best, low = (view, svg, False), mid + 1
        else:
            high = mid - 1
    return best
