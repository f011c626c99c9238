"""The run's progress bars: weighted by export size, with events per second and a remaining-time estimate."""

from __future__ import annotations

import io
import time

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


def test_steps_from_the_cache_do_not_inflate_the_rate():
    """A cached rerun once showed 32 million events/s: a cached step's events and time are not the stage's
    work; the bar says "from the cache" until a step is computed, then shows that step's rate."""
    set_language("en")
    project = pt.restrict(pt.demo_project(), processes=["P3a"], offices=["GA-01", "GA-02"])
    first, second = (f"{e.office} {e.process}" for e in project.exports)
    console = Console(file=io.StringIO(), force_terminal=True, width=160)
    with StageBars(project, console, enabled=True) as bars:
        bars("ingest", first)
        bars.finished("ingest", first, 10**9, cached=True)
        task = bars.bars.tasks[bars.tasks["ingest"]]
        assert task.fields["rate"] == "from the cache" and bars.events.get("ingest", 0) == 0
        bars("ingest", second)
        time.sleep(0.1)
        bars.finished("ingest", second, 1000)
        rate = float(task.fields["rate"].split()[0].replace(",", ""))
        assert 0 < rate <= 1000 / 0.1  # the computed step alone, not the cached one's billion events
    assert bars.busy["ingest"] >= 0.1 and task.completed == task.total


def test_the_runner_tells_the_bars_which_steps_came_from_the_cache(tmp_path):
    from pmtool.stage_cache import StageCache

    told = []

    class Bars:
        def __call__(self, stage, item):
            return None

        def finished(self, stage, item, events, cached=False):
            told.append((item, events, cached))

    runner = StageRunner(StageCache(tmp_path), Bars())
    for _ in range(2):
        runner.run("ingest", "x", lambda: ["same"], lambda: 3, lambda v, p: (p / "v").write_text(str(v)),
                   lambda files: int(files["v"]), events=5)
    assert told == [("x", 5, False), ("x", 5, True)]
