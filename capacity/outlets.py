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
the load of a server plugged into it would count on no feed (the scan reports such
outlets as `dangling_pdu`). Approved, not installed requests hold plugs (commitments):
PSU i of a server goes on `feeds[i % len(feeds)]`, as registration cables it
(playbooks/registration.py `Planner.power`). Rules: docs/capacity-rules.md, "Plugs".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from capacity.results import FeedPlugs
from capacity.scan import DeviceScan, scan_devices
from inventory.model import Snapshot

Input = tuple[str, str]  # (PDU device key, name of its power port)


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
    outlets_of: dict[Input, list[str]] = {}  # a PDU input -> the outlets tied to it
    behind: dict[tuple[str, str], Input] = {}  # an outlet -> the PDU input cabled to it (a chain)
    on_feed: dict[str, list[Input]] = defaultdict(list)
    pdu_name: dict[str, str] = {}
    for di in scan.pdus:
        d = devices[di]
        pdu_name[d.key] = d.name or d.key
        tied: dict[str, list[str]] = defaultdict(list)
        for o in d.power_outlets:
            if o.power_port is not None:
                tied[o.power_port].append(o.name)
        for p in d.power_ports:
            names = tied.get(p.name)
            if not names:
                continue  # a port feeding no outlet: the PDU's own draw, no plug
            inp = (d.key, p.name)
            outlets_of[inp] = names
            if p.feed is not None:
                on_feed[p.feed].append(inp)
            elif p.outlet is not None:
                behind[(p.outlet.device, p.outlet.name)] = inp

    cabled = scan.cabled_outlets
    memo: dict[Input, tuple[int, list[str]]] = {}

    def free_behind(inp: Input, visiting: set[Input]) -> tuple[int, list[str]]:
        """Free outlets of a PDU input and of the PDUs chained behind it; their PDUs."""
        done = memo.get(inp)
        if done is not None:
            return done
        if inp in visiting:  # a loop of PDUs (a data error the findings report)
            return 0, []
        visiting.add(inp)
        free, pdus = 0, [pdu_name[inp[0]]]
        for name in outlets_of[inp]:
            chained = behind.get((inp[0], name))
            if chained is not None:
                more, names = free_behind(chained, visiting)
                free += more
                pdus += [n for n in names if n not in pdus]
            elif (inp[0], name) not in cabled:
                free += 1
        visiting.discard(inp)
        memo[inp] = (free, pdus)
        return free, pdus

    committed: dict[str, int] = defaultdict(int)
    for cm in snapshot.commitments:
        count = cm.psu_count if cm.psu_count is not None else len(cm.feeds)
        for f in psu_feeds(count, cm.feeds):
            committed[f] += 1

    out: dict[str, FeedPlugs] = {}
    for f in snapshot.power_feeds:
        inputs = on_feed.get(f.key)
        if inputs:
            plugs, pdus = 0, []
            for inp in inputs:
                free, names = free_behind(inp, set())
                plugs += free
                pdus += [n for n in names if n not in pdus]
            out[f.key] = FeedPlugs(f.key, "pdu", plugs, committed[f.key], pdus)
        elif f.key in scan.device_feeds:
            out[f.key] = FeedPlugs(f.key, "device", 0, committed[f.key])
        else:
            out[f.key] = FeedPlugs(f.key, "feed", 1, committed[f.key])
    return out
