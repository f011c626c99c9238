"""The Soll model with the deviations of a conformance check overlaid, for ``pmtool conform --figures``.

Unlike the report (which works from suppressed aggregates), this is the analyst's view of one check: the
pooled case share per deviation code at each activity, and the offices whose share at that activity is
clearly above the pooled one (at least 5 percentage points and 5 cases).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pmtool.conform.conformance import ConformanceResult
from pmtool.graphviz import attributes, run_dot
from pmtool.models.reference import ReferenceModel
from pmtool.report.bpmn_view import read_process_view
from pmtool.report.models import CODES, ActivityOverlay, drawn_overlay, soll_dot

MIN_EXCESS = 0.05
MIN_CASES = 5


def conformance_overlay(result: ConformanceResult, *, min_cases: int = 0) -> dict[str, ActivityOverlay]:
    """Per activity the pooled case share per deviation code and the offices clearly above it.

    ``min_cases`` (the privacy threshold of a view that must not show small counts): a code that fewer
    cases show at an activity is left out, and an office is named only with at least that many cases."""
    finished = result.cases.filter(pl.col("case_status") != "running").group_by("office").len("cases")
    total = int(finished["cases"].sum() or 0)
    dev = (result.deviations.filter((pl.col("source") == "alignment") & pl.col("code").is_in(list(CODES)))
           .select("office", "case_id", "code", "activity").unique())
    per_office = dev.group_by("activity", "code", "office").len("affected").join(finished, on="office")
    overlay: dict[str, ActivityOverlay] = {}
    for (activity,), group in per_office.group_by("activity", maintain_order=True):
        rates = {code: float(g["affected"].sum()) / total
                 for (code,), g in group.group_by("code", maintain_order=True)
                 if g["affected"].sum() >= min_cases} if total else {}
        pooled = sum(rates.values())
        by_office = group.group_by("office").agg(pl.col("affected").sum(), pl.col("cases").first())
        offices = sorted(o for o, k, n in by_office.iter_rows()
                         if k >= max(MIN_CASES, min_cases) and k / n - pooled >= MIN_EXCESS)
        if rates or offices:
            overlay[activity] = ActivityOverlay(rates, tuple(offices))
    return dict(sorted(overlay.items()))


def overlay_figures(result: ConformanceResult, reference: ReferenceModel, model_path: Path,
                    formats: tuple[str, ...], lang: str, filters: str = "") -> dict[str, bytes]:
    """``{fmt: bytes}`` of the Soll model with the overlay, one per format (svg, png); ``filters`` (the
    filters applied, in words) are named in the title."""
    view = read_process_view(model_path, reference.sha256)
    overlay = conformance_overlay(result)
    if view is not None:  # the view draws the tasks as named in the model
        overlay = drawn_overlay(overlay, reference.task_labels)
    dot = soll_dot(view, reference.net, title=reference.name, lang=lang, overlay=overlay)
    if filters:  # a picture of part of the cases says which part, above the model
        head = "  graph " + attributes({"label": f"{reference.name} · Filter: {filters}", "labelloc": "t",
                                        "labeljust": "l", "fontsize": 14}) + ";"
        dot = dot.replace("digraph soll {", "digraph soll {\n" + head, 1)
    return {fmt: run_dot(dot, fmt) for fmt in formats}
