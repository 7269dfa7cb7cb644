"""The capacity report as a text table, CSV, XLSX or JSON (rendering only)."""

from __future__ import annotations

import csv
import io
from typing import Any

from inventory.fastjson import dumps_indented
from reports.text import printable

# Columns of the text table per section: (key, header, format)
_RACK_COLUMNS = [
    ("site", "Site", "s"), ("location", "Room", "s"), ("name", "Rack", "s"), ("status", "Status", "s"),
    ("open_for_colocation", "Open", "yn"), ("tenant", "Tenant", "s"), ("u_height", "U", "d"),
    ("utilization_pct", "Used %", ".1f"), ("free_u", "Free U", "g"), ("largest_free_block_u", "Block U", "g"),
    ("reserved_u", "Resv U", "g"), ("power_utilization_pct", "NetBox alloc %", ".1f"),
    ("load_va", "Load VA alloc/max", ","), ("committed_va", "Commit VA", ","),
    ("available_va", "Avail VA", ","), ("failover_load_va", "Failover VA", ","),
    ("failover_safe", "Failover", "ok"), ("free_outlets_a", "Outlets A", "d"), ("free_outlets_b", "Outlets B", "d"),
]
# What the rack columns mean: two power figures that differ on purpose, and the plugs.
_RACK_LEGEND = """Open: open for co-location placements (status and role). Resv U: reserved units, approved requests' included.
NetBox alloc %: NetBox's own power utilization: allocated draw only (a port with only a maximum draw counts 0),
  A and B feeds added. Load VA alloc/max: this tool's load: allocated draw, else maximum draw, of every port,
  in VA (W / power factor), plus Commit VA (approved, not yet installed requests). A rack of servers with only
  a maximum draw shows a low NetBox % beside a real load.
Failover VA: the worst feed's load when the other side fails. Failover: UNSAFE when a feed, or a leg of a
  three-phase feed (a third of it), would carry more than it gives with the other side failed.
Outlets A/B: plugs left for new PSUs on the A (primary) and B (redundant) feeds: free PDU outlets, or the feed
  itself when nothing is cabled to it."""
_FEED_COLUMNS = [
    ("site", "Site", "s"), ("panel", "Panel", "s"), ("name", "Feed", "s"), ("rack", "Rack", "s"),
    ("type", "Side", "s"), ("phase", "Phase", "s"), ("available_va", "Avail VA", ","),
    ("load_w", "Load W", ","), ("load_va", "Load VA", ","), ("committed_va", "Commit VA", ","),
    ("failover_load_va", "Failover VA", ","), ("failover_headroom_va", "Failover headroom", ","),
    ("most_loaded_leg", "Top leg", "s"), ("leg_imbalance_pct", "Leg imbalance %", ".1f"),
    ("plugs_from", "Plugs from", "s"), ("free_outlets", "Outlets", "d"),
]
# A rack's power as an engineer signs it off: W and VA, and what is left with one side down.
_RACK_POWER_COLUMNS = [
    ("site", "Site", "s"), ("name", "Rack", "s"), ("load_w", "Load W", ","), ("load_va", "Load VA", ","),
    ("failover_load_va", "Failover VA", ","), ("usable_one_side_failed_va", "Usable VA, one side failed", ","),
    ("available_va", "Installed VA, A+B", ","), ("cooling_kw", "Rack cooling kW", "g"),
]
_LEG_COLUMNS = [
    ("site", "Site", "s"), ("feed", "Feed", "s"), ("rack", "Rack", "s"), ("leg", "Leg", "s"),
    ("available_va", "Avail VA (1/3)", ","), ("load_va", "Load VA", ","), ("failover_load_va", "Failover VA", ","),
    ("failover_headroom_va", "Failover headroom", ","), ("free_outlets", "Outlets", "d"),
]
_SOURCE_COLUMNS = [
    ("site", "Site", "s"), ("name", "Name", "s"), ("capacity_va", "Capacity VA", ","),
    ("capacity_w", "Capacity W", ","), ("load_va", "Load VA", ","), ("load_w", "Load W", ","),
    ("failover_load_va", "Failover VA", ","), ("failover_load_w", "Failover W", ","),
    ("failover_headroom_va", "Failover headroom VA", ","), ("failover_headroom_w", "Failover headroom W", ","),
    ("limited_by", "Binds", "s"), ("utilization_pct", "Used %", ".1f"),
]
_GENSET_COLUMNS = _SOURCE_COLUMNS[:-2] + [
    ("recharge_w", "Recharge W", ","), ("cooling_w", "Cooling W", ","), ("other_w", "Other W", ","),
] + _SOURCE_COLUMNS[-2:]
_COOLING_COLUMNS = [
    ("site", "Site", "s"), ("kind", "Kind", "s"), ("name", "Room / rack", "s"), ("installed_kw", "Installed kW", "g"),
    ("units", "Units", "d"), ("capacity_w", "Capacity W", ","), ("heat_w", "Heat W", ","),
    ("headroom_w", "Headroom W", ","), ("utilization_pct", "Used %", ".1f"),
]
_UPLINK_COLUMNS = [
    ("site", "Site", "s"), ("name", "Uplink", "s"), ("provider", "Provider", "s"), ("active", "Active", "yn"),
    ("commit_kbps", "Commit kbps", ","), ("port_kbps", "Port kbps", ","), ("allocatable_kbps", "Allocatable kbps", ","),
]
_BANDWIDTH_COLUMNS = [
    ("site", "Site", "s"), ("commit_kbps", "Commit kbps", ","), ("allocatable_kbps", "Allocatable kbps", ","),
    ("allocated_kbps", "Allocated kbps", ","), ("free_kbps", "Free kbps", ","),
    ("failover_allocatable_kbps", "Allocatable, largest uplink down", ","),
    ("failover_free_kbps", "Free, largest uplink down", ","), ("burst_kbps", "Burst kbps (ports)", ","),
]
_CLUSTER_COLUMNS = [
    ("site", "Site", "s"), ("name", "Cluster", "s"), ("hosts", "Hosts", "d"),
    ("vcpus_free", "vCPU free", ".1f"), ("vcpus_capacity", "vCPU cap", ".1f"),
    ("memory_gb_free", "RAM GB free", ".1f"), ("memory_gb_capacity", "RAM GB cap", ".1f"),
    ("disk_gb_free", "Disk GB free", ".1f"), ("disk_gb_capacity", "Disk GB cap", ".1f"),
]
# One VM on one host, and where vCPU and disk come from.
_HOSTING_COLUMNS = [
    ("site", "Site", "s"), ("name", "Cluster", "s"), ("vcpu_basis", "vCPU per", "s"), ("cores", "Cores", "d"),
    ("threads", "Threads", "d"), ("vm_max_vcpus", "Largest VM vCPU", ".0f"),
    ("vm_max_memory_gb", "Largest VM RAM GB", ".1f"), ("datastore_gb", "Datastore GB", ","),
    ("replication_factor", "Replication", "g"),
]
_FINDING_COLUMNS = [("severity", "Severity", "s"), ("kind", "Kind", "s"), ("object", "Object", "s"),
                    ("message", "Message", "s")]

SECTIONS = [
    ("racks", "Racks: space and power", _RACK_COLUMNS),
    ("racks", "Racks: power in W and VA, one side failed", _RACK_POWER_COLUMNS),
    ("feeds", "Power feeds", _FEED_COLUMNS),
    ("legs", "Three-phase feeds per leg", _LEG_COLUMNS),
    ("ups", "UPS", _SOURCE_COLUMNS),
    ("gensets", "Gensets (while on generator)", _GENSET_COLUMNS),
    ("cooling", "Cooling", _COOLING_COLUMNS),
    ("uplinks", "Uplinks", _UPLINK_COLUMNS),
    ("bandwidth", "Bandwidth", _BANDWIDTH_COLUMNS),
    ("clusters", "Hosting compute", _CLUSTER_COLUMNS),
    ("clusters", "Hosting: the largest VM and shared storage", _HOSTING_COLUMNS),
    ("findings", "Findings", _FINDING_COLUMNS),
]
# What the engineering sections mean (issue 12): units, and the one-side-failed figures.
_POWER_LEGEND = """W is the draw NetBox records; VA = W / power factor (policy 0.95, or the device type's own).
Usable VA, one side failed: what the rack's active feeds give with its larger side down; the site line adds
  these, never A and B twice. Gensets carry every UPS's input (output / efficiency), battery recharge, cooling
  that follows the IT load and declared other loads. Binds: the rating (VA or W) nearer its limit on failover.
Top leg (power feeds, three-phase): the leg with the least headroom with the other side failed. Leg
  imbalance %: the largest deviation of a leg's VA from the legs' mean, % of the mean. "Three-phase feeds per
  leg" checks each leg against a third of the feed."""


def _cell(value: Any, fmt: str) -> str:
    if value is None:
        return "-"
    if fmt == "ok":
        return "ok" if value else "UNSAFE"
    if fmt == "yn":
        return "yes" if value else "no"
    if fmt == "s":
        return printable(str(value))
    if fmt == "g":
        return f"{float(value):g}"
    if fmt == ",":
        return f"{int(round(value)):,}"
    return format(value, fmt)


def text_table(rows: list[dict[str, Any]], columns: list[tuple[str, str, str]]) -> str:
    """A plain aligned table; numbers right-aligned."""
    headers = [c[1] for c in columns]
    body = [[_cell(row.get(key), fmt) for key, _, fmt in columns] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(headers)]
    numeric = [fmt not in ("s", "ok", "yn") for _, _, fmt in columns]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if num else c.ljust(w) for c, w, num in zip(cells, widths, numeric)).rstrip()

    out = [line(headers), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in body]
    return "\n".join(out)


def render_table(report: dict[str, Any]) -> str:
    parts: list[str] = []
    meta = report.get("meta") or {}
    if meta:
        parts.append(f"Capacity report - source: {meta.get('source')} - at {meta.get('generated_at')}")
    for site in report.get("sites", []):
        parts.append(
            f"Site {printable(site['name'])} ({printable(site['site'])}): {site['racks']} racks, "
            f"{site['racks_open']} open, "
            f"{site['free_u']:g} U free (largest block {site['largest_free_block_u']:g} U), "
            f"{site['racks_failover_unsafe']} racks unsafe on failover"
            + (f", {site['free_outlets']:,} outlets free" if "free_outlets" in site else "")
            + f"\n  power {site['load_va']:,} VA of {site['available_va']:,} VA usable with one side failed"
            + (f" ({site['installed_va']:,} VA installed on A and B)" if "installed_va" in site else "")
            + (f"; heat {site['heat_w']:,} W of {round(site['cooling_capacity_w']):,} W of cooling"
               if site.get("cooling_capacity_w") is not None else "")
        )
    for key, title, columns in SECTIONS:
        rows = report.get(key) or []
        if not rows:
            continue
        parts.append(f"\n{title} ({len(rows)})\n{text_table(rows, columns)}")
        if columns is _RACK_POWER_COLUMNS:
            parts.append(_POWER_LEGEND)
        if columns is _RACK_COLUMNS:
            closed = [f"  {r['name']}: {r['closed_reason']}" for r in rows
                      if not r.get("open_for_colocation", True) and r.get("closed_reason")]
            if closed:
                parts.append("\n".join(["Closed for co-location:", *closed]))
            parts.append(_RACK_LEGEND)
    return "\n".join(parts) + "\n"


def render_json(report: dict[str, Any]) -> str:
    """Indented by two spaces, UTF-8 as it is (json.dumps' `indent=2, ensure_ascii=False`,
    ten times faster: 0.09 s instead of 0.84 s for 10,000 racks)."""
    return dumps_indented(report).decode("utf-8")


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (";".join(map(str, v)) if isinstance(v, list) else v) for k, v in row.items()}


def render_csv(report: dict[str, Any], section: str = "racks") -> str:
    """CSV of one section (default: racks, with space and power per rack)."""
    rows = [_flat(r) for r in report.get(section, [])]
    buf = io.StringIO()
    if rows:
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return buf.getvalue()


def render_xlsx(report: dict[str, Any]) -> bytes:
    """One worksheet per section."""
    import pandas as pd  # optional: pandas is heavy and only xlsx output needs it

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for key in ("sites", "racks", "feeds", "legs", "ups", "gensets", "cooling", "uplinks", "bandwidth", "clusters",
                    "findings"):
            rows = [_flat(r) for r in report.get(key, [])]
            frame = pd.DataFrame(rows) if rows else pd.DataFrame({"(none)": []})
            frame.to_excel(writer, sheet_name=key, index=False)
        meta = report.get("meta") or {}
        pd.DataFrame([meta] if meta else [{"source": None}]).to_excel(writer, sheet_name="meta", index=False)
    return buf.getvalue()
