"""A registered server's power ports, and the plug each one is cabled to: where step 3
counted a plug (capacity/outlets.py; rules in docs/capacity-rules.md, "Plugs").

PSU i goes on the placement's feeds[i % len(feeds)]. On that feed: the feed itself
when nothing is cabled to it; else a free outlet tied to the input of a PDU on the feed,
or of a PDU chained behind one of its outlets. A device cabled straight to the feed is
no PDU and leaves no plug.
"""

from __future__ import annotations

from typing import Any

from capacity.outlets import psu_feeds
from inventory.errors import ColoError
from inventory.names import natural_key
from inventory.netbox import kinds as K
from inventory.netbox.compare import norm
from inventory.netbox.kinds import Ref
from inventory.netbox.reconcile import Change
from playbooks.planning import RequestPlanner
from playbooks.request_model import Server

AGAIN = "run step 3 again: its capacity check counts the plugs left"
PSU_PORT_TYPE = "iec-60320-c14"


def split_draw(total: int | None, n: int) -> list[int | None]:
    """A draw split over n PSUs so the ports sum to the server's draw (capacity/power.py
    adds leaf ports up)."""
    if total is None:
        return [None] * n
    base, extra = divmod(total, n)
    return [base + (1 if i < extra else 0) for i in range(n)]


def _ports(peers: Any) -> list[dict[str, Any]]:
    """The power ports among a cable's link peers (a device's, not a feed)."""
    return [p for p in peers or [] if isinstance(p, dict) and isinstance(p.get("device"), dict)]


class PlugPlanner(RequestPlanner):
    """Power ports and their cables, for `playbooks.registration.Planner`."""

    def power(self, device: int | Ref, s: Server, sp: Any) -> None:
        n = s.psu_count
        alloc = split_draw(s.allocated_draw_w, n)
        maxi = split_draw(s.maximum_draw_w, n)
        have: dict[str, dict[str, Any]] = {}
        if isinstance(device, int):
            rows = self.client.get_all(K.POWER_PORT.endpoint, {
                "device_id": device, "fields": "id,name,allocated_draw,maximum_draw,cable,link_peers,link_peers_type"})
            have = {r["name"]: r for r in rows}
        plug_feeds = psu_feeds(n, [int(f) for f in sp.feeds])  # as step 3 counted
        leg_of = {int(f): leg for f, leg in zip(sp.feeds, sp.legs) if leg}
        for i in range(n):
            name = f"PSU{i + 1}"
            label = f"{s.name} {name} ({alloc[i] or '-'}/{maxi[i]} W)"
            want = {"allocated_draw": alloc[i], "maximum_draw": maxi[i]}
            ref = f"port:{s.serial}:{name}"
            self.plan.object(K.POWER_PORT, label, want, have.get(name), ref=ref,
                             on_create={"device": device, "name": name, "type": PSU_PORT_TYPE})
            port: int | Ref = have[name]["id"] if name in have else Ref(ref)
            if not plug_feeds:
                continue
            if name in have and have[name].get("cable") is not None:
                self.add(Change(K.CABLE.name, "keep", f"{s.name} {name}", K.CABLE.endpoint,
                                object_id=norm(have[name]["cable"])))
                continue
            peer_type, peer_id, peer_label = self.power_peer(plug_feeds[i], f"{s.name} {name}",
                                                             leg_of.get(plug_feeds[i]))
            self.plan.object(K.CABLE, f"{s.name} {name} -> {peer_label}", {}, None, on_create={
                "a_terminations": [{"object_type": "dcim.powerport", "object_id": port}],
                "b_terminations": [{"object_type": peer_type, "object_id": peer_id}],
                "status": "connected", "label": self.req.id})

    def power_peer(self, feed_id: int, psu: str, leg: str | None = None) -> tuple[str, int, str]:
        """The plug for `psu` on a feed (see the module's docstring). Plugs this plan
        already gives to other PSUs are taken. On a three-phase feed, a free outlet of `leg`
        (the one step 3 chose to keep the legs balanced) comes first, then any other."""
        planned = {(t.get("object_type"), t.get("object_id")) for c in self.plan.changes if c.kind == K.CABLE.name
                   for t in c.payload.get("b_terminations", [])}
        feed = self.client.get_json(f"dcim/power-feeds/{feed_id}", {"fields": "id,name,cable,link_peers"})
        if feed.get("cable") is None:
            if ("dcim.powerfeed", feed_id) in planned:
                raise ColoError(f"feed {feed['name']} has one plug, given to another PSU of this request: "
                                f"none is left for {psu}", AGAIN)
            return "dcim.powerfeed", feed_id, f"feed {feed['name']}"

        frontier, seen = _ports(feed.get("link_peers")), set()
        pdus: list[str] = []
        free: list[tuple[str, dict[str, Any]]] = []  # (PDU name, outlet), PDU by PDU
        while frontier:  # one read per level of PDUs
            seen |= {p["id"] for p in frontier}
            outlets = self.client.get_all("dcim/power-outlets", {
                "device_id": sorted({p["device"]["id"] for p in frontier}),
                "fields": "id,name,cable,power_port,link_peers,feed_leg"})
            tied: dict[int | None, list[dict[str, Any]]] = {}
            for o in outlets:
                tied.setdefault(norm(o.get("power_port")), []).append(o)
            chained: list[dict[str, Any]] = []
            for p in frontier:
                mine = tied.get(p["id"])
                if not mine:
                    continue  # outlets tied to no input count on no feed: never offered
                pdu = p["device"].get("name") or f"device {p['device']['id']}"
                pdus.append(pdu)
                mine.sort(key=lambda o: natural_key(o["name"]))
                for o in mine:
                    if o.get("cable") is not None:
                        chained += [q for q in _ports(o.get("link_peers")) if q["id"] not in seen]
                    elif ("dcim.poweroutlet", o["id"]) not in planned:
                        free.append((pdu, o))
            frontier = chained
        if free:
            on_leg = [f for f in free if norm(f[1].get("feed_leg")) == leg] if leg else []
            pdu, outlet = (on_leg or free)[0]
            return "dcim.poweroutlet", outlet["id"], f"PDU {pdu} outlet {outlet['name']}"
        if pdus:
            raise ColoError(f"PDU {', '.join(pdus)} on feed {feed['name']} has no free outlet for {psu}", AGAIN)
        held = ", ".join(sorted({p["device"].get("name") or f"device {p['device']['id']}"
                                 for p in _ports(feed.get("link_peers"))})) or "another object"
        raise ColoError(f"feed {feed['name']} is cabled straight to {held}, not to a PDU: no plug is left "
                        f"for {psu}", AGAIN)
