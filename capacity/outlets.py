"""Plugs: where the power supplies of a new server can be plugged in, per feed. Pure.

NetBox gives a power feed ONE cable, so a feed offers
* one plug, the feed itself, when nothing is cabled to it (registration cables a PSU
  straight to the feed);
* the free outlets of the PDU whose input is cabled to it: the outlets tied to that input
  (`power_port`) with nothing cabled to them, and likewise the free outlets of every PDU
  chained behind one of its outlets, to any depth (a chained PDU draws from the same
  feed, and capacity/power.py counts its load there);
* no plug when a device other than a PDU is cabled straight to it (a server's PSU on the
  feed): that device is not a PDU and has no outlet to offer.

A PDU is a device with power outlets. An outlet tied to no input port is never offered:
the load of a server plugged into it would count on no feed (a cabled one is reported as
`dangling_power_chain`). Approved, not installed requests hold plugs (commitments):
PSU i of a server goes on `feeds[i % len(feeds)]`, as registration cables it
(playbooks/plugs.py `PlugPlanner.power`). Rules: docs/capacity-rules.md, "Plugs".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from capacity.results import FeedPlugs
from capacity.scan import DeviceScan, scan_devices
from inventory.model import Snapshot



def psu_feeds(psu_count: int, feeds: Sequence[str]) -> list[str]:
    """The feed each PSU of a server is plugged into: PSU i on feeds[i % len(feeds)]."""
    if not feeds:
        return []
    return [feeds[i % len(feeds)] for i in range(psu_count)]


def plugs_needed(psu_count: int, feeds: Sequence[str]) -> dict[str, int]:
    """Plugs a server takes on each of its feeds."""
    need: dict[str, int] = {}
    for f in psu_feeds(psu_count, feeds):
        need[f] = need.get(f, 0) + 1
    return need


def compute_plugs(snapshot: Snapshot, scan: DeviceScan | None = None) -> dict[str, FeedPlugs]:
    """Every feed's plugs, and how many of them approved requests hold."""
    scan = scan if scan is not None else scan_devices(snapshot)
    devices = scan.devices
    free, chain = scan.pdu_port_free, scan.pdu_chain
    on_feed: dict[str, list[int]] = defaultdict(list)  # feed -> PDU inputs cabled to it
    for i, (f, up) in enumerate(zip(scan.pdu_port_feed, scan.pdu_port_up)):
        if f is not None and up:
            on_feed[f].append(i)

    by_leg_of_port = scan.pdu_port_free_legs

    def walk(inputs: list[int]) -> tuple[int, list[str], dict[str, int]]:
        """Free outlets of these PDU inputs and of the PDUs chained behind them; their PDUs;
        the free outlets per leg (three-phase)."""
        total, pdus, todo, seen = 0, [], list(inputs), set(inputs)
        by_leg: dict[str, int] = {}
        while todo:  # a loop of PDUs (a data error the findings report) is walked once
            i = todo.pop(0)
            total += free[i]
            for leg, n in by_leg_of_port.get(i, {}).items():
                by_leg[leg] = by_leg.get(leg, 0) + n
            d = devices[scan.pdu_port_device[i]]
            if (d.name or d.key) not in pdus:
                pdus.append(d.name or d.key)
            for child in chain.get(i, ()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        return total, pdus, by_leg

    committed: dict[str, int] = defaultdict(int)
    for cm in snapshot.commitments:
        count = cm.psu_count if cm.psu_count is not None else len(cm.feeds)
        for f in psu_feeds(count, cm.feeds):
            committed[f] += 1

    out: dict[str, FeedPlugs] = {}
    for f in snapshot.power_feeds:
        inputs = on_feed.get(f.key)
        if inputs:
            plugs, pdus, by_leg = walk(inputs)
            out[f.key] = FeedPlugs(f.key, "pdu", plugs, committed[f.key], pdus,
                                   by_leg if f.phase == "three-phase" else {})
        elif f.key in scan.device_feeds:
            out[f.key] = FeedPlugs(f.key, "device", 0, committed[f.key])
        else:
            out[f.key] = FeedPlugs(f.key, "feed", 1, committed[f.key])
    return out
