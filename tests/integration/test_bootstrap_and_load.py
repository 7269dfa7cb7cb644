"""`colo netbox bootstrap` and `colo netbox load` against the real sandbox NetBox.

The sandbox is shared: every test uses its own uniquely named site, tenants,
manufacturer and provider, and looks only at those. Nothing is reset or deleted.
"""

from __future__ import annotations

import os
import re
import socket
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from colo_cli.main import cli
from inventory.files import dump_snapshot
from tests.support.snapshots import small_dc

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def netbox_env() -> dict[str, str]:
    url, token = os.environ.get("NETBOX_URL"), os.environ.get("NETBOX_TOKEN")
    if not url or not token:
        if os.environ.get("CI"):
            pytest.fail("CI is set but NETBOX_URL/NETBOX_TOKEN are not: the sandbox must be up in CI")
        pytest.skip('NETBOX_URL is not set: run `scripts/netbox-sandbox up` and '
                    '`eval "$(scripts/netbox-sandbox env)"` to run the integration tests')
    return {"NETBOX_URL": url, "NETBOX_TOKEN": token}


@pytest.fixture(scope="module")
def client(netbox_env: dict[str, str]) -> Any:
    from inventory.netbox.client import NetBoxClient, NetBoxSettings

    c = NetBoxClient(NetBoxSettings(url=netbox_env["NETBOX_URL"], token=netbox_env["NETBOX_TOKEN"]))
    c.check()
    return c


def run(args: list[str], env: dict[str, str], tmp_path: Path) -> Result:
    return CliRunner().invoke(cli, args, env=env, catch_exceptions=False)


def counts(output: str, what: str) -> tuple[int, int, int]:
    m = re.search(rf"^{what}: (\d+) (?:would )?create[d]?, (\d+) (?:would )?update[d]?, (\d+) unchanged",
                  output, re.M)
    assert m, output
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def test_bootstrap_twice_second_run_changes_nothing(netbox_env: dict[str, str], tmp_path: Path,
                                                    client: Any) -> None:
    first = run(["netbox", "bootstrap"], netbox_env, tmp_path)
    assert first.exit_code == 0, first.output
    second = run(["netbox", "bootstrap"], netbox_env, tmp_path)
    assert second.exit_code == 0, second.output
    assert counts(second.output, "bootstrap")[:2] == (0, 0)
    assert counts(second.output, "bootstrap")[2] >= 38
    dry = run(["netbox", "bootstrap", "--dry-run"], netbox_env, tmp_path)
    assert counts(dry.output, "bootstrap")[:2] == (0, 0)
    ups = client.get_json("extras/custom-fields", {"name": "ups"})["results"][0]
    assert ups["object_types"] == ["dcim.powerpanel"] and ups["related_object_type"] == "dcim.device"
    roles = {r["slug"] for r in client.get_all("dcim/device-roles", {"fields": "slug"})}
    assert {"server", "ups", "genset", "pdu", "patch-panel", "network", "hypervisor"} <= roles


def test_load_twice_and_check_what_netbox_holds(netbox_env: dict[str, str], tmp_path: Path, client: Any) -> None:
    sfx = uuid.uuid4().hex[:8]
    path = tmp_path / "dc.yaml"
    dump_snapshot(small_dc(sfx), path)

    dry = run(["netbox", "load", str(path), "--dry-run"], netbox_env, tmp_path)
    assert dry.exit_code == 0, dry.output
    assert counts(dry.output, "load")[0] > 0
    assert client.get_json("dcim/sites", {"slug": f"it-{sfx}"})["count"] == 0  # the dry run wrote nothing

    first = run(["netbox", "load", str(path)], netbox_env, tmp_path)
    assert first.exit_code == 0, first.output
    assert "cable: 4 created" in first.output  # feed A -> PDU, outlet o1 -> srv-1, o2 -> srv-2, feed B -> srv-1
    second = run(["netbox", "load", str(path)], netbox_env, tmp_path)
    assert second.exit_code == 0, second.output
    assert counts(second.output, "load")[:2] == (0, 0), second.output

    site = client.get_json("dcim/sites", {"slug": f"it-{sfx}"})["results"][0]
    devices = {d["name"]: d for d in client.get_all("dcim/devices", {"site_id": site["id"]})}
    srv1 = devices[f"srv-1-{sfx}"]
    assert (srv1["serial"], srv1["position"], srv1["face"]["value"]) == (f"SN-{sfx}-1", 10.0, "front")
    assert srv1["tenant"]["slug"] == f"dinas-{sfx}" and srv1["role"]["slug"] == "server"
    assert srv1["custom_fields"]["domain"] == "dinas.kaltimprov.go.id"
    assert float(srv1["custom_fields"]["bandwidth_mbps"]) == 20
    assert devices[f"half-{sfx}"]["position"] == 3.5
    ups, genset = devices[f"UPS-{sfx}"], devices[f"Genset-{sfx}"]
    assert ups["role"]["slug"] == "ups" and ups["rack"] is None
    assert ups["custom_fields"]["rated_va"] == 40000 and ups["custom_fields"]["genset"]["id"] == genset["id"]
    assert genset["custom_fields"]["other_loads_va"] == 15000
    host = devices[f"host-{sfx}"]
    assert host["cluster"]["name"] == f"Cluster {sfx}"
    assert (host["custom_fields"]["vcpus"], float(host["custom_fields"]["memory_gb"])) == (64, 512)

    panel = client.get_json("dcim/power-panels", {"site_id": site["id"]})["results"][0]
    assert panel["custom_fields"]["ups"]["id"] == ups["id"]

    # cables: every port reaches the expected peer
    ports = client.get_all("dcim/power-ports", {"site_id": site["id"]})
    peers = {(p["device"]["name"], p["name"]): [(x.get("device", {}).get("name"), x["name"]) if "device" in x
                                                 else ("feed", x["name"]) for x in p["link_peers"]]
             for p in ports}
    assert peers[(f"pdu-a-{sfx}", "inlet")] == [("feed", "Feed A")]
    assert peers[(f"srv-1-{sfx}", "PSU1")] == [(f"pdu-a-{sfx}", "o1")]
    assert peers[(f"srv-1-{sfx}", "PSU2")] == [("feed", "Feed B")]
    assert peers[(f"srv-2-{sfx}", "PSU1")] == [(f"pdu-a-{sfx}", "o2")]
    draw = {(p["device"]["name"], p["name"]): (p["allocated_draw"], p["maximum_draw"]) for p in ports}
    assert draw[(f"srv-1-{sfx}", "PSU1")] == (300, 450) and draw[(f"srv-2-{sfx}", "PSU1")] == (None, 500)

    # available power as NetBox stores it: 230 V x 16 A x 80 % = 2944; 400 V x 32 A x 80 % x 1.732 = 17736
    feeds = client.get_json("dcim/power-feeds", {"site_id": site["id"]})["results"]
    avail = {f["name"]: client.graphql(f'{{ power_feed(id: {f["id"]}) {{ available_power }} }}')
             ["power_feed"]["available_power"] for f in feeds}
    assert avail == {"Feed A": 2944, "Feed B": 17736}

    res = client.get_json("dcim/rack-reservations", {"site_id": site["id"]})["results"]
    assert [sorted(r["units"]) for r in res] == [[30, 31, 32]]
    circuit = client.get_json("circuits/circuits", {"cid": f"CID-{sfx}"})["results"][0]
    assert circuit["commit_rate"] == 1_000_000 and circuit["type"]["slug"] == "internet-uplink"
    assert circuit["termination_a"]["termination_id"] == site["id"]
    vm = client.get_json("virtualization/virtual-machines", {"name": f"vm-{sfx}"})["results"][0]
    assert (float(vm["vcpus"]), vm["memory"], vm["disk"]) == (4.0, 8192, 50_000)  # disk in MB


def test_a_changed_field_is_updated_and_nothing_else(netbox_env: dict[str, str], tmp_path: Path,
                                                     client: Any) -> None:
    sfx = uuid.uuid4().hex[:8]
    snap = small_dc(sfx)
    path = tmp_path / "dc.yaml"
    dump_snapshot(snap, path)
    assert run(["netbox", "load", str(path)], netbox_env, tmp_path).exit_code == 0
    snap.devices[1].position = 12  # srv-1 moves two units up
    snap.power_feeds[0].amperage = 32
    dump_snapshot(snap, path)
    again = run(["netbox", "load", str(path), "-v"], netbox_env, tmp_path)
    assert again.exit_code == 0, again.output
    assert counts(again.output, "load")[:2] == (0, 2), again.output
    assert f"updated device srv-1-{sfx}: position" in again.output
    assert "updated power feed Feed A: amperage" in again.output


def test_bad_snapshot_writes_nothing(netbox_env: dict[str, str], tmp_path: Path, client: Any) -> None:
    sfx = uuid.uuid4().hex[:8]
    snap = small_dc(sfx)
    snap.devices[2].position = 10.0  # srv-2 (2U, rear, half depth) ...
    snap.devices[2].face = "front"   # ... now on srv-1's front units 10-11
    path = tmp_path / "bad.yaml"
    dump_snapshot(snap, path)
    result = run(["netbox", "load", str(path)], netbox_env, tmp_path)
    assert result.exit_code == 2
    assert f"devices 'srv-1-{sfx}' and 'srv-2-{sfx}' overlap in rack 'R1'" in result.output
    assert client.get_json("dcim/sites", {"slug": f"it-{sfx}"})["count"] == 0


def test_refused_token_exits_1_with_one_line(netbox_env: dict[str, str], tmp_path: Path) -> None:
    bogus = "nbt_notakey1234.notthesecretatall0123456789"
    env = {**netbox_env, "NETBOX_TOKEN": bogus}
    result = run(["netbox", "bootstrap"], env, tmp_path)
    assert result.exit_code == 1
    assert result.output.startswith("Error: NetBox refused the token (HTTP 403")
    assert "NETBOX_TOKEN" in result.output and bogus not in result.output
    assert result.output.count("\n") == 1


def test_netbox_down_exits_1_with_one_line(netbox_env: dict[str, str], tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    result = run(["netbox", "load", "demo", "--url", url], netbox_env, tmp_path)
    assert result.exit_code == 1
    assert result.output == (f"Error: NetBox at {url} is not reachable: connection refused "
                             "(check the URL. Is it running? For the local sandbox: scripts/netbox-sandbox up)\n")


def test_wrong_url_does_not_look_like_netbox(netbox_env: dict[str, str], tmp_path: Path) -> None:
    url = netbox_env["NETBOX_URL"].rstrip("/") + "/not-netbox"
    result = run(["netbox", "check", "--url", url], netbox_env, tmp_path)
    assert result.exit_code == 1
    assert "does not look like a NetBox API" in result.output
