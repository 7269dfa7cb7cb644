"""Demand over time: which server or virtual machine held capacity, from when to when.

Two sources describe it, each alone enough for a capacity history (docs/forecast.md):
the request files (`playbooks/history.py`: from approval to withdrawal) and NetBox's
changelog (`inventory/netbox/changelog.py`: from racking or creation to unracking or
deletion). Both produce `Tenure`s, plain data that `capacity/replay.py` replays on
today's snapshot to rebuild the data centre of any earlier month.

A tenure names the object as it is found in today's snapshot (its key, or its request
and name) so that it can be taken out for the months before it began, and carries its
`Footprint` so that it can be put back for the months it was held when today's
snapshot no longer has it (a withdrawn server, a deleted VM).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal


@dataclass(frozen=True)
class Footprint:
    """What one server or VM held: enough to put it back into a snapshot that lacks it.

    References (rack, feeds, cluster, site) name keys or names of the snapshot; feeds
    empty means "the rack's active feeds". A server comes back as a rack reservation of
    its units plus a commitment of its draw, plugs and bandwidth, a VM as a commitment
    on its cluster: the engine's own form for capacity held without an object.
    """

    site: str | None = None
    rack: str | None = None
    position: float | None = None
    u_height: float = 0.0
    feeds: tuple[str, ...] = ()
    psu_count: int | None = None
    draw_va: int = 0
    bandwidth_mbps: float = 0.0
    tenant: str | None = None
    cluster: str | None = None
    vcpus: float = 0.0
    memory_gb: float = 0.0
    disk_gb: float = 0.0


@dataclass(frozen=True)
class Tenure:
    """One object's hold on capacity: held from `start` (None: before the records begin)
    until `end` (None: still held)."""

    kind: Literal["device", "vm"]
    label: str  # for people: "REQ-2025-0003 server web-01", "NetBox device 1234"
    start: datetime | None
    end: datetime | None
    key: str | None = None  # the object's key in a snapshot read from the same source
    name: str | None = None
    request_id: str | None = None  # the co-location request it belongs to
    footprint: Footprint | None = None  # None: it cannot be put back (nothing known of it)
    source: str = ""  # "requests" | "netbox"

    def held_at(self, moment: datetime) -> bool:
        return (self.start is None or self.start <= moment) and (self.end is None or self.end > moment)
