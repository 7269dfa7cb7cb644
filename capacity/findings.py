"""Data-quality findings: what a person should fix in the data before trusting the figures.

Pure: a snapshot in, a list of `Finding` out. The kinds (see docs/capacity-rules.md):

* `no_draw_data`         a device that needs power has a leaf power port with neither
                         allocated nor maximum draw, or no power port at all while racked;
* `uncabled_power_ports` an active racked device that needs power has ports, none cabled;
* `uncabled_feed`        a feed assigned to a rack with no port cabled to it;
* `rack_without_feeds`   a rack holding devices that need power, with no feed assigned;
* `overlap`              two racked devices share a half unit on a face (full depth: both);
* `outside_rack`         a racked device reaches below or above its rack's units;
* `dangling_power_chain` a PDU whose cabled outlets lead to no feed upstream;
* `invalid_bandwidth`    a device's `bandwidth_mbps` custom field is not a number >= 0;
* `commitment_unassigned` a commitment's bandwidth or hosting need has no site/cluster.
"""

from __future__ import annotations

from capacity.committed import CommitmentScope
from capacity.scan import BANDWIDTH_FIELD, DeviceScan, gc_paused, scan_devices
from capacity.results import Finding
from inventory.model import AnyDevice, Snapshot


def _dname(d: AnyDevice) -> str:
    return d.name or d.key


def _units(first_half: int, last_half: int) -> str:
    """The rack units touched by half units first..last (inclusive): "U10" or "U4-U5"."""
    a, b = first_half // 2, last_half // 2
    return f"U{a}" if a == b else f"U{a}-U{b}"


def data_quality_findings(snapshot: Snapshot, scan: DeviceScan | None = None) -> list[Finding]:
    """Every data-quality finding of a snapshot, grouped by kind, in data order.

    `scan` (from `scan.scan_devices`) may be passed when the caller shares it with
    `compute_power`; it is built here otherwise.
    """
    if scan is None:
        scan = scan_devices(snapshot)
    with gc_paused():
        return _findings(snapshot, scan)


def _findings(snapshot: Snapshot, scan: DeviceScan) -> list[Finding]:
    devices = scan.devices
    racks = {r.key: r for r in snapshot.racks}
    out: list[Finding] = []

    for di, missing in scan.no_draw:
        d = devices[di]
        if missing:
            msg = (f"power port(s) {', '.join(missing)} have neither allocated nor maximum "
                   "draw: counted as 0 VA until set")
        else:
            msg = "racked but has no power port: its draw is unknown and counted on no feed"
        out.append(Finding(kind="no_draw_data", severity="warning",
                           object=f"device {_dname(d)}", message=msg, site=d.site))

    for di in scan.uncabled:
        d = devices[di]
        out.append(Finding(
            kind="uncabled_power_ports", severity="warning", object=f"device {_dname(d)}",
            message="active, but none of its power ports is cabled to a feed or PDU outlet",
            site=d.site))

    racks_with_feeds: set[str] = set()
    for f in snapshot.power_feeds:
        if f.rack is None:
            continue
        racks_with_feeds.add(f.rack)
        if f.key not in scan.cabled_feeds:
            r = racks[f.rack]
            out.append(Finding(
                kind="uncabled_feed", severity="warning", object=f"feed {f.name}",
                message=f"assigned to rack {r.name} but no power port is cabled to it",
                site=r.site))

    for rk, count in scan.power_devices_by_rack.items():
        if rk in racks_with_feeds:
            continue
        r = racks[rk]
        out.append(Finding(
            kind="rack_without_feeds", severity="warning", object=f"rack {r.name}",
            message=f"holds {count} device(s) that need power but no power feed is "
                    "assigned to the rack", site=r.site))

    for a, b, where in scan.overlaps:
        da, db = devices[a], devices[b]
        r = racks[da.rack]  # type: ignore[index]
        slots = [s for s, _ in where]
        faces = " and ".join(name for face, name in ((0, "front"), (1, "rear"))
                             if any(f == face for _, f in where))
        span = _units(min(slots), max(slots))
        out.append(Finding(
            kind="overlap", severity="error", object=f"rack {r.name}",
            message=f"devices {_dname(da)} and {_dname(db)} both occupy {span} ({faces})",
            site=r.site))

    types = {t.key: t for t in snapshot.device_types}
    for di in scan.outside:
        d = devices[di]
        r = racks[d.rack]  # type: ignore[index]
        lo = int(d.position * 2)  # type: ignore[operator]
        hi = lo + int(types[d.device_type].u_height * 2) - 1
        out.append(Finding(
            kind="outside_rack", severity="error", object=f"device {_dname(d)}",
            message=f"occupies {_units(lo, hi)} but rack {r.name} has "
                    f"U{r.starting_unit}-U{r.starting_unit + r.u_height - 1}", site=r.site))

    for di, what in scan.dangling:
        d = devices[di]
        out.append(Finding(
            kind="dangling_power_chain", severity="warning", object=f"device {_dname(d)}",
            message=f"PDU with devices cabled to its outlets but no power feed upstream of "
                    f"{', '.join(what)}: their draw is counted on no feed", site=d.site))

    for di in scan.invalid_bandwidth:
        d = devices[di]
        out.append(Finding(
            kind="invalid_bandwidth", severity="warning", object=f"device {_dname(d)}",
            message=f"custom field {BANDWIDTH_FIELD} is "
                    f"{d.custom_fields.get(BANDWIDTH_FIELD)!r}, not a number >= 0: counted as 0",
            site=d.site))

    out += _commitment_findings(snapshot)
    return out


def _commitment_findings(snapshot: Snapshot) -> list[Finding]:
    if not snapshot.commitments:
        return []
    scope = CommitmentScope(snapshot)
    out = []
    for cm in snapshot.commitments:
        site = scope.site_of(cm)
        if cm.bandwidth_mbps > 0 and site is None:
            out.append(Finding(
                kind="commitment_unassigned", severity="warning",
                object=f"request {cm.request_id}",
                message=f"commits {cm.bandwidth_mbps} Mbps but names no site or rack: "
                        "counted against no site's bandwidth", site=None))
        if (cm.vcpus or cm.memory_gb or cm.disk_gb) and scope.cluster_of(cm) is None:
            out.append(Finding(
                kind="commitment_unassigned", severity="warning",
                object=f"request {cm.request_id}",
                message="commits hosting compute but names no cluster, and its site does not "
                        "have exactly one cluster: counted against no cluster", site=site))
    return out
