"""One writer per request on a machine: apply, withdraw and the steps take its lock.

The lock is an exclusive, non-blocking `flock` on `.REQ-YYYY-NNNN.lock` in the requests
folder, not on the request file itself: saving a request replaces the file by rename
(`write_atomic`), so a lock on its inode would guard a file that is no longer there.
The holder writes who it is into the lock file, so the one refused can name it. The
lock goes when its holder ends, however it ends (the kernel drops it with the file
descriptor). A holder also removes the file on its way out, while still holding it,
so a command leaves no file behind; a process that then opened the removed file sees
that its file is no longer the one at the path and starts over.

Across machines (two copies of the folder) this lock cannot help: there NetBox's own
state settles it (inventory/netbox/write_once.py).
"""

from __future__ import annotations

import os
import socket
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import ContextManager, Iterator

from inventory.errors import ColoError
from playbooks.request_model import normalise_id
from playbooks.requests import RequestStore

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
    path = lock_path(folder, request_id)
    fd = _acquire(path, request_id)
    try:
        me = (f"`{what}` (pid {os.getpid()} on {socket.gethostname()}, "
              f"since {datetime.now().astimezone():%Y-%m-%d %H:%M:%S %z})")
        os.ftruncate(fd, 0)
        os.pwrite(fd, me.encode("utf-8"), 0)
        yield
    finally:
        path.unlink(missing_ok=True)  # while still held: a waiter re-checks the path (_acquire)
        os.close(fd)


def request_lock_for(store: RequestStore, request_id: str, command: str) -> ContextManager[None]:
    """The lock of the request `request_id` names (any spelling `normalise_id` accepts)
    while running `command` (`{rid}` in it: the request id), for the message of one refused."""
    rid = normalise_id(request_id)
    return request_lock(store.root, rid, command.format(rid=rid))


def _acquire(path: Path, request_id: str) -> int:
    """An fd of `path` holding its exclusive lock; RequestBusy when another process has it."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 400, 0).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise RequestBusy(f"{request_id} is busy: {holder}",
                              "wait until it has finished, then run this command again") from None
        try:
            current = os.stat(path)
        except FileNotFoundError:
            current = None
        mine = os.fstat(fd)
        if current is not None and (current.st_ino, current.st_dev) == (mine.st_ino, mine.st_dev):
            return fd
        os.close(fd)  # the holder we waited for removed it: lock the file now at the path
