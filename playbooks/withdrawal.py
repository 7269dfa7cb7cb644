"""Withdrawal in NetBox: the plan `colo withdraw plan` prints and `colo withdraw apply` writes.

The device leaves its rack position (rack and position cleared, so its units and power
are free in the next report), status `decommissioning`, its cables are removed, and a
journal entry records the withdrawal and its reasons. The device is changed first: once
it is decommissioning, an apply running meanwhile (another machine's copy of the
request) refuses it instead of cabling it again. Withdrawing the whole request also
decommissions its hosting's virtual machine.
"""

from __future__ import annotations

from typing import Any

from inventory.errors import InputError
from inventory.netbox import kinds as K
from inventory.netbox.conventions import VM_TYPE
from inventory.netbox.compare import norm
from inventory.netbox.reconcile import Change, Plan
from playbooks.planning import journal_change
from playbooks.request_model import Request

DECOMMISSIONED = {"status": "decommissioning"}


def plan_withdrawal(req: Request, servers: list[str], reasons: str, *, client: Any) -> Plan:
    """Decommission the request's servers (all when none is named): cables removed, rack
    position freed, status decommissioning, a journal entry with the reasons."""
    plan = Plan(req.id)
    if req.hosting is not None and not servers:
        _withdraw_vm(client, plan, req, reasons)
    wanted = {s.name: s for s in req.servers if not servers or s.name in servers}
    for name in servers:
        if name not in wanted:
            raise InputError(f"{req.id} has no server {name!r}")
    for s in wanted.values():
        if not s.serial:
            raise InputError(f"{req.id}: server {s.name} has no serial: it was never registered")
        rows = client.get_all(K.SERVER.endpoint, {"serial": s.serial,
                                                  "fields": "id,name,serial,rack,position,face,status"})
        rows = [r for r in rows if r.get("serial") == s.serial]
        if not rows:
            raise InputError(f"no NetBox device has serial {s.serial} ({s.name})")
        d = rows[0]
        plan.object(K.SERVER, f"{d['name']} (S/N {s.serial})", {
            **DECOMMISSIONED, "rack": None, "position": None, "face": None}, d)
        ports = client.get_all(K.POWER_PORT.endpoint, {"device_id": d["id"], "fields": "id,name,cable"})
        for p in ports:
            if p.get("cable") is not None:
                cid = norm(p["cable"])
                plan.add(Change(K.CABLE.name, "delete", f"{d['name']} {p['name']} (cable {cid})", K.CABLE.endpoint,
                                object_id=cid))
        _journal(client, plan, req, "dcim.device", d, reasons)
    return plan


def _withdraw_vm(client: Any, plan: Plan, req: Request, reasons: str) -> None:
    """The request's VM (found by its request_id custom field): status decommissioning, so
    it no longer counts on its cluster or its site's bandwidth, and a journal entry."""
    rows = client.get_all(K.VIRTUAL_MACHINE.endpoint, {
        "cf_request_id": req.id, "fields": "id,name,status,custom_fields"})
    rows = [r for r in rows if (r.get("custom_fields") or {}).get("request_id") == req.id]
    if not rows:
        raise InputError(f"no NetBox virtual machine has request_id {req.id}: its hosting was never "
                         "registered (colo request apply)")
    for vm in rows:
        plan.object(K.VIRTUAL_MACHINE, vm["name"], DECOMMISSIONED, vm)
        _journal(client, plan, req, VM_TYPE, vm, reasons)


def _journal(client: Any, plan: Plan, req: Request, object_type: str, obj: dict[str, Any], reasons: str) -> None:
    marker = f"[{req.id}] withdrawn"
    plan.add(journal_change(client, object_type, obj["id"], obj["name"], marker, f"{marker}: {reasons}", "warning"))
