#!/usr/bin/env python3
"""Generate the bundled demo's request history, `inventory/demo/requests/REQ-*.yaml`.

Two years of co-location requests of the demo data centre (December 2024 to November
2026), as the service desk's request files would hold them: every server and hosted VM
of the demo installed in those two years has its request, from submission to completion;
two requests were withdrawn since (the Pilkada 2024 live stream with its quick-count VM,
and the PPDB 2025 admission servers, whose units PPDB 2026 reuses); one was rejected at
the capacity check (bandwidth), one cancelled by the agency. `colo capacity forecast
--source demo` reads them as the demand history (docs/forecast.md).

    python scripts/make_demo_requests.py            # rewrite the bundled files
    python scripts/make_demo_requests.py --check    # exit 1 if they are out of date
    python scripts/make_demo_requests.py -o DIR     # write elsewhere

The demo snapshot is the source of every installed server's data (type, serial, draws,
rack, units, feeds, domain, bandwidth); names, NIPs and phone numbers come from a fixed
seed, so two runs write the same bytes.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from inventory.files import demo_path, load_snapshot, write_atomic  # noqa: E402
from inventory.model import Device, Snapshot  # noqa: E402
from playbooks.requests import dump_yaml, read_request, to_yaml_data  # noqa: E402

SEED = 6472  # Samarinda's postal code area
WITA = timezone(timedelta(hours=8))
WINDOW_START = date(2024, 12, 1)
REQUESTS_DIR = demo_path().parent / "requests"

ADDRESSES = {
    "dinkes": "Jl. Anggur No. 13, Samarinda", "disdikbud": "Jl. Dr. Sutomo No. 1, Samarinda",
    "bpkad": "Jl. Gajah Mada No. 2, Samarinda", "bappeda": "Jl. Kesuma Bangsa No. 2, Samarinda",
    "bapenda": "Jl. Gajah Mada No. 1, Samarinda", "bkd": "Jl. Basuki Rahmat No. 29, Samarinda",
    "disdukcapil": "Jl. M. Yamin No. 1, Samarinda", "dishub": "Jl. Juanda No. 14, Samarinda",
    "setwan": "Jl. Teuku Umar No. 1, Samarinda", "inspektorat": "Jl. Kesuma Bangsa No. 1, Samarinda",
    "rsud-aws": "Jl. Palang Merah Indonesia No. 1, Samarinda", "dispar": "Jl. Jenderal Sudirman No. 22, Samarinda",
    "dpmptsp": "Jl. Basuki Rahmat No. 55, Samarinda", "diskominfo": "Jl. Basuki Rahmat No. 41, Samarinda",
}
PEOPLE = ("Andi Pratama", "Siti Rahmawati", "Muhammad Rizky", "Dewi Lestari", "Agus Setiawan", "Nur Aini",
          "Rudi Hartono", "Fitriani Hasan", "Hendra Gunawan", "Yuliana Sari", "Bambang Sutrisno",
          "Rina Marlina", "Eko Saputra", "Lina Puspita", "Fajar Nugroho", "Wahyu Hidayat")
STAFF = {"disposition": "Kepala Seksi Infrastruktur TIK", "check": "Personil Data Center",
         "approve": "Kepala Bidang TIK", "install": "Personil Data Center"}
# Hosted VMs of the demo whose requests fall in the window: VM name -> approval date.
HOSTED = {"vm-wbs-inspektorat": date(2025, 3, 10), "vm-sakip-web": date(2025, 5, 19),
          "vm-antrian-dukcapil": date(2025, 7, 7), "vm-antrean-online": date(2025, 9, 15),
          "vm-dishub-ujikir-api": date(2025, 11, 24), "vm-visitkaltim": date(2026, 2, 9),
          "vm-samsat-api": date(2026, 7, 13), "vm-lms-moodle": date(2026, 9, 21)}


def build(snapshot: Snapshot, seed: int = SEED) -> dict[str, dict[str, Any]]:
    """File name -> request data, every request of the two years."""
    rng = random.Random(seed)
    types = {t.key: t for t in snapshot.device_types}
    tenants = {t.key: t for t in snapshot.tenants}
    racks = {r.key: r for r in snapshot.racks}
    feeds_of = _feeds_of(snapshot)
    groups: dict[str, list[Device]] = defaultdict(list)
    for d in snapshot.devices:
        cf = d.custom_fields or {}
        if cf.get("request_id") and date.fromisoformat(str(cf["handover_date"])) >= WINDOW_START:
            groups[str(cf["request_id"])].append(d)
    drafts: list[tuple[date, dict[str, Any]]] = []
    for register_id, devices in groups.items():
        first = devices[0]
        cf = first.custom_fields
        handover = date.fromisoformat(str(cf["handover_date"]))
        servers, placed = [], []
        for d in sorted(devices, key=lambda d: d.name):
            servers.append(_server(d, types[d.device_type]))
            placed.append(_placed(d, racks[d.rack].name if d.rack else "", types[d.device_type].u_height,
                                  feeds_of.get(d.key, [])))
        drafts.append((handover, {
            "tenant": first.tenant, "domain": cf["domain"], "servers": servers,
            "placement": {"site": first.site, "servers": placed},
            "temporary_until": cf.get("valid_until"), "notes": f"Register number {register_id}.",
            "installed": handover,
        }))
    for c in snapshot.clusters:
        for vm in c.vms:
            if vm.name in HOSTED:
                approved = HOSTED[vm.name]
                drafts.append((approved + timedelta(days=7), {
                    "tenant": vm.tenant, "domain": f"{vm.name.removeprefix('vm-')}.kaltimprov.go.id",
                    "hosting": {"vcpus": int(vm.vcpus), "memory_gb": vm.memory_mb // 1024, "disk_gb": vm.disk_gb,
                                "bandwidth_mbps": 10, "vm_name": vm.name},
                    "placement": {"site": c.site, "cluster": c.name}, "installed": approved + timedelta(days=7),
                }))
    drafts += _withdrawn_and_refused()
    drafts.sort(key=lambda item: (item[0], item[1]["domain"]))

    out: dict[str, dict[str, Any]] = {}
    numbers: dict[int, int] = defaultdict(int)
    for when, draft in drafts:
        submitted = when - timedelta(days=21)
        numbers[submitted.year] += 1
        rid = f"REQ-{submitted.year}-{numbers[submitted.year]:04d}"
        out[f"{rid}.yaml"] = _request(rid, submitted, draft, tenants[draft["tenant"]].name, rng)
    return out


def _withdrawn_and_refused() -> list[tuple[date, dict[str, Any]]]:
    """The requests the demo snapshot no longer shows: withdrawn, rejected, cancelled."""
    ppdb = [{"name": f"disdikbud-ppdb25-{kind}-0{i}", "position": float(pos)}
            for (kind, i), pos in zip((("app", 1), ("app", 2), ("app", 3), ("db", 1)), (2, 4, 6, 8))]
    return [
        (date(2024, 10, 28), {
            "tenant": "setwan", "domain": "pilkada.dprd.kaltimprov.go.id", "temporary_until": "2025-01-31",
            "servers": [_made_server("setwan-pilkada-stream-01", 1, 180, 350, 200)],
            "hosting": {"vcpus": 8, "memory_gb": 32, "disk_gb": 300, "bandwidth_mbps": 100,
                        "vm_name": "vm-pilkada-hitung-cepat"},
            "placement": {"site": "dc-kaltim", "cluster": "Cluster Hosting Pemprov", "servers": [
                _placed_at("setwan-pilkada-stream-01", "R2-02", 14.0, 1, ["R2-02-A", "R2-02-B"])]},
            "installed": date(2024, 10, 28), "withdrawn": date(2025, 1, 13),
            "withdrawal": "Pilkada 2024 selesai; siaran langsung dan hitung cepat dihentikan.",
            "notes": "Temporary: the regional election of 27 November 2024.",
        }),
        (date(2025, 5, 26), {
            "tenant": "disdikbud", "domain": "ppdb2025.kaltimprov.go.id", "temporary_until": "2025-08-31",
            "servers": [_made_server(s["name"], 2, 470, 800, 50) for s in ppdb],
            "placement": {"site": "dc-kaltim", "servers": [
                _placed_at(s["name"], "R1-06", s["position"], 2, ["R1-06-A", "R1-06-B"]) for s in ppdb]},
            "installed": date(2025, 5, 26), "withdrawn": date(2025, 8, 29),
            "withdrawal": "Penerimaan peserta didik baru 2025 selesai.",
        }),
        (date(2026, 6, 22), {
            "tenant": "bapenda", "domain": "dwh.bapenda.kaltimprov.go.id",
            "servers": [_made_server(f"bapenda-dwh-0{i}", 2, 520, 900, 400) for i in (1, 2, 3)],
            "rejected": "Bandwidth tidak mencukupi: 1.200 Mbps diminta, 480 Mbps tersisa.",
        }),
        (date(2026, 3, 16), {
            "tenant": "dispar", "domain": "festival.dispar.kaltimprov.go.id", "temporary_until": "2026-06-30",
            "servers": [_made_server("dispar-festival-01", 1, 150, 300, 20)],
            "cancelled": "Dinas memilih layanan cloud nasional (PDN).",
        }),
    ]


def _made_server(name: str, u: float, alloc: int, maximum: int, mbps: int) -> dict[str, Any]:
    return {"name": name, "make": "Dell", "model": "PowerEdge R650" if u == 1 else "PowerEdge R750",
            "u_height": u, "psu_count": 2, "allocated_draw_w": alloc, "maximum_draw_w": maximum,
            "bandwidth_mbps": mbps}


def _placed_at(server: str, rack: str, position: float, u: float, feeds: list[str]) -> dict[str, Any]:
    top = int(position + u - 1)
    units = f"U{position:g}" + (f"-U{top}" if top > position else "")
    return {"server": server, "rack": rack, "rack_name": rack, "position": position, "face": "front",
            "units": units, "feeds": feeds}


def _server(d: Device, t: Any) -> dict[str, Any]:
    alloc = sum(p.allocated_draw or 0 for p in d.power_ports)
    maximum = max(sum(p.maximum_draw or 0 for p in d.power_ports), alloc, 1)
    out = {"name": d.name, "make": t.manufacturer, "model": t.model, "serial": d.serial, "u_height": t.u_height,
           "full_depth": t.is_full_depth, "psu_count": max(len(d.power_ports), 1),
           "allocated_draw_w": alloc or None, "maximum_draw_w": maximum,
           "bandwidth_mbps": (d.custom_fields or {}).get("bandwidth_mbps") or 10}
    return {k: v for k, v in out.items() if v is not None}


def _placed(d: Device, rack_name: str, u: float, feeds: list[str]) -> dict[str, Any]:
    return _placed_at(d.name, rack_name, float(d.position or 1), u, feeds) | {"face": d.face or "front"}


def _feeds_of(snapshot: Snapshot) -> dict[str, list[str]]:
    """Device key -> names of the feeds its ports draw from (directly or through a PDU)."""
    feed_names = {f.key: f.name for f in snapshot.power_feeds}
    pdu_feed = {d.key: next((p.feed for p in d.power_ports if p.feed), None) for d in snapshot.devices
                if d.power_outlets}
    out: dict[str, list[str]] = {}
    for d in snapshot.devices:
        names = []
        for p in d.power_ports:
            feed = p.feed or (pdu_feed.get(p.outlet.device) if p.outlet else None)
            if feed and feed_names[feed] not in names:
                names.append(feed_names[feed])
        out[d.key] = names
    return out


def _request(rid: str, submitted: date, draft: dict[str, Any], agency: str, rng: random.Random) -> dict[str, Any]:
    person = rng.choice(PEOPLE)
    born = date(rng.randint(1972, 1992), rng.randint(1, 12), rng.randint(1, 28))
    nip = f"{born:%Y%m%d}{born.year + rng.randint(22, 28)}{rng.randint(1, 12):02d}{rng.randint(1, 2)}" \
          f"{rng.randint(1, 999):03d}"
    until = draft.get("temporary_until")
    data: dict[str, Any] = {
        "id": rid, "state": "submitted", "created_at": _at(submitted, 9, 0),
        "agency": {"unit_name": agency, "address": ADDRESSES[draft["tenant"]], "tenant": draft["tenant"]},
        "person_in_charge": {
            "name": person, "nip": nip, "phone": f"0812-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
            "email": f"{person.lower().replace(' ', '.')}@kaltimprov.go.id"},
        "domain": draft["domain"], "domain_activation_date": submitted + timedelta(days=21),
        "permanent": until is None,
    }
    if until is not None:
        data["valid_until"] = date.fromisoformat(str(until))
    for key in ("servers", "hosting", "notes"):
        if key in draft:
            data[key] = draft[key]
    steps = [("submitted", 1, "agency", 0, 9), ("dispositioned", 2, "disposition", 1, 10),
             ("capacity_checked", 3, "check", 2, 14)]
    if "rejected" in draft:
        steps.append(("rejected", None, "check", 3, 10))
    elif "cancelled" in draft:
        steps = steps[:2] + [("cancelled", None, "agency", 4, 11)]
    else:
        steps += [("form_submitted", 4, "agency", 4, 9), ("approved", 5, "approve", 5, 11),
                  ("notified", 6, "check", 5, 14), ("delivered", 7, "agency", 19, 9),
                  ("installed", 8, "install", 21, 10), ("completed", 9, "check", 22, 9)]
    history = []
    for state, step, who, days, hour in steps:
        by = person if who == "agency" else STAFF[who]
        entry = {"step": step, "state": state, "by": by, "at": _at(submitted + timedelta(days=days), hour, 0)}
        if state == "rejected":
            entry["note"] = draft["rejected"]
        if state == "cancelled":
            entry["note"] = draft["cancelled"]
        history.append({k: v for k, v in entry.items() if v is not None})
    if "withdrawn" in draft:
        gone = draft["withdrawn"]
        history += [{"state": "withdrawal_requested", "by": person, "at": _at(gone - timedelta(days=7), 9, 0)},
                    {"state": "withdrawal_approved", "by": STAFF["approve"], "at": _at(gone - timedelta(days=3), 11, 0)},
                    {"state": "withdrawn", "by": STAFF["install"], "at": _at(gone, 10, 0)}]
        data["withdrawal"] = {"reasons": draft["withdrawal"]}
    data["state"] = history[-1]["state"]
    if "placement" in draft and "rejected" not in draft and "cancelled" not in draft:
        data["placement"] = draft["placement"]
    data["history"] = history
    return data


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), WITA)


def render(snapshot: Snapshot | None = None) -> dict[str, str]:
    """File name -> YAML text."""
    built = build(snapshot or load_snapshot("demo"))
    header = "# Demo request (generated by scripts/make_demo_requests.py; do not edit by hand)\n"
    return {name: header + dump_yaml(to_yaml_data(data)) for name, data in sorted(built.items())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", type=Path, default=None, help="folder (default: the bundled one)")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the bundled files differ")
    args = parser.parse_args(argv)
    target = args.output or REQUESTS_DIR
    files = render()
    with tempfile.TemporaryDirectory() as tmp:  # every file must read back as a valid request
        for name, text in files.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
            read_request(Path(tmp) / name)
    if args.check:
        present = {p.name: p.read_text(encoding="utf-8") for p in target.glob("REQ-*.yaml")} if target.is_dir() else {}
        if present != files:
            print(f"{target} is out of date: run python scripts/make_demo_requests.py")
            return 1
        print(f"{target} is up to date ({len(files)} requests)")
        return 0
    target.mkdir(parents=True, exist_ok=True)
    for stale in set(p.name for p in target.glob("REQ-*.yaml")) - set(files):
        (target / stale).unlink()
    for name, text in files.items():
        write_atomic(target / name, text)
    print(f"wrote {len(files)} request files to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
