"""Reading a CSV of any size with flat memory: bounded lines, a bounded field, no GC walks."""

from __future__ import annotations

import csv
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO


class Lines:
    """The lines of a text stream, cutting short any longer than `limit` (flat memory).

    A line too long is skipped and stands as an empty line; `flagged` counts it, and every
    line holding a NUL byte, so the reader can reject the record it falls in.
    """

    def __init__(self, stream: IO[str], limit: int) -> None:
        self._stream = stream
        self._limit = limit
        self.flagged = 0
        self.why = ""

    def __iter__(self) -> Iterator[str]:
        readline, limit = self._stream.readline, self._limit
        while line := readline(limit):
            if len(line) == limit and not line.endswith(("\n", "\r")):
                while (rest := readline(limit)) and len(rest) == limit:
                    if rest.endswith(("\n", "\r")):
                        break
                self._flag(f"line is longer than {limit} characters")
                line = "\n"
            elif "\x00" in line:
                self._flag("contains a NUL byte")
            yield line

    def _flag(self, why: str) -> None:
        self.flagged += 1
        self.why = why


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector while rows stream in.

    A batch keeps thousands of rows alive, and the collector would walk them again and again
    (a third of an import's time) though rows hold no reference cycles: reference counting
    frees each batch as soon as it is written.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def field_size_limit(limit: int) -> Iterator[None]:
    """Raise the csv module's ceiling on a field for the block."""
    previous = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def head_lines(lines: Iterator[str]) -> list[str]:
    """Read up to the first line that is not blank (the header), to guess the delimiter."""
    head = []
    for line in lines:
        head.append(line)
        if line.strip():
            break
    return head
