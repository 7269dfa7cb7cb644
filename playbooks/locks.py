"""One writer per request on a machine: apply, withdraw and the steps take its lock.

The lock is an exclusive, non-blocking `flock` on `.REQ-YYYY-NNNN.lock` in the requests
folder, not on the request file itself: saving a request replaces the file by rename
(`write_atomic`), so a lock on its inode would guard a file that is no longer there.
The holder writes who it is into the lock file, so the one refused can name it. The
lock goes when its holder ends, however it ends (the kernel drops it with the file
descriptor); the file stays, empty of meaning, and is reused.

Across machines (two copies of the folder) this lock cannot help: there NetBox's own
state settles it (playbooks/identity.py).
"""

from __future__ import annotations

import os
import socket
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator

from inventory.errors import ColoError

try:
    import fcntl
except ImportError:  # pragma: no cover - not a POSIX system: no lock, as before
    fcntl = None  # type: ignore[assignment]


class RequestBusy(ColoError):
    """Another process holds the request's lock."""


def lock_path(folder: Path, request_id: str) -> Path:
    return folder / f".{request_id}.lock"


@contextmanager
def request_lock(folder: Path, request_id: str, what: str) -> Iterator[None]:
    """Hold `request_id`'s lock while doing `what` (e.g. `colo request apply`), or raise
    RequestBusy naming the process that holds it."""
    if fcntl is None or not (folder / f"{request_id}.yaml").is_file():
        yield  # no such request: nothing to guard, and no lock file left behind by a typo
        return
    fd = os.open(lock_path(folder, request_id), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 400, 0).decode("utf-8", "replace").strip() or "another process"
            raise RequestBusy(f"{request_id} is busy: {holder}",
                              "wait until it has finished, then run this command again") from None
        me = (f"`{what}` (pid {os.getpid()} on {socket.gethostname()}, "
              f"since {datetime.now().astimezone():%Y-%m-%d %H:%M:%S %z})")
        os.ftruncate(fd, 0)
        os.pwrite(fd, me.encode("utf-8"), 0)
        yield
    finally:
        os.close(fd)
