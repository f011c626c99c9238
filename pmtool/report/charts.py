"""The report's charts with matplotlib: deadline compliance per office, throughput times per office and the
process priorities. SVG bytes out, the same bytes for the same numbers.

Determinism: the Agg backend, a fixed ``svg.hashsalt`` (ids of clip paths), no date in the metadata, text
drawn as paths (no font lookup at view time). Numbers on axes follow the report language (German: 12,5 %).
Each office keeps its colour, hatching and marker (:mod:`pmtool.report.palette`); every row is labelled, so
the charts read in grey print too.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pmtool.errors import Location, RenderError
from pmtool.i18n import t
from pmtool.report import numbers
from pmtool.report.palette import office_style
from pmtool.report.suppression import SUPPRESSED

RC = {
    "svg.hashsalt": "pmtool-report",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 9.5,
    "axes.labelsize": 9,
    "axes.edgecolor": "#555555",
    "axes.linewidth": 0.8,
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "hatch.linewidth": 0.6,
    "figure.dpi": 100,
}
INK = "#222222"
MUTED = "#595959"


@dataclass(frozen=True)
class OfficeInterval:
    """One office's value with its interval; ``value`` None: suppressed (below the privacy threshold)."""

    office: str
    value: float | None
    low: float | None = None
    high: float | None = None
    highlight: bool = False
    label: str = ""  # the office's display name (default: its id)


@dataclass(frozen=True)
class DeadlinePanel:
    title: str
    offices: tuple[OfficeInterval, ...]
    pooled: float | None


@dataclass(frozen=True)
class ThroughputRow:
    """Quantiles in hours of one office's completed cases; ``quantiles`` None: suppressed."""

    office: str
    quantiles: tuple[float, float, float, float, float] | None  # 10, 25, 50, 75, 90 %
    label: str = ""  # the office's display name (default: its id)


def _plt() -> Any:
    try:
        import matplotlib
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        raise RenderError("report.missing_package", Location(), package="matplotlib",
                          spec="matplotlib>=3.9,<4") from None

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _svg(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight",
                pad_inches=0.05)
    _plt().close(fig)
    return buf.getvalue()


def _percent_axis(ax: Any, lang: str) -> None:
    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: numbers.rate(round(v, 4), lang)))


def deadline_chart(panels: Sequence[DeadlinePanel], lang: str) -> bytes:
    """Small multiples, one per deadline rule: compliance (1 − violation rate) per office with its 95 %
    Wilson interval; filled markers for offices with a significant difference, a dashed line for all
    offices together."""
    plt = _plt()
    with plt.rc_context(RC):
        cols = 1 if len(panels) == 1 else 2
        rows = (len(panels) + cols - 1) // cols
        n_off = max(len(p.offices) for p in panels)
        height = 0.75 + 0.155 * n_off
        fig, axes = plt.subplots(rows, cols, figsize=(3.55 * cols, height * rows + 0.5), squeeze=False)
        values = [x for p in panels for o in p.offices for x in (o.low, o.value) if x is not None]
        lower = max(0.0, min([*values, 0.9]) - 0.05)
        lower = int(lower * 10) / 10
        for ax, panel in zip(axes.flat, panels, strict=False):
            _deadline_panel(ax, panel, lower, lang)
        for ax in list(axes.flat)[len(panels):]:
            ax.axis("off")
        fig.tight_layout(h_pad=1.2, w_pad=1.5)
        handles = _deadline_legend(lang)
        fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False, fontsize=8,
                   bbox_to_anchor=(0.5, -0.02 - 0.04 / rows))
        return _svg(fig)


def _deadline_panel(ax: Any, panel: DeadlinePanel, lower: float, lang: str) -> None:
    ys = list(range(len(panel.offices)))
    for y, o in zip(ys, panel.offices, strict=True):
        style = office_style(o.office)
        if o.value is None:
            ax.text(lower + 0.01, y, f"{SUPPRESSED} {t('report.chart.suppressed', lang)}", va="center",
                    ha="left", fontsize=7.5, color=MUTED)
            continue
        if o.low is not None and o.high is not None:
            ax.plot([o.low, o.high], [y, y], color=style.colour, lw=1.6, solid_capstyle="butt")
        ax.plot([o.value], [y], marker=style.marker, markersize=6.5, markeredgecolor=INK if o.highlight
                else style.colour, markeredgewidth=1.0, color=style.colour,
                markerfacecolor=style.colour if o.highlight else "white", linestyle="none")
    if panel.pooled is not None:
        ax.axvline(panel.pooled, color=INK, lw=0.9, ls=(0, (4, 3)))
    ax.set_yticks(ys, [o.label or o.office for o in panel.offices])
    for label, o in zip(ax.get_yticklabels(), panel.offices, strict=True):
        if o.highlight:
            label.set_fontweight("bold")
    ax.set_ylim(len(ys) - 0.5, -0.5)
    ax.set_xlim(lower, 1.025)
    _percent_axis(ax, lang)
    ax.grid(axis="x", color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(axis="y", length=0)
    ax.set_title("\n".join(textwrap.wrap(panel.title, 46)[:4]), loc="left", color=INK)
    ax.set_xlabel(t("report.chart.compliance", lang))


def _deadline_legend(lang: str) -> list[Any]:
    from matplotlib.lines import Line2D

    return [Line2D([], [], marker="o", color="#777777", markerfacecolor="#777777", markeredgecolor=INK,
                   linestyle="none", label=t("report.chart.legend_finding", lang)),
            Line2D([], [], marker="o", color="#777777", markerfacecolor="white", linestyle="none",
                   label=t("report.chart.legend_other", lang)),
            Line2D([], [], color="#777777", lw=1.6, label=t("report.chart.legend_ci", lang)),
            Line2D([], [], color=INK, lw=0.9, ls=(0, (4, 3)), label=t("report.chart.legend_pooled", lang))]


def throughput_chart(rows: Sequence[ThroughputRow], pooled_median_hours: float | None, lang: str) -> bytes:
    """Box per office: median, quartiles, whiskers at the 10th and 90th percentile (no single cases drawn);
    offices with fewer completed cases than the privacy threshold are not drawn."""
    plt = _plt()
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(7.1, 0.6 + 0.27 * len(rows)))
        stats, positions, styles = [], [], []
        for y, row in enumerate(rows):
            if row.quantiles is None:
                continue
            q10, q25, q50, q75, q90 = (q / 24.0 for q in row.quantiles)
            stats.append({"med": q50, "q1": q25, "q3": q75, "whislo": q10, "whishi": q90, "fliers": []})
            positions.append(y)
            styles.append(office_style(row.office))
        if stats:
            parts = ax.bxp(stats, positions=positions, orientation="horizontal", widths=0.62, patch_artist=True,
                           showfliers=False, medianprops={"color": INK, "lw": 1.8},
                           whiskerprops={"color": "#444444", "lw": 0.9}, capprops={"color": "#444444", "lw": 0.9},
                           boxprops={"lw": 0.9})
            for box, style in zip(parts["boxes"], styles, strict=True):
                box.set_facecolor(style.colour + "99")
                box.set_edgecolor("#333333")
                box.set_hatch(style.hatch)
        right = max([s["whishi"] for s in stats] or [1.0]) * 1.02
        # no case counts beside the boxes: with the cases and running cases of the conformance table they
        # would give away the suppressed number of never-closed cases
        for y, row in enumerate(rows):
            if row.quantiles is None:
                ax.text(0.0, y, f" {SUPPRESSED} {t('report.chart.suppressed', lang)}", va="center", ha="left",
                        fontsize=7.5, color=MUTED)
        if pooled_median_hours is not None:
            ax.axvline(pooled_median_hours / 24.0, color=INK, lw=0.9, ls=(0, (4, 3)))
        ax.set_yticks(range(len(rows)), [r.label or r.office for r in rows])
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_xlim(0, right)
        from matplotlib.ticker import FuncFormatter

        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: numbers.decimal(v, lang, 0)))
        ax.set_xlabel(t("report.chart.days", lang))
        ax.grid(axis="x", color="#dddddd", lw=0.6)
        ax.set_axisbelow(True)
        ax.tick_params(axis="y", length=0)
        return _svg(fig)


@dataclass(frozen=True)
class PriorityBar:
    label: str
    parts: tuple[float, ...]  # each factor's share of the priority (factor_norm / number of factors)
    priority: float


def priority_chart(bars: Sequence[PriorityBar], factor_labels: Sequence[str], lang: str) -> bytes:
    """Stacked bars: how much each factor adds to each process's priority (highest first)."""
    plt = _plt()
    hatches = ("", "///", "---", "xxx", "\\\\\\")
    greys = ("#2b4c7e", "#567ebb", "#8fb1dd", "#c6d8ef", "#eef3fa")
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(7.1, 0.7 + 0.42 * len(bars)))
        for y, bar in enumerate(bars):
            left = 0.0
            for i, part in enumerate(bar.parts):
                ax.barh(y, part, left=left, height=0.6, color=greys[i % len(greys)], edgecolor="#333333",
                        hatch=hatches[i % len(hatches)], lw=0.6, label=factor_labels[i] if y == 0 else None)
                left += part
            ax.text(left + 0.01, y, numbers.decimal(bar.priority, lang, 2), va="center", fontsize=8.5, color=INK)
        ax.set_yticks(range(len(bars)), [b.label for b in bars])
        ax.set_ylim(len(bars) - 0.5, -0.5)
        ax.set_xlim(0, 1.08)
        from matplotlib.ticker import FuncFormatter

        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: numbers.decimal(v, lang, 1)))
        ax.set_xlabel(t("report.chart.priority", lang))
        ax.tick_params(axis="y", length=0)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.32 if len(bars) < 4 else -0.2), ncol=3,
                  frameon=False, fontsize=8)
        return _svg(fig)
