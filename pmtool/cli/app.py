"""The ``pmtool`` command line: thin commands that call one library function each and render the result."""

from __future__ import annotations

import os
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup
from typer.exceptions import Abort, Exit, TyperException

from pmtool import __version__
from pmtool.cli import (
    adoption_cmd,
    aggregate_cmd,
    before_after_cmd,
    cases_cmd,
    compare_cmd,
    conform_cmd,
    design_cmd,
    discover_cmd,
    doctor_cmd,
    efile_cmd,
    export_cmd,
    ingest_cmd,
    init_cmd,
    inspect_cmd,
    key_cmd,
    models_cmd,
    report_cmd,
    run_cmd,
    simulate_cmd,
)
from pmtool.cli.errors import EXIT_CANNOT_RUN, stderr
from pmtool.errors import PmtoolError
from pmtool.i18n import LANGUAGES, set_language, t


class _LastResort(TyperGroup):
    """The command group with pmtool's last-resort handler: whatever a command raises ends in one line on
    stderr and exit code 2, never a traceback (``--debug`` shows it). A :class:`PmtoolError` reads as itself;
    anything else is named by its type and the place in pmtool, not by its message, which may quote data
    from the inputs."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, _own_options_first(args, self.commands))

    def invoke(self, ctx: Any) -> Any:
        global _debug
        _debug = False
        try:
            return super().invoke(ctx)
        except (Exit, Abort, TyperException, SystemExit, KeyboardInterrupt, GeneratorExit):
            raise
        except Exception as exc:  # noqa: BLE001 - the boundary: nothing passes it as a traceback
            if _debug:
                raise
            if isinstance(exc, PmtoolError):
                text = exc.render()
            elif isinstance(exc, MemoryError | RecursionError):
                text = t("cli.out_of_memory", kind=type(exc).__name__)
            else:
                text = t("cli.internal_error", kind=type(exc).__name__, where=_where(exc))
            stderr.print(f"pmtool: {text}", markup=False)
            raise typer.Exit(EXIT_CANNOT_RUN) from None


_debug = False
#: pmtool's own options that a user may also write after the command, and whether each takes a value.
_OWN_OPTIONS = {"--lang": True, "--debug": False}


def _own_options_first(args: list[str], commands: Mapping[str, Any]) -> list[str]:
    """``args`` with ``--lang`` and ``--debug`` moved before the command when they follow it (``pmtool inspect
    log.csv --lang en`` as ``pmtool --lang en inspect log.csv``), unless the command has an option of that
    name itself (``report --lang``); nothing after ``--`` is touched."""
    i = 0
    while i < len(args) and args[i].startswith("-"):  # pmtool's options before the command
        i += 2 if args[i] == "--lang" else 1
    if i >= len(args) or args[i] not in commands:
        return list(args)
    own = {name for param in commands[args[i]].params for name in getattr(param, "opts", ())}
    moved: list[str] = []
    rest: list[str] = []
    j = i + 1
    while j < len(args):
        arg = args[j]
        name = arg.split("=", 1)[0]
        if arg == "--":
            rest += args[j:]
            break
        if name in _OWN_OPTIONS and name not in own:
            width = 2 if _OWN_OPTIONS[name] and "=" not in arg else 1
            moved += args[j:j + width]
            j += width
            continue
        rest.append(arg)
        j += 1
    return [*args[:i], *moved, args[i], *rest]


def _where(exc: BaseException) -> str:
    """The innermost place in pmtool's own code the exception passed (file:line), else its last frame."""
    frames = traceback.extract_tb(exc.__traceback__)
    package = Path(__file__).resolve().parents[1]
    own = [f for f in frames if Path(f.filename).resolve().is_relative_to(package)]
    frame = (own or frames or [None])[-1]
    if frame is None:
        return "?"
    path = Path(frame.filename).resolve()
    name = path.relative_to(package.parent).as_posix() if path.is_relative_to(package.parent) else path.name
    return f"{name}:{frame.lineno}"


app = typer.Typer(
    name="pmtool",
    cls=_LastResort,
    help=t("cli.app_help", "en"),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pmtool {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    lang: Annotated[str | None, typer.Option("--lang", help="Language of messages: de (default) or en. "
                                             "Also PMTOOL_LANG.")] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback of an unexpected error "
                                        "(it may quote data from the inputs). Also PMTOOL_DEBUG=1.")] = False,
) -> None:
    """pmtool: process mining and Ist/Soll gap analysis for the infection-protection processes of
    Saxony's public health offices."""
    if lang is not None:
        if lang not in LANGUAGES:
            raise typer.BadParameter(f"choose one of {', '.join(LANGUAGES)}", param_hint="--lang")
        set_language(lang)
    global _debug
    _debug = debug or os.environ.get("PMTOOL_DEBUG", "") not in ("", "0")


app.command("ingest", no_args_is_help=True)(ingest_cmd.ingest)
app.command("inspect", no_args_is_help=True)(inspect_cmd.inspect)
app.command("discover", no_args_is_help=True)(discover_cmd.discover)
app.command("conform", no_args_is_help=True)(conform_cmd.conform)
app.command("simulate", no_args_is_help=False)(simulate_cmd.simulate)
app.command("aggregate", no_args_is_help=True)(aggregate_cmd.aggregate)
app.command("compare", no_args_is_help=True)(compare_cmd.compare)
app.command("init", no_args_is_help=False)(init_cmd.init)
app.command("run", no_args_is_help=False)(run_cmd.run)
app.command("demo", no_args_is_help=False)(run_cmd.demo)
app.command("report", no_args_is_help=True)(report_cmd.report)
app.command("adoption", no_args_is_help=True)(adoption_cmd.adoption)
app.command("efile", no_args_is_help=True)(efile_cmd.efile)
app.command("doctor", no_args_is_help=False)(doctor_cmd.doctor)
app.command("cases", no_args_is_help=True)(cases_cmd.cases)
app.command("export", no_args_is_help=True)(export_cmd.export)
app.command("before-after", no_args_is_help=True)(before_after_cmd.before_after_cmd)
app.command("design", no_args_is_help=False)(design_cmd.design)
key_app = typer.Typer(help="Manage the pseudonymisation key.", no_args_is_help=True)
key_app.command("new", no_args_is_help=True)(key_cmd.new)
app.add_typer(key_app, name="key")
models_app = typer.Typer(help="The Soll models pmtool ships.", no_args_is_help=True)
models_app.command("list")(models_cmd.list_models)
models_app.command("export")(models_cmd.export)
app.add_typer(models_app, name="models")


def main() -> None:
    """Console-script entry point."""
    app(prog_name="pmtool")


__all__ = ["app", "main", "Path"]
