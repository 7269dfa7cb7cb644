"""`colo netbox load`: a whole `Snapshot` written into NetBox, idempotently.

`load_snapshot_into_netbox` checks the snapshot (inventory/netbox/snapshot_checks.py),
plans the conventions (inventory/netbox/bootstrap.py) and then the snapshot
(inventory/netbox/snapshot_plan.py) against what NetBox holds, and applies that one plan
in bulk (inventory/netbox/reconcile.py). A dry run prints the same plan. A second run
changes nothing.
"""

from __future__ import annotations

import time

from inventory.model import Snapshot
from inventory.progress import Progress
from inventory.netbox.bootstrap import plan_bootstrap
from inventory.netbox.client import NetBoxClient
from inventory.netbox.conventions import convention_custom_fields
from inventory.netbox.reconcile import Change, Echo, Plan, Report, TypeReport, retry_on_concurrent_change, run
from inventory.netbox.snapshot_checks import validate_for_netbox
from inventory.netbox.snapshot_plan import plan_snapshot


def load_snapshot_into_netbox(client: NetBoxClient, snapshot: Snapshot, *, dry_run: bool = False,
                              echo: Echo | None = None, verbose: bool = False,
                              progress: Progress | None = None) -> Report:
    """Write a snapshot into NetBox idempotently; a second run reports 0 changes.

    Sites (by slug), locations, tenant groups and tenants (slug), rack roles, racks
    (site + name), manufacturers and device types (manufacturer + model), device roles,
    clusters (site + name), UPSs and gensets (devices with role ups/genset on a generic
    0U type, capacity in custom fields), devices (site + name; unnamed ones by rack
    position or serial) with serial, position/face, custom fields, cluster and host
    capacity; device bays for child devices; rack reservations (rack + units, owned by
    the token's user); power panels (custom field `ups`), feeds (panel + name), power
    ports and outlets (device + name), cables feed->port and outlet->port; circuits
    (provider + cid, type internet-uplink, commit rate, A side at the site); VMs
    (cluster + name; disk in MB). Commitments are not NetBox objects and are skipped.

    The conventions (bootstrap) come first in the same plan. The whole snapshot is
    checked before the first write; a dry run prints the plan and writes nothing.
    `progress` hears the changes written out of those planned.
    """
    started, before = time.monotonic(), client.requests_made
    cfs = client.get_all("extras/custom-fields", {"fields": "name,object_types"})
    device_cfs = {c["name"] for c in cfs if "dcim.device" in (c.get("object_types") or [])}
    validate_for_netbox(snapshot, device_cfs | convention_custom_fields("dcim.device"))

    def attempt() -> Report:
        conventions = plan_bootstrap(client)
        plan = plan_snapshot(client, snapshot, conventions)
        whole = Plan("load", conventions.changes + plan.changes, bulk=True, kinds={**conventions.kinds, **plan.kinds})
        return run(whole, client, dry_run=dry_run, echo=echo if verbose else None,
                   report_of=lambda changes, dry: _load_report(conventions, plan, changes, dry), progress=progress)

    report = retry_on_concurrent_change(attempt, echo)
    report.requests = client.requests_made - before
    report.seconds = time.monotonic() - started
    return report


def _load_report(conventions: Plan, plan: Plan, changes: list[Change], dry_run: bool) -> Report:
    """`changes` (of the two plans) counted: the conventions in one line (as bootstrap's
    summary), then the snapshot per kind."""
    counted = {id(c) for c in changes}

    def pick(part: list[Change]) -> list[Change]:
        return [c for c in part if id(c) in counted]

    boot = Report.of(pick(conventions.changes), dry_run)
    report = Report(dry_run=dry_run)
    report.types.append(TypeReport("conventions (bootstrap)", boot.created, boot.updated, boot.unchanged,
                                   [line for t in boot.types for line in t.lines]))
    report.types += Report.of(pick(plan.changes), dry_run).types
    return report
