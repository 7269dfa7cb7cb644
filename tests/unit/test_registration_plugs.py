"""Registration plugs a PSU where step 3 counted a plug (capacity/outlets.py), and never
calls a device that is not a PDU a PDU (playbooks/plugs.py `PlugPlanner.power_peer`).

NetBox is a small fake answering the two reads power_peer makes: a feed with its link
peers, and the power outlets of some devices with their input port and link peers.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest

from inventory.errors import ColoError
from inventory.netbox.reconcile import Change
from playbooks.registration import Planner


def port(pid: int, device_id: int, device: str) -> dict[str, Any]:
    return {"id": pid, "name": f"port{pid}", "device": {"id": device_id, "name": device}}


def outlet(oid: int, name: str, input_port: int | None, peer: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": oid, "name": name, "power_port": {"id": input_port} if input_port else None,
            "cable": 900 + oid if peer is not None else None, "link_peers": [peer] if peer else []}


class FakeNetBox:
    def __init__(self, feed_peers: list[dict[str, Any]] | None, outlets: dict[int, list[dict[str, Any]]]):
        self.feed = {"id": 7, "name": "F-A", "cable": 500 if feed_peers else None, "link_peers": feed_peers or []}
        self.outlets = outlets  # device id -> its outlets
        self.reads: list[str] = []

    def get_json(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        assert path == "dcim/power-feeds/7"
        self.reads.append(path)
        return self.feed

    def get_all(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        assert path == "dcim/power-outlets"
        self.reads.append(f"{path} {params['device_id']}")
        return [o for d in params["device_id"] for o in self.outlets.get(d, [])]


def planner(client: FakeNetBox) -> Planner:
    return Planner(client, SimpleNamespace(id="REQ-1"), date(2026, 12, 1))  # type: ignore[arg-type]


def taken(p: Planner, object_type: str, object_id: int) -> None:
    """A cable this plan already makes to that feed or outlet (another PSU of the request)."""
    p.add(Change("cable", "create", "other PSU", "dcim/cables", {
        "a_terminations": [{"object_type": "dcim.powerport", "object_id": 1}],
        "b_terminations": [{"object_type": object_type, "object_id": object_id}]}))


def test_an_uncabled_feed_is_one_plug() -> None:
    p = planner(FakeNetBox(None, {}))
    assert p.power_peer(7, "srv PSU1") == ("dcim.powerfeed", 7, "feed F-A")
    taken(p, "dcim.powerfeed", 7)
    with pytest.raises(ColoError, match="feed F-A has one plug, given to another PSU of this request: "
                                        "none is left for srv PSU2"):
        p.power_peer(7, "srv PSU2")


def test_a_free_outlet_tied_to_the_pdu_input_on_the_feed() -> None:
    # pdu-a's input (port 11) is on the feed. o1 is taken by a server; o2 is tied to no
    # input (its load would count on no feed); o10 and o3 are free: o3 first (natural order).
    pdu = {1: [outlet(1, "o1", 11, port(31, 3, "srv-old")), outlet(2, "o2", None),
               outlet(10, "o10", 11), outlet(3, "o3", 11)]}
    p = planner(FakeNetBox([port(11, 1, "pdu-a")], pdu))
    assert p.power_peer(7, "srv PSU1") == ("dcim.poweroutlet", 3, "PDU pdu-a outlet o3")
    taken(p, "dcim.poweroutlet", 3)
    assert p.power_peer(7, "srv PSU3") == ("dcim.poweroutlet", 10, "PDU pdu-a outlet o10")
    taken(p, "dcim.poweroutlet", 10)
    with pytest.raises(ColoError, match="PDU pdu-a on feed F-A has no free outlet for srv PSU5"):
        p.power_peer(7, "srv PSU5")


def test_a_pdu_chained_behind_an_outlet_offers_its_outlets() -> None:
    # pdu-a's only outlet feeds pdu-b's input (port 21); pdu-b's p1 is free.
    pdus = {1: [outlet(1, "o1", 11, port(21, 2, "pdu-b"))], 2: [outlet(5, "p1", 21)]}
    client = FakeNetBox([port(11, 1, "pdu-a")], pdus)
    assert planner(client).power_peer(7, "srv PSU1") == ("dcim.poweroutlet", 5, "PDU pdu-b outlet p1")


def test_a_feed_cabled_straight_to_a_server_is_no_pdu_and_has_no_plug() -> None:
    # The failure: the feed's cable goes to a server's PSU. It has no outlet; the
    # message says what it is and never calls it a PDU.
    client = FakeNetBox([port(31, 3, "srv-old")], {})
    with pytest.raises(ColoError) as error:
        planner(client).power_peer(7, "srv PSU1")
    message = str(error.value)
    assert "feed F-A is cabled straight to srv-old, not to a PDU: no plug is left for srv PSU1" in message
    assert "PDU srv-old" not in message
    assert error.value.hint == "run step 3 again: its capacity check counts the plugs left"


def test_on_a_three_phase_feed_the_outlet_is_on_the_leg_step_3_chose() -> None:
    # pdu-3p's outlets: o1 and o2 on leg A, o3 on leg B, o4 on leg C. Step 3 chose leg C (the
    # least loaded): PSU1 goes to o4, though o1 comes first by name; with no free outlet left
    # on leg C, the next PSU takes any free outlet rather than none.
    outlets = [dict(outlet(i, f"o{i}", 11), feed_leg={"value": leg, "label": leg})
               for i, leg in ((1, "A"), (2, "A"), (3, "B"), (4, "C"))]
    p = planner(FakeNetBox([port(11, 1, "pdu-3p")], {1: outlets}))
    assert p.power_peer(7, "srv PSU1", "C") == ("dcim.poweroutlet", 4, "PDU pdu-3p outlet o4")
    taken(p, "dcim.poweroutlet", 4)
    assert p.power_peer(7, "srv PSU3", "C") == ("dcim.poweroutlet", 1, "PDU pdu-3p outlet o1")
    assert p.power_peer(7, "srv PSU1", "B") == ("dcim.poweroutlet", 3, "PDU pdu-3p outlet o3")
    assert p.power_peer(7, "srv PSU1") == ("dcim.poweroutlet", 1, "PDU pdu-3p outlet o1")
