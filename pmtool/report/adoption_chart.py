"""The chart of the section "Anwendung des Soll-Prozesses": one small panel per office with its monthly share
of conforming cases, the segmented-regression fit before and after the binding date, and the binding date as
a dashed line. Same numbers, same SVG bytes (see :mod:`pmtool.report.charts`)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from pmtool.i18n import t
from pmtool.report import numbers
from pmtool.report.charts import INK, MUTED, RC, _plt, _svg
from pmtool.report.palette import office_style


@dataclass(frozen=True)
class AdoptionPanel:
    """One office: its published months (index on the calendar axis, share), the fitted values (empty
    without an estimate) and the panel title (office and verdict, one per line; long lines are wrapped)."""

    office: str
    title: str
    months: tuple[int, ...]
    shares: tuple[float, ...]
    fitted: tuple[float, ...] = ()


#: Month labels on a panel's axis: a panel is about 2 inches wide, room for three "06/13" at 7.5 pt.
MAX_TICKS = 3


def axis_ticks(months: int) -> list[int]:
    """The months labelled on the axis: first, last and (with room) the middle one, never more than
    :data:`MAX_TICKS`, so that the labels do not run into each other.

    >>> axis_ticks(1), axis_ticks(2), axis_ticks(162), axis_ticks(16)
    ([0], [0, 1], [0, 80, 161], [0, 8, 15])
    """
    if months <= 0:
        return []
    return sorted({round(i * (months - 1) / (MAX_TICKS - 1)) for i in range(MAX_TICKS)})


def adoption_chart(panels: Sequence[AdoptionPanel], month_labels: Sequence[str], binding: int | None,
                   lang: str) -> bytes:
    """Small multiples, three to a row (text stays 7 pt or more at print width); ``binding``: the index of
    the binding month on the axis (None: no line)."""
    from matplotlib.ticker import FuncFormatter

    plt = _plt()
    with plt.rc_context(RC):
        cols = min(3, len(panels))
        rows = (len(panels) + cols - 1) // cols
        fig, axes = plt.subplots(rows, cols, figsize=(2.2 * cols, 1.7 * rows + 0.35), squeeze=False,
                                 sharex=True, sharey=True)
        ticks = axis_ticks(len(month_labels))
        for ax, panel in zip(axes.flat, panels, strict=False):
            style = office_style(panel.office)
            ax.plot(panel.months, panel.shares, linestyle="none", marker=style.marker, markersize=3.2,
                    color=style.colour, markerfacecolor="white", markeredgewidth=0.9)
            if panel.fitted and binding is not None:
                for side in (True, False):
                    pts = [(m, f) for m, f in zip(panel.months, panel.fitted, strict=True)
                           if (m < binding) == side]
                    if pts:
                        ax.plot([m for m, _ in pts], [f for _, f in pts], color=INK, lw=1.2)
            if binding is not None:
                ax.axvline(binding - 0.5, color=MUTED, lw=0.8, linestyle=(0, (3, 2)))
            ax.set_title("\n".join(textwrap.fill(line, 28) for line in panel.title.split("\n")), fontsize=8,
                         loc="left")
            ax.set_ylim(-0.03, 1.03)
            ax.set_xlim(-0.5, len(month_labels) - 0.5)
            ax.set_xticks(ticks, [month_labels[i] for i in ticks], fontsize=7.5)
            ax.tick_params(axis="y", labelsize=7.5)
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: numbers.rate(round(v, 4), lang)))
            ax.grid(axis="y", color="#e0e0e0", lw=0.5)
            for spine in ("top", "right"):
                ax.spines[spine].set_visible(False)
        for ax in list(axes.flat)[len(panels):]:
            ax.axis("off")
        fig.supylabel(t("report.adoption.chart.y", lang), fontsize=8)
        fig.tight_layout(h_pad=0.8, w_pad=0.6)
        return _svg(fig)
