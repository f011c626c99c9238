"""The run's progress bars: weighted by export size, with events per second and a remaining-time estimate."""

from __future__ import annotations

import io

from rich.console import Console

import pmtool as pt
from pmtool.analysis import StageRunner
from pmtool.cli.progress import StageBars
from pmtool.i18n import set_language


def test_bars_show_events_per_second_and_advance_by_export_size():
    set_language("en")
    project = pt.restrict(pt.demo_project(), processes=["P3a"], offices=["GA-01", "GA-02"])
    console = Console(file=io.StringIO(), force_terminal=True, width=160)
    with StageBars(project, console, enabled=True) as bars:
        runner = StageRunner(None, bars)
        for e in project.exports:
            runner.run("ingest", f"{e.office} {e.process}", list, lambda: 7, None, None, events=1000)
        task = bars.bars.tasks[bars.tasks["ingest"]]
        assert "events/s" in task.fields["rate"] and task.fields["rate"].split()[0].replace(",", "").isdigit()
        for e in project.exports:  # conformance runs per process and office
            runner.run("conform", f"{e.process} {e.office}", list, lambda: 1, None, None, events=lambda v: 1000)
        assert bars.events == {"ingest": 2000, "conform": 2000}
    sizes = sum(e.path.stat().st_size for e in project.exports)
    ingest = bars.bars.tasks[bars.tasks["ingest"]]
    assert ingest.total == sizes and ingest.completed == sizes  # both exports done, by their bytes
    conform = bars.bars.tasks[bars.tasks["conform"]]
    assert conform.completed == sizes


def test_a_progress_without_finished_is_only_told_of_starts():
    told = []
    runner = StageRunner(None, lambda stage, item: told.append((stage, item)))
    assert runner.run("ingest", "x", list, lambda: 3, None, None, events=5) == 3
    assert told == [("ingest", "x")]
