"""A hosting request from submission to completion against the real NetBox sandbox: at
step 8 its application becomes a virtual machine on the cluster the capacity check
chose, so the cluster's used capacity is as true after the handover (a VM in NetBox)
as it was while approved (a commitment).

The sandbox is shared: everything here carries a random suffix.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from colo_cli.request_cmds import request
from colo_cli.withdraw_cmds import withdraw
from playbooks.requests import RequestFile
from tests.support.netbox import capacity_in_netbox, workflow_env

DRAFT = """\
agency:
  unit_name: Dinas Pariwisata {sfx}
  address: Jl. Gajah Mada No. 1, Samarinda
  tenant: dispar-{sfx}
person_in_charge:
  name: Sari {sfx}
  nip: '199001152015032001'
  phone: '0813-1111-2222'
  email: sari-{sfx}@kaltimprov.go.id
domain: wisata-{sfx}.kaltimprov.go.id
domain_activation_date: 2026-12-01
permanent: true
hosting:
  vcpus: 4
  memory_gb: 8
  disk_gb: 200
  bandwidth_mbps: 50
"""


def seed(client: Any, sfx: str) -> str:
    """A site with a two-host cluster already running one VM of another agency."""
    from inventory.model import Snapshot
    from inventory.netbox.writer import load_snapshot_into_netbox

    site = f"host-{sfx}"
    load_snapshot_into_netbox(client, Snapshot.model_validate({
        "sites": [{"key": site, "name": f"Hosting site {sfx}", "slug": site}],
        "tenants": [{"key": "old", "name": f"Dinas Lama {sfx}", "slug": f"lama-{sfx}"}],
        "device_types": [{"key": "host", "manufacturer": f"Maker {sfx}", "model": "H1", "u_height": 1}],
        "devices": [{"name": f"host-{n}-{sfx}", "device_type": "host", "site": site, "role": "server"}
                    for n in (1, 2)],
        "clusters": [{"key": "C1", "name": f"Cluster {sfx}", "site": site,
                      "hosts": [{"device": f"host-{n}-{sfx}",
                                 "capacity": {"vcpus": 32, "memory_gb": 256, "disk_gb": 4000}}
                                for n in (1, 2)],
                      "vms": [{"key": "vm-old", "name": f"old-{sfx}", "tenant": "old", "vcpus": 2,
                               "memory_mb": 4096, "disk_gb": 100}]}],
    }))
    return site


def test_hosting_request_becomes_a_virtual_machine(nb_client: Any, netbox_env: dict[str, str],
                                                   tmp_path: Path) -> None:
    client = nb_client
    sfx = uuid.uuid4().hex[:8]
    site = seed(client, sfx)
    env = workflow_env(tmp_path, site, netbox_env)

    def cli(*args: str, code: int = 0, group: Any = request) -> Result:
        result = CliRunner().invoke(group, list(args), env=env)
        assert result.exit_code == code, result.output
        return result

    def cluster_used(committed: bool = False) -> tuple[float, float, float, int]:
        """vCPUs, memory and disk used on the cluster, and bandwidth allocated at the site
        (with the approved requests' commitments when `committed`)."""
        result = capacity_in_netbox(client, site, tmp_path / "requests" if committed else None)
        (c,) = result.clusters.values()
        allocated = result.bandwidth[site].allocated_kbps if site in result.bandwidth else 0
        return c.vcpus_used, c.memory_gb_used, c.disk_gb_used, allocated

    assert cluster_used() == (2, 4, 100, 0)
    draft = tmp_path / "draft.yaml"
    draft.write_text(DRAFT.format(sfx=sfx), encoding="utf-8")
    rid = cli("new", "--from", str(draft), "--by", "clerk").output.split()[0]
    for number, by in (("2", "Admin TIK"), ("3", "Personil DC"), ("4", f"Sari {sfx}"), ("5", "Admin TIK")):
        cli("advance", rid, number, "--by", by)
    req = RequestFile.load(tmp_path / "requests" / f"{rid}.yaml").request
    clusters = client.get_all("virtualization/clusters", {"name": f"Cluster {sfx}"})
    assert req.placement is not None and req.placement.cluster == str(clusters[0]["id"])  # step 3's choice
    after = (2 + 4, 4 + 8, 100 + 200, 50_000)
    assert cluster_used(committed=True) == after  # approved: committed
    cli("advance", rid, "6", "--by", "Personil DC", "--no-mail")
    cli("advance", rid, "7", "--by", f"Sari {sfx}")

    name = f"wisata-{sfx}.kaltimprov.go.id"
    plan = cli("plan", rid).output
    assert f"+ virtual machine {name} on cluster Cluster {sfx}: 4 vCPU, 8 GB RAM, 200 GB disk" in plan
    assert f"+ journal entry {name} [{rid}] registered" in plan
    cli("apply", rid, "--by", "Personil DC")
    vms = [v for v in client.get_all("virtualization/virtual-machines", {"name": name}) if v["name"] == name]
    assert len(vms) == 1
    vm = vms[0]
    assert vm["cluster"]["name"] == f"Cluster {sfx}" and vm["status"]["value"] == "active"
    assert (vm["vcpus"], vm["memory"], vm["tenant"]["slug"]) == (4, 8192, f"dispar-{sfx}")
    assert vm["custom_fields"]["request_id"] == rid and vm["custom_fields"]["domain"] == name
    journal = client.get_all("extras/journal-entries", {"assigned_object_type": "virtualization.virtualmachine",
                                                        "assigned_object_id": vm["id"]})
    assert any(f"[{rid}] registered: hosting for Dinas Pariwisata {sfx}" in j["comments"] for j in journal)
    again = cli("apply", rid, "--by", "Personil DC").output
    assert again.splitlines()[-1] == f"{rid}: 0 change(s) applied in NetBox"
    # registered, step 8 not recorded yet: the VM replaces the commitment, counted once
    assert cluster_used(committed=True) == after

    cli("advance", rid, "8", "--by", "Personil DC")
    cli("advance", rid, "9", "--by", "Pemeriksa", "--no-mail")
    # no longer a commitment (installed), now a VM: the cluster and the site still count
    # it, once
    assert cluster_used() == cluster_used(committed=True) == after

    # withdrawal of the hosted application: its VM stops counting
    cli("request", "--domain", name, "--reason", "moved to the national cloud", "--by", f"Sari {sfx}",
        group=withdraw)
    cli("approve", rid, "--by", "Kepala Bidang TIK", group=withdraw)
    plan = cli("plan", rid, group=withdraw).output
    assert f"~ virtual machine {name}: status active -> decommissioning" in plan
    cli("apply", rid, "--by", "Personil DC", group=withdraw)
    vm = client.get_json(f"virtualization/virtual-machines/{vm['id']}")
    assert vm["status"]["value"] == "decommissioning"
    journal = client.get_all("extras/journal-entries", {"assigned_object_type": "virtualization.virtualmachine",
                                                        "assigned_object_id": vm["id"]})
    assert any(f"[{rid}] withdrawn: moved to the national cloud" in j["comments"] for j in journal)
    assert cluster_used() == (2, 4, 100, 0)
    assert RequestFile.load(tmp_path / "requests" / f"{rid}.yaml").request.state == "withdrawn"
