"""A hosting request in NetBox: a virtual machine on the cluster the capacity check chose.

Named `hosting.vm_name` or the domain, with the tenant, vCPUs, memory, disk and the
custom fields domain / request_id / bandwidth_mbps / handover_date, and a journal entry.
Identity: the name on its cluster; one held by another request is refused.
"""

from __future__ import annotations

from typing import Any

from inventory.errors import ColoError, InputError
from inventory.netbox import kinds as K
from inventory.netbox.conventions import VM_DISK_MB_PER_GB, VM_TYPE
from inventory.netbox.kinds import Ref
from playbooks.planning import RequestPlanner

#: NetBox's longest virtual machine name
VM_NAME_MAX = 64


class HostingPlanner(RequestPlanner):
    """The hosting's virtual machine, for `playbooks.registration.Planner`."""

    def hosting_cluster(self) -> str | None:
        """The cluster a hosting request goes on, as step 3 recorded it (None: no hosting)."""
        req = self.req
        if req.hosting is None:
            return None
        cluster = (req.placement.cluster if req.placement else None) or req.hosting.cluster
        if cluster is None:
            raise InputError(f"{req.id}: no cluster recorded for the hosting (steps 3 and 5 choose it)")
        if self.vm_name() is None:
            raise InputError(f"{req.id}: the domain {req.domain} is longer than a NetBox virtual machine "
                             f"name ({VM_NAME_MAX} characters); set hosting.vm_name in the request file")
        return cluster

    def cluster_row(self, cluster: str) -> dict[str, Any]:
        """The NetBox cluster by id, else by its name (the capacity check names it)."""
        if cluster.isdigit():
            rows = self.client.get_all("virtualization/clusters", {"id": int(cluster), "fields": "id,name"})
        else:
            rows = self.client.get_all("virtualization/clusters", {"name": cluster, "fields": "id,name"})
            rows = [r for r in rows if r["name"] == cluster]
        if not rows:
            raise InputError(f"{self.req.id}: NetBox has no cluster {cluster!r}; "
                             "run steps 3 and 5 against NetBox, or set hosting.cluster")
        if len(rows) > 1:
            raise InputError(f"{self.req.id}: NetBox has {len(rows)} clusters named {cluster!r}; "
                             "set hosting.cluster to the NetBox id of the one to use")
        return rows[0]

    def vm_name(self) -> str | None:
        h = self.req.hosting
        name = (h.vm_name if h is not None else None) or self.req.domain
        return name if len(name) <= VM_NAME_MAX else None

    def virtual_machine(self, cluster_name: str, tenant: int | Ref) -> int | Ref:
        """Found by name on its cluster; one whose request_id names another request is refused."""
        req, h = self.req, self.req.hosting
        assert h is not None
        name = self.vm_name()
        assert name is not None
        fields = self.client.get_all("extras/custom-fields", {"name": "request_id", "fields": "id,name,object_types"})
        if not any(VM_TYPE in (f.get("object_types") or []) for f in fields if f.get("name") == "request_id"):
            raise ColoError("NetBox's custom field request_id does not apply to virtual machines",
                            "run `colo netbox bootstrap` (it adds them)")
        cluster = self.cluster_row(cluster_name)
        want: dict[str, Any] = {
            "name": name, "cluster": int(cluster["id"]), "tenant": tenant, "status": "active",
            "vcpus": h.vcpus, "memory": int(round(h.memory_gb * 1024)),
            "disk": int(round(h.disk_gb * VM_DISK_MB_PER_GB)),
            "custom_fields": {"domain": req.domain, "request_id": req.id,
                              "bandwidth_mbps": h.bandwidth_mbps or None,
                              "handover_date": self.handover.isoformat()},
        }
        rows = self.client.get_all(K.VIRTUAL_MACHINE.endpoint, {
            "cluster_id": want["cluster"], "name": name,
            "fields": "id,name,cluster,tenant,status,vcpus,memory,disk,custom_fields"})
        rows = [r for r in rows if r["name"] == name]
        label = (f"{name} on cluster {cluster['name']}: {h.vcpus} vCPU, {h.memory_gb:g} GB RAM, "
                 f"{h.disk_gb:g} GB disk")
        hit = rows[0] if rows else None
        if hit is not None:
            other = (hit.get("custom_fields") or {}).get("request_id")
            if other != req.id:
                raise InputError(f"cluster {cluster['name']} already has a virtual machine {name!r} "
                                 f"(id {hit['id']}, {'request ' + other if other else 'no request'}); "
                                 "set hosting.vm_name in the request file to another name")
        self.plan.object(K.VIRTUAL_MACHINE, label, want, hit, ref="vm")
        return int(hit["id"]) if hit is not None else Ref("vm")
