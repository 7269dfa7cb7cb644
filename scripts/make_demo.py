#!/usr/bin/env python3
"""Generate the bundled demo data centre, `inventory/demo/kaltim-dc.yaml`.

The demo is the provincial data centre of Diskominfo Provinsi Kalimantan Timur in
Samarinda (two server rooms, 18 racks) plus a small disaster-recovery room in
Balikpapan. It is built here from plain tables with a fixed seed, so running the script
twice writes the same bytes. docs/demo-data.md says which rack exercises which rule.

    python scripts/make_demo.py            # rewrite the bundled file
    python scripts/make_demo.py --check    # exit 1 if the bundled file is out of date
    python scripts/make_demo.py -o FILE    # write elsewhere (.yaml or .json)

Past the ~500-line guide on purpose: most of it is the demo's tables (rooms, racks,
servers, feeds), which read best in one place beside the few builders that expand them.
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from inventory.files import demo_path, dump_snapshot  # noqa: E402
from inventory.model import (  # noqa: E402
    UPS,
    Cluster,
    ClusterHost,
    Device,
    DeviceType,
    Genset,
    HostCapacity,
    Location,
    OutletRef,
    PowerFeed,
    PowerOutlet,
    PowerPanel,
    PowerPort,
    Rack,
    RackReservation,
    Site,
    Snapshot,
    Tenant,
    TenantGroup,
    Uplink,
    VirtualMachine,
)
from inventory.names import slugify

SEED = 64  # BPS code of Provinsi Kalimantan Timur
MAIN = "dc-kaltim"
DRC = "drc-balikpapan"
ROOM1, ROOM2, ROOM_DRC = "Ruang Server 1", "Ruang Server 2", "Ruang DRC"

Draw = Literal["normal", "max", "none"]


# --------------------------------------------------------------------------- catalogue
@dataclass(frozen=True)
class Kind:
    """A device type plus how its instances draw power and what their serials look like."""

    manufacturer: str
    model: str
    u_height: float = 1
    full_depth: bool = True
    excluded: bool = False
    weight_kg: float | None = None
    subdevice_role: Literal["parent", "child"] | None = None
    psus: int = 2
    alloc_w: int = 0  # typical allocated draw per PSU (W)
    max_w: int = 0  # maximum draw per PSU (W)
    serial: str = "dell"
    role: str = "server"
    power_factor: float | None = None  # its PSUs' power factor, when it differs from the policy's

    @property
    def key(self) -> str:
        return slugify(f"{self.manufacturer}-{self.model}")


KINDS: dict[str, Kind] = {
    "r640": Kind("Dell", "PowerEdge R640", 1, weight_kg=21.5, alloc_w=110, max_w=375),
    "r650": Kind("Dell", "PowerEdge R650", 1, weight_kg=21.0, alloc_w=150, max_w=550),
    "r750": Kind("Dell", "PowerEdge R750", 2, weight_kg=28.0, alloc_w=210, max_w=700),
    "r760": Kind("Dell", "PowerEdge R760", 2, weight_kg=29.0, alloc_w=240, max_w=800),
    # GPU analytics for CCTV: 1,400 W PSUs
    "r760xa": Kind("Dell", "PowerEdge R760xa", 2, weight_kg=32.0, alloc_w=900, max_w=1400),
    "me5024": Kind("Dell", "PowerVault ME5024", 2, weight_kg=30.0, alloc_w=260, max_w=580,
                   role="storage"),
    "dl360g10": Kind("HPE", "ProLiant DL360 Gen10", 1, weight_kg=16.3, alloc_w=130, max_w=400,
                     serial="hpe"),
    # older PSUs: a power factor of 0.9 (declared on the device type)
    "dl380g10": Kind("HPE", "ProLiant DL380 Gen10", 2, weight_kg=23.0, alloc_w=170, max_w=500,
                     serial="hpe", power_factor=0.9),
    "dl380g11": Kind("HPE", "ProLiant DL380 Gen11", 2, weight_kg=24.0, alloc_w=210, max_w=650,
                     serial="hpe"),
    "c7000": Kind("HPE", "BladeSystem c7000 Enclosure", 10, weight_kg=217.7,
                  subdevice_role="parent", psus=6, alloc_w=400, max_w=1200, serial="hpe",
                  role="blade-chassis"),
    "bl460c": Kind("HPE", "ProLiant BL460c Gen10", 0, full_depth=False, weight_kg=6.3,
                   subdevice_role="child", psus=0, serial="hpe"),
    "sr650": Kind("Lenovo", "ThinkSystem SR650", 2, weight_kg=25.0, alloc_w=180, max_w=495,
                  serial="lenovo"),
    "2288h": Kind("Huawei", "FusionServer 2288H V5", 2, weight_kg=25.0, alloc_w=190, max_w=600,
                  serial="huawei"),
    "sys6019": Kind("Supermicro", "SYS-6019P-MT", 1, weight_kg=13.0, psus=1, alloc_w=150,
                    max_w=400, serial="supermicro"),
    "rs3621": Kind("Synology", "RS3621xs+", 2, weight_kg=15.0, alloc_w=120, max_w=300,
                   serial="synology", role="storage"),
    "fg200f": Kind("Fortinet", "FortiGate 200F", 1, full_depth=False, weight_kg=5.2,
                   alloc_w=55, max_w=110, serial="fortinet", role="network"),
    "ce6881": Kind("Huawei", "CloudEngine 6881-48S6CQ", 1, weight_kg=10.0, alloc_w=120,
                   max_w=350, serial="huawei", role="network"),
    "s5731": Kind("Huawei", "S5731-H48T4XC", 1, full_depth=False, weight_kg=5.0, alloc_w=40,
                  max_w=125, serial="huawei", role="network"),
    "ccr2216": Kind("MikroTik", "CCR2216-1G-12XS-2XQ", 1, weight_kg=7.6, alloc_w=45, max_w=150,
                    serial="mikrotik", role="network"),
    "bigip": Kind("F5", "BIG-IP i5800", 1, weight_kg=11.8, alloc_w=150, max_w=400,
                  serial="f5", role="network"),
    "cm8100": Kind("Opengear", "CM8148-10-SFP", 1, full_depth=False, weight_kg=3.0,
                   alloc_w=15, max_w=40, serial="opengear", role="network"),
    "patch24": Kind("Panduit", "CP24BLY", 1, full_depth=False, excluded=True, weight_kg=1.2,
                    psus=0, serial="none", role="patch-panel"),
    "cableorg": Kind("Panduit", "Half-U Horizontal Cable Manager", 0.5, full_depth=False,
                     weight_kg=0.6, psus=0, serial="none", role="cable-management"),
    "pdu1": Kind("APC", "Metered Rack PDU 0U 32A 1-phase", 0, full_depth=False, weight_kg=5.5,
                 psus=1, serial="apc", role="pdu"),
    "pdu3": Kind("APC", "Metered Rack PDU 0U 32A 3-phase", 0, full_depth=False, weight_kg=8.0,
                 psus=1, serial="apc", role="pdu"),
}
PDU_OUTLETS = 24

# --------------------------------------------------------------------------- tenants, apps
TENANTS: dict[str, str] = {
    "diskominfo": "Dinas Komunikasi dan Informatika",
    "dinkes": "Dinas Kesehatan",
    "disdikbud": "Dinas Pendidikan dan Kebudayaan",
    "bpkad": "Badan Pengelolaan Keuangan dan Aset Daerah",
    "bappeda": "Badan Perencanaan Pembangunan Daerah",
    "bapenda": "Badan Pendapatan Daerah",
    "bkd": "Badan Kepegawaian Daerah",
    "disdukcapil": "Dinas Kependudukan dan Pencatatan Sipil",
    "dishub": "Dinas Perhubungan",
    "setwan": "Sekretariat DPRD",
    "inspektorat": "Inspektorat Daerah",
    "rsud-aws": "RSUD Abdul Wahab Sjahranie",
    "dispar": "Dinas Pariwisata",
    "dpmptsp": "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu",
}


@dataclass(frozen=True)
class App:
    """An agency application: one co-location request, one domain, one or more servers."""

    domain: str | None
    year: int | None  # year of handover; None for Diskominfo's own services (no request)
    bandwidth_mbps: int = 0  # the request's allocation, split over its servers
    valid_until: str | None = None  # set = temporary co-location


APPS: dict[str, App] = {
    # Diskominfo's own services: no co-location request, but bandwidth is allocated.
    "portal": App("kaltimprov.go.id", None, 150),
    "mail": App("mail.kaltimprov.go.id", None, 50),
    "ns1": App("ns1.kaltimprov.go.id", None, 20),
    "ns2": App("ns2.kaltimprov.go.id", None, 20),
    "monitor": App("monitor.kaltimprov.go.id", None, 10),
    "backup": App(None, None, 0),
    "sso": App("sso.kaltimprov.go.id", None, 50),
    "satudata": App("data.kaltimprov.go.id", None, 100),
    # Agencies, by year of handover.
    "simda": App("simda.kaltimprov.go.id", 2019, 60),
    "arsip-dprd": App("arsip.dprd.kaltimprov.go.id", 2019, 10),
    "dispar-lama": App("lama.dispar.kaltimprov.go.id", 2019, 10),
    "sikda-lama": App("sikda-lama.dinkes.kaltimprov.go.id", 2019, 10),
    "simpeg": App("simpeg.kaltimprov.go.id", 2020, 40),
    "simbada": App("simbada.kaltimprov.go.id", 2020, 20),
    "inspektorat-web": App("inspektorat.kaltimprov.go.id", 2020, 10),
    "simrs": App("simrs.rsudaws.kaltimprov.go.id", 2020, 80),
    "rsud-web": App("rsudaws.kaltimprov.go.id", 2020, 40),
    "dinkes-web": App("dinkes.kaltimprov.go.id", 2020, 20),
    "dprd-web": App("dprd.kaltimprov.go.id", 2020, 30),
    "pkb": App("pkb.kaltimprov.go.id", 2021, 120),
    "sippd": App("sippd.kaltimprov.go.id", 2021, 60),
    "dukcapil-web": App("disdukcapil.kaltimprov.go.id", 2021, 20),
    "dishub-web": App("dishub.kaltimprov.go.id", 2021, 20),
    "pacs": App("pacs.rsudaws.kaltimprov.go.id", 2021, 50),
    "sikda": App("sikda.dinkes.kaltimprov.go.id", 2021, 30),
    "dispar-web": App("dispar.kaltimprov.go.id", 2021, 20),
    "disdikbud-web": App("disdikbud.kaltimprov.go.id", 2021, 20),
    "epajak": App("epajak.kaltimprov.go.id", 2022, 30),
    "ekinerja": App("ekinerja.kaltimprov.go.id", 2022, 40),
    "emonev": App("emonev.kaltimprov.go.id", 2022, 20),
    "adminduk": App("adminduk.disdukcapil.kaltimprov.go.id", 2022, 30),
    "sp2d": App("sp2d.kaltimprov.go.id", 2022, 20),
    "bridging": App("bridging.rsudaws.kaltimprov.go.id", 2022, 20),
    "eparlemen": App("eparlemen.dprd.kaltimprov.go.id", 2022, 20),
    "lms": App("lms.disdikbud.kaltimprov.go.id", 2022, 80),
    "dapodik": App("dapodik.disdikbud.kaltimprov.go.id", 2022, 20),
    "sakip": App("sakip.kaltimprov.go.id", 2022, 10),
    "samsat-gw": App("api-samsat.kaltimprov.go.id", 2023, 50),
    "arsip-bkd": App("arsip.bkd.kaltimprov.go.id", 2023, 10),
    "geoportal": App("geoportal.kaltimprov.go.id", 2023, 50),
    "ujikir": App("ujikir.dishub.kaltimprov.go.id", 2023, 10),
    "lis": App("lis.rsudaws.kaltimprov.go.id", 2023, 10),
    "surveilans": App("surveilans.dinkes.kaltimprov.go.id", 2023, 20),
    "visitkaltim": App("visitkaltim.kaltimprov.go.id", 2023, 50),
    "beasiswa": App("beasiswa.kaltimprov.go.id", 2023, 50),
    "bpkad-backup": App("backup.bpkad.kaltimprov.go.id", 2023, 20),
    "bapenda-bi": App("bi.bapenda.kaltimprov.go.id", 2024, 10),
    "eaudit": App("eaudit.inspektorat.kaltimprov.go.id", 2024, 10),
    "cctv": App("cctv.dishub.kaltimprov.go.id", 2024, 80),
    "atcs": App("atcs.dishub.kaltimprov.go.id", 2024, 50),
    "erm": App("erm.rsudaws.kaltimprov.go.id", 2024, 50),
    "satusehat": App("satusehat-gw.dinkes.kaltimprov.go.id", 2024, 20),
    "easet": App("easet.kaltimprov.go.id", 2024, 20),
    "sipd-bridge": App("sipd-bridge.bappeda.kaltimprov.go.id", 2024, 10),
    "ektp-gw": App("ektp-gw.disdukcapil.kaltimprov.go.id", 2024, 20),
    "dispar-cms": App("cms.dispar.kaltimprov.go.id", 2024, 10),
    "siasn": App("siasn-bridge.bkd.kaltimprov.go.id", 2025, 10),
    "antrian": App("antrian.disdukcapil.kaltimprov.go.id", 2025, 10),
    "terminal": App("terminal.dishub.kaltimprov.go.id", 2025, 10),
    "wbs": App("wbs.inspektorat.kaltimprov.go.id", 2025, 10),
    "dataset": App("dataset.bappeda.kaltimprov.go.id", 2025, 10),
    "arsip-inspektorat": App("arsip.inspektorat.kaltimprov.go.id", 2025, 10),
    # Temporary co-location: the live-streaming one has lapsed (a withdrawal candidate).
    "streaming": App("live.dprd.kaltimprov.go.id", 2025, 50, valid_until="2026-09-30"),
    "ppdb": App("ppdb.kaltimprov.go.id", 2026, 300, valid_until="2027-07-31"),
    "cat": App("cat.bkd.kaltimprov.go.id", 2026, 100, valid_until="2027-03-31"),
    "ujian": App("ujian.disdikbud.kaltimprov.go.id", 2026, 100, valid_until="2027-06-30"),
    # Disaster-recovery replicas in Balikpapan: no public bandwidth of their own.
    "simda-dr": App("simda.kaltimprov.go.id", 2025, 0),
    "pkb-dr": App("pkb.kaltimprov.go.id", 2025, 0),
    "simpeg-dr": App("simpeg.kaltimprov.go.id", 2025, 0),
    "simrs-dr": App("simrs.rsudaws.kaltimprov.go.id", 2026, 0),
}

# Virtual machines on the hosting cluster: (name, tenant, vCPU, RAM GB, disk GB).
VMS: list[tuple[str, str, int, int, int]] = [
    ("vm-portal-kaltimprov", "diskominfo", 8, 16, 200),
    ("vm-ppid", "diskominfo", 4, 8, 100),
    ("vm-satudata-api", "diskominfo", 8, 32, 500),
    ("vm-zabbix", "diskominfo", 8, 16, 500),
    ("vm-jdih-dprd", "setwan", 4, 8, 150),
    ("vm-eparlemen-web", "setwan", 4, 8, 100),
    ("vm-sippd-report", "bappeda", 8, 16, 200),
    ("vm-emonev-app", "bappeda", 4, 8, 100),
    ("vm-simpeg-web", "bkd", 8, 16, 200),
    ("vm-ekinerja-app", "bkd", 8, 16, 250),
    ("vm-simbada-app", "bpkad", 4, 16, 300),
    ("vm-sp2d-web", "bpkad", 4, 8, 150),
    ("vm-epajak-web", "bapenda", 8, 16, 200),
    ("vm-samsat-api", "bapenda", 8, 32, 200),
    ("vm-lms-moodle", "disdikbud", 16, 32, 1000),
    ("vm-dapodik-sync", "disdikbud", 4, 8, 300),
    ("vm-sikda-report", "dinkes", 8, 16, 300),
    ("vm-dinkes-web", "dinkes", 2, 4, 60),
    ("vm-dishub-web", "dishub", 2, 4, 60),
    ("vm-dishub-ujikir-api", "dishub", 4, 8, 200),
    ("vm-visitkaltim", "dispar", 4, 8, 150),
    ("vm-eaudit-web", "inspektorat", 4, 8, 120),
    ("vm-wbs-inspektorat", "inspektorat", 2, 4, 50),
    ("vm-antrian-dukcapil", "disdukcapil", 4, 8, 100),
    ("vm-antrean-online", "rsud-aws", 4, 8, 100),
    ("vm-sakip-web", "inspektorat", 2, 4, 80),
]


# --------------------------------------------------------------------------- building
@dataclass
class RackCtx:
    """A rack being filled: its feeds, its PDUs and the next free outlet on each."""

    name: str
    site: str
    power: Literal["pdu", "direct", "none"]
    feeds: dict[str, str] = field(default_factory=dict)  # side "A"/"B" -> feed key
    pdus: dict[str, str] = field(default_factory=dict)  # side -> PDU device key
    next_outlet: dict[str, int] = field(default_factory=dict)  # side -> next outlet number
    legs: dict[str, list[int]] = field(default_factory=dict)  # 3-phase side -> outlets/leg
    leg_load: dict[str, dict[str, int]] = field(default_factory=dict)
    banks: dict[str, str] = field(default_factory=dict)  # 3-phase side -> legs its servers use


class DemoBuilder:
    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.racks: list[Rack] = []
        self.devices: list[Device] = []
        self.feeds: list[PowerFeed] = []
        self.serials: set[str] = set()
        self.request_ids: dict[str, str] = {}
        self.handover: dict[str, str] = {}
        self.app_servers: dict[str, int] = {}  # app -> servers seen (to split bandwidth)
        self.used_kinds: dict[str, Kind] = {}
        self._year_counter: dict[int, int] = {}

    # ---- serial numbers in each maker's style (random but reproducible)
    def serial(self, style: str) -> str:
        if style == "none":
            return ""
        r = self.rng
        up = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
        digits = "0123456789"

        def pick(chars: str, n: int) -> str:
            return "".join(r.choice(chars) for _ in range(n))

        while True:
            s = {
                "dell": lambda: pick("0123456789BCDFGHJKLMNPQRSTVWXYZ", 7),
                "hpe": lambda: r.choice(["CZJ", "SGH", "MXQ"]) + pick(digits, 3) + pick(up, 4),
                "lenovo": lambda: "J30" + pick(up, 5),
                "huawei": lambda: "2102" + pick(digits, 6) + pick(up, 10),
                "supermicro": lambda: "S" + pick(digits, 9),
                "synology": lambda: "21" + pick(digits, 2) + "SBRN" + pick(digits, 6),
                "fortinet": lambda: "FG200FT9" + pick(digits, 8),
                "mikrotik": lambda: "HF" + pick(up, 9),
                "f5": lambda: "f5-" + pick("abcdefghijklmnopqrstuvwxyz", 4) + "-"
                + pick("abcdefghijklmnopqrstuvwxyz", 4),
                "opengear": lambda: "CM81" + pick(digits, 8),
                "apc": lambda: "5A" + pick(digits, 4) + "E" + pick(digits, 5),
            }[style]()
            if s not in self.serials:
                self.serials.add(s)
                return s

    # ---- co-location paperwork in custom fields
    def app_fields(self, app_key: str, share: int) -> dict[str, Any]:
        app = APPS[app_key]
        cf: dict[str, Any] = {}
        if app.domain:
            cf["domain"] = app.domain
        if app.year is not None:
            if app_key not in self.request_ids:
                n = self._year_counter.get(app.year, 0) + 1
                self._year_counter[app.year] = n
                self.request_ids[app_key] = f"COLO-{app.year}-{n:03d}"
                day = date(app.year, self.rng.randint(1, 11), self.rng.randint(1, 28))
                self.handover[app_key] = day.isoformat()
            cf["request_id"] = self.request_ids[app_key]
        if share:
            cf["bandwidth_mbps"] = share
        if app.year is not None:
            cf["handover_date"] = self.handover[app_key]
            cf["colocation_type"] = "temporary" if app.valid_until else "permanent"
            if app.valid_until:
                cf["valid_until"] = app.valid_until
        return cf

    # ---- racks and their power
    def rack(self, name: str, location: str, *, site: str = MAIN, role: str = "colocation",
             u_height: int = 42, tenant: str | None = None, status: str = "active",
             desc_units: bool = False, max_weight_kg: float | None = 1000,
             power: Literal["pdu", "direct", "none"] = "pdu", amperage: int = 32,
             three_phase: dict[str, str] | None = None, panels: tuple[str, str] | None = None,
             cooling_kw: float | None = None) -> RackCtx:
        """`three_phase`: side -> how its PDU's outlets are cabled: "balanced" (the least
        loaded leg), "first-bank" (all on leg A, an unbalanced installation), "two-bank"
        (the least loaded of legs A and B; leg C's bank unused) or "unrecorded" (outlets
        without a feed_leg in NetBox)."""
        three_phase = three_phase or {}
        self.racks.append(Rack(
            name=name, site=site, location=location, u_height=u_height, desc_units=desc_units,
            status=status, role=role, tenant=tenant, max_weight_kg=max_weight_kg, cooling_kw=cooling_kw,
        ))
        ctx = RackCtx(name=name, site=site, power=power)
        if power == "none":
            return ctx
        room = "R1" if location == ROOM1 else "R2" if location == ROOM2 else "DRC"
        panel_a, panel_b = panels or (f"PP-A-{room}", f"PP-B-{room}")
        for side, panel in (("A", panel_a), ("B", panel_b)):
            feed = f"{name}-{side}"
            three = side in three_phase
            self.feeds.append(PowerFeed(
                name=feed, panel=panel, rack=name,
                type="primary" if side == "A" else "redundant",
                phase="three-phase" if three else "single-phase",
                voltage=400 if three else 230, amperage=amperage, max_utilization=80,
            ))
            ctx.feeds[side] = feed
            if power == "pdu":
                kind = "pdu3" if three else "pdu1"
                pdu = f"pdu-{name.lower()}-{side.lower()}"
                outlets = []
                recorded = three and three_phase[side] != "unrecorded"
                for n in range(1, PDU_OUTLETS + 1):
                    # A three-phase PDU has one bank of outlets per leg: 1-8 L1, 9-16 L2, ...
                    leg = "ABC"[(n - 1) // (PDU_OUTLETS // 3)] if recorded else None
                    outlets.append(PowerOutlet(name=str(n), power_port="INPUT", feed_leg=leg))
                self.add(Device(
                    name=pdu, device_type=self.kind(kind).key, site=site, rack=name,
                    role="pdu", serial=self.serial("apc"),
                    power_ports=[PowerPort(name="INPUT", feed=feed)], power_outlets=outlets,
                ))
                ctx.pdus[side] = pdu
                ctx.next_outlet[side] = 1
                if three:
                    per_leg = PDU_OUTLETS // 3
                    ctx.legs[side] = [1, 1 + per_leg, 1 + 2 * per_leg]
                    ctx.leg_load[side] = {"A": 0, "B": 0, "C": 0}
                    ctx.banks[side] = {"first-bank": "A", "two-bank": "AB"}.get(three_phase[side], "ABC")
        return ctx

    def kind(self, alias: str) -> Kind:
        k = KINDS[alias]
        self.used_kinds.setdefault(alias, k)
        return k

    def add(self, device: Device) -> Device:
        self.devices.append(device)
        return device

    def _cable(self, ctx: RackCtx, side: str, draw: int) -> dict[str, Any]:
        """Where a port on `side` plugs in: the next PDU outlet, or the feed itself."""
        if side not in ctx.feeds:
            return {}
        if ctx.power == "direct":
            return {"feed": ctx.feeds[side]}
        pdu = ctx.pdus[side]
        if side in ctx.legs:  # three-phase PDU: least-loaded leg keeps the phases balanced
            loads = ctx.leg_load[side]
            leg = min(ctx.banks[side], key=lambda x: (loads[x], x))
            i = "ABC".index(leg)
            n = ctx.legs[side][i]
            ctx.legs[side][i] += 1
            loads[leg] += draw
        else:
            n = ctx.next_outlet[side]
            ctx.next_outlet[side] += 1
        if n > PDU_OUTLETS:
            raise RuntimeError(f"{pdu}: out of outlets")
        return {"outlet": OutletRef(device=pdu, name=str(n))}

    def device(self, ctx: RackCtx, name: str, alias: str, position: float | None,
               face: str | None = "front", *, tenant: str | None = None,
               app: str | None = None, draw: Draw = "normal", alloc_w: int | None = None,
               role: str | None = None, parent: str | None = None,
               cf: dict[str, Any] | None = None) -> Device:
        k = self.kind(alias)
        ports = []
        half = (k.psus + 1) // 2  # first half of the PSUs on side A, the rest on side B
        for i in range(k.psus):
            allocated = maximum = None
            if draw == "normal":
                base = alloc_w if alloc_w is not None else k.alloc_w
                allocated = min(k.max_w, round(base * self.rng.uniform(0.9, 1.1) / 5) * 5)
            if draw in ("normal", "max"):
                maximum = k.max_w
            side = "A" if i < half else "B"
            pname = f"PS{i + 1}" if k.psus > 2 else f"PSU{i + 1}"
            ports.append(PowerPort(name=pname, allocated_draw=allocated, maximum_draw=maximum,
                                   **self._cable(ctx, side, allocated or 0)))
        fields = dict(cf or {})
        if app is not None:
            fields.update(self.app_fields(app, self._bandwidth_share(app)))
        return self.add(Device(
            name=name, device_type=k.key, site=ctx.site, rack=ctx.name,
            position=position, face=face if position is not None else None,
            role=role or k.role, tenant=tenant, serial=self.serial(k.serial),
            parent=parent, power_ports=ports, custom_fields=fields,
        ))

    def _bandwidth_share(self, app: str) -> int:
        """An app's bandwidth, split evenly over its servers in RACK_CONTENTS."""
        total = APPS[app].bandwidth_mbps
        count = APP_SERVER_COUNT.get(app, 1)
        seen = self.app_servers.get(app, 0)
        self.app_servers[app] = seen + 1
        share, rest = divmod(total, count)
        return share + (1 if seen < rest else 0)

    def stack(self, ctx: RackCtx, start: float, items: list[tuple], *, gap: int = 0,
              descending: bool = False) -> float:
        """Mount servers one above the other from `start` (or downwards in units for a
        descending rack, where the bottom of the rack is its highest unit number).

        Each item is (name, kind alias, tenant, app, options dict); options may hold
        draw, alloc_w, face, gap (extra free units after this device) and cf.
        """
        cursor = start
        for name, alias, tenant, app, *rest in items:
            opts = rest[0] if rest else {}
            h = KINDS[alias].u_height
            if descending:
                cursor -= h
                pos = cursor
            else:
                pos = cursor
                cursor += h
            self.device(ctx, name, alias, pos, opts.get("face", "front"), tenant=tenant,
                        app=app, draw=opts.get("draw", "normal"), alloc_w=opts.get("alloc_w"),
                        cf=opts.get("cf"))
            step = opts.get("gap", gap)
            cursor += -step if descending else step
        return cursor

    def top_kit(self, ctx: RackCtx, unit: float) -> None:
        """A patch panel at the front and Diskominfo's access switch at the rear of one unit."""
        tag = ctx.name.lower()
        self.device(ctx, f"pp-{tag}-1", "patch24", unit, "front")
        self.device(ctx, f"sw-{tag}", "s5731", unit, "rear", tenant="diskominfo")


def _count_app_servers() -> dict[str, int]:
    counts: dict[str, int] = {}
    for _rack, _start, items, _kw in RACK_CONTENTS:
        for item in items:
            app = item[3]
            if app is not None:
                counts[app] = counts.get(app, 0) + 1
    return counts


def S(name: str, alias: str, tenant: str | None, app: str | None, **opts: Any) -> tuple:
    return (name, alias, tenant, app, opts)


# What the co-location racks hold, bottom up: (rack, first unit, servers, stack options).
RACK_CONTENTS: list[tuple[str, float, list[tuple], dict[str, Any]]] = [
    ("R1-03", 2, [
        S("kominfo-portal-01", "r650", "diskominfo", "portal"),
        S("kominfo-portal-02", "r650", "diskominfo", "portal", gap=1),
        S("kominfo-mail-01", "r750", "diskominfo", "mail"),
        S("kominfo-ns-01", "dl360g10", "diskominfo", "ns1"),
        S("kominfo-ns-02", "dl360g10", "diskominfo", "ns2", gap=1),
        # mounted facing the hot aisle: a full-depth device on the rear face
        S("kominfo-backup-01", "dl380g10", "diskominfo", "backup", face="rear"),
        S("kominfo-monitor-01", "r650", "diskominfo", "monitor", gap=2),
        S("setwan-web-01", "dl360g10", "setwan", "dprd-web"),
        S("setwan-eparlemen-01", "dl380g10", "setwan", "eparlemen"),
    ], {}),
    # Nearly full: U1-U39 taken, only U40-U41 free.
    ("R1-04", 1, [
        S("bapenda-pkb-db-01", "dl380g10", "bapenda", "pkb", alloc_w=120),
        S("bapenda-pkb-db-02", "dl380g10", "bapenda", "pkb", alloc_w=120),
        S("bapenda-pkb-db-03", "dl380g10", "bapenda", "pkb", alloc_w=120),
        S("bapenda-pkb-app-01", "dl380g10", "bapenda", "pkb", alloc_w=110),
        S("bapenda-pkb-app-02", "dl380g10", "bapenda", "pkb", alloc_w=110),
        S("bapenda-pkb-app-03", "dl380g10", "bapenda", "pkb", alloc_w=110),
        S("bapenda-bi-01", "r750", "bapenda", "bapenda-bi", alloc_w=120),
        S("bapenda-epajak-01", "r640", "bapenda", "epajak", alloc_w=70),
        S("bapenda-epajak-02", "r640", "bapenda", "epajak", alloc_w=70),
        S("bapenda-samsat-gw-01", "r640", "bapenda", "samsat-gw", alloc_w=70),
        S("bapenda-samsat-gw-02", "r640", "bapenda", "samsat-gw", alloc_w=70),
        S("bkd-simpeg-db-01", "dl380g10", "bkd", "simpeg", alloc_w=120),
        S("bkd-simpeg-app-01", "dl380g10", "bkd", "simpeg", alloc_w=110),
        S("bkd-simpeg-app-02", "dl380g10", "bkd", "simpeg", alloc_w=110),
        S("bkd-ekinerja-01", "r750", "bkd", "ekinerja", alloc_w=120),
        S("bkd-ekinerja-02", "r750", "bkd", "ekinerja", alloc_w=120),
        S("bkd-arsip-01", "dl380g10", "bkd", "arsip-bkd", alloc_w=110),
        S("bkd-arsip-02", "dl380g10", "bkd", "arsip-bkd", alloc_w=110),
        S("bkd-cat-01", "r750", "bkd", "cat", alloc_w=120),
        S("bkd-cat-02", "r750", "bkd", "cat", alloc_w=120),
        S("bkd-cat-03", "r750", "bkd", "cat", alloc_w=120),
        S("bkd-siasn-bridge-01", "r640", "bkd", "siasn", alloc_w=70),
    ], {}),
    # Servers cabled straight to the feeds, no PDU.
    ("R1-05", 3, [
        S("bappeda-sippd-app-01", "r650", "bappeda", "sippd"),
        S("bappeda-sippd-app-02", "r650", "bappeda", "sippd"),
        S("bappeda-sippd-db-01", "r750", "bappeda", "sippd", gap=2),
        S("bappeda-emonev-01", "dl360g10", "bappeda", "emonev"),
        S("bappeda-geoportal-01", "r750", "bappeda", "geoportal", gap=3),
        S("inspektorat-web-01", "dl360g10", "inspektorat", "inspektorat-web"),
        S("inspektorat-eaudit-01", "r650", "inspektorat", "eaudit"),
    ], {}),
    # Unsafe on failover: the PPDB servers draw more than one feed can carry alone.
    ("R1-06", 2, [
        S("disdikbud-ppdb-app-01", "r760", "disdikbud", "ppdb", alloc_w=480),
        S("disdikbud-ppdb-app-02", "r760", "disdikbud", "ppdb", alloc_w=480),
        S("disdikbud-ppdb-app-03", "r760", "disdikbud", "ppdb", alloc_w=480),
        S("disdikbud-ppdb-app-04", "r760", "disdikbud", "ppdb", alloc_w=480),
        S("disdikbud-ppdb-db-01", "r760", "disdikbud", "ppdb", alloc_w=480),
        S("disdikbud-ppdb-db-02", "r760", "disdikbud", "ppdb", alloc_w=480, gap=4),
        S("disdukcapil-web-01", "dl380g11", "disdukcapil", "dukcapil-web"),
        S("disdukcapil-adminduk-db-01", "dl380g11", "disdukcapil", "adminduk"),
    ], {}),
    # U30-U33 are reserved for DPMPTSP's pending request (see RESERVATIONS).
    ("R1-07", 2, [
        S("bpkad-simda-app-01", "dl380g10", "bpkad", "simda"),
        S("bpkad-simda-app-02", "dl380g10", "bpkad", "simda"),
        S("bpkad-simda-db-01", "dl380g11", "bpkad", "simda", gap=1),
        S("bpkad-simbada-01", "r650", "bpkad", "simbada"),
        S("bpkad-sp2d-01", "r650", "bpkad", "sp2d", gap=2),
        S("dishub-web-01", "sr650", "dishub", "dishub-web"),
        S("dishub-ujikir-01", "r650", "dishub", "ujikir"),
    ], {}),
    # Dedicated to RSUD Abdul Wahab Sjahranie.
    ("R1-08", 1, [
        S("rsud-aws-pacs-san-01", "me5024", "rsud-aws", "pacs"),
        S("rsud-aws-pacs-01", "2288h", "rsud-aws", "pacs"),
        S("rsud-aws-simrs-db-01", "dl380g11", "rsud-aws", "simrs"),
        S("rsud-aws-simrs-db-02", "dl380g11", "rsud-aws", "simrs", gap=1),
        S("rsud-aws-simrs-app-01", "dl380g11", "rsud-aws", "simrs"),
        S("rsud-aws-simrs-app-02", "dl380g11", "rsud-aws", "simrs"),
        S("rsud-aws-erm-01", "r750", "rsud-aws", "erm"),
        S("rsud-aws-erm-02", "r750", "rsud-aws", "erm", gap=1),
        S("rsud-aws-bridging-01", "dl360g10", "rsud-aws", "bridging"),
        S("rsud-aws-web-01", "dl360g10", "rsud-aws", "rsud-web"),
        S("rsud-aws-lis-01", "r650", "rsud-aws", "lis"),
        # the hospital's own firewall: half depth, front only
        S("rsud-aws-fw-01", "fg200f", "rsud-aws", None),
    ], {}),
    # Holds the single-PSU server (PSU1 on the A side only).
    ("R1-09", 4, [
        S("dinkes-web-01", "r650", "dinkes", "dinkes-web"),
        S("dinkes-sikda-app-01", "r750", "dinkes", "sikda"),
        S("dinkes-sikda-db-01", "r750", "dinkes", "sikda", gap=1),
        S("dinkes-satusehat-gw-01", "r650", "dinkes", "satusehat", gap=2),
        S("dispar-web-01", "dl360g10", "dispar", "dispar-web"),
        S("dispar-visitkaltim-01", "dl360g10", "dispar", "visitkaltim", gap=1),
        S("disdukcapil-antrian-01", "sys6019", "disdukcapil", "antrian"),
    ], {}),
    # Direct to the feeds again; Lenovo and Huawei machines.
    ("R1-10", 6, [
        S("disdikbud-dapodik-01", "sr650", "disdikbud", "dapodik"),
        S("disdikbud-lms-01", "sr650", "disdikbud", "lms", gap=1),
        S("inspektorat-sakip-01", "sr650", "inspektorat", "sakip"),
        S("dispar-cms-01", "2288h", "dispar", "dispar-cms"),
    ], {}),
    # U36-U41 are reserved for Diskominfo's own future use.
    ("R2-01", 2, [
        S("bpkad-backup-01", "dl380g10", "bpkad", "bpkad-backup"),
        S("bappeda-dataset-01", "r650", "bappeda", "dataset", gap=1),
        S("kominfo-sso-01", "r650", "diskominfo", "sso"),
        S("kominfo-sso-02", "r650", "diskominfo", "sso"),
        S("kominfo-satudata-01", "r750", "diskominfo", "satudata"),
    ], {}),
    # Two old records without any draw figures.
    ("R2-02", 3, [
        S("dinkes-sikda-lama-01", "2288h", "dinkes", "sikda-lama", draw="none"),
        S("dinkes-surveilans-01", "2288h", "dinkes", "surveilans"),
        S("dinkes-surveilans-02", "2288h", "dinkes", "surveilans", gap=1),
        S("setwan-arsip-01", "dl380g10", "setwan", "arsip-dprd", draw="none"),
        S("setwan-streaming-01", "r650", "setwan", "streaming"),
    ], {}),
    # Direct to the feeds: exam and admission servers of Disdikbud.
    ("R2-03", 2, [
        S("disdikbud-web-01", "r650", "disdikbud", "disdikbud-web"),
        S("disdikbud-lms-db-01", "r750", "disdikbud", "lms", gap=1),
        S("disdikbud-ujian-01", "r650", "disdikbud", "ujian"),
        S("disdikbud-ujian-02", "r650", "disdikbud", "ujian"),
        S("disdikbud-ujian-03", "r650", "disdikbud", "ujian", gap=1),
        S("disdikbud-beasiswa-01", "r650", "disdikbud", "beasiswa"),
        S("disdikbud-beasiswa-02", "r650", "disdikbud", "beasiswa"),
    ], {}),
    # Ports with only a maximum draw, and a third server without draw figures.
    ("R2-04", 2, [
        S("bpkad-easet-01", "sr650", "bpkad", "easet", draw="max"),
        S("bappeda-sipd-bridge-01", "r650", "bappeda", "sipd-bridge", draw="max"),
        S("dishub-terminal-01", "sr650", "dishub", "terminal", draw="max", gap=1),
        S("dispar-web-lama-01", "dl360g10", "dispar", "dispar-lama", draw="none"),
        S("inspektorat-wbs-01", "r650", "inspektorat", "wbs"),
        S("disdukcapil-ektp-gw-01", "r650", "disdukcapil", "ektp-gw"),
    ], {}),
    # Descending units: U1 is at the top, so servers are stacked from U42 upwards.
    ("R2-05", 43, [
        S("dishub-cctv-nas-01", "rs3621", "dishub", "cctv"),
        S("dishub-cctv-nas-02", "rs3621", "dishub", "cctv", gap=1),
        S("dishub-atcs-01", "r750", "dishub", "atcs"),
        S("bapenda-pkb-app-04", "r650", "bapenda", "pkb"),
        S("bapenda-pkb-app-05", "r650", "bapenda", "pkb"),
    ], {"descending": True}),
    # Dedicated to Dishub's CCTV recording since 2026 (two older servers of other agencies
    # stay); three-phase, every A-side PSU on leg A, on its own UPS pair. The recorders
    # now run GPU analytics: leg A carries more than its third (a leg_overload finding).
    # The B PDU uses only its A and B banks: fine today, over a third on failover.
    ("R2-07", 3, [
        S("inspektorat-arsip-01", "dl380g10", "inspektorat", "arsip-inspektorat"),
        S("setwan-eparlemen-02", "r650", "setwan", "eparlemen", gap=1),
        S("dishub-cctv-rec-01", "r760xa", "dishub", "cctv", alloc_w=1300),
        S("dishub-cctv-rec-02", "r760xa", "dishub", "cctv", alloc_w=1300),
    ], {}),
    ("DRC-01", 2, [
        S("bpkad-simda-dr-01", "dl380g10", "bpkad", "simda-dr"),
        S("bapenda-pkb-dr-01", "dl380g10", "bapenda", "pkb-dr"),
        S("bkd-simpeg-dr-01", "dl360g10", "bkd", "simpeg-dr", gap=1),
        S("rsud-aws-simrs-dr-01", "dl380g11", "rsud-aws", "simrs-dr"),
    ], {}),
]
APP_SERVER_COUNT = _count_app_servers()

RESERVATIONS = [
    RackReservation(rack="R1-07", units=[30, 31, 32, 33], tenant="dpmptsp",
                    description="Permohonan co-location DPMPTSP (SIMPERIZINAN), "
                                "disetujui, menunggu server tiba"),
    RackReservation(rack="R2-01", units=[36, 37, 38, 39, 40, 41], tenant="diskominfo",
                    description="Cadangan Diskominfo: perluasan cluster hosting 2027"),
]


def build_demo(seed: int = SEED) -> Snapshot:
    """The demo data centre, validated, keys filled in."""
    b = DemoBuilder(seed)
    racks: dict[str, RackCtx] = {}

    # ---- Ruang Server 1
    net = b.rack("R1-01", ROOM1, role="network")
    b.device(net, "pp-r1-01-1", "patch24", 42, "front")
    b.device(net, "pp-r1-01-2", "patch24", 42, "rear")  # U42 holds excluded panels only
    b.device(net, "pp-r1-01-3", "patch24", 41, "front")
    b.device(net, "sw-mgmt-01", "s5731", 41, "rear", tenant="diskominfo")
    b.device(net, "cm-r1-01-1", "cableorg", 40.5, "front")  # upper half of U40
    b.device(net, "core-sw-01", "ce6881", 38, tenant="diskominfo")
    b.device(net, "core-sw-02", "ce6881", 37, tenant="diskominfo")
    b.device(net, "fw-edge-01", "fg200f", 35, "front", tenant="diskominfo")
    b.device(net, "oob-console-01", "cm8100", 35, "rear", tenant="diskominfo")
    b.device(net, "fw-edge-02", "fg200f", 34, "front", tenant="diskominfo")
    b.device(net, "rtr-telkom-01", "ccr2216", 32, tenant="diskominfo")
    b.device(net, "rtr-lintasarta-01", "ccr2216", 31, tenant="diskominfo")
    b.device(net, "lb-01", "bigip", 29, tenant="diskominfo")
    b.device(net, "lb-02", "bigip", 28, tenant="diskominfo")
    racks["R1-01"] = net

    # Diskominfo's internal rack: hosting cluster, SAN, blade chassis on three-phase feeds;
    # the B PDU's outlets were never given a feed leg in NetBox.
    internal = b.rack("R1-02", ROOM1, role="internal", u_height=47, tenant="diskominfo",
                      max_weight_kg=1360, three_phase={"A": "balanced", "B": "unrecorded"})
    b.device(internal, "pp-r1-02-1", "patch24", 47, "front")
    b.device(internal, "pp-r1-02-2", "patch24", 46, "front")
    b.device(internal, "sw-r1-02-a", "s5731", 47, "rear", tenant="diskominfo")
    b.device(internal, "sw-r1-02-b", "s5731", 46, "rear", tenant="diskominfo")
    chassis = b.device(internal, "kominfo-c7000-01", "c7000", 1, tenant="diskominfo")
    for i in range(1, 5):
        b.device(internal, f"kominfo-blade-0{i}", "bl460c", None, None, tenant="diskominfo",
                 parent=chassis.key)
    for i in range(1, 5):
        b.device(internal, f"kominfo-hv-0{i}", "r750", 10 + 2 * i, tenant="diskominfo")
    b.device(internal, "kominfo-san-01", "me5024", 21, tenant="diskominfo")
    racks["R1-02"] = internal

    plans: dict[str, dict[str, Any]] = {
        "R1-03": {}, "R1-04": {}, "R1-05": {"power": "direct"}, "R1-06": {"cooling_kw": 6}, "R1-07": {},
        "R1-08": {"tenant": "rsud-aws"}, "R1-09": {}, "R1-10": {"power": "direct"},
        "R2-01": {}, "R2-02": {}, "R2-03": {"power": "direct"}, "R2-04": {},
        "R2-05": {"desc_units": True},
        "R2-07": {"amperage": 16, "tenant": "dishub", "panels": ("PP-A-R2X", "PP-B-R2X"),
                  "three_phase": {"A": "first-bank", "B": "two-bank"}},
        "DRC-01": {"site": DRC, "power": "direct", "amperage": 16, "max_weight_kg": None},
    }
    contents = {name: (start, items, kw) for name, start, items, kw in RACK_CONTENTS}
    for name in ["R1-03", "R1-04", "R1-05", "R1-06", "R1-07", "R1-08", "R1-09", "R1-10"]:
        ctx = b.rack(name, ROOM1, **plans[name])
        start, items, kw = contents[name]
        b.stack(ctx, start, items, **kw)
        b.top_kit(ctx, 42)
        racks[name] = ctx

    # ---- Ruang Server 2
    for name in ["R2-01", "R2-02", "R2-03", "R2-04", "R2-05"]:
        ctx = b.rack(name, ROOM2, **plans[name])
        start, items, kw = contents[name]
        b.stack(ctx, start, items, **kw)
        b.top_kit(ctx, 1 if plans[name].get("desc_units") else 42)
        racks[name] = ctx
    racks["R2-06"] = b.rack("R2-06", ROOM2)  # empty: PDUs mounted, nothing else yet
    ctx = b.rack("R2-07", ROOM2, **plans["R2-07"])
    b.stack(ctx, *contents["R2-07"][:2])
    b.top_kit(ctx, 42)
    racks["R2-08"] = b.rack("R2-08", ROOM2, status="planned", power="none")  # not open yet

    # ---- DRC Balikpapan
    ctx = b.rack("DRC-01", ROOM_DRC, **plans["DRC-01"])
    b.stack(ctx, *contents["DRC-01"][:2])
    b.top_kit(ctx, 42)
    drc = b.rack("DRC-02", ROOM_DRC, site=DRC, role="network", power="direct", amperage=16,
                 max_weight_kg=None)
    b.device(drc, "pp-drc-02-1", "patch24", 42, "front")
    b.device(drc, "drc-core-sw-01", "ce6881", 40, tenant="diskominfo")
    b.device(drc, "drc-fw-01", "fg200f", 39, tenant="diskominfo")
    b.device(drc, "kominfo-backup-drc-01", "r750", 10, tenant="diskominfo", app="backup")
    b.device(drc, "kominfo-san-drc-01", "me5024", 12, tenant="diskominfo")

    # 2 x 16-core Xeon per host (64 threads); VM disks live on the SAN's datastore
    hosts = [ClusterHost(device=f"kominfo-hv-0{i}",
                         capacity=HostCapacity(vcpus=64, memory_gb=512, disk_gb=8000, cores=32, threads=64))
             for i in range(1, 5)]
    vms = [VirtualMachine(name=n, tenant=t, vcpus=c, memory_mb=m * 1024, disk_gb=d)
           for n, t, c, m, d in VMS]

    types = []
    for alias in sorted(b.used_kinds, key=lambda a: b.used_kinds[a].key):
        k = b.used_kinds[alias]
        types.append(DeviceType(
            manufacturer=k.manufacturer, model=k.model, u_height=k.u_height,
            is_full_depth=k.full_depth, exclude_from_utilization=k.excluded,
            weight_kg=k.weight_kg, subdevice_role=k.subdevice_role, power_factor=k.power_factor,
        ))

    return Snapshot(
        sites=[
            Site(key=MAIN, name="Data Center Diskominfo Kaltim",
                 description="Data center utama Pemerintah Provinsi Kalimantan Timur, Samarinda"),
            Site(key=DRC, name="DRC Balikpapan",
                 description="Ruang disaster recovery Diskominfo Kaltim di Balikpapan"),
        ],
        # cooling: equal CRAC units per room; one is kept spare (N+1)
        locations=[
            Location(name=ROOM1, site=MAIN, description="Lantai 2, ruang server utama",
                     cooling_kw=60, cooling_units=3),
            Location(name=ROOM2, site=MAIN, description="Lantai 2, ruang perluasan",
                     cooling_kw=60, cooling_units=3),
            Location(name=ROOM_DRC, site=DRC, cooling_kw=5, cooling_units=2),
        ],
        tenant_groups=[TenantGroup(key="opd", name="Organisasi Perangkat Daerah")],
        tenants=[Tenant(key=k, name=v, group="opd") for k, v in TENANTS.items()],
        racks=b.racks,
        device_types=types,
        devices=b.devices,
        reservations=RESERVATIONS,
        power_panels=[
            PowerPanel(name="PP-A-R1", site=MAIN, location=ROOM1, ups="UPS-A"),
            PowerPanel(name="PP-B-R1", site=MAIN, location=ROOM1, ups="UPS-B"),
            PowerPanel(name="PP-A-R2", site=MAIN, location=ROOM2, ups="UPS-A"),
            PowerPanel(name="PP-B-R2", site=MAIN, location=ROOM2, ups="UPS-B"),
            PowerPanel(name="PP-A-R2X", site=MAIN, location=ROOM2, ups="UPS-C"),
            PowerPanel(name="PP-B-R2X", site=MAIN, location=ROOM2, ups="UPS-D"),
            PowerPanel(name="PP-A-DRC", site=DRC, location=ROOM_DRC, ups="UPS-DRC"),
            PowerPanel(name="PP-B-DRC", site=DRC, location=ROOM_DRC, ups="UPS-DRC"),
        ],
        power_feeds=b.feeds,
        ups=[
            UPS(name="UPS-A", site=MAIN, rated_va=200_000, rated_w=160_000, genset="GENSET-1",
                redundancy_group="ups-dc"),
            UPS(name="UPS-B", site=MAIN, rated_va=200_000, rated_w=160_000, genset="GENSET-1",
                redundancy_group="ups-dc"),
            # R2-07's modular pair, installed with the rack: no redundancy group recorded
            UPS(name="UPS-C", site=MAIN, rated_va=20_000, rated_w=18_000, genset="GENSET-1"),
            UPS(name="UPS-D", site=MAIN, rated_va=20_000, rated_w=18_000, genset="GENSET-1"),
            # a single UPS with its own derating, efficiency and recharge (no redundant partner)
            UPS(name="UPS-DRC", site=DRC, rated_va=40_000, rated_w=36_000, derating=0.9, efficiency=0.95,
                recharge_pct=15, genset="GENSET-DRC"),
        ],
        gensets=[
            # cooling follows the IT load (0.5 W per W, roughly a PUE of 1.6 with the UPS
            # losses); lighting and offices are declared
            Genset(name="GENSET-1", site=MAIN, rated_va=500_000, rated_w=400_000, other_loads_va=25_000,
                   cooling_factor=0.5),
            # cooling and lighting declared as one constant load
            Genset(name="GENSET-DRC", site=DRC, rated_va=100_000, rated_w=80_000, other_loads_va=30_000),
        ],
        uplinks=[
            Uplink(name="TELKOM-ASTINET-SMD-01", site=MAIN, provider="Telkom Indonesia",
                   commit_kbps=2_000_000, port_kbps=10_000_000),
            Uplink(name="LINTASARTA-IPT-SMD-01", site=MAIN, provider="Lintasarta",
                   commit_kbps=1_000_000, port_kbps=1_000_000),
        ],
        # the SAN (kominfo-san-01): 24 x 1.92 TB, mirrored
        clusters=[Cluster(name="Cluster Hosting Pemprov", site=MAIN, hosts=hosts, vms=vms,
                          datastore_gb=46_080, replication_factor=2)],
    )


# --------------------------------------------------------------------------- file form
def file_form(snapshot: Snapshot) -> Snapshot:
    """A copy with every key, slug and default the loader would fill in left blank, so the
    dumped YAML only says what a person would write by hand (dump uses exclude_defaults)."""

    def blank(obj: Any, default_key: str) -> Any:
        update: dict[str, Any] = {}
        if getattr(obj, "key", None) == default_key:
            update["key"] = ""
        slug = getattr(obj, "slug", None)
        if slug is not None:
            default_slug = (slugify(f"{obj.manufacturer}-{obj.model}")
                            if isinstance(obj, DeviceType) else obj.key)
            if slug == default_slug:
                update["slug"] = ""
        return obj.model_copy(update=update) if update else obj

    out: dict[str, Any] = {}
    for name in Snapshot.model_fields:
        value = getattr(snapshot, name)
        if not isinstance(value, list):
            continue
        items = []
        for obj in value:
            if isinstance(obj, DeviceType):
                items.append(blank(obj, obj.slug))
            elif isinstance(obj, RackReservation):
                items.append(blank(obj, f"{obj.rack}:{','.join(map(str, obj.units))}"))
            elif isinstance(obj, Cluster):
                vms = [blank(vm, vm.name) for vm in obj.vms]
                items.append(blank(obj, obj.name).model_copy(update={"vms": vms}))
            elif hasattr(obj, "key") and hasattr(obj, "name"):
                items.append(blank(obj, obj.name))
            else:
                items.append(obj)
        out[name] = items
    return snapshot.model_copy(update=out)


def render(seed: int = SEED) -> Snapshot:
    return file_form(build_demo(seed))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", type=Path, default=None,
                        help="where to write (default: the bundled demo file)")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if the bundled file differs")
    args = parser.parse_args(argv)
    target = args.output or demo_path()
    snapshot = render()
    if args.check:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            fresh = Path(tmp) / target.name
            dump_snapshot(snapshot, fresh)
            if not target.exists() or fresh.read_bytes() != target.read_bytes():
                print(f"{target} is out of date: run python scripts/make_demo.py")
                return 1
        print(f"{target} is up to date")
        return 0
    dump_snapshot(snapshot, target)
    servers = sum(1 for d in snapshot.devices if d.role == "server")
    print(f"wrote {target}: {len(snapshot.racks)} racks, {len(snapshot.devices)} devices "
          f"({servers} servers), {len(snapshot.power_feeds)} feeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
