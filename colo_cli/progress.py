"""Progress on a terminal: a one-line bar on standard error, redrawn in place.

Only when standard error is a terminal (a pipe or a log file gets nothing), and only
once the command has run for `DELAY_S`, so that quick commands never flash a bar. The
library reports progress as events (inventory/progress.py); this is the one place that
draws them."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from inventory.progress import Progress

DELAY_S = 0.5  # no bar for a command quicker than this
REDRAW_S = 0.1  # at most ten redraws a second
WIDTH = 30


class TerminalBar:
    """A `Progress` that draws `what [#####.....] 42 %` and clears it when a step ends."""

    def __init__(self, stream: TextIO, delay_s: float = DELAY_S) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self.delay_s = delay_s
        self.drawn_at = 0.0
        self.width = 0  # of the line on the screen, to clear it
        self._lock = threading.Lock()  # the NetBox reader reports from several threads

    def __call__(self, what: str, done: int, total: int) -> None:
        now = time.monotonic()
        with self._lock:
            if total and done >= total:
                self._clear()
                return
            if now - self.started < self.delay_s or now - self.drawn_at < REDRAW_S:
                return
            self.drawn_at = now
            if total:
                filled = int(WIDTH * done / total)
                line = f"{what} [{'#' * filled}{'.' * (WIDTH - filled)}] {100 * done // total} %"
            else:
                line = f"{what} ..."
            self.stream.write("\r" + line.ljust(self.width))
            self.width = len(line)
            self.stream.flush()

    def _clear(self) -> None:
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0


def terminal_progress(stream: TextIO | None = None) -> Progress | None:
    """A bar on `stream` (standard error) if it is a terminal, else None (no progress)."""
    stream = stream if stream is not None else sys.stderr
    isatty = getattr(stream, "isatty", None)
    return TerminalBar(stream) if isatty is not None and isatty() else None
