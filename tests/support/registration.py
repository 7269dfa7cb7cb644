"""Registration in the real NetBox sandbox without walking every SOP step: a seeded site
with room for many servers, request files written directly in the state a test needs
(with the approval's real NetBox reservation, made by the code step 5 runs), and checks
that NetBox holds each object of a request exactly once.

Everything carries the caller's suffix; nothing here deletes what others created.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from colo_cli.request_cmds import request
from inventory.model import Snapshot
from playbooks.planning import contacts_with_nip
from playbooks.request_model import Request, Reservation
from playbooks.requests import dump_yaml, to_yaml_data
from playbooks.reservations import request_reservations, reserver
from playbooks.states import MAIN_PATH
from tests.support.faultproxy import FaultProxy

RACK_UNITS = 42
RACKS = 2
WITA = timezone(timedelta(hours=8))
SPEC = {"processor": "1x Xeon E-2300", "ram": "32 GB", "motherboard": "Board X1", "storage": "2x 1 TB",
        "psu": "2x 400 W"}
SPEC_NAMES = ("Processor", "RAM", "Motherboard", "Storage", "PSU")


@dataclass
class FaultSite:
    """A co-location site in NetBox: RACKS racks of RACK_UNITS units, each with A/B feeds
    feeding a PDU with an outlet per unit, so every unit can take a dual-fed server, and
    an uplink."""

    sfx: str
    slug: str
    racks: list[dict[str, Any]]  # NetBox rows: id, name
    feeds: dict[int, list[int]]  # rack id -> [feed A id, feed B id]
    _slots: Any = field(default=None, repr=False)
    _numbers: Any = field(default=None, repr=False)

    def next_slot(self) -> tuple[dict[str, Any], int]:
        """A rack and unit no other request of this site was given."""
        if self._slots is None:
            self._slots = iter([(r, u) for r in self.racks for u in range(1, RACK_UNITS + 1)])
        return next(self._slots)

    def next_number(self) -> int:
        if self._numbers is None:
            self._numbers = itertools.count(1)
        return next(self._numbers)


def seed_fault_site(client: Any, sfx: str) -> FaultSite:
    from inventory.netbox.writer import load_snapshot_into_netbox

    slug = f"once-{sfx}"
    racks = [f"ONCE{i}-{sfx}" for i in range(1, RACKS + 1)]
    snapshot = Snapshot.model_validate({
        "sites": [{"key": slug, "name": f"Exactly-once site {sfx}", "slug": slug}],
        "racks": [{"key": r, "name": r, "site": slug, "u_height": RACK_UNITS, "role": "colocation"} for r in racks],
        "device_types": [{"key": "pdu", "manufacturer": f"PDU maker {sfx}", "model": "PDU0", "u_height": 0,
                          "is_full_depth": False, "exclude_from_utilization": True}],
        "devices": [{"name": f"pdu-{side}-{r}", "device_type": "pdu", "site": slug, "rack": r, "role": "pdu",
                     "power_ports": [{"name": "inlet", "feed": f"F{side}-{r}"}],
                     "power_outlets": [{"name": f"o{i:02d}", "power_port": "inlet"}
                                       for i in range(1, RACK_UNITS + 1)]}
                    for r in racks for side in ("A", "B")],
        "power_panels": [{"key": "P1", "name": f"Panel {sfx}", "site": slug}],
        "power_feeds": [{"key": f"F{side}-{r}", "name": f"Feed {side} {r}", "panel": "P1", "rack": r,
                         "amperage": 32, "type": "primary" if side == "A" else "redundant"}
                        for r in racks for side in ("A", "B")],
        "uplinks": [{"key": "U1", "name": f"CID-{sfx}", "site": slug, "provider": f"ISP {sfx}",
                     "commit_kbps": 10_000_000}],
    })
    load_snapshot_into_netbox(client, snapshot)
    site = client.get_all("dcim/sites", {"slug": slug, "fields": "id,slug"})[0]
    rows = sorted(client.get_all("dcim/racks", {"site_id": site["id"], "fields": "id,name"}), key=lambda r: r["name"])
    feeds: dict[int, list[int]] = {}
    for rack in rows:
        found = client.get_all("dcim/power-feeds", {"rack_id": rack["id"], "fields": "id,name"})
        feeds[rack["id"]] = [f["id"] for f in sorted(found, key=lambda f: f["name"])]
    return FaultSite(sfx, slug, rows, feeds)


def write_config(folder: Path, site: str) -> Path:
    config = folder / "colo.yaml"
    config.write_text(f"workflow:\n  requests_dir: {folder / 'requests'}\n  capacity_source: netbox\n"
                      f"  site: {site}\n  smtp:\n    enabled: false\n", encoding="utf-8")
    return config


def nip_for(n: int, sfx: str) -> str:
    """A valid NIP no other test uses (serial and birth day from the case, the rest from sfx)."""
    seed = int(sfx, 16)
    born = date(1970, 1, 1) + timedelta(days=(seed + n * 37) % 9000)
    return f"{born:%Y%m%d}{born.year + 20}{1 + n % 12:02d}{1 + seed % 2}{1 + (seed + n) % 999:03d}"


def new_request(site: FaultSite, n: int, rid: str, *, hosting: bool = False) -> Request:
    """An approved request of its own agency, person in charge and server, placed on the
    next free unit of the site."""
    rack, unit = site.next_slot()
    tag = f"{site.sfx}-{n}"
    return Request.model_validate({
        "id": rid, "state": "approved", "created_at": datetime(2025, 11, 3, 8, tzinfo=WITA),
        "agency": {"unit_name": f"Dinas Uji {tag}", "address": "Jl. Uji No. 1, Samarinda",
                   "tenant": f"uji-{tag}"},
        "person_in_charge": {"name": f"Pegawai {tag}", "nip": nip_for(n, site.sfx), "phone": "0812-0000-0000",
                             "email": f"pegawai-{tag}@kaltimprov.go.id"},
        "domain": f"app-{tag}.kaltimprov.go.id", "domain_activation_date": "2025-12-01",
        "servers": [{"name": f"srv-{tag}", "make": f"Maker {tag}", "model": "M1", "serial": f"SN-{tag}", **SPEC,
                     "u_height": 1, "psu_count": 2, "allocated_draw_w": 20, "maximum_draw_w": 40,
                     "bandwidth_mbps": 10}],
        "history": history_to("approved"),
        "capacity_check": {"checked_at": datetime(2025, 11, 3, 10, tzinfo=WITA), "source": "NetBox", "fits": True},
        "placement": {"site": site.slug, "servers": [{
            "server": f"srv-{tag}", "rack": str(rack["id"]), "rack_name": rack["name"], "position": unit,
            "face": "front", "feeds": [str(f) for f in site.feeds[rack["id"]]]}]},
    })


def history_to(state: str) -> list[dict[str, Any]]:
    """Main-path transitions up to `state` (then the withdrawal path, for its states)."""
    out = []
    moment = datetime(2025, 11, 3, 8, tzinfo=WITA)
    for action in MAIN_PATH:
        out.append({"step": action.step, "state": action.state, "by": "test", "at": moment})
        moment += timedelta(hours=1)
        if action.state == state:
            return out
    for extra in ("withdrawal_requested", "withdrawal_approved"):
        out.append({"state": extra, "by": "test", "at": moment})
        moment += timedelta(hours=1)
        if extra == state:
            return out
    raise ValueError(state)


def reserve(client: Any, req: Request) -> Request:
    """Step 5's NetBox reservation, made by the code step 5 runs."""
    assert req.placement is not None
    ids = reserver(client=client)(req, req.placement)
    return req.model_copy(update={"reservation": Reservation(created_at=datetime(2025, 11, 3, 12, tzinfo=WITA),
                                                             netbox_ids=ids)})


def write_request(folder: Path, req: Request, state: str, **extra: Any) -> Path:
    data = req.model_dump(mode="python", exclude_none=True)
    data.update(state=state, history=history_to(state), **extra)
    validated = Request.model_validate(data)
    path = folder / f"{req.id}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_yaml(to_yaml_data(validated)), encoding="utf-8")
    return path


# --- a bench: site, folder, proxy -------------------------------------------------------

class Bench:
    """The seeded site, a requests folder and a proxy in front of the sandbox."""

    def __init__(self, client: Any, netbox_env: dict[str, str], folder: Path, proxy: FaultProxy) -> None:
        self.client = client
        self.site: FaultSite = seed_fault_site(client, uuid.uuid4().hex[:6])
        self.requests = folder / "requests"
        self.env = {"COLO_CONFIG": str(write_config(folder, self.site.slug)), "COLO_REQUESTS_DIR": "",
                    "COLO_NOW": "", **netbox_env}
        self.proxy = proxy

    def cli(self, group: Any, *args: str, through_proxy: bool = False) -> Result:
        env = {**self.env, "NETBOX_URL": self.proxy.url} if through_proxy else self.env
        return CliRunner().invoke(group, list(args), env=env)

    def delivered(self) -> Any:
        """A new request, approved with its NetBox reservation, delivered with its serial."""
        n = self.site.next_number()
        req = reserve(self.client, new_request(self.site, n, f"REQ-2025-{n:04d}"))
        write_request(self.requests, req, "delivered")
        return req

    def registered(self) -> Any:
        """A request registered by a clean apply, its withdrawal approved (the request as
        installed: its reservation released)."""
        req = self.delivered()
        result = self.cli(request, "apply", req.id, "--by", "staff")
        assert result.exit_code == 0, result.output
        assert registration_problems(self.client, req) == []
        released = req.reservation.model_copy(update={"released_at": req.reservation.created_at,
                                                      "released_because": "installed"})
        req = req.model_copy(update={"reservation": released})
        write_request(self.requests, req, "withdrawal_approved",
                      withdrawal={"servers": [req.servers[0].name], "reasons": "moved to the cloud"})
        return req


# --- exactly once ---------------------------------------------------------------------

def _count(rows: list[dict[str, Any]], key: str) -> dict[Any, int]:
    out: dict[Any, int] = {}
    for r in rows:
        out[r.get(key)] = out.get(r.get(key), 0) + 1
    return out


def devices_with_serial(client: Any, serial: str) -> list[dict[str, Any]]:
    rows = client.get_all("dcim/devices", {"serial": serial, "fields": "id,name,serial,status,rack,position"})
    return [r for r in rows if r.get("serial") == serial]


def registration_problems(client: Any, req: Request) -> list[str]:
    """What is not exactly once in NetBox for a registered request (empty: all is)."""
    problems: list[str] = []
    server = req.servers[0]
    devices = devices_with_serial(client, server.serial or "")
    if len(devices) != 1:
        return [f"{len(devices)} devices with serial {server.serial}"]
    device = devices[0]["id"]
    ports = client.get_all("dcim/power-ports", {"device_id": device, "fields": "id,name,cable"})
    if _count(ports, "name") != {"PSU1": 1, "PSU2": 1}:
        problems.append(f"power ports {_count(ports, 'name')}")
    cables = {(p.get("cable") or {}).get("id") for p in ports}
    if None in cables or len(cables) != len(ports):
        problems.append(f"cables on the ports: {[p.get('cable') for p in ports]}")
    items = client.get_all("dcim/inventory-items", {"device_id": device, "fields": "id,name"})
    if _count(items, "name") != {name: 1 for name in SPEC_NAMES}:
        problems.append(f"inventory items {_count(items, 'name')}")
    problems += journal_problems(client, device, f"[{req.id}] registered")
    return problems + agency_problems(client, req)


def agency_problems(client: Any, req: Request) -> list[str]:
    """The request's tenant and its contact (by NIP) once, the contact assigned to the
    tenant once, and no reservation of the request left: as registration leaves them and
    as a withdrawal must leave them too."""
    problems: list[str] = []
    tenants = client.get_all("tenancy/tenants", {"slug": req.agency.tenant_slug(), "fields": "id,slug"})
    if len(tenants) != 1:
        problems.append(f"{len(tenants)} tenants {req.agency.tenant_slug()}")
    contacts = contacts_with_nip(client, req.person_in_charge.nip)
    if len(contacts) != 1:
        problems.append(f"{len(contacts)} contacts with NIP {req.person_in_charge.nip}")
    elif tenants:
        assigned = client.get_all("tenancy/contact-assignments", {
            "object_type": "tenancy.tenant", "object_id": tenants[0]["id"], "fields": "id,contact"})
        if [a["contact"]["id"] for a in assigned] != [contacts[0]["id"]]:
            problems.append(f"assignments of the tenant: {[a['contact'] for a in assigned]}")
    left = request_reservations(client, req)
    if left:
        problems.append(f"reservations left: {[r['id'] for r in left]}")
    return problems


def journal_problems(client: Any, device: int, marker: str) -> list[str]:
    rows = client.get_all("extras/journal-entries", {"assigned_object_type": "dcim.device",
                                                     "assigned_object_id": device, "fields": "id,comments"})
    hits = [r for r in rows if marker in (r.get("comments") or "")]
    return [] if len(hits) == 1 else [f"{len(hits)} journal entries {marker!r}"]


def withdrawal_problems(client: Any, req: Request) -> list[str]:
    """What is not as a withdrawal leaves it: the device once, out of its rack, no cables,
    the withdrawal journal entry once; the tenant, contact and assignment still once, no
    reservation of the request."""
    server = req.servers[0]
    devices = devices_with_serial(client, server.serial or "")
    if len(devices) != 1:
        return [f"{len(devices)} devices with serial {server.serial}"]
    d = devices[0]
    problems = []
    if (d["status"]["value"], d["rack"], d["position"]) != ("decommissioning", None, None):
        problems.append(f"device {d['name']}: status {d['status']['value']}, rack {d['rack']}, "
                        f"position {d['position']}")
    ports = client.get_all("dcim/power-ports", {"device_id": d["id"], "fields": "id,name,cable"})
    if any(p.get("cable") for p in ports) or len(ports) != 2:
        problems.append(f"ports after withdrawal: {[(p['name'], p.get('cable')) for p in ports]}")
    return problems + journal_problems(client, d["id"], f"[{req.id}] withdrawn") + agency_problems(client, req)
