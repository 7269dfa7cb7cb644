"""The registration and withdrawal planners against recorded NetBox answers.

tests/fixtures/netbox/*.json hold what the real NetBox 4.7 sandbox answered every read
the planners made (scripts/record_fixtures.py recorded them): for a request nothing of
which is registered yet, one whose apply stopped right after creating the device, one
fully registered, and its withdrawal. Here NetBox is faked with exactly those answers
(`responses`): a read the planner makes that was not recorded fails the test, so a
change to what the planner asks NetBox is noticed (record again then).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import responses
from responses import matchers

from playbooks.registration import plan_registration
from playbooks.request_model import Request
from playbooks.withdrawal import plan_withdrawal
from tests.support.fake_netbox import URL, make_client

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "netbox"
SPEC_ITEMS = ("Processor", "RAM", "Motherboard", "Storage", "PSU")


def recorded(netbox: responses.RequestsMock, name: str) -> tuple[Request, dict[str, Any]]:
    """The request of a recording, with NetBox faked to answer as it did."""
    data = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    for ex in data["exchanges"]:
        query = {k: v[0] if len(v) == 1 else v for k, v in ex["query"].items()}
        netbox.add(responses.GET, URL + ex["path"], json=ex["body"], status=ex["status"],
                   match=[matchers.query_param_matcher(query)])
    return Request.model_validate(data["request"]), data


def registration(netbox: responses.RequestsMock, name: str) -> tuple[Request, Any]:
    req, data = recorded(netbox, name)
    return req, plan_registration(req, handover=date.fromisoformat(data["handover"]), client=make_client())


def lines(plan: Any, action: str) -> list[str]:
    sign = {"create": "+", "update": "~", "delete": "-", "keep": "="}[action]
    return [c.line() for c in plan.changes if c.line().startswith(sign + " ")]


@pytest.fixture()
def netbox() -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


def test_a_fresh_request_creates_everything_and_replaces_its_reservation(netbox: Any) -> None:
    req, plan = registration(netbox, "registration-fresh")
    s, rid = req.servers[0], req.id
    place = req.placement.servers[0]
    created = lines(plan, "create")
    assert created[:4] == [f"+ contact {req.person_in_charge.name} (NIP {req.person_in_charge.nip})",
                           f"+ contact assignment {req.person_in_charge.name} -> tenant {req.agency.tenant_slug()}",
                           f"+ manufacturer {s.make.lower().replace(' ', '-')}", f"+ device type {s.make} {s.model}"]
    assert f"+ device {s.name} (S/N {s.serial}) in rack {place.rack_name} U{place.position:g} front" in created
    assert f"+ power port {s.name} PSU1 (10/20 W)" in created and f"+ power port {s.name} PSU2 (10/20 W)" in created
    # each PSU on a free outlet of the PDU on its feed (A, then B), as step 3 counted
    cables = [line for line in created if line.startswith("+ cable ")]
    assert [c.split(" -> ")[1].split(" outlet ")[0] for c in cables] == [
        f"PDU pdu-A-{place.rack_name}", f"PDU pdu-B-{place.rack_name}"]
    assert [line.split(": ")[0] for line in created if "inventory item" in line] == [
        f"+ inventory item {s.name} {item}" for item in SPEC_ITEMS]
    assert created[-1] == f"+ journal entry {s.name} [{rid}] registered"
    assert lines(plan, "delete") == [f"- rack reservation {req.reservation.netbox_ids[0]} (the device replaces it)"]
    assert lines(plan, "update") == []
    # the tenant step 5 made with the reservation, and the conventions bootstrap made, are found
    assert {f"= tenant {req.agency.tenant_slug()}", "= device role server", "= inventory item role processor",
            "= inventory item role psu"} <= set(lines(plan, "keep"))
    assert plan.text().splitlines()[-1] == f"{rid}: 15 to create, 0 to update, 1 to delete, 8 unchanged"


def test_a_half_applied_request_plans_only_what_the_stopped_run_left_out(netbox: Any) -> None:
    req, plan = registration(netbox, "registration-half")
    s = req.servers[0]
    kept = lines(plan, "keep")
    assert f"= tenant {req.agency.tenant_slug()}" in kept
    assert f"= contact {req.person_in_charge.name} (NIP {req.person_in_charge.nip})" in kept
    device = next(c for c in plan.changes if c.kind == "device")
    assert device.action == "keep" and device.recheck  # its registration did not finish: race check again
    assert [c.kind for c in plan.pending] == [
        "power port", "cable", "power port", "cable", *["inventory item"] * 5, "journal entry", "rack reservation"]
    assert lines(plan, "create")[-1] == f"+ journal entry {s.name} [{req.id}] registered"


def test_a_registered_request_plans_no_change(netbox: Any) -> None:
    req, plan = registration(netbox, "registration-done")
    assert plan.pending == []
    assert plan.text() == f"{req.id}: 0 to create, 0 to update, 0 to delete, 23 unchanged"


def test_a_withdrawal_frees_the_units_removes_the_cables_and_records_why(netbox: Any) -> None:
    req, _ = recorded(netbox, "withdrawal")
    s, place = req.servers[0], req.placement.servers[0]
    plan = plan_withdrawal(req, [s.name], "moved to the provincial cloud", client=make_client())
    text = plan.text().splitlines()
    assert text[0] == (f"~ device {s.name} (S/N {s.serial}): status active -> decommissioning, rack {place.rack} "
                       f"-> null, position {float(place.position)} -> null, face front -> null")
    assert [line.split(" (cable ")[0] for line in text[1:3]] == [f"- cable {s.name} PSU1", f"- cable {s.name} PSU2"]
    assert text[3] == f"+ journal entry {s.name} [{req.id}] withdrawn"
    assert text[-1] == f"{req.id}: 1 to create, 1 to update, 2 to delete, 0 unchanged"
    assert plan.changes[-1].payload["comments"] == f"[{req.id}] withdrawn: moved to the provincial cloud"
