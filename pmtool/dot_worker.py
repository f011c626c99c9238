"""The helper process that lays out and draws graphs for :mod:`pmtool.graphviz`, and the frames both sides
send through its pipes (a 4-byte big-endian length, then the bytes).

Kept apart from :mod:`pmtool.graphviz` so that a helper starts with pygraphviz alone: it imports neither
polars nor the rest of pmtool (a faster start, a smaller process beside each run).
"""

from __future__ import annotations

import json
import os
import struct
import sys
import tempfile
from typing import IO


def write_frame(stream: IO[bytes] | None, data: bytes) -> None:
    assert stream is not None
    stream.write(struct.pack(">I", len(data)) + data)
    stream.flush()


def read_frame(stream: IO[bytes] | None) -> bytes | None:
    assert stream is not None
    head = stream.read(4)
    if len(head) < 4:
        return None
    (size,) = struct.unpack(">I", head)
    data = stream.read(size)
    return data if len(data) == size else None


def serve() -> None:
    """Read requests (JSON: ``source``, ``fmt``, ``args``) from stdin, answer each with a status frame
    (``ok`` or ``error``) and the drawing (or the reason) frame.

    Graphviz writes its messages to file descriptor 2; they are caught in a temporary file per request and
    sent back as the reason of a failure."""
    import pygraphviz

    inp, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr
    with tempfile.TemporaryFile() as messages:
        os.dup2(messages.fileno(), 2)
        while (frame := read_frame(inp)) is not None:
            request = json.loads(frame)
            messages.seek(0)
            messages.truncate()
            try:
                graph = pygraphviz.AGraph(string=request["source"])
                data = graph.draw(format=request["fmt"], prog="dot", args=request["args"])
                answer = ("ok", bytes(data))
            except Exception as exc:  # the reason goes back to the caller, which raises it as RenderError
                messages.seek(0)
                said = [line.strip() for line in messages.read().decode("utf-8", "replace").splitlines()
                        if line.strip() and not line.startswith("Warning")]
                answer = ("error", (said[0] if said else str(exc) or type(exc).__name__).encode("utf-8"))
            write_frame(out, answer[0].encode("ascii"))
            write_frame(out, answer[1])
