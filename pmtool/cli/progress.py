"""Progress bars for long runs (rich), one per stage; off when output is not a terminal or with --quiet.

Each bar advances by the size of the exports a step works on (an export for ingest, a process's exports for
the stages per process), so its remaining-time estimate holds for offices and processes of any size; beside
it, the events per second the stage has worked through so far."""

from __future__ import annotations

from time import perf_counter
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from pmtool.i18n import t
from pmtool.project import Project

_PER_PROCESS = ("conform", "discover", "aggregate", "figures")


class StageBars:
    """A ``progress(stage, item)`` callback for :func:`pmtool.results.run_project` that shows a bar per stage,
    with ``finished(stage, item, events)`` for the events each step worked on.

    The callback is told when a step starts, so the step before it in the same stage is done."""

    def __init__(self, project: Project, console: Console, *, enabled: bool) -> None:
        self.weights: dict[tuple[str, str], float] = {}
        for e in project.exports:
            size = float(e.path.stat().st_size) if e.path.is_file() else 1.0
            self.weights[("ingest", f"{e.office} {e.process}")] = size
            for stage in _PER_PROCESS:  # these stages run per process and office
                key = (stage, f"{e.process} {e.office}")
                self.weights[key] = self.weights.get(key, 0.0) + size
        total = sum(w for (stage, _), w in self.weights.items() if stage == "ingest") or 1.0
        self.totals = {"ingest": total, **dict.fromkeys(_PER_PROCESS, total)}
        self.bars = Progress(TextColumn("{task.description}", markup=False), BarColumn(), TaskProgressColumn(),
                             TextColumn("{task.fields[rate]}", markup=False), TimeElapsedColumn(),
                             TimeRemainingColumn(), console=console, disable=not enabled, transient=True)
        self.tasks: dict[str, TaskID] = {}
        self.events: dict[str, int] = {}
        self.busy: dict[str, float] = {}  # seconds each stage has run so far
        self.current: tuple[str, str, float] | None = None  # stage, item, start
        self.current_cached = False  # the current step came from the cache: its time is not the stage's work

    def __enter__(self) -> StageBars:
        self.bars.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._finish_current()
        self.bars.stop()

    def __call__(self, stage: str, item: str) -> None:
        self._finish_current()
        if stage not in self.tasks:
            self.tasks[stage] = self.bars.add_task(self._label(stage, item), total=self.totals.get(stage, 1.0),
                                                   rate="")
        self.current = (stage, item, perf_counter())
        self.bars.update(self.tasks[stage], description=self._label(stage, item))

    def finished(self, stage: str, item: str, events: int, cached: bool = False) -> None:
        """The step ``stage``/``item`` worked on ``events`` events: the stage's rate so far. A step that came
        from the cache (``cached``) counts neither its events nor its time: the rate is that of the steps
        computed, or says "from the cache" while there are none."""
        if self.current is None or self.current[:2] != (stage, item) or stage not in self.tasks:
            return
        if cached:
            self.current_cached = True
            if not self.events.get(stage):
                self.bars.update(self.tasks[stage], rate=t("cli.run.rate_cached"))
            return
        seconds = self.busy.get(stage, 0.0) + perf_counter() - self.current[2]
        self.events[stage] = self.events.get(stage, 0) + events
        if seconds > 0:
            self.bars.update(self.tasks[stage], rate=t("cli.run.rate", rate=f"{self.events[stage] / seconds:,.0f}"))

    def note(self, text: str) -> None:
        """A line about the run printed above the bars (and kept when they are gone)."""
        self.bars.console.print(text, style="yellow", markup=False, highlight=False)

    def _finish_current(self) -> None:
        if self.current is not None:
            stage, item, start = self.current
            if not self.current_cached:
                self.busy[stage] = self.busy.get(stage, 0.0) + perf_counter() - start
            self.bars.advance(self.tasks[stage], self.weights.get((stage, item), 1.0))
            self.current, self.current_cached = None, False

    @staticmethod
    def _label(stage: str, item: str) -> str:
        name = t(f"cli.run.stage.{stage}")
        return f"{name} {item}".strip()
