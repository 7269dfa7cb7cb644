#!/usr/bin/env python3
"""Benchmark: the full capacity report read from NetBox vs NetBox's own rack list page.

    .venv/bin/python scripts/bench_netbox.py                 # seed once (cached), then measure
    .venv/bin/python scripts/bench_netbox.py --runs 5        # more repetitions
    .venv/bin/python scripts/bench_netbox.py --reseed        # rebuild the seeded database

What it does:

1. Runs a SECOND NetBox sandbox (its own state directory, database and port: the shared
   sandbox on :8000 is left alone) through scripts/netbox-sandbox with
   COLO_SANDBOX_HOME=~/.cache/colo-netbox-bench, NETBOX_SANDBOX_DB=colo_netbox_bench,
   NETBOX_SANDBOX_PORT=8001 and Redis databases 7/8. Its virtualenv and migrated dump
   are borrowed from the main sandbox's state when present (no second install/migrate).
2. Seeds one large data centre (`inventory.synthetic.generate_snapshot`, default 500
   racks, 11,000 devices, PDUs in every rack: ~17,600 power ports, ~17,700 outlets,
   ~17,100 cables, ~980 feeds) ONCE and caches the seeded database as a pg_dump next to
   the bench sandbox's own dumps; later runs restore it in seconds. Seeding goes through
   the Django ORM inside NetBox (`manage nbshell`), not the API: NetBox creates only
   ~8 cables/s through its API, so 17,000 cables would take 40 minutes. The conventions
   (custom fields, roles) are created by `colo netbox bootstrap`'s code through the API
   first; devices, components and cables are then bulk-inserted with the denormalised
   fields NetBox's own save() would set (component `_site/_location/_rack`, termination
   caches, device counters, feed `available_power`). Not done for seeded cables: cable
   path tracing (CablePath; NetBox's `connected_endpoints`), which neither the loader
   nor NetBox's utilization maths use; global-search cache entries. This shortcut is
   for the benchmark's seeding only.
3. Measures, on the same server, after one warm-up of each:
   - `colo capacity report --source netbox --format json --site SLUG --verbose` as a
     subprocess: wall time and the HTTP request count it reports;
   - the loader alone in-process, with the cost of every read;
   - NetBox's own rack list page `/dcim/racks/?site=SLUG&per_page=1000` (space
     utilization only) over HTTP with a logged-in session.

Prints the figures; docs/netbox-loader.md records them.

Past the ~500-line guide on purpose: one benchmark, its seeding of NetBox and its
measurements kept together so a run is read top to bottom.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SANDBOX = REPO / "scripts" / "netbox-sandbox"
MAIN_STATE = Path(os.environ.get("COLO_SANDBOX_MAIN_HOME", "~/.cache/colo-netbox-sandbox")).expanduser()
SEED_VERSION = 1  # bump when the seeding changes: the cached dump is then rebuilt
DB_MARKER = "colo-netbox-sandbox: netbox {version}"


def bench_env(args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "COLO_SANDBOX_HOME": str(args.state),
        "NETBOX_SANDBOX_DB": args.db,
        "NETBOX_SANDBOX_PORT": str(args.port),
        "NETBOX_SANDBOX_REDIS_TASKS_DB": "7",
        "NETBOX_SANDBOX_REDIS_CACHE_DB": "8",
    })
    for var in ("NETBOX_URL", "NETBOX_TOKEN", "COLO_CONFIG"):
        env.pop(var, None)
    return env


def say(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def sandbox(env: dict[str, str], *args: str, capture: bool = False, input_text: str | None = None) -> str:
    res = subprocess.run([str(SANDBOX), *args], env=env, text=True, input=input_text,
                         stdout=subprocess.PIPE if capture else None, check=False)
    if res.returncode != 0:
        sys.exit(f"bench: scripts/netbox-sandbox {args[0]} failed (exit {res.returncode})")
    return res.stdout or ""


def borrow_main_state(state: Path, version: str) -> None:
    """Reuse the main sandbox's virtualenv and migrated dump: no second install or migrate."""
    state.mkdir(parents=True, exist_ok=True)
    venv = state / f"venv-{version}"
    main_venv = MAIN_STATE / f"venv-{version}"
    if not venv.exists() and (main_venv / "bin" / "netbox").exists():
        venv.symlink_to(main_venv)
        say(f"using the main sandbox's virtualenv {main_venv}")
    dumps = state / "dumps"
    dumps.mkdir(exist_ok=True)
    migrated = f"netbox-{version}-migrated.dump"
    if not (dumps / migrated).exists() and (MAIN_STATE / "dumps" / migrated).exists():
        shutil.copy2(MAIN_STATE / "dumps" / migrated, dumps / migrated)
        say("copied the main sandbox's migrated database dump")


def sandbox_env_vars(env: dict[str, str]) -> tuple[str, str]:
    out = sandbox(env, "env", capture=True)
    vals = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return vals["NETBOX_URL"], vals["NETBOX_TOKEN"]


def psql(db: str, sql: str) -> str:
    res = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-Atqc", sql],
                         text=True, capture_output=True, check=False)
    if res.returncode != 0:
        sys.exit(f"bench: psql failed: {res.stderr.strip()}")
    return res.stdout.strip()


# --------------------------------------------------------------------------- seeding
SEED_ORM = r'''
import json, os, time
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from dcim.models import (Cable, CableTermination, Device, DeviceBay, DeviceRole, DeviceType, Location,
                         Manufacturer, PowerFeed, PowerOutlet, PowerPanel, PowerPort, Rack, RackReservation,
                         RackRole, Site)
from circuits.models import Circuit, CircuitTermination, CircuitType, Provider
from tenancy.models import Tenant, TenantGroup
from users.models import User
from virtualization.models import Cluster, ClusterType, VirtualMachine

data = json.load(open(os.environ["BENCH_SEED_JSON"]))
marker = os.environ["BENCH_SEED_MARKER"]
t0 = time.time()
def step(what):
    print(f"seed: {what} ({time.time() - t0:.1f} s)", flush=True)

def slugify(text):
    out = "".join(c if c.isalnum() else "-" for c in text.lower())
    return "-".join(filter(None, out.split("-")))

with transaction.atomic():
    site_of = {}
    for s in data["sites"]:
        site = Site(name=s["name"], slug=s["slug"], status="active", description="seeding")
        site.save()
        site_of[s["key"]] = site
    loc_of = {}
    for l in data["locations"]:
        loc = Location(name=l["name"], slug=slugify(l["name"]), site=site_of[l["site"]], status="active")
        loc.save()
        loc_of[l["key"]] = loc
    group_of = {}
    for g in data["tenant_groups"]:
        group_of[g["key"]], _ = TenantGroup.objects.get_or_create(slug=slugify(g["name"]), defaults={"name": g["name"]})
    tenant_of = {}
    for t in data["tenants"]:
        tenant_of[t["key"]], _ = Tenant.objects.get_or_create(
            slug=t["slug"], defaults={"name": t["name"], "group": group_of.get(t.get("group"))})
    role_of = {}
    for slug in sorted({r["role"] for r in data["racks"] if r.get("role")}):
        role_of[slug], _ = RackRole.objects.get_or_create(slug=slug, defaults={"name": slug.title()})
    rack_of = {}
    for r in data["racks"]:
        rack = Rack(name=r["name"], site=site_of[r["site"]], location=loc_of.get(r.get("location")),
                    u_height=r.get("u_height", 42), starting_unit=r.get("starting_unit", 1),
                    desc_units=r.get("desc_units", False), status=r.get("status", "active"),
                    role=role_of.get(r.get("role")), tenant=tenant_of.get(r.get("tenant")),
                    max_weight=round(r["max_weight_kg"]) if r.get("max_weight_kg") is not None else None,
                    weight_unit="kg" if r.get("max_weight_kg") is not None else None)
        rack.save()
        rack_of[r["key"]] = rack
    step(f"{len(rack_of)} racks")

    maker_of = {}
    type_of = {}
    for t in data["device_types"]:
        if t["manufacturer"] not in maker_of:
            maker_of[t["manufacturer"]], _ = Manufacturer.objects.get_or_create(
                slug=slugify(t["manufacturer"]), defaults={"name": t["manufacturer"]})
        dt, _ = DeviceType.objects.get_or_create(
            manufacturer=maker_of[t["manufacturer"]], model=t["model"],
            defaults={"slug": t["slug"], "u_height": t.get("u_height", 1), "is_full_depth": t.get("is_full_depth", True),
                      "exclude_from_utilization": t.get("exclude_from_utilization", False),
                      "subdevice_role": t.get("subdevice_role")})
        type_of[t["key"]] = dt
    generic, _ = Manufacturer.objects.get_or_create(slug="generic", defaults={"name": "Generic"})
    ups_type, _ = DeviceType.objects.get_or_create(manufacturer=generic, model="UPS (colo)", defaults={
        "slug": "colo-ups", "u_height": 0, "is_full_depth": False, "exclude_from_utilization": True})
    genset_type, _ = DeviceType.objects.get_or_create(manufacturer=generic, model="Genset (colo)", defaults={
        "slug": "colo-genset", "u_height": 0, "is_full_depth": False, "exclude_from_utilization": True})
    droles = {}
    for slug in sorted({d["role"] for d in data["devices"]} | {"ups", "genset"}):
        droles[slug], _ = DeviceRole.objects.get_or_create(slug=slug, defaults={"name": slug.title(), "color": "9e9e9e"})
    ctype, _ = ClusterType.objects.get_or_create(slug="virtualization", defaults={"name": "Virtualization"})
    cluster_of = {}
    for c in data["clusters"]:
        cl = Cluster(name=c["name"], type=ctype, scope=site_of[c["site"]], status="active")
        cl.save()
        cluster_of[c["key"]] = cl
    host_of = {h["device"]: (c["key"], h["capacity"]) for c in data["clusters"] for h in c.get("hosts", [])}

    # UPS and gensets: devices with role ups/genset and capacity custom fields (as the writer does)
    src_of = {}
    for g in data["gensets"]:
        dev = Device(name=g["name"], site=site_of[g["site"]], device_type=genset_type, role=droles["genset"],
                     status="active", custom_field_data={
                         "rated_va": g["rated_va"], "derating": g.get("derating"),
                         "other_loads_va": g.get("other_loads_va", 0), "redundancy_group": g.get("redundancy_group")})
        dev.save()
        src_of[g["key"]] = dev
    for u in data["ups"]:
        dev = Device(name=u["name"], site=site_of[u["site"]], device_type=ups_type, role=droles["ups"],
                     status="active", custom_field_data={
                         "rated_va": u["rated_va"], "derating": u.get("derating"), "efficiency": u.get("efficiency"),
                         "genset": src_of[u["genset"]].pk if u.get("genset") else None,
                         "redundancy_group": u.get("redundancy_group")})
        dev.save()
        src_of[u["key"]] = dev

    # devices: bulk insert (Device.save() would only add template components: there are none)
    devices = []
    for d in data["devices"]:
        rack = rack_of.get(d.get("rack"))
        cf = dict(d.get("custom_fields") or {})
        cluster = None
        if d["key"] in host_of:
            ck, cap = host_of[d["key"]]
            cluster = cluster_of[ck]
            cf.update(vcpus=cap["vcpus"], memory_gb=cap["memory_gb"], disk_gb=cap["disk_gb"])
        devices.append(Device(
            name=d.get("name") or None, site=site_of[d["site"]], rack=rack,
            location=rack.location if rack else None, device_type=type_of[d["device_type"]],
            role=droles[d["role"]], position=d.get("position"), face=d.get("face") or None,
            status=d.get("status", "active"), tenant=tenant_of.get(d.get("tenant")),
            serial=d.get("serial", ""), asset_tag=d.get("asset_tag"), cluster=cluster,
            custom_field_data=cf,
            power_port_count=len(d.get("power_ports", [])), power_outlet_count=len(d.get("power_outlets", []))))
    Device.objects.bulk_create(devices, batch_size=2000)
    dev_of = {d["key"]: obj for d, obj in zip(data["devices"], devices)}
    bays = []
    for d in data["devices"]:
        if d.get("parent"):
            bays.append(DeviceBay(device=dev_of[d["parent"]], name=f"Bay {d.get('name') or d['key']}",
                                  installed_device=dev_of[d["key"]], _site=dev_of[d["parent"]].site,
                                  _location=dev_of[d["parent"]].location, _rack=dev_of[d["parent"]].rack))
    DeviceBay.objects.bulk_create(bays, batch_size=2000)
    step(f"{len(devices)} devices")

    # power ports and outlets: bulk insert with the denormalised _site/_location/_rack of ComponentModel.save()
    def comp(cls, dev, **kw):
        return cls(device=dev, _site=dev.site, _location=dev.location, _rack=dev.rack, **kw)
    ports = {}
    for d in data["devices"]:
        dev = dev_of[d["key"]]
        for p in d.get("power_ports", []):
            ports[(d["key"], p["name"])] = comp(PowerPort, dev, name=p["name"],
                                                allocated_draw=p.get("allocated_draw"), maximum_draw=p.get("maximum_draw"))
    PowerPort.objects.bulk_create(list(ports.values()), batch_size=5000)
    outlets = {}
    for d in data["devices"]:
        dev = dev_of[d["key"]]
        for o in d.get("power_outlets", []):
            outlets[(d["key"], o["name"])] = comp(
                PowerOutlet, dev, name=o["name"], feed_leg=(o.get("feed_leg") or "").upper() or None,
                power_port=ports.get((d["key"], o.get("power_port"))) if o.get("power_port") else None)
    PowerOutlet.objects.bulk_create(list(outlets.values()), batch_size=5000)
    step(f"{len(ports)} power ports, {len(outlets)} outlets")

    panel_of = {}
    for p in data["power_panels"]:
        panel = PowerPanel(name=p["name"], site=site_of[p["site"]], location=loc_of.get(p.get("location")),
                           custom_field_data={"ups": src_of[p["ups"]].pk if p.get("ups") else None})
        panel.save()
        panel_of[p["key"]] = panel
    feed_of = {}
    for f in data["power_feeds"]:
        feed = PowerFeed(name=f["name"], power_panel=panel_of[f["panel"]], rack=rack_of.get(f.get("rack")),
                         status=f.get("status", "active"), type=f.get("type", "primary"), supply=f.get("supply", "ac"),
                         phase=f.get("phase", "single-phase"), voltage=f.get("voltage", 230),
                         amperage=f.get("amperage", 16), max_utilization=f.get("max_utilization", 80))
        feed.save()  # computes available_power
        feed_of[f["key"]] = feed
    step(f"{len(panel_of)} panels, {len(feed_of)} feeds")

    # cables: one per feed or outlet, with every port behind it on the B side (as the writer does)
    behind = {}
    for d in data["devices"]:
        for p in d.get("power_ports", []):
            if p.get("feed"):
                a = ("feed", p["feed"])
            elif p.get("outlet"):
                a = ("outlet", (p["outlet"]["device"], p["outlet"]["name"]))
            else:
                continue
            behind.setdefault(a, []).append(ports[(d["key"], p["name"])])
    ct = {m: ContentType.objects.get_for_model(m) for m in (PowerFeed, PowerOutlet, PowerPort)}
    cables = [Cable(status="connected") for _ in behind]
    Cable.objects.bulk_create(cables, batch_size=5000)
    terms = []
    touched = {PowerFeed: [], PowerOutlet: [], PowerPort: []}
    for cable, ((kind, ref), plist) in zip(cables, behind.items()):
        a = feed_of[ref] if kind == "feed" else outlets[ref]
        if kind == "feed":
            terms.append(CableTermination(cable=cable, cable_end="A", termination_type=ct[PowerFeed],
                                          termination_id=a.pk, _rack=a.rack,
                                          _location=a.rack.location if a.rack else None,
                                          _site=a.rack.site if a.rack else None))
        else:
            terms.append(CableTermination(cable=cable, cable_end="A", termination_type=ct[PowerOutlet],
                                          termination_id=a.pk, _device=a.device, _rack=a.device.rack,
                                          _location=a.device.location, _site=a.device.site))
        a.cable, a.cable_end = cable, "A"
        touched[type(a)].append(a)
        for p in plist:
            terms.append(CableTermination(cable=cable, cable_end="B", termination_type=ct[PowerPort],
                                          termination_id=p.pk, _device=p.device, _rack=p.device.rack,
                                          _location=p.device.location, _site=p.device.site))
            p.cable, p.cable_end = cable, "B"
            touched[PowerPort].append(p)
    CableTermination.objects.bulk_create(terms, batch_size=5000)
    for model, objs in touched.items():
        model.objects.bulk_update(objs, ["cable", "cable_end"], batch_size=2000)
    step(f"{len(cables)} cables, {len(terms)} terminations")

    user = User.objects.filter(is_superuser=True).order_by("pk").first()
    res = []
    for r in data["reservations"]:
        res.append(RackReservation(rack=rack_of[r["rack"]], units=sorted(r["units"]), user=user,
                                   tenant=tenant_of.get(r.get("tenant")), description=r.get("description") or "bench"))
    for r in res:
        r.save()
    circuit_type, _ = CircuitType.objects.get_or_create(slug="internet-uplink", defaults={"name": "Internet uplink"})
    for u in data["uplinks"]:
        prov, _ = Provider.objects.get_or_create(slug=slugify(u["provider"]), defaults={"name": u["provider"]})
        circuit, _ = Circuit.objects.get_or_create(cid=u["name"], provider=prov, defaults={
            "type": circuit_type, "status": u.get("status", "active"), "commit_rate": u["commit_kbps"]})
        if not CircuitTermination.objects.filter(circuit=circuit, term_side="A").exists():
            CircuitTermination(circuit=circuit, term_side="A", termination=site_of[u["site"]]).save()
    vms = []
    for c in data["clusters"]:
        for vm in c.get("vms", []):
            v = VirtualMachine(name=vm["name"], cluster=cluster_of[c["key"]], site=cluster_of[c["key"]]._site,
                               status=vm.get("status", "active"), tenant=tenant_of.get(vm.get("tenant")),
                               vcpus=vm.get("vcpus") or None, memory=vm.get("memory_mb") or None,
                               disk=(vm.get("disk_gb") or 0) * 1000 or None)
            v.save()
    for s in site_of.values():
        s.description = marker
        s.save()
    step("done")
'''


def seed(env: dict[str, str], args: argparse.Namespace, url: str, token: str, marker: str) -> None:
    from inventory.netbox.bootstrap import bootstrap
    from inventory.netbox.client import NetBoxClient, NetBoxSettings
    from inventory.synthetic import generate_snapshot

    say(f"generating {args.racks} racks, {args.devices} devices (seed {args.seed})")
    snap = generate_snapshot(args.racks, args.devices, args.seed, pdu_racks=min(args.pdu_racks, args.racks))
    data = snap.model_dump(mode="json")
    for s in data["sites"]:
        s["slug"] = args.site
        s["name"] = f"Bench {args.site}"
    say("creating the data-model conventions (bootstrap, through the API)")
    client = NetBoxClient(NetBoxSettings(url=url, token=token, timeout_s=600))
    bootstrap(client)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(data, fh)
        path = fh.name
    try:
        say("seeding through the ORM (manage nbshell); takes a few minutes")
        t0 = time.perf_counter()
        senv = dict(env, BENCH_SEED_JSON=path, BENCH_SEED_MARKER=marker)
        sandbox(senv, "manage", "nbshell", "-c", SEED_ORM)
        say(f"seeded in {time.perf_counter() - t0:.0f} s")
    finally:
        os.unlink(path)


def seeded(url: str, token: str, site: str, marker: str) -> bool:
    import requests

    r = requests.get(f"{url}/api/dcim/sites/", params={"slug": site, "fields": "id,description"},
                     headers={"Authorization": f"Bearer {token}"}, timeout=60)
    r.raise_for_status()
    res = r.json()["results"]
    return bool(res) and res[0].get("description") == marker


def restore(env: dict[str, str], args: argparse.Namespace, dump: Path, version: str) -> None:
    say(f"restoring the seeded database from {dump}")
    t0 = time.perf_counter()
    psql("postgres", f'drop database if exists "{args.db}" with (force)')
    psql("postgres", f'create database "{args.db}"')
    res = subprocess.run(["pg_restore", "-h", "127.0.0.1", "-U", "postgres", "-d", args.db, "--no-owner",
                          "--exit-on-error", "-j", "2", str(dump)], capture_output=True, text=True, check=False)
    if res.returncode != 0:
        sys.exit(f"bench: pg_restore failed: {res.stderr[-2000:]}")
    # the sandbox script's own marker: its next `up` reuses this database as is
    psql("postgres", f"comment on database \"{args.db}\" is '{DB_MARKER.format(version=version)}'")
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "-n", "8", "flushdb"], capture_output=True, check=False)
    say(f"restored in {time.perf_counter() - t0:.1f} s")


def dump_db(args: argparse.Namespace, dump: Path) -> None:
    t0 = time.perf_counter()
    tmp = dump.with_suffix(".tmp")
    res = subprocess.run(["pg_dump", "-h", "127.0.0.1", "-U", "postgres", "-Fc", "-d", args.db, "-f", str(tmp)],
                         capture_output=True, text=True, check=False)
    if res.returncode != 0:
        sys.exit(f"bench: pg_dump failed: {res.stderr[-2000:]}")
    tmp.replace(dump)
    say(f"cached the seeded database as {dump} ({time.perf_counter() - t0:.1f} s)")


# --------------------------------------------------------------------------- measuring
class ServerCPU:
    """CPU seconds the bench NetBox spent (its gunicorn workers and PostgreSQL backends):
    steadier than wall time on a machine other people are loading."""

    def __init__(self, state: Path, db: str) -> None:
        self.state, self.db = state, db
        self.hz = os.sysconf("SC_CLK_TCK")

    def _pids(self) -> list[int]:
        pids: list[int] = []
        try:
            master = int((self.state / "run" / "gunicorn.pid").read_text().strip())
            out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout
            pids += [int(p) for p in out.split()]
        except (OSError, ValueError):
            pass
        out = psql("postgres", f"select pid from pg_stat_activity where datname = '{self.db}'")
        return pids + [int(p) for p in out.split()]

    @staticmethod
    def _stat(pid: int) -> tuple[int, int] | None:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return int(fields[11]) + int(fields[12]), int(fields[19])  # utime+stime, start time

    def measure(self, fn: Any) -> tuple[float, Any]:
        before = {p: self._stat(p) for p in self._pids()}
        started = float(Path("/proc/uptime").read_text().split()[0]) * self.hz
        out = fn()
        ticks = 0
        for pid in set(before) | set(self._pids()):
            now = self._stat(pid)
            if now is None:
                continue
            if before.get(pid):
                ticks += now[0] - before[pid][0]  # type: ignore[index]
            elif now[1] >= started - 1:  # a process started during the measurement
                ticks += now[0]
        return ticks / self.hz, out


def run_cli_report(url: str, token: str, site: str, exports: bool = True) -> tuple[float, int | None, int]:
    """Wall time of `colo capacity report --source netbox --format json --site SITE --verbose`;
    without `exports`, as if NetBox had no export templates (the loader's GraphQL fallback)."""
    env = dict(os.environ, NETBOX_URL=url, NETBOX_TOKEN=token, PYTHONPATH=str(REPO))
    env.pop("COLO_CONFIG", None)
    fallback = ("import inventory.netbox.loader as L; L.load_snapshot.__kwdefaults__['use_export_templates'] = False; "
                if not exports else "")
    cmd = [sys.executable, "-c", fallback + "from colo_cli.main import cli; cli()", "capacity", "report",
           "--source", "netbox", "--format", "json", "--site", site, "--verbose"]
    t0 = time.perf_counter()
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        sys.exit(f"bench: the report failed (exit {res.returncode}): {res.stderr[-2000:]}")
    m = re.search(r"(\d+) HTTP requests", res.stderr)
    report = json.loads(res.stdout)
    return wall, int(m.group(1)) if m else None, len(report["racks"])


def run_loader(url: str, token: str, site: str, exports: bool = True) -> Any:
    from inventory.netbox.client import NetBoxClient, NetBoxSettings
    from inventory.netbox.loader import LoadStats, load_snapshot

    client = NetBoxClient(NetBoxSettings(url=url, token=token, timeout_s=300))
    stats = LoadStats()
    snap = load_snapshot(client, [site], stats=stats, use_export_templates=exports)
    return snap, stats


def ensure_templates(url: str, token: str) -> None:
    """The loader's export templates, as `colo netbox bootstrap` keeps them (idempotent)."""
    from inventory.netbox.client import NetBoxClient, NetBoxSettings
    from inventory.netbox.bootstrap import ensure_export_templates

    report = ensure_export_templates(NetBoxClient(NetBoxSettings(url=url, token=token, timeout_s=300)))
    if report.changes:
        say(f"export templates: {report.created} created, {report.updated} updated")


class RackPage:
    """NetBox's own rack list (space utilization per rack), logged in as admin."""

    def __init__(self, url: str, password: str, site: str) -> None:
        import requests

        self.url, self.site = url, site
        self.s = requests.Session()
        self.s.get(f"{url}/login/", timeout=60)
        csrf = self.s.cookies.get("csrftoken")
        self.s.post(f"{url}/login/", data={"username": "admin", "password": password,
                                           "csrfmiddlewaretoken": csrf, "next": "/"},
                    headers={"Referer": f"{url}/login/"}, timeout=60)
        if "sessionid" not in self.s.cookies:
            sys.exit("bench: could not log in to NetBox's web UI as admin")

    def get(self) -> float:
        t0 = time.perf_counter()
        r = self.s.get(f"{self.url}/dcim/racks/", params={"site": self.site, "per_page": 1000}, timeout=900)
        took = time.perf_counter() - t0
        if r.status_code != 200 or "/login/" in r.url:
            sys.exit(f"bench: the rack list page answered HTTP {r.status_code} ({r.url})")
        return took


def query_costs(url: str, token: str, site: str, cpu: "ServerCPU") -> list[tuple[str, int, int, float, float]]:
    """Each read the loader can make, alone, over the whole bench site: (read, requests,
    objects, wall s, NetBox server CPU s); plus two REST reads for reference."""
    from inventory.netbox.client import NetBoxClient, NetBoxSettings
    from inventory.netbox import loader as L
    from inventory.netbox import queries as Q
    from inventory.netbox.conventions import EXPORTS

    client = NetBoxClient(NetBoxSettings(url=url, token=token, timeout_s=600))
    site_id = client.get_json("dcim/sites", {"slug": site, "fields": "id"})["results"][0]["id"]
    reader = L._Reader(client, [site_id], L.DEFAULT_PAGE_SIZE, 1, L._Progress(False), L.LoadStats())
    reader.single_site = str(site_id)
    out = []

    def one(name: str, fn: Any, objects: Any) -> None:
        before = client.requests_made
        t0 = time.perf_counter()
        c, res = cpu.measure(fn)
        out.append((name, client.requests_made - before, objects(res), time.perf_counter() - t0, c))

    one("REST sites (fields=)", lambda: client.get_all("dcim/sites", {"fields": "id,name,slug,description"}), len)
    one("REST export-template check", reader.usable_exports, len)
    one("REST page-size probe", lambda: reader.probe("dcim/sites", {}), lambda r: 0)
    one("GraphQL small lists (1 query)", lambda: reader.small(L.DEFAULT_PAGE_SIZE),
        lambda r: sum(len(v) for v in r.values()))
    for e in EXPORTS.values():
        one(f"REST export {e.read}", lambda e=e: reader.export(e), len)
    for big in Q.BIG_READS:
        def paged(big: Any = big) -> list[dict]:
            n, granted = reader.count(big)
            rows: list[dict] = []
            for off in range(0, n, granted):
                rows += reader.big_page(big, off, granted)
            return rows
        one(f"GraphQL {big.name} (count + pages)", paged, len)
    one("REST devices, fields= a dozen (reference)", lambda: client.get_all("dcim/devices", {
        "site_id": site_id, "fields": "id,name,serial,asset_tag,position,face,status,device_type,role,"
        "tenant,rack,custom_fields", "exclude": "config_context"}, workers=1), len)
    one("REST cable-terminations (reference)", lambda: client.get_all("dcim/cable-terminations", {
        "fields": "id,cable,cable_end,termination_type,termination_id"}, workers=1), len)
    return out


def fmt(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f} s (runs: {', '.join(f'{v:.2f}' for v in values)})"


def main(argv: list[str] | None = None) -> dict[str, list[float]]:
    """Measures and prints; returns the runs of each figure (`cli`, `cli_gql`, `page`, ...)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--racks", type=int, default=500)
    p.add_argument("--devices", type=int, default=11000)
    p.add_argument("--pdu-racks", type=int, default=500, help="racks whose servers are fed through PDUs")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--runs", type=int, default=3, help="measured repetitions of each (after one warm-up)")
    p.add_argument("--reseed", action="store_true", help="rebuild the seeded database even if cached")
    p.add_argument("--state", type=Path, default=Path("~/.cache/colo-netbox-bench").expanduser())
    p.add_argument("--db", default="colo_netbox_bench")
    p.add_argument("--port", type=int, default=8001)
    p.add_argument("--version", default=os.environ.get("NETBOX_VERSION", "4.7.3"))
    p.add_argument("--queries", action="store_true",
                   help="also measure every read alone (one request at a time), for docs/netbox-loader.md")
    args = p.parse_args(argv)
    args.site = f"bench-r{args.racks}-d{args.devices}-p{args.pdu_racks}-s{args.seed}"
    marker = f"colo bench seed v{SEED_VERSION} {args.site} complete"
    dump = args.state / "dumps" / f"{args.site}-v{SEED_VERSION}.dump"

    env = bench_env(args)
    borrow_main_state(args.state, args.version)
    say(f"bench sandbox: {args.state}, database {args.db}, port {args.port}")
    sandbox(env, "up")
    url, token = sandbox_env_vars(env)
    if args.reseed or not seeded(url, token, args.site, marker):
        if dump.exists() and not args.reseed:
            restore(env, args, dump, args.version)
            sandbox(env, "up")
        else:
            if seeded_partially(url, token, args.site):
                restore(env, args, pristine_dump(args.state, args.version), args.version)
                sandbox(env, "up")
            seed(env, args, url, token, marker)
            dump_db(args, dump)
        if not seeded(url, token, args.site, marker):
            sys.exit("bench: the bench site is not there after seeding/restoring")
    password = (args.state / "secrets" / "admin_password").read_text().strip()
    ensure_templates(url, token)
    cpu = ServerCPU(args.state, args.db)
    page = RackPage(url, password, args.site)

    say("warming up")
    snap, stats = run_loader(url, token, args.site)
    run_loader(url, token, args.site, exports=False)
    run_cli_report(url, token, args.site)
    page.get()
    m: dict[str, list[float]] = {k: [] for k in ("cli", "cli_cpu", "cli_gql", "page", "page_cpu", "exp", "exp_cpu",
                                                  "gql", "gql_cpu")}
    cli_requests = rack_rows = None
    gql_stats = stats
    for i in range(args.runs):  # interleaved, so that all see the same machine load
        say(f"run {i + 1}/{args.runs}")
        c, (wall, cli_requests, rack_rows) = cpu.measure(lambda: run_cli_report(url, token, args.site))
        m["cli"].append(wall)
        m["cli_cpu"].append(c)
        m["cli_gql"].append(run_cli_report(url, token, args.site, exports=False)[0])
        c, took = cpu.measure(page.get)
        m["page"].append(took)
        m["page_cpu"].append(c)
        c, (_, stats) = cpu.measure(lambda: run_loader(url, token, args.site))
        m["exp"].append(stats.wall_seconds)
        m["exp_cpu"].append(c)
        c, (_, gql_stats) = cpu.measure(lambda: run_loader(url, token, args.site, exports=False))
        m["gql"].append(gql_stats.wall_seconds)
        m["gql_cpu"].append(c)

    ports = sum(len(d.power_ports) for d in snap.devices)
    outlets = sum(len(d.power_outlets) for d in snap.devices)
    cabled = sum(1 for d in snap.devices for pp in d.power_ports if pp.feed or pp.outlet)
    load = os.getloadavg()
    print(f"NetBox bench site {args.site} on {url}: {len(snap.racks)} racks, {len(snap.devices)} devices "
          f"(+{len(snap.ups)} UPS, {len(snap.gensets)} gensets), {ports} power ports ({cabled} cabled), "
          f"{outlets} outlets, {len(snap.power_feeds)} feeds; {os.cpu_count()} CPUs, "
          f"load average {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}")
    print(f"colo capacity report --source netbox --format json --site {args.site} --verbose:")
    print(f"  wall time (subprocess, Python start-up and the capacity maths included): {fmt(m['cli'])}; "
          f"{cli_requests} HTTP requests; {rack_rows} racks in the report")
    print(f"  NetBox server CPU: {fmt(m['cli_cpu'])}")
    print(f"the same without export templates (the GraphQL fallback): wall {fmt(m['cli_gql'])}")
    print(f"the loader alone, in-process, with export templates: wall {fmt(m['exp'])}; "
          f"server CPU {fmt(m['exp_cpu'])}")
    for line in stats.lines():
        print(f"    {line}")
    print(f"the loader alone, in-process, GraphQL only (no export templates): wall {fmt(m['gql'])}; "
          f"server CPU {fmt(m['gql_cpu'])}")
    for line in gql_stats.lines():
        print(f"    {line}")
    print("    (per read: seconds summed over its requests, which run concurrently)")
    print(f"NetBox's own rack list /dcim/racks/?site={args.site}&per_page=1000 (space only):")
    print(f"  wall time: {fmt(m['page'])}")
    print(f"  NetBox server CPU: {fmt(m['page_cpu'])}")
    if args.queries:
        say("measuring every read alone")
        print("every read alone, one request at a time, over the whole site "
              "(wall s / NetBox server CPU s):")
        for name, reqs, objects, wall, c in query_costs(url, token, args.site, cpu):
            print(f"  {name:<44} {reqs:>3} req {objects:>7} objects {wall:7.2f} s wall {c:7.2f} s CPU")
    ratio = statistics.median(m["page"]) / statistics.median(m["cli"])
    verdict = "faster" if ratio > 1 else "SLOWER"
    print(f"=> the full report took {statistics.median(m['cli']):.2f} s, NetBox's space-only page "
          f"{statistics.median(m['page']):.2f} s: the report is {ratio:.1f}x {verdict}")
    return m


def seeded_partially(url: str, token: str, site: str) -> bool:
    import requests

    r = requests.get(f"{url}/api/dcim/sites/", params={"slug": site, "fields": "id"},
                     headers={"Authorization": f"Bearer {token}"}, timeout=60)
    return bool(r.ok and r.json()["results"])


def pristine_dump(state: Path, version: str) -> Path:
    found = sorted((state / "dumps").glob(f"netbox-{version}-pristine-*.dump"), key=lambda p: p.stat().st_mtime)
    if not found:
        sys.exit("bench: a half-seeded bench database and no pristine dump to restore: "
                 "run with a fresh --state directory")
    return found[-1]


if __name__ == "__main__":
    main()
