"""Writes happen once, against a faked NetBox (`responses`): the client's typed errors, the
natural-key re-reads of inventory/netbox/write_once.py, duplicate contacts settled by the rule,
and step 8 refused until `colo request apply` has registered the request in NetBox.
(The same against the real NetBox, through a fault-injecting proxy, is in
tests/integration/test_exactly_once.py.)"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from click.testing import CliRunner

from inventory.errors import NetBoxHTTPError, SourceError, WriteOutcomeUnknown
from inventory.netbox.write_once import ConcurrentWriter, create_once
from playbooks.requests import RequestFile
from tests.support.fake_netbox import URL, make_client
from tests.support.registration import FaultSite, new_request, write_request

DROPPED = requests.exceptions.ConnectionError(
    "('Connection aborted.', RemoteDisconnected('Remote end closed connection without response'))")


def page(*rows: dict[str, Any]) -> dict[str, Any]:
    return {"count": len(rows), "next": None, "previous": None, "results": list(rows)}


# ---------------------------------------------------------------- the client's errors
@responses.activate
def test_a_write_whose_answer_is_lost_is_outcome_unknown_and_never_resent() -> None:
    responses.post(f"{URL}/api/dcim/devices/", body=DROPPED)
    with pytest.raises(WriteOutcomeUnknown) as exc:
        make_client().write("post", "dcim/devices", {"name": "web-01"}, "create device web-01")
    text = str(exc.value)
    assert text.startswith(f"NetBox at {URL} dropped the connection during POST /api/dcim/devices/ "
                           "(connection closed by the server) after the request was sent: whether NetBox did "
                           "create device web-01 is unknown")
    assert "running the same command again is safe" in text
    assert (exc.value.method, exc.value.path) == ("POST", "/api/dcim/devices/")
    assert len(responses.calls) == 1


@responses.activate
def test_a_write_that_timed_out_is_outcome_unknown_and_a_read_is_retried() -> None:
    responses.patch(f"{URL}/api/dcim/devices/4/", body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(WriteOutcomeUnknown, match=r"did not answer PATCH /api/dcim/devices/4/ within 60 s after the "
                                                   r"request was sent: whether NetBox did update device 4 is unknown"):
        make_client().write("patch", "dcim/devices/4", {"status": "active"}, "update device 4")
    assert len(responses.calls) == 1


@responses.activate
def test_a_write_that_never_left_is_not_called_unknown() -> None:
    responses.post(f"{URL}/api/dcim/devices/", body=requests.exceptions.ConnectionError(
        "Max retries exceeded (Caused by NewConnectionError('[Errno 111] Connection refused'))"))
    with pytest.raises(SourceError) as exc:
        make_client().write("post", "dcim/devices", {})
    assert not isinstance(exc.value, WriteOutcomeUnknown)
    assert str(exc.value).startswith(f"NetBox at {URL} is not reachable: connection refused")


@pytest.mark.parametrize("status,unknown", [(502, True), (504, True), (503, False), (500, False)])
@responses.activate
def test_a_gateway_error_on_a_write_leaves_its_outcome_unknown(status: int, unknown: bool) -> None:
    responses.post(f"{URL}/api/dcim/devices/", status=status, json={"detail": "x"})
    with pytest.raises(SourceError) as exc:
        make_client().write("post", "dcim/devices", {}, "create device web-01")
    assert isinstance(exc.value, WriteOutcomeUnknown) is unknown
    if not unknown:
        assert isinstance(exc.value, NetBoxHTTPError) and exc.value.status == status
        assert "persisted through retries" not in str(exc.value)  # writes are never retried
    assert "running the same command again is safe" in str(exc.value)
    assert len(responses.calls) == 1


@responses.activate
def test_an_error_answer_carries_method_path_status_and_body() -> None:
    responses.post(f"{URL}/api/tenancy/tenants/", status=400, json={"slug": ["tenant with this slug already exists."]})
    responses.get(f"{URL}/api/dcim/rack-reservations/9/", status=404, json={"detail": "No RackReservation matches."})
    client = make_client()
    with pytest.raises(NetBoxHTTPError) as exc:
        client.write("post", "tenancy/tenants", {"slug": "dinkes"}, "create tenant dinkes")
    assert (exc.value.method, exc.value.path, exc.value.status) == ("POST", "/api/tenancy/tenants/", 400)
    assert exc.value.body == {"slug": ["tenant with this slug already exists."]}
    assert str(exc.value) == ("NetBox rejected create tenant dinkes "
                              "(HTTP 400: slug: tenant with this slug already exists.)")
    with pytest.raises(NetBoxHTTPError) as exc:
        client.get_json("dcim/rack-reservations/9")
    assert exc.value.status == 404


# ---------------------------------------------------------------- natural keys
@responses.activate
def test_a_create_refused_because_another_writer_made_it_uses_that_object() -> None:
    responses.post(f"{URL}/api/tenancy/tenants/", status=400, json={"slug": ["tenant with this slug already exists."]})
    responses.get(f"{URL}/api/tenancy/tenants/", json=page({"id": 7, "slug": "dinkes"}))
    said: list[str] = []
    assert create_once(make_client(), "tenant", "tenancy/tenants", {"name": "Dinkes", "slug": "dinkes"},
                       "create tenant dinkes", said.append) == (7, False)
    assert said == ["= tenant dinkes: created meanwhile by another writer (id 7); used"]
    assert [c.request.method for c in responses.calls] == ["POST", "GET"]


@responses.activate
def test_a_refusal_with_nothing_found_again_stays_a_refusal() -> None:
    responses.post(f"{URL}/api/tenancy/tenants/", status=400, json={"name": ["This field is required."]})
    responses.get(f"{URL}/api/tenancy/tenants/", json=page())
    with pytest.raises(NetBoxHTTPError, match="HTTP 400: name: This field is required"):
        create_once(make_client(), "tenant", "tenancy/tenants", {"slug": "dinkes"}, "create tenant dinkes")


@responses.activate
def test_a_503_is_not_read_again_as_a_collision() -> None:
    responses.post(f"{URL}/api/tenancy/tenants/", status=503, json={"detail": "down"})
    with pytest.raises(NetBoxHTTPError):
        create_once(make_client(), "tenant", "tenancy/tenants", {"slug": "dinkes"}, "create tenant dinkes")
    assert len(responses.calls) == 1


@responses.activate
def test_a_device_another_writer_just_registered_stops_this_run_with_a_clear_message() -> None:
    responses.post(f"{URL}/api/dcim/devices/", status=400,
                   json={"__all__": ["Device name must be unique per site and tenant."]})
    responses.get(f"{URL}/api/dcim/devices/", json=page(
        {"id": 40, "name": "web-01", "serial": "SN1", "custom_fields": {"request_id": "REQ-2026-0001"}}))
    payload = {"name": "web-01", "serial": "SN1", "custom_fields": {"request_id": "REQ-2026-0001"}}
    with pytest.raises(ConcurrentWriter) as exc:
        create_once(make_client(), "device", "dcim/devices", payload, "create device web-01")
    text = str(exc.value)
    assert "device web-01 (id 40) was created by another writer while this run was about to (create device web-01)" \
        in text
    assert "run the same command again once the other one has finished" in text
    assert "HTTP 400" not in text


@responses.activate
def test_a_contact_made_twice_by_racing_writers_the_later_yields() -> None:
    nip = "198503142010011002"
    responses.post(f"{URL}/api/tenancy/contacts/", status=201, json={"id": 12})
    responses.get(f"{URL}/api/tenancy/contacts/", json=page(
        {"id": 12, "name": "Budi", "custom_fields": {"nip": nip}},
        {"id": 11, "name": "Budi", "custom_fields": {"nip": nip}},
        {"id": 3, "name": "Other", "custom_fields": {"nip": "199001152015032001"}}))
    responses.delete(f"{URL}/api/tenancy/contacts/12/", status=204)
    said: list[str] = []
    payload = {"name": "Budi", "custom_fields": {"nip": nip}}
    assert create_once(make_client(), "contact", "tenancy/contacts", payload, "create contact Budi",
                       said.append) == (11, True)
    assert [f"{c.request.method} {c.request.path_url.split('?')[0]}" for c in responses.calls] == [
        "POST /api/tenancy/contacts/", "GET /api/tenancy/contacts/", "DELETE /api/tenancy/contacts/12/"]
    assert said == ["note: another writer created the same contact first (id 11); ours (12) was removed "
                    "and that one is used"]


@responses.activate
def test_a_plan_settles_duplicate_contacts_left_by_a_race() -> None:
    from playbooks.registration import Planner

    nip = "198503142010011002"
    responses.get(f"{URL}/api/tenancy/contacts/", json=page(
        {"id": 9, "name": "Budi", "phone": "0812-3456-7890", "email": "budi@kaltimprov.go.id",
         "custom_fields": {"nip": nip}},
        {"id": 5, "name": "Budi", "phone": "0812-3456-7890", "email": "budi@kaltimprov.go.id",
         "custom_fields": {"nip": nip}}))

    def assignments(request: Any) -> tuple[int, dict[str, str], str]:
        contact = request.params["contact_id"]
        rows = {"9": [{"id": 30, "object_type": "tenancy.tenant", "object_id": 3, "role": {"id": 2}},
                      {"id": 31, "object_type": "tenancy.tenant", "object_id": 4, "role": {"id": 2}}],
                "5": [{"id": 20, "object_type": "tenancy.tenant", "object_id": 4, "role": {"id": 2}}]}[contact]
        return 200, {}, json.dumps(page(*rows))

    responses.add_callback(responses.GET, f"{URL}/api/tenancy/contact-assignments/", callback=assignments)
    req = new_request(FaultSite("ab12cd", "s", [{"id": 1, "name": "R1"}], {1: [11, 12]}), 1, "REQ-2026-0001")
    req = req.model_copy(update={"person_in_charge": req.person_in_charge.model_copy(update={
        "nip": nip, "name": "Budi", "phone": "0812-3456-7890", "email": "budi@kaltimprov.go.id"})})
    planner = Planner(make_client(), req, date(2026, 12, 1))
    assert planner.contact() == 5
    assert [c.line() for c in planner.plan.changes] == [
        "~ contact assignment Budi (NIP 198503142010011002, id 9) -> tenancy.tenant 3: contact 9 -> 5",
        "- contact assignment Budi (NIP 198503142010011002, id 9) -> tenancy.tenant 4 (the contact 5 has it)",
        "- contact Budi (NIP 198503142010011002, id 9): a duplicate; the earlier id 5 stands",
        "= contact Budi (NIP 198503142010011002)",
    ]


# ---------------------------------------------------------------- step 8 (point 4b)
@pytest.fixture()
def delivered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A delivered request (serial known) in a folder whose configuration names NetBox."""
    config = tmp_path / "colo.yaml"
    config.write_text(f"workflow:\n  requests_dir: {tmp_path / 'requests'}\n  capacity_source: netbox\n"
                      "  smtp:\n    enabled: false\n", encoding="utf-8")
    for name in ("NETBOX_URL", "NETBOX_TOKEN", "COLO_REQUESTS_DIR", "COLO_NOW"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLO_CONFIG", str(config))
    monkeypatch.setenv("NETBOX_URL", URL)
    monkeypatch.setenv("NETBOX_TOKEN", "0123456789abcdef0123456789abcdef01234567")
    req = new_request(FaultSite("ab12cd", "s", [{"id": 1, "name": "R1"}], {1: [11, 12]}), 1, "REQ-2026-0001")
    path = write_request(tmp_path / "requests", req, "delivered")
    return {"req": req, "path": path, "config": config}


def step_8(rid: str) -> Any:
    from colo_cli.request_cmds import request

    return CliRunner().invoke(request, ["advance", rid, "8", "--by", "Personil DC"])


@responses.activate
def test_step_8_refuses_while_nothing_is_registered_in_netbox(delivered: dict[str, Any]) -> None:
    responses.get(f"{URL}/api/status/", json={"netbox-version": "4.7.3"})
    responses.get(f"{URL}/api/dcim/devices/", json=page())
    before = delivered["path"].read_text(encoding="utf-8")
    result = step_8("REQ-2026-0001")
    assert result.exit_code == 2, result.output
    assert result.output == (
        "Error: REQ-2026-0001: not registered in NetBox yet: no device has the serial SN-ab12cd-1 of server "
        "srv-ab12cd-1 (run `colo request apply REQ-2026-0001 --by NAME` first, then record step 8)\n")
    assert delivered["path"].read_text(encoding="utf-8") == before  # still delivered: its capacity still held


@responses.activate
def test_step_8_refuses_a_registration_that_did_not_finish_and_passes_a_finished_one(
        delivered: dict[str, Any]) -> None:
    responses.get(f"{URL}/api/status/", json={"netbox-version": "4.7.3"})
    responses.get(f"{URL}/api/dcim/devices/", json=page({"id": 40, "serial": "SN-ab12cd-1"}))
    responses.get(f"{URL}/api/extras/journal-entries/", json=page({"id": 1, "comments": "[REQ-2025-0009] registered"}))
    result = step_8("REQ-2026-0001")
    assert result.exit_code == 2, result.output
    assert "the registration of server srv-ab12cd-1 (S/N SN-ab12cd-1) did not finish" in result.output
    responses.replace(responses.GET, f"{URL}/api/extras/journal-entries/",
                      json=page({"id": 2, "comments": "[REQ-2026-0001] registered: Dinas Uji ab12cd-1, ..."}))
    result = step_8("REQ-2026-0001")
    assert result.exit_code == 0, result.output
    assert RequestFile.load(delivered["path"]).request.state == "installed"


def test_step_8_without_netbox_asks_nothing(delivered: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    delivered["config"].write_text(delivered["config"].read_text().replace("capacity_source: netbox",
                                                                           "capacity_source: demo"))
    with responses.RequestsMock():  # any request to NetBox would fail this test
        result = step_8("REQ-2026-0001")
    assert result.exit_code == 0, result.output


@responses.activate
def test_bootstrap_makes_netbox_keep_the_nip_unique_also_on_an_existing_field() -> None:
    from inventory.netbox.bootstrap import bootstrap
    from tests.support.fake_netbox import _bootstrap_server

    state: dict[str, list[dict[str, Any]]] = {"extras/custom-fields": [
        {"id": 900, "name": "nip", "type": {"value": "text"}, "object_types": ["tenancy.contact"], "unique": False}]}
    _bootstrap_server(state)
    report = bootstrap(make_client())
    nip = next(c for c in state["extras/custom-fields"] if c["name"] == "nip")
    assert nip["unique"] is True
    assert [line for line in report.kind("custom field").lines if "nip" in line] == [
        "updated custom field nip (tenancy.contact, text): unique"]
    assert bootstrap(make_client()).updated == 0
