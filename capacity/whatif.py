"""Edits of a snapshot for the capacity history and for what-if questions. Pure.

Every function returns a new snapshot (a shallow copy with new lists) and never
changes its argument. What is taken out: devices (with their child devices, the
cables to their outlets and their cluster-host entries), VMs, the commitments and
reservations of requests. What is put back: a `Footprint`, as the engine counts
capacity held without an object: a rack reservation of its units and a commitment of
its draw, plugs, bandwidth and hosting (the same form an approved request takes, see
playbooks/commitments.py).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from inventory.demand import Footprint
from inventory.errors import InputError
from inventory.model import Commitment, RackReservation, Snapshot, replaced


def units_touched(position: float, u_height: float) -> list[int]:
    """Whole units a device at `position` of `u_height` touches (reservations hold whole
    units): a 1U device at 10.5 touches units 10 and 11."""
    first = math.floor(position)
    last = math.ceil(position + u_height) - 1
    return list(range(first, max(first, last) + 1))


# --------------------------------------------------------------------------- taking out
def without_devices(snapshot: Snapshot, keys: Iterable[str]) -> Snapshot:
    """The snapshot without these devices and their child devices; ports cabled to their
    outlets become uncabled, cluster hosts on them are dropped."""
    gone = set(keys)
    if not gone:
        return snapshot
    children = True
    while children:  # a parent's children, and theirs
        children = {d.key for d in snapshot.devices if d.parent in gone and d.key not in gone}
        gone |= children
    devices = []
    for d in snapshot.devices:
        if d.key in gone:
            continue
        if any(p.outlet is not None and p.outlet.device in gone for p in d.power_ports):
            ports = [replaced(p, outlet=None) if p.outlet is not None and p.outlet.device in gone else p
                     for p in d.power_ports]
            d = replaced(d, power_ports=ports)
        devices.append(d)
    clusters = [c if not any(h.device in gone for h in c.hosts)
                else c.model_copy(update={"hosts": [h for h in c.hosts if h.device not in gone]})
                for c in snapshot.clusters]
    return snapshot.model_copy(update={"devices": devices, "clusters": clusters})


def without_vms(snapshot: Snapshot, keys: Iterable[str]) -> Snapshot:
    gone = set(keys)
    if not gone:
        return snapshot
    clusters = [c if not any(vm.key in gone for vm in c.vms)
                else c.model_copy(update={"vms": [vm for vm in c.vms if vm.key not in gone]})
                for c in snapshot.clusters]
    return snapshot.model_copy(update={"clusters": clusters})


def without_requests(snapshot: Snapshot, request_ids: Iterable[str]) -> Snapshot:
    """Without the commitments of these requests and the reservations holding their units
    (key or description starting with `REQUEST-ID:`, as approval writes them)."""
    ids = set(request_ids)
    if not ids:
        return snapshot
    prefixes = tuple(f"{rid}:" for rid in ids)
    return snapshot.model_copy(update={
        "commitments": [c for c in snapshot.commitments if c.request_id not in ids],
        "reservations": [r for r in snapshot.reservations
                         if not (r.key.startswith(prefixes) or (r.description or "").startswith(prefixes))],
    })


# --------------------------------------------------------------------------- putting back
@dataclass
class Resolver:
    """Names and keys of one snapshot, for footprints that name either."""

    snapshot: Snapshot
    racks: dict[str, str] = field(default_factory=dict)
    feeds: dict[tuple[str, str], str] = field(default_factory=dict)
    clusters: dict[str, str] = field(default_factory=dict)
    tenants: dict[str, str] = field(default_factory=dict)
    sites: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        s = self.snapshot
        for r in s.racks:
            self.racks.setdefault(r.name, r.key)
        self.racks.update({r.key: r.key for r in s.racks})
        for f in s.power_feeds:
            if f.rack is not None:
                self.feeds[(f.rack, f.key)] = f.key
                self.feeds.setdefault((f.rack, f.name), f.key)
        for c in s.clusters:
            self.clusters.setdefault(c.name, c.key)
        self.clusters.update({c.key: c.key for c in s.clusters})
        for t in s.tenants:
            for ident in (t.name, t.slug, t.key):
                self.tenants[ident] = t.key
        for site in s.sites:
            for ident in (site.name, site.slug, site.key):
                self.sites[ident] = site.key


def with_footprints(snapshot: Snapshot, items: Iterable[tuple[str, Footprint]]) -> tuple[Snapshot, list[str]]:
    """The snapshot with each (label, footprint) held again; notes name what could not be
    placed back (a rack or cluster this snapshot does not have)."""
    items = list(items)
    if not items:
        return snapshot, []
    res = Resolver(snapshot)
    rack_of = {r.key: r for r in snapshot.racks}
    cluster_site = {c.key: c.site for c in snapshot.clusters}
    reservations = list(snapshot.reservations)
    commitments = list(snapshot.commitments)
    notes: list[str] = []
    for n, (label, fp) in enumerate(items):
        tenant = res.tenants.get(fp.tenant) if fp.tenant else None
        site = res.sites.get(fp.site) if fp.site else None
        rack = res.racks.get(fp.rack) if fp.rack else None
        if fp.rack and rack is None:
            notes.append(f"{label}: rack {fp.rack!r} is not in the data; not counted")
            continue
        cluster = res.clusters.get(fp.cluster) if fp.cluster else None
        if fp.cluster and cluster is None:
            notes.append(f"{label}: cluster {fp.cluster!r} is not in the data; not counted")
            continue
        feeds: list[str] = []
        if rack is not None:
            site = rack_of[rack].site
            found = [res.feeds.get((rack, f)) for f in fp.feeds]
            feeds = [f for f in found if f is not None] if all(found) else []  # else: the rack's feeds
            if fp.position is not None and fp.u_height > 0:
                r = rack_of[rack]
                low, high = r.starting_unit, r.starting_unit + r.u_height - 1
                units = [u for u in units_touched(fp.position, fp.u_height) if low <= u <= high]
                if units:
                    reservations.append(RackReservation(key=f"{label}#{n}", rack=rack, units=units,
                                                        tenant=tenant, description=label))
        elif cluster is not None:
            site = site or cluster_site[cluster]
        commitments.append(Commitment(
            request_id=label, tenant=tenant, site=site, rack=rack, feeds=feeds, psu_count=fp.psu_count,
            draw_va=fp.draw_va, bandwidth_mbps=fp.bandwidth_mbps, vcpus=fp.vcpus, memory_gb=fp.memory_gb,
            disk_gb=fp.disk_gb, cluster=cluster))
    return snapshot.model_copy(update={"reservations": reservations, "commitments": commitments}), notes


# --------------------------------------------------------------------------- what-if removals
def tenant_key(snapshot: Snapshot, text: str) -> str:
    """A tenant by key, slug or name (case-insensitive); an unknown one is bad input."""
    wanted = text.strip().lower()
    for t in snapshot.tenants:
        if wanted in (t.key.lower(), t.slug.lower(), t.name.lower()):
            return t.key
    known = ", ".join(sorted(t.slug for t in snapshot.tenants)[:12]) or "none"
    raise InputError(f"--remove: unknown tenant {text!r} (tenants: {known})")


def without_tenant(snapshot: Snapshot, tenant: str) -> tuple[Snapshot, str]:
    """Withdraw a whole tenant: its devices, VMs, reservations and commitments. Returns
    the snapshot and what was taken out, for people."""
    key = tenant_key(snapshot, tenant)
    devices = [d.key for d in snapshot.devices if d.tenant == key]
    vms = [vm.key for c in snapshot.clusters for vm in c.vms if vm.tenant == key]
    out = without_vms(without_devices(snapshot, devices), vms)
    reservations = [r for r in out.reservations if r.tenant != key]
    commitments = [c for c in out.commitments if c.tenant != key]
    held = (len(out.reservations) - len(reservations)) + (len(out.commitments) - len(commitments))
    out = out.model_copy(update={"reservations": reservations, "commitments": commitments})
    name = next(t.name for t in snapshot.tenants if t.key == key)
    return out, (f"tenant {name}: {len(devices)} device(s), {len(vms)} VM(s), "
                 f"{held} reservation(s) or commitment(s) withdrawn")


def without_serials(snapshot: Snapshot, serials: Iterable[str]) -> tuple[Snapshot, str]:
    """Withdraw the devices with these serial numbers; an unknown serial is bad input."""
    wanted = [s.strip() for s in serials if s.strip()]
    by_serial: dict[str, list[str]] = {}
    for d in snapshot.devices:
        if d.serial:
            by_serial.setdefault(d.serial, []).append(d.key)
    unknown = [s for s in wanted if s not in by_serial]
    if unknown:
        raise InputError(f"--remove: no device has serial number {', '.join(repr(s) for s in unknown[:5])}"
                         + (f" (and {len(unknown) - 5} more)" if len(unknown) > 5 else ""))
    keys = [k for s in wanted for k in by_serial[s]]
    return without_devices(snapshot, keys), f"{len(keys)} device(s) by serial number withdrawn"
