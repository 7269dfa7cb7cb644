"""Progress of a long step as events: the library calls a `Progress` callback, the
command line decides whether and how to show it (colo_cli/progress.py draws a bar on a
terminal). Nothing below the command line prints progress itself.

An event is `(what, done, total)`: what is being done ("Reading NetBox", "Loading
dc.json: validating"), how far it is, out of how much (in the step's own unit: requests,
characters, objects). `done == total` ends the step; `total == 0` is a step of unknown
length that has begun.
"""

from __future__ import annotations

from typing import Callable

Progress = Callable[[str, int, int], None]


def no_progress(what: str, done: int, total: int) -> None:
    """A `Progress` that shows nothing."""
