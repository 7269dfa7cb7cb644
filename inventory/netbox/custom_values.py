"""Custom-field values of NetBox objects as snapshot values, checked: a UPS or genset
from its capacity fields, a cluster host's capacity, a VM's bandwidth, and the bounded
engineering fields (issue 12). A value out of range is left out (the policy's default,
or "not given") and named through `warn`. Pure; inventory/netbox/assemble.py uses it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from inventory.model import UPS, Genset, HostCapacity
from inventory.netbox.conventions import UPS_ROLE

#: custom fields the loader turns into UPS/genset/cluster-host attributes (not kept on devices)
SOURCE_FIELDS = ("rated_va", "derating", "efficiency", "genset", "redundancy_group", "other_loads_va",
                 "rated_w", "recharge_pct", "cooling_factor")
HOST_FIELDS = ("vcpus", "memory_gb", "disk_gb")
HOST_CORE_FIELDS = ("cores", "threads")  # optional: a host without them counts its vcpus


def id_of(obj: Any) -> str | None:
    """The id of a nested object ({id: ...}) or a bare id, as a string key."""
    if obj is None:
        return None
    if isinstance(obj, dict):
        v = obj.get("id")
        return None if v is None else str(v)
    return str(obj)


def number(v: Any) -> float | None:
    """A number from NetBox (GraphQL sends decimals as strings); None when absent or bad."""
    if v is None or v == "" or isinstance(v, bool):
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None



def power_source(key: str, name: str, site: str, role: str, cf: dict[str, Any],
                  warn: Callable[[str], None]) -> UPS | Genset | None:
    label = f"{'UPS' if role == UPS_ROLE else 'genset'} {name or key}"
    rated = number(cf.get("rated_va"))
    if rated is None or rated < 1:
        warn(f"{label}: custom field rated_va is missing or not a positive number; not counted")
        return None

    def share(field_name: str) -> float | None:
        return fraction(cf, field_name, label, warn)

    group = str(cf["redundancy_group"]) if cf.get("redundancy_group") else None
    rated_w = bounded(cf, "rated_w", label, warn, 1, rated)  # real power never above apparent power
    watts = None if rated_w is None else int(rated_w)
    if role == UPS_ROLE:
        return UPS(key=key, name=name or key, site=site, rated_va=int(rated), derating=share("derating"),
                   efficiency=share("efficiency"), genset=id_of(cf.get("genset")), redundancy_group=group,
                   rated_w=watts, recharge_pct=bounded(cf, "recharge_pct", label, warn, 0, 100))
    other = number(cf.get("other_loads_va")) or 0
    return Genset(key=key, name=name or key, site=site, rated_va=int(rated), derating=share("derating"),
                  other_loads_va=max(0, int(other)), redundancy_group=group, rated_w=watts,
                  cooling_factor=bounded(cf, "cooling_factor", label, warn, 0, 10))


def fraction(cf: dict[str, Any], field_name: str, label: str, warn: Callable[[str], None]) -> float | None:
    """A custom field that is a share in (0, 1]; None (the policy's) when unset or out of range."""
    v = number(cf.get(field_name))
    if v is not None and not 0 < v <= 1:
        warn(f"{label}: {field_name} {v:g} is not in (0, 1]; the policy default is used")
        return None
    return v


def bounded(cf: dict[str, Any], field_name: str, label: str, warn: Callable[[str], None],
             low: float, high: float) -> float | None:
    """A numeric custom field within [low, high]; None (not given) when unset or outside."""
    raw = cf.get(field_name)
    if raw is None or raw == "":
        return None
    v = number(raw)
    if v is None or not low <= v <= high:
        bounds = f">= {low:g}" if high >= 1e9 else f"in [{low:g}, {high:g}]"
        warn(f"{label}: custom field {field_name} is {raw!r}, not a number {bounds}; taken as not given")
        return None
    return v


def vm_bandwidth(vm: dict[str, Any], warn: Callable[[str], None]) -> float:
    """A VM's `bandwidth_mbps` custom field (hosting registered at step 8); 0 when unset."""
    raw = (vm.get("custom_field_data") or {}).get("bandwidth_mbps")
    if raw is None or raw == "":
        return 0.0
    v = number(raw)
    if v is None or v < 0:
        warn(f"virtual machine {vm.get('name')}: custom field bandwidth_mbps is {raw!r}; counted as 0")
        return 0.0
    return v


def host_capacity_of(cf: dict[str, Any], label: str, warn: Callable[[str], None]) -> HostCapacity:
    values: dict[str, float] = {}
    for f in HOST_FIELDS:
        v = number(cf.get(f))
        if v is None or v < 0:
            warn(f"cluster host {label}: custom field {f} is {cf.get(f)!r}; its capacity counts as 0")
            v = 0.0
        values[f] = v
    cores = bounded(cf, "cores", f"cluster host {label}", warn, 1, 32767)
    threads = bounded(cf, "threads", f"cluster host {label}", warn, cores or 1, 32767)
    return HostCapacity(vcpus=int(values["vcpus"]), memory_gb=values["memory_gb"], disk_gb=values["disk_gb"],
                        cores=None if cores is None else int(cores), threads=None if threads is None else int(threads))
