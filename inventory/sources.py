"""Where a snapshot comes from: the bundled demo, a file, or NetBox.

The caller has decided which (the composition root, playbooks/context.py, picks the
default source); NetBox is reached through the client it is handed, made on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from inventory.errors import InputError
from inventory.files import DEMO_NAME, load_snapshot
from inventory.model import Snapshot
from inventory.netbox.client import NetBoxClient
from inventory.netbox.loader import load_snapshot as load_from_netbox
from inventory.progress import Progress


@dataclass
class Loaded:
    snapshot: Snapshot
    source: str  # what to print as "source of the data" (never the token)
    notice: str | None = None  # one line for the user, e.g. "no NetBox configured: using the demo"
    requests_made: int | None = None  # HTTP requests, for NetBox


SnapshotOpener = Callable[[], Loaded]
DEMO_SOURCE = "demo (bundled Data Center Diskominfo Kaltim)"


def open_snapshot(source: str, *, sites: list[str] | None = None,
                  netbox: Callable[[], NetBoxClient] | None = None, progress: Progress | None = None) -> Loaded:
    """Load a snapshot from `source`: `demo`, `netbox` (through the client `netbox()`
    returns, checked), or a YAML/JSON path; `progress` hears how far reading has got."""
    if source == DEMO_NAME:
        return Loaded(load_snapshot(DEMO_NAME), DEMO_SOURCE)
    if source == "netbox":
        if netbox is None:
            raise InputError("source netbox: no NetBox connection was configured for this command")
        client = netbox()
        snapshot = load_from_netbox(client, sites, progress=progress)
        return Loaded(snapshot, f"NetBox {client.settings.url}", None, client.requests_made)
    path = Path(source)
    if not path.exists():
        raise InputError(f"unknown source {source!r}: not 'demo', 'netbox' or an existing file")
    return Loaded(load_snapshot(path, progress), f"file {path}")
