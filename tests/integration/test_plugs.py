"""Plugs on the real NetBox: a request is placed where its PSUs can be plugged in, and
`colo request apply` cables them there (issue 10, point 1).

R1 is in use, with room and power for the new server, but both its feeds are cabled
straight to servers (no PDU): NetBox gives a feed one cable, so R1 has no plug. R2 is
empty with free, uncabled feeds: one plug each. Before plugs were a capacity dimension,
step 3 chose R1 (racks in use first) and apply failed on the cabling. Step 3 must choose
R2, apply must cable PSU1 to R2's A feed and PSU2 to its B feed, and afterwards R2 has no
plug left either: a second request does not fit, for want of outlets.

The sandbox is shared: everything carries a random suffix; nothing else is touched.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from colo_cli.main import cli as colo
from colo_cli.request_cmds import request
from playbooks.requests import RequestFile
from tests.support.netbox import workflow_env
from tests.support.sop_draft import DRAFT

pytestmark = pytest.mark.integration


def seed(client: Any, sfx: str) -> str:
    """R1 (12U): servers old-1 and old-2 cabled straight to feeds A and B (one cable per
    feed, two servers on it). R2 (12U): empty, feeds A and B uncabled."""
    from inventory.model import Snapshot
    from inventory.netbox.writer import load_snapshot_into_netbox

    site = f"plug-{sfx}"
    direct = [{"name": f"old-{n}-{sfx}", "device_type": "srv2u", "site": site, "rack": "R1",
               "position": 2 * n - 1, "face": "front", "serial": f"OLD{n}-{sfx}",
               "power_ports": [{"name": "PSU1", "allocated_draw": 150, "feed": "R1-A"},
                               {"name": "PSU2", "allocated_draw": 150, "feed": "R1-B"}]}
              for n in (1, 2)]
    snap = Snapshot.model_validate({
        "sites": [{"key": site, "name": f"Plug site {sfx}", "slug": site}],
        "racks": [{"key": r, "name": f"{r}-{sfx}", "site": site, "u_height": 12, "role": "colocation"}
                  for r in ("R1", "R2")],
        "device_types": [{"key": "srv2u", "manufacturer": f"Maker {sfx}", "model": "S2", "u_height": 2}],
        "devices": direct,
        "power_panels": [{"key": "P1", "name": f"Panel {sfx}", "site": site}],
        "power_feeds": [{"key": f"{r}-{side}", "name": f"Feed {r}-{side} {sfx}", "panel": "P1", "rack": r,
                         "type": "primary" if side == "A" else "redundant"}
                        for r in ("R1", "R2") for side in "AB"],
        "uplinks": [{"key": "U1", "name": f"CID-{sfx}", "site": site, "provider": f"ISP {sfx}",
                     "commit_kbps": 1_000_000}],
    })
    load_snapshot_into_netbox(client, snap)
    return site


def test_step_3_places_where_every_psu_has_a_plug_and_apply_cables_it(nb_client: Any, netbox_env: dict[str, str],
                                                                     tmp_path: Path) -> None:
    client = nb_client
    sfx = uuid.uuid4().hex[:8]
    site = seed(client, sfx)
    env = workflow_env(tmp_path, site, netbox_env)

    def cli(group: Any, *args: str, code: int = 0) -> Result:
        result = CliRunner().invoke(group, list(args), env=env)
        assert result.exit_code == code, result.output
        return result

    def rack_outlets() -> dict[str, tuple[int, int]]:
        out = cli(colo, "capacity", "report", "--source", "netbox", "--site", site, "--format", "json",
                  "--requests-dir", str(tmp_path / "requests")).output
        return {r["name"]: (r["free_outlets_a"], r["free_outlets_b"]) for r in json.loads(out)["racks"]}

    assert rack_outlets() == {f"R1-{sfx}": (0, 0), f"R2-{sfx}": (1, 1)}

    draft = tmp_path / "draft.yaml"
    draft.write_text(DRAFT.format(sfx=sfx), encoding="utf-8")
    rid = cli(request, "new", "--from", str(draft), "--by", "clerk").output.split()[0]
    cli(request, "advance", rid, "2", "--by", "Admin TIK")
    out = cli(request, "advance", rid, "3", "--by", "Personil DC").output
    assert f"placement: simpus-{sfx} -> R2-{sfx} U1 front" in out, out
    cli(request, "advance", rid, "4", "--by", f"Budi {sfx}")
    cli(request, "advance", rid, "5", "--by", "Admin TIK")
    # approved, not installed: its commitment holds both plugs of R2
    assert rack_outlets() == {f"R1-{sfx}": (0, 0), f"R2-{sfx}": (0, 0)}
    cli(request, "advance", rid, "6", "--by", "Personil DC", "--no-mail")
    cli(request, "advance", rid, "7", "--by", f"Budi {sfx}", "--serial", f"simpus-{sfx}=SN-{sfx}")

    plan = cli(request, "plan", rid).output
    assert f"+ cable simpus-{sfx} PSU1 -> feed Feed R2-A {sfx}" in plan
    assert f"+ cable simpus-{sfx} PSU2 -> feed Feed R2-B {sfx}" in plan
    assert "PDU" not in plan
    out = cli(request, "apply", rid, "--by", "Personil DC").output
    assert out.splitlines()[-1].endswith("change(s) applied in NetBox")

    device = next(d for d in client.get_all("dcim/devices", {"serial": f"SN-{sfx}"}) if d["serial"] == f"SN-{sfx}")
    assert device["rack"]["name"] == f"R2-{sfx}"
    ports = {p["name"]: p for p in client.get_all("dcim/power-ports", {"device_id": device["id"]})}
    assert {n: (p["link_peers_type"], p["link_peers"][0]["name"]) for n, p in ports.items()} == {
        "PSU1": ("dcim.powerfeed", f"Feed R2-A {sfx}"), "PSU2": ("dcim.powerfeed", f"Feed R2-B {sfx}")}
    # registered: the device's cables hold the plugs now, the commitment no longer counts
    assert rack_outlets() == {f"R1-{sfx}": (0, 0), f"R2-{sfx}": (0, 0)}

    # a second agency's server has nowhere to plug in: step 3 rejects it and says why
    second = tmp_path / "second.yaml"
    second.write_text(DRAFT.format(sfx=sfx).replace(f"simpus-{sfx}", f"sikda-{sfx}")
                      .replace("'198503142010011002'", "'198503142010011003'"), encoding="utf-8")
    rid2 = cli(request, "new", "--from", str(second), "--by", "clerk").output.split()[0]
    cli(request, "advance", rid2, "2", "--by", "Admin TIK")
    out = cli(request, "advance", rid2, "3", "--by", "Personil DC").output
    assert "capacity: NOT available" in out
    assert "outlets: every PSU needs a plug" in out
    assert f"cabled straight to devices, with no PDU (R1-{sfx}, R2-{sfx})" in out
    assert RequestFile.load(tmp_path / "requests" / f"{rid2}.yaml").request.state == "rejected"
