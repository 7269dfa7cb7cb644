"""Demand history from the request files: who held what capacity, from when to when.

A request holds its capacity from its approval (step 5: from then on every capacity
report counts it, committed first, installed later) until it ends:

* withdrawal (`withdrawn`): the servers the withdrawal names, or all of them and the
  hosting when it names none;
* cancellation after approval (`cancelled`);
* a lapse: an approval not followed by installation within the configured working
  days (as `playbooks.commitments` stops counting it).

A request never approved (submitted, rejected before approval) held nothing. Each
server becomes one device `Tenure`, the hosting one VM `Tenure`, found in today's
snapshot by the request id and the server's name (the device registration gives it)
or the VM's name, and put back from its placement when it is gone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from inventory.demand import Footprint, Tenure
from playbooks.request_model import Request
from playbooks.requests import RequestStore
from playbooks.sla import WorkingCalendar
from playbooks.states import lapse_deadline


def request_tenures(requests: Iterable[Request], calendar: WorkingCalendar, lapse_working_days: float,
                    now: datetime) -> list[Tenure]:
    """The tenures of every approved request (see the module docstring)."""
    out: list[Tenure] = []
    for req in requests:
        approved = req.transition("approved")
        if approved is None:
            continue
        end: datetime | None = None
        cancelled = req.transition("cancelled")
        if cancelled is not None and cancelled.at >= approved.at:
            end = cancelled.at
        deadline = lapse_deadline(req, calendar, lapse_working_days)
        if deadline is not None and deadline < now:
            end = deadline
        withdrawn = req.transition("withdrawn")
        named = set(req.withdrawal.servers) if req.withdrawal is not None else set()
        out.extend(_tenures(req, approved.at, end, withdrawn.at if withdrawn else None, named))
    return out


def _tenures(req: Request, start: datetime, end: datetime | None, withdrawn: datetime | None,
             named: set[str]) -> list[Tenure]:
    placement = req.placement
    placed = {sp.server: sp for sp in placement.servers} if placement is not None else {}
    site = placement.site if placement is not None else None
    tenant = req.agency.tenant_slug()
    out = []
    for s in req.servers:
        sp = placed.get(s.name)
        gone = withdrawn if withdrawn is not None and (not named or s.name in named) else end
        footprint = Footprint(
            site=site, rack=(sp.rack_name or sp.rack) if sp else None, position=sp.position if sp else None,
            u_height=s.u_height if sp else 0.0, feeds=tuple(sp.feeds) if sp else (), psu_count=s.psu_count,
            draw_va=s.draw_w(), bandwidth_mbps=s.bandwidth_mbps, tenant=tenant)
        out.append(Tenure("device", f"{req.id} server {s.name}", start, gone, name=s.name, request_id=req.id,
                          footprint=footprint, source="requests"))
    if req.hosting is not None:
        h = req.hosting
        gone = withdrawn if withdrawn is not None and not named else end
        footprint = Footprint(site=site, cluster=(placement.cluster if placement else None) or h.cluster,
                              vcpus=h.vcpus, memory_gb=h.memory_gb, disk_gb=h.disk_gb,
                              bandwidth_mbps=h.bandwidth_mbps, tenant=tenant)
        out.append(Tenure("vm", f"{req.id} hosting", start, gone, name=h.vm_name or req.domain, request_id=req.id,
                          footprint=footprint, source="requests"))
    return out


def store_tenures(store: RequestStore, calendar: WorkingCalendar, lapse_working_days: float,
                  now: datetime) -> list[Tenure]:
    """The tenures of every request of a requests folder (an unreadable file is an error:
    a history without it would be silently wrong)."""
    return request_tenures(store.read_all(), calendar, lapse_working_days, now)


def merge_sources(from_requests: list[Tenure], from_netbox: list[Tenure]) -> list[Tenure]:
    """Both sources together, each object once: a NetBox object that a request registered
    (its request id and name) is the request's, which knows it from the approval on."""
    claimed = {(t.request_id, t.name) for t in from_requests}
    return from_requests + [t for t in from_netbox if (t.request_id, t.name) not in claimed or t.request_id is None]
