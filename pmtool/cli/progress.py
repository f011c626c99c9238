"""Progress bars for long runs (rich), one per stage; off when output is not a terminal or with --quiet.

Each bar advances by the size of the exports a step works on (an export for ingest, a process's exports for
the stages per process), so its remaining-time estimate holds for offices and processes of any size; beside
it, the events per second the stage has worked through so far. While an export is read in the run's own
process, the ingest bar moves with the bytes read (:mod:`pmtool.ingest.reading`), and ``pmtool ingest`` and
``pmtool inspect`` show one bar per export they read (:class:`ReadBars`)."""

from __future__ import annotations

from contextlib import ExitStack
from time import perf_counter
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from pmtool.formatting import format_number
from pmtool.i18n import t
from pmtool.ingest.reading import ReadProgress, observed
from pmtool.project import Project

_PER_PROCESS = ("conform", "discover", "aggregate", "figures")
#: The share of an export's import that its reading stands for on the ingest bar (mapping, checks and
#: pseudonymisation after it take the rest; for XES, reading takes most of the time).
READ_SHARE = 0.9


def _columns() -> tuple[ProgressColumn, ...]:
    return (TextColumn("{task.description}", markup=False), BarColumn(), TaskProgressColumn(),
            TextColumn("{task.fields[rate]}", markup=False), TimeElapsedColumn(), TimeRemainingColumn())


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
        self.bars = Progress(*_columns(), console=console, disable=not enabled, transient=True)
        self.enabled = enabled
        self.stack = ExitStack()
        self.tasks: dict[str, TaskID] = {}
        self.events: dict[str, int] = {}
        self.busy: dict[str, float] = {}  # seconds each stage has run so far
        self.current: tuple[str, str, float] | None = None  # stage, item, start
        self.current_cached = False  # the current step came from the cache: its time is not the stage's work
        self.step_base = 0.0  # the stage's bar before the current step

    def __enter__(self) -> StageBars:
        self.bars.start()
        if self.enabled:
            self.stack.enter_context(observed(self.reading))
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stack.close()
        self._finish_current()
        self.bars.stop()

    def __call__(self, stage: str, item: str) -> None:
        self._finish_current()
        if stage not in self.tasks:
            self.tasks[stage] = self.bars.add_task(self._label(stage, item), total=self.totals.get(stage, 1.0),
                                                   rate="")
        self.current = (stage, item, perf_counter())
        self.step_base = self.bars.tasks[self.tasks[stage]].completed
        self.bars.update(self.tasks[stage], description=self._label(stage, item))

    def reading(self, progress: ReadProgress) -> None:
        """The export the current ingest step reads: the bar moves with its bytes, the rate with its events."""
        if self.current is None or self.current[0] != "ingest":
            return
        stage, item, start = self.current
        task = self.tasks[stage]
        done = self.step_base + self.weights.get((stage, item), 1.0) * READ_SHARE * progress.share
        self.bars.update(task, completed=max(done, self.bars.tasks[task].completed))
        seconds = self.busy.get(stage, 0.0) + perf_counter() - start
        if progress.events and seconds > 0:
            rate = (self.events.get(stage, 0) + progress.events) / seconds
            self.bars.update(task, rate=t("cli.run.rate", rate=format_number(rate)))

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
            rate = format_number(self.events[stage] / seconds)
            self.bars.update(self.tasks[stage], rate=t("cli.run.rate", rate=rate))

    def note(self, text: str) -> None:
        """A line about the run printed above the bars (and kept when they are gone)."""
        self.bars.console.print(text, style="yellow", markup=False, highlight=False)

    def _finish_current(self) -> None:
        if self.current is not None:
            stage, item, start = self.current
            if not self.current_cached:
                self.busy[stage] = self.busy.get(stage, 0.0) + perf_counter() - start
            self.bars.update(self.tasks[stage], completed=self.step_base + self.weights.get((stage, item), 1.0))
            self.current, self.current_cached = None, False

    @staticmethod
    def _label(stage: str, item: str) -> str:
        name = t(f"cli.run.stage.{stage}")
        return f"{name} {item}".strip()


class ReadBars:
    """One bar per export that ``pmtool ingest`` or ``pmtool inspect`` reads: the share of the file read,
    events per second and the time left. Nothing at all when ``enabled`` is false (output not a terminal)."""

    def __init__(self, console: Console, *, enabled: bool) -> None:
        self.bars = Progress(*_columns(), console=console, disable=not enabled, transient=True)
        self.enabled = enabled
        self.stack = ExitStack()
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> ReadBars:
        if self.enabled:
            self.bars.start()
            self.stack.enter_context(observed(self.reading))
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stack.close()
        self.bars.stop()

    def reading(self, progress: ReadProgress) -> None:
        task = self.tasks.get(progress.file)
        if task is None:
            task = self.tasks[progress.file] = self.bars.add_task(progress.file, total=max(progress.total, 1),
                                                                  rate="")
        self.bars.update(task, completed=max(progress.done, self.bars.tasks[task].completed))
        elapsed = self.bars.tasks[task].elapsed
        if progress.events and elapsed:
            self.bars.update(task, rate=t("cli.run.rate", rate=format_number(progress.events / elapsed)))
