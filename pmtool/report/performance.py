"""Where the time goes, per process: a case-duration histogram per office and the bottleneck table.

- :func:`duration_histograms`: for every office, the share of its completed cases per throughput-time class
  (fixed classes in days, the same for every office), one small panel per office. A class the report's
  disclosure check hides (fewer cases than the privacy threshold, or one from which a hidden count could
  be recomputed: the classes add up to the office's finished minus never-closed cases, see
  :func:`pmtool.report.suppression.performance_cells`) is not drawn ("·" below the axis).
- :func:`bottleneck_table`: the transitions of the process (all offices together) ranked by the total
  waiting time they hold (:func:`pmtool.discover.dfg.bottlenecks`): transitions, mean, median and 90th
  percentile of the waiting time and the total with its share of all waiting. Only transitions taken by
  at least the threshold's number of cases are listed, and no count is printed: the pooled cases of a
  transition add up the offices' arrows of the Ist figures, some of which the disclosure check hides; the
  longest single wait is not shown either (one case's value).

Throughput time is the report's one definition: first to last event of a completed case, in days.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from pmtool.discover.dfg import bottlenecks, directly_follows
from pmtool.eventlog.log import EventLog
from pmtool.i18n import t
from pmtool.report import numbers
from pmtool.report.charts import INK, MUTED, RC, _plt, _svg
from pmtool.report.context import Cell, Figure, Table
from pmtool.report.palette import office_style
from pmtool.report.suppression import SUPPRESSED, duration_key

#: Throughput-time classes in days (lower edges); the last class is open.
DAY_EDGES: tuple[float, ...] = (0.0, 1.0, 2.0, 4.0, 7.0, 14.0, 28.0, 56.0)
#: Transitions shown in the bottleneck table.
TOP_TRANSITIONS = 8
_COLUMNS = 4


def duration_classes(hours: Sequence[float]) -> list[int]:
    """How many of ``hours`` fall into each class of :data:`DAY_EDGES`."""
    counts = [0] * len(DAY_EDGES)
    for h in hours:
        days = h / 24.0
        index = max(i for i, edge in enumerate(DAY_EDGES) if days >= edge) if days >= 0 else 0
        counts[index] += 1
    return counts


def duration_histograms(cases: pl.DataFrame, offices: Sequence[str], k: int, name: str, lang: str, pid: str, *,
                        hidden: frozenset = frozenset(), period: str = "all",
                        names: Mapping[str, str] | None = None) -> Figure | None:
    """The histogram figure (see the module docstring); ``None`` when no office has ``k`` completed cases.
    ``hidden``: the cells the report's disclosure check hides; ``names``: the offices' display names."""
    completed = cases.filter(pl.col("case_status") == "complete")
    panels: list[tuple[str, list[float | None]]] = []
    for office in offices:
        hours = completed.filter(pl.col("office") == office)["throughput_hours"].drop_nulls().to_list()
        if len(hours) < k or ("cases", pid, period, None, office) in hidden:
            continue
        counts = duration_classes(hours)
        shares = [None if duration_key(pid, period, i, office) in hidden or 0 < c < k else c / len(hours)
                  for i, c in enumerate(counts)]
        panels.append(((names or {}).get(office, office), shares))
    if not panels:
        return None
    svg = _histogram_chart(panels, lang)
    widest = max(panels, key=lambda p: (max(v or 0.0 for v in p[1]), p[0]))
    peak = max(range(len(DAY_EDGES)), key=lambda i: widest[1][i] or 0.0)
    return Figure(f"durations-{pid}", svg, alt=t("report.durations.alt", lang, name=name, n=len(panels),
                                                  office=widest[0], label=_class_label(peak, lang)),
                  caption=t("report.durations.caption", lang, k=k), size="wide")


def _class_label(i: int, lang: str) -> str:
    low = numbers.decimal(DAY_EDGES[i], lang, 0)
    if i == len(DAY_EDGES) - 1:
        return t("report.durations.class_open", lang, low=low)
    return t("report.durations.class", lang, low=low, high=numbers.decimal(DAY_EDGES[i + 1], lang, 0))


def _histogram_chart(panels: Sequence[tuple[str, Sequence[float | None]]], lang: str) -> bytes:
    plt = _plt()
    from matplotlib.ticker import FuncFormatter

    rows = math.ceil(len(panels) / _COLUMNS)
    top = max(v or 0.0 for _, values in panels for v in values) * 1.12 or 1.0
    with plt.rc_context({**RC, "font.size": 8, "axes.titlesize": 9}):
        fig, axes = plt.subplots(rows, _COLUMNS, figsize=(7.1, 0.4 + 1.45 * rows), squeeze=False, sharey=True)
        positions = list(range(len(DAY_EDGES)))
        for ax, (office, values) in zip(axes.flat, panels, strict=False):
            style = office_style(office)
            shown = [(p, v) for p, v in zip(positions, values, strict=True) if v is not None]
            ax.bar([p + 0.5 for p, _ in shown], [v for _, v in shown], width=0.9, color=style.colour + "99",
                   edgecolor="#333333", lw=0.6, hatch=style.hatch)
            for p, v in zip(positions, values, strict=True):
                if v is None:
                    ax.text(p + 0.5, top * 0.02, SUPPRESSED, ha="center", va="bottom", fontsize=9, color=MUTED)
            ax.set_title(office, loc="left", color=INK)
            ax.set_xlim(0, len(DAY_EDGES))
            ax.set_ylim(0, top)
            ax.set_xticks(positions, [numbers.decimal(e, lang, 0) for e in DAY_EDGES])
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: numbers.rate(round(v, 4), lang)))
            ax.grid(axis="y", color="#dddddd", lw=0.6)
            ax.set_axisbelow(True)
        for ax in list(axes.flat)[len(panels):]:
            ax.axis("off")
        fig.supxlabel(t("report.durations.axis", lang), fontsize=8)
        fig.supylabel(t("report.durations.share", lang), fontsize=8)
        fig.tight_layout(h_pad=0.8, w_pad=0.6)
        return _svg(fig)


def bottleneck_rows(log: EventLog, k: int) -> pl.DataFrame:
    """The transitions the bottleneck table shows (taken by ``k`` cases or more, the most waiting first),
    with ``total_all_hours``: the waiting of every transition together."""
    ranked = bottlenecks(directly_follows(log))
    total = float(ranked["total_hours"].sum() or 0.0) if ranked.height else 0.0
    return ranked.filter(pl.col("cases") >= k).head(TOP_TRANSITIONS).with_columns(
        pl.lit(total).alias("total_all_hours"))


def bottleneck_table(log: EventLog, k: int, lang: str, pid: str) -> Table | None:
    """The transitions holding the most waiting time (see the module docstring); ``None`` without any."""
    shown = bottleneck_rows(log, k)
    rows = []
    for r in shown.iter_rows(named=True):
        rows.append((f"{r['source']} → {r['target']}", _bottleneck_cells(r, r["total_all_hours"], lang)))
    if not rows:
        return None
    head = tuple(t(f"report.bottleneck.{c}", lang) for c in ("transition", "mean", "median", "p90", "total"))
    return Table(id=f"bottlenecks-{pid}", caption=t("report.bottleneck.caption", lang, n=len(rows)), head=head,
                 rows=tuple(rows), notes=(t("report.bottleneck.note", lang, k=k),), css="bottlenecks")


def _bottleneck_cells(r: dict[str, Any], total: float, lang: str) -> tuple[Cell, ...]:
    share = t("report.bottleneck.share", lang, days=numbers.days(r["total_hours"], lang),
              total=numbers.days(total, lang), rate=numbers.rate(r["total_hours"] / total if total else None, lang))
    return (Cell(numbers.days(r["mean_hours"], lang)), Cell(numbers.days(r["median_hours"], lang)),
            Cell(numbers.days(r["p90_hours"], lang)), Cell(share))
