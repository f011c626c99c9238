"""A process of its own that runs pmtool commands for the hostile-input corpus, one after another.

pmtool is imported once in it (starting a process per input would take longer than the inputs do); the
test process watches its memory and time from outside, and starts a new one when an input killed it or
took too long. The answer per command: exit code, standard output and error, the traceback of an
exception that escaped, seconds.
"""

from __future__ import annotations

import os
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any


def serve(conn: Connection) -> None:
    from typer.testing import CliRunner

    from pmtool.cli.app import app

    runner = CliRunner()
    conn.send("ready")
    while True:
        request = conn.recv()
        if request is None:
            return
        args, env, cwd = request
        os.chdir(cwd)
        start = time.perf_counter()
        result = runner.invoke(app, args, env=env)
        escaped = None
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            escaped = "".join(traceback.format_exception(result.exception))[-4000:]
        answer: dict[str, Any] = {"exit": result.exit_code, "stdout": result.stdout[-20_000:],
                                  "stderr": result.stderr[-20_000:], "exception": escaped,
                                  "seconds": time.perf_counter() - start}
        conn.send(answer)
