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
  plus Commit VA (approved, not yet installed requests). A rack of servers with only a maximum draw shows a
  low NetBox % beside a real load.
Failover VA: the worst feed's load when the other side fails. Outlets A/B: plugs left for new PSUs on the A
  (primary) and B (redundant) feeds: free PDU outlets, or the feed itself when nothing is cabled to it."""
_FEED_COLUMNS = [
    ("site", "Site", "s"), ("panel", "Panel", "s"), ("name", "Feed", "s"), ("rack", "Rack", "s"),
    ("type", "Side", "s"), ("phase", "Phase", "s"), ("available_va", "Avail VA", ","),
    ("load_va", "Load VA", ","), ("committed_va", "Commit VA", ","), ("failover_load_va", "Failover VA", ","),
    ("failover_headroom_va", "Failover headroom", ","), ("plugs_from", "Plugs from", "s"),
    ("free_outlets", "Outlets", "d"),
]
_SOURCE_COLUMNS = [
    ("site", "Site", "s"), ("name", "Name", "s"), ("capacity_va", "Capacity VA", ","),
    ("load_va", "Load VA", ","), ("failover_load_va", "Failover VA", ","),
    ("failover_headroom_va", "Failover headroom", ","), ("utilization_pct", "Used %", ".1f"),
]
_BANDWIDTH_COLUMNS = [
    ("site", "Site", "s"), ("commit_kbps", "Commit kbps", ","), ("allocatable_kbps", "Allocatable kbps", ","),
    ("allocated_kbps", "Allocated kbps", ","), ("free_kbps", "Free kbps", ","),
    ("failover_allocatable_kbps", "Allocatable, largest uplink down", ","),
]
_CLUSTER_COLUMNS = [
    ("site", "Site", "s"), ("name", "Cluster", "s"), ("hosts", "Hosts", "d"),
    ("vcpus_free", "vCPU free", ".1f"), ("vcpus_capacity", "vCPU cap", ".1f"),
    ("memory_gb_free", "RAM GB free", ".1f"), ("memory_gb_capacity", "RAM GB cap", ".1f"),
    ("disk_gb_free", "Disk GB free", ".1f"), ("disk_gb_capacity", "Disk GB cap", ".1f"),
]
_FINDING_COLUMNS = [("severity", "Severity", "s"), ("kind", "Kind", "s"), ("object", "Object", "s"),
                    ("message", "Message", "s")]

SECTIONS = [
    ("racks", "Racks: space and power", _RACK_COLUMNS),
    ("feeds", "Power feeds", _FEED_COLUMNS),
    ("ups", "UPS", _SOURCE_COLUMNS),
    ("gensets", "Gensets", _SOURCE_COLUMNS),
    ("bandwidth", "Bandwidth", _BANDWIDTH_COLUMNS),
    ("clusters", "Hosting compute", _CLUSTER_COLUMNS),
    ("findings", "Findings", _FINDING_COLUMNS),
]


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
            f"power {site['load_va']:,} of {site['available_va']:,} VA, "
            f"{site['racks_failover_unsafe']} racks unsafe on failover"
            + (f", {site['free_outlets']:,} outlets free" if "free_outlets" in site else "")
        )
    for key, title, columns in SECTIONS:
        rows = report.get(key) or []
        if not rows:
            continue
        parts.append(f"\n{title} ({len(rows)})\n{text_table(rows, columns)}")
        if key == "racks":
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
        for key in ("sites", "racks", "feeds", "ups", "gensets", "uplinks", "bandwidth", "clusters", "findings"):
            rows = [_flat(r) for r in report.get(key, [])]
            frame = pd.DataFrame(rows) if rows else pd.DataFrame({"(none)": []})
            frame.to_excel(writer, sheet_name=key, index=False)
        meta = report.get("meta") or {}
        pd.DataFrame([meta] if meta else [{"source": None}]).to_excel(writer, sheet_name="meta", index=False)
    return buf.getvalue()
