"""A request from submission to completion against the real NetBox sandbox, then its
withdrawal: NetBox's state is checked at each point (reservation, device with every
field, cables through the PDUs, inventory items, journal entries), a second apply
changes nothing, and refused steps and bad files leave NetBox unchanged (changelog).
Afterwards the changelog is read back as the demand history (the server held its unit
and draw from registration to withdrawal), and forecast and what-if write nothing.

The sandbox is shared: everything here carries a random suffix and only those objects
are looked at. Nothing is reset or deleted except what this test itself created.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from capacity.engine import compute_capacity
from capacity.replay import prepare
from colo_cli.main import cli as colo
from colo_cli.request_cmds import request
from colo_cli.withdraw_cmds import withdraw
from inventory.netbox.changelog import changelog_tenures
from playbooks.requests import RequestFile
from tests.support.netbox import capacity_in_netbox
from tests.support.sop_draft import DRAFT

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def client() -> Any:
    url, token = os.environ.get("NETBOX_URL"), os.environ.get("NETBOX_TOKEN")
    if not url or not token:
        if os.environ.get("CI"):
            pytest.fail("CI is set but NETBOX_URL/NETBOX_TOKEN are not: the sandbox must be up in CI")
        pytest.skip('NETBOX_URL is not set: run `scripts/netbox-sandbox up` and '
                    '`eval "$(scripts/netbox-sandbox env)"` to run the integration tests')
    from inventory.netbox.client import NetBoxClient, NetBoxSettings

    c = NetBoxClient(NetBoxSettings(url=url, token=token))
    c.check()
    return c


def seed(client: Any, sfx: str) -> dict[str, Any]:
    """One 12U co-location rack with A/B feeds, each feeding a PDU with 4 outlets, and
    an existing 2U server at U1 on outlet 1 of both PDUs."""
    from inventory.model import Snapshot
    from inventory.netbox.writer import load_snapshot_into_netbox

    site = f"sop-{sfx}"
    snap = Snapshot.model_validate({
        "sites": [{"key": site, "name": f"SOP site {sfx}", "slug": site}],
        "tenants": [{"key": "old", "name": f"Dinas Lama {sfx}", "slug": f"lama-{sfx}"}],
        "racks": [{"key": "R1", "name": f"R1-{sfx}", "site": site, "u_height": 12, "role": "colocation"}],
        "device_types": [
            {"key": "srv2u", "manufacturer": f"Maker {sfx}", "model": "S2", "u_height": 2},
            {"key": "pdu", "manufacturer": f"Maker {sfx}", "model": "PDU0", "u_height": 0,
             "is_full_depth": False, "exclude_from_utilization": True},
        ],
        "devices": [
            *({"name": f"pdu-{side}-{sfx}", "device_type": "pdu", "site": site, "rack": "R1", "role": "pdu",
               "power_ports": [{"name": "inlet", "feed": f"F-{side}"}],
               "power_outlets": [{"name": f"o{i}", "power_port": "inlet"} for i in range(1, 5)]}
              for side in ("A", "B")),
            {"name": f"old-{sfx}", "device_type": "srv2u", "site": site, "rack": "R1", "position": 1,
             "face": "front", "tenant": "old", "serial": f"OLD-{sfx}",
             "power_ports": [{"name": "PSU1", "allocated_draw": 200, "outlet": {"device": f"pdu-A-{sfx}", "name": "o1"}},
                             {"name": "PSU2", "allocated_draw": 200, "outlet": {"device": f"pdu-B-{sfx}", "name": "o1"}}]},
        ],
        "power_panels": [{"key": "P1", "name": f"Panel {sfx}", "site": site}],
        "power_feeds": [{"key": "F-A", "name": f"Feed A {sfx}", "panel": "P1", "rack": "R1"},
                        {"key": "F-B", "name": f"Feed B {sfx}", "panel": "P1", "rack": "R1", "type": "redundant"}],
        "uplinks": [{"key": "U1", "name": f"CID-{sfx}", "site": site, "provider": f"ISP {sfx}",
                     "commit_kbps": 1_000_000}],
    })
    load_snapshot_into_netbox(client, snap)
    return {"site": site}


def changes_naming(client: Any, text: str) -> int:
    """Changelog entries whose object representation mentions `text` (our suffix)."""
    return int(client.get_json("core/object-changes", {"q": text, "limit": 1})["count"])


def test_request_to_completion_and_withdrawal(client: Any, tmp_path: Path) -> None:
    from inventory.netbox.loader import load_snapshot

    sfx = uuid.uuid4().hex[:8]
    started = datetime.now(timezone.utc) - timedelta(seconds=1)
    site = seed(client, sfx)["site"]
    config = tmp_path / "colo.yaml"
    config.write_text(f"workflow:\n  requests_dir: {tmp_path / 'requests'}\n  capacity_source: netbox\n"
                      f"  site: {site}\n  smtp:\n    enabled: false\n", encoding="utf-8")
    env = {"COLO_CONFIG": str(config), "COLO_REQUESTS_DIR": "", "COLO_NOW": ""}

    def cli(group: Any, *args: str, code: int = 0) -> Result:
        result = CliRunner().invoke(group, list(args), env=env)
        assert result.exit_code == code, result.output
        return result

    baseline = changes_naming(client, sfx)

    # a bad request file and a refused step change nothing in NetBox
    bad = tmp_path / "bad.yaml"
    bad.write_text(DRAFT.format(sfx=sfx).replace("'198503142010011002'", "'198503142010013002'"), encoding="utf-8")
    cli(request, "new", "--from", str(bad), "--by", "clerk", code=2)
    draft = tmp_path / "draft.yaml"
    draft.write_text(DRAFT.format(sfx=sfx), encoding="utf-8")
    rid = cli(request, "new", "--from", str(draft), "--by", "clerk").output.split()[0]
    cli(request, "advance", rid, "approve", "--by", "Admin", code=2)
    assert changes_naming(client, sfx) == baseline

    cli(request, "advance", rid, "2", "--by", "Admin TIK")
    out = cli(request, "advance", rid, "3", "--by", "Personil DC").output
    assert out.startswith(f"capacity: available (NetBox {os.environ['NETBOX_URL']}); placement: simpus-{sfx} -> R1-{sfx} U3 ")
    cli(request, "advance", rid, "4", "--by", f"Budi {sfx}")
    out = cli(request, "advance", rid, "5", "--by", "Admin TIK").output
    req = RequestFile.load(tmp_path / "requests" / f"{rid}.yaml").request
    assert req.reservation is not None and len(req.reservation.netbox_ids) == 1
    res = client.get_json(f"dcim/rack-reservations/{req.reservation.netbox_ids[0]}")
    assert res["units"] == [3]
    assert res["tenant"]["slug"] == f"dinkes-{sfx}"
    assert res["description"].startswith(f"{rid}: Dinas Kesehatan {sfx} server simpus-{sfx}")

    # the reservation and the commitment show in the next capacity report
    snap = load_snapshot(client, [site])
    assert [r.units for r in snap.reservations] == [[3]]

    def feed_loads(committed: bool) -> dict[str, int]:  # draw in W
        result = capacity_in_netbox(client, site, tmp_path / "requests" if committed else None)
        return {f.name: f.load_w for f in result.feeds.values()}

    approved_loads = feed_loads(committed=True)
    assert approved_loads == {f"Feed A {sfx}": 200 + 176, f"Feed B {sfx}": 200 + 175}

    cli(request, "advance", rid, "6", "--by", "Personil DC", "--no-mail")
    cli(request, "advance", rid, "7", "--by", f"Budi {sfx}", "--serial", f"simpus-{sfx}=SN-{sfx}")

    # verification: a difference refuses the registration unless accepted with a reason
    before = changes_naming(client, sfx)
    out = cli(request, "apply", rid, "--by", "Personil DC", "--arrived", f"simpus-{sfx}.ram=64 GB", code=1).output
    assert f"simpus-{sfx} ram: requested 128 GB DDR4, arrived 64 GB" in out
    assert changes_naming(client, sfx) == before
    plan = cli(request, "plan", rid).output
    assert f"+ device simpus-{sfx} (S/N SN-{sfx}) in rack R1-{sfx} U3 front" in plan
    assert f"+ cable simpus-{sfx} PSU1 -> PDU pdu-A-{sfx} outlet o2" in plan
    assert f"+ cable simpus-{sfx} PSU2 -> PDU pdu-B-{sfx} outlet o2" in plan
    assert "- rack reservation" in plan
    out = cli(request, "apply", rid, "--by", "Personil DC").output
    assert out.splitlines()[-1].endswith("change(s) applied in NetBox")

    devices = [d for d in client.get_all("dcim/devices", {"serial": f"SN-{sfx}"}) if d["serial"] == f"SN-{sfx}"]
    assert len(devices) == 1
    d = devices[0]
    assert (d["name"], d["position"], d["face"]["value"], d["status"]["value"]) == (f"simpus-{sfx}", 3.0, "front", "active")
    assert d["tenant"]["slug"] == f"dinkes-{sfx}" and d["role"]["slug"] == "server"
    assert d["rack"]["name"] == f"R1-{sfx}" and d["device_type"]["model"] == "PowerEdge R650"
    cf = d["custom_fields"]
    assert cf["domain"] == f"simpus-{sfx}.kaltimprov.go.id" and cf["request_id"] == rid
    assert cf["handover_date"] is not None and cf["colocation_type"]["value"] == "permanent"
    ports = {p["name"]: p for p in client.get_all("dcim/power-ports", {"device_id": d["id"]})}
    assert {n: (p["allocated_draw"], p["maximum_draw"]) for n, p in ports.items()} == {
        "PSU1": (176, 400), "PSU2": (175, 400)}
    peers = {n: (p["link_peers"][0]["device"]["name"], p["link_peers"][0]["name"]) for n, p in ports.items()}
    assert peers == {"PSU1": (f"pdu-A-{sfx}", "o2"), "PSU2": (f"pdu-B-{sfx}", "o2")}
    items = {i["name"]: i["description"] for i in client.get_all("dcim/inventory-items", {"device_id": d["id"]})}
    assert items == {"Processor": "2x Intel Xeon Silver 4314", "RAM": "128 GB DDR4",
                     "Motherboard": "Dell 0PJPW3", "Storage": "4x 1.2 TB SAS", "PSU": "2x 800 W"}
    journal = client.get_all("extras/journal-entries", {"assigned_object_type": "dcim.device",
                                                        "assigned_object_id": d["id"]})
    assert any(f"[{rid}] registered" in j["comments"] for j in journal)
    assert client.get_all("dcim/rack-reservations", {"id": req.reservation.netbox_ids[0]}) == []
    contacts = [c for c in client.get_all("tenancy/contacts", {"cf_nip": "198503142010011002"})
                if c["name"] == f"Budi {sfx}"]
    assert len(contacts) == 1

    # registered, step 8 not recorded yet: the device replaces the commitment, counted once
    assert feed_loads(committed=True) == feed_loads(committed=False) == approved_loads

    # a second apply changes nothing
    again = cli(request, "apply", rid, "--by", "Personil DC").output
    assert again.splitlines()[-1] == f"{rid}: 0 change(s) applied in NetBox"
    before = changes_naming(client, sfx)
    cli(request, "advance", rid, "8", "--by", "Personil DC")
    cli(request, "advance", rid, "9", "--by", "Pemeriksa", "--no-mail")

    snap = load_snapshot(client, [site])
    rack = next(r for r in snap.racks if r.name == f"R1-{sfx}")
    used = compute_capacity(snap).space[rack.key]
    # 12U: old server 2U at U1-2, ours 1U at U3
    assert used.free_u == 9

    # withdrawal
    cli(withdraw, "request", "--serial", f"SN-{sfx}", "--reason", "moved to the cloud", "--by", f"Budi {sfx}")
    cli(withdraw, "apply", rid, "--by", "Personil DC", code=2)  # not approved yet
    assert changes_naming(client, sfx) == before
    cli(withdraw, "approve", rid, "--by", "Kepala Bidang TIK")
    plan = cli(withdraw, "plan", rid).output
    assert "~ device simpus-" in plan and "status active -> decommissioning" in plan
    cli(withdraw, "apply", rid, "--by", "Personil DC")
    d = client.get_json(f"dcim/devices/{d['id']}")
    assert d["status"]["value"] == "decommissioning" and d["rack"] is None and d["position"] is None
    assert all(p["cable"] is None for p in client.get_all("dcim/power-ports", {"device_id": d["id"]}))
    journal = client.get_all("extras/journal-entries", {"assigned_object_type": "dcim.device",
                                                        "assigned_object_id": d["id"]})
    assert any(f"[{rid}] withdrawn: moved to the cloud" in j["comments"] for j in journal)
    snap = load_snapshot(client, [site])
    result = compute_capacity(snap)
    assert result.space[rack.key].free_u == 10
    feed_loads = {f.name: f.load_w for f in result.feeds.values()}
    assert feed_loads == {f"Feed A {sfx}": 200, f"Feed B {sfx}": 200}
    assert RequestFile.load(tmp_path / "requests" / f"{rid}.yaml").request.state == "withdrawn"

    # NetBox's changelog tells the history: the server held U3 and its draw from registration to withdrawal
    tenures = changelog_tenures(client, snap, started)
    ours = {t.name: t for t in tenures}
    simpus = ours[f"simpus-{sfx}"]
    assert simpus.start is not None and simpus.end is not None and simpus.request_id == rid
    assert (simpus.footprint.rack, simpus.footprint.position, simpus.footprint.u_height,
            simpus.footprint.draw_va) == (rack.key, 3.0, 1.0, 351)
    assert ours[f"old-{sfx}"].start is not None and ours[f"old-{sfx}"].end is None  # seeded, still racked
    replay = prepare(snap, tenures, datetime.now(timezone.utc))
    registered, _ = replay.snapshot_at(simpus.start + (simpus.end - simpus.start) / 2)
    then = compute_capacity(registered)
    assert then.space[rack.key].free_u == 9
    assert {f.name: f.load_w for f in then.feeds.values()} == approved_loads
    seeded, _ = replay.snapshot_at(simpus.start - timedelta(milliseconds=1))
    assert compute_capacity(seeded).space[rack.key].free_u == 10

    # forecast and what-if read NetBox (and the request files) and write nothing to it
    before = changes_naming(client, sfx)
    data = json.loads(cli(colo, "capacity", "forecast", "--source", "netbox", "--site", site, "--history", "1",
                          "--format", "json").output)
    assert data["meta"]["history_sources"][0].startswith("request files in ")
    assert data["meta"]["history_sources"][1].startswith("NetBox changelog since ")
    space = next(r for r in data["dimensions"] if r["dimension"] == "space")
    assert (space["used"], space["capacity"]) == (2, 12)
    out = cli(colo, "capacity", "whatif", "--source", "netbox", "--site", site, "--history", "1",
              "--add", "2 servers of 1U/100W per month", "--remove", f"serial:OLD-{sfx}").output
    assert "removed 1 device(s) by serial number withdrawn" in out
    assert changes_naming(client, sfx) == before
