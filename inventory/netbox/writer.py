"""Idempotent writes into NetBox: a small plan/apply engine and the snapshot writer.

The engine (`Reconciler.sync`) takes, for one object type, the objects as they should
be (each with a natural key) and the objects NetBox has, and then:
creates the missing ones with bulk POSTs of lists, PATCHes only the fields that
differ (also in bulk), and leaves the rest alone. Nothing is ever deleted, except a
cable that connects a port to the wrong peer (it is replaced). A second run therefore
changes nothing. With `dry_run` the same plan is computed and reported, and objects
that would be created get negative placeholder ids so later object types can still
be planned against them.

`load_snapshot_into_netbox` writes a whole `Snapshot` (see its docstring for the
NetBox objects each part becomes).
"""

from __future__ import annotations

import itertools
import json
import re
import time
from concurrent.futures import Future, ThreadPoolExecutor
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable, Hashable, Iterable, Sequence

from inventory.errors import InputError, SourceError
from inventory.model import Device, Snapshot
from inventory.names import slugify
from inventory.netbox.client import NetBoxClient, _detail

Echo = Callable[[str], None]

WRITE_TIMEOUT_S = 300.0  # gunicorn's usual worker timeout for NetBox
RETRY_HINT = ("objects written before this step stay in NetBox; fix the cause and run the "
              "same command again: it continues idempotently")


# --------------------------------------------------------------------------- engine
class Contains(list):  # noqa: D401 - a marker type
    """A desired list value that only needs to be contained in NetBox's (object_types)."""


@dataclass
class Desired:
    """One object as it should be in NetBox."""

    key: Hashable
    label: str
    fields: dict[str, Any]  # compared with NetBox and PATCHed when different
    create_only: dict[str, Any] = field(default_factory=dict)  # sent on creation only


@dataclass
class TypeReport:
    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    lines: list[str] = field(default_factory=list)
    seconds: float = 0.0  # spent writing

    @property
    def changes(self) -> int:
        return self.created + self.updated


@dataclass
class Report:
    """What a bootstrap or load did (or would do, in a dry run), per object type."""

    dry_run: bool = False
    types: list[TypeReport] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0

    def kind(self, kind: str) -> TypeReport:
        for t in self.types:
            if t.kind == kind:
                return t
        t = TypeReport(kind)
        self.types.append(t)
        return t

    @property
    def created(self) -> int:
        return sum(t.created for t in self.types)

    @property
    def updated(self) -> int:
        return sum(t.updated for t in self.types)

    @property
    def unchanged(self) -> int:
        return sum(t.unchanged for t in self.types)

    @property
    def changes(self) -> int:
        return self.created + self.updated

    def summary(self, what: str) -> str:
        verb = " (dry run: nothing written)" if self.dry_run else ""
        c = "would create" if self.dry_run else "created"
        u = "would update" if self.dry_run else "updated"
        return f"{what}: {self.created} {c}, {self.updated} {u}, {self.unchanged} unchanged{verb}"


def jsonable(value: Any) -> Any:
    """Plain JSON values: dates as ISO strings, Decimals as numbers, tuples as lists."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def norm(value: Any) -> Any:
    """NetBox's representation reduced to what a write sends: ids and choice values."""
    if isinstance(value, dict):
        if "id" in value:
            return value["id"]
        if "value" in value and "label" in value:
            return value["value"]
        return {k: norm(v) for k, v in value.items()}
    if isinstance(value, list):
        return [norm(v) for v in value]
    return value


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float, Decimal)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    return None


def same(desired: Any, existing: Any) -> bool:
    """Is NetBox's value (`existing`, raw) what we want (`desired`, as we would send it)?"""
    existing = norm(existing)
    contains = isinstance(desired, Contains)
    desired = jsonable(desired)
    if desired in (None, "") and existing in (None, ""):
        return True
    if contains or (isinstance(desired, list) and isinstance(existing, list)):
        if not isinstance(existing, list):
            return False
        have = {json.dumps(x, sort_keys=True) for x in existing}
        want = {json.dumps(x, sort_keys=True) for x in desired}
        return want <= have if contains else want == have
    if isinstance(desired, dict):
        if not isinstance(existing, dict):
            existing = {}
        return all(same(v, existing.get(k)) for k, v in desired.items())
    if isinstance(desired, bool) or isinstance(existing, bool):
        return desired == existing
    dn, en = _number(desired), _number(existing)
    if dn is not None and en is not None and not (isinstance(desired, str) and isinstance(existing, str)):
        return abs(dn - en) < 1e-9
    return desired == existing


def _patch_value(desired: Any, existing: Any) -> Any:
    if isinstance(desired, Contains):  # keep what NetBox has, add ours
        merged = list(norm(existing) or [])
        for item in desired:
            if item not in merged:
                merged.append(item)
        return merged
    if isinstance(desired, dict):  # custom fields: send only the changed keys (NetBox merges)
        existing = existing if isinstance(existing, dict) else {}
        return {k: jsonable(v) for k, v in desired.items() if not same(v, existing.get(k))}
    return jsonable(desired)


class Reconciler:
    """Bulk create/update with natural keys, counting and reporting per object type."""

    def __init__(self, client: NetBoxClient | None, report: Report, *, dry_run: bool = False,
                 chunk: int = 100, echo: Echo | None = None, verbose: bool = True) -> None:
        self.client = client
        self.report = report
        self.dry_run = dry_run
        self.chunk = chunk
        self.echo = echo
        self.verbose = verbose
        self._placeholders = itertools.count(-1, -1)

    def placeholder(self) -> int:
        return next(self._placeholders)

    def _line(self, t: TypeReport, text: str) -> None:
        t.lines.append(text)
        if self.echo and self.verbose:
            self.echo(f"  {text}")

    # -- HTTP -------------------------------------------------------------------
    def send(self, method: str, endpoint: str, payload: list[dict[str, Any]], kind: str,
             labels: Sequence[str]) -> list[dict[str, Any]]:
        """One bulk request; a refusal names the object type, the object and what to do."""
        assert self.client is not None
        url = self.client.url(endpoint)
        action = {"POST": "creating", "PATCH": "updating", "DELETE": "deleting"}[method]
        try:
            # a bulk write may take minutes on a busy NetBox; give up no sooner than its workers do
            timeout = (10.0, max(WRITE_TIMEOUT_S, self.client.settings.timeout_s))
            response = self.client.http.request(method, url, json=payload, timeout=timeout)
        except SourceError as exc:
            raise SourceError(f"{kind}: NetBox failed while {action} {len(payload)} object(s): {exc}",
                              RETRY_HINT) from None
        if response.status_code >= 400:
            label = labels[0] if len(labels) == 1 else f"{len(labels)} objects"
            body: Any = None
            try:
                body = response.json()
            except ValueError:
                pass
            if isinstance(body, list):  # per-object errors of a bulk request
                for i, item in enumerate(body):
                    if item and i < len(labels):
                        label = labels[i]
                        body = item
                        break
            detail = _detail_of(body) if body is not None else _detail(response) or response.reason
            detail = " ".join(str(detail).split())  # one line, whatever NetBox sent
            refused = SourceError(
                f"{kind}: NetBox refused {action} {label} (HTTP {response.status_code}: "
                f"{self.client.redact(detail)[:400]})", RETRY_HINT)
            refused.partial_report = self.report  # type: ignore[attr-defined]  # what was done
            raise refused
        if method == "DELETE" or not response.content:
            return []
        data = response.json()
        return data if isinstance(data, list) else [data]

    # -- the plan/apply step ------------------------------------------------------
    def sync(self, kind: str, endpoint: str, desired: Iterable[Desired],
             existing: Iterable[dict[str, Any]], key_of: Callable[[dict[str, Any]], Hashable],
             *, chunk: int | None = None, parallel: int = 1) -> dict[Hashable, int]:
        """Make NetBox hold `desired`; returns natural key -> NetBox id (placeholder in a dry run).

        `parallel` > 1 sends that many create requests at once (for objects that cannot
        conflict with each other: components, non-overlapping devices).
        """
        t = self.report.kind(kind)
        index: dict[Hashable, list[dict[str, Any]]] = defaultdict(list)
        for obj in existing:
            index[key_of(obj)].append(obj)
        ids: dict[Hashable, int] = {}
        to_create: list[Desired] = []
        to_update: list[tuple[Desired, int, dict[str, Any]]] = []
        for d in desired:
            if d.key in ids:
                continue  # the same object asked twice (e.g. shared manufacturer)
            candidates = index.get(d.key, [])
            if not candidates:
                to_create.append(d)
                ids[d.key] = 0
                continue
            # several NetBox objects share the key (e.g. a device name under two tenants):
            # take the one closest to what we want
            best = max(candidates, key=lambda e: sum(same(v, e.get(k)) for k, v in d.fields.items()))
            ids[d.key] = best["id"]
            diff = {k: _patch_value(v, best.get(k)) for k, v in d.fields.items() if not same(v, best.get(k))}
            if diff:
                to_update.append((d, best["id"], diff))
            else:
                t.unchanged += 1
        size = chunk or self.chunk
        verb_c = "would create" if self.dry_run else "created"
        verb_u = "would update" if self.dry_run else "updated"
        started = time.monotonic()
        batches = [to_create[i:i + size] for i in range(0, len(to_create), size)]
        if self.dry_run:
            for d in to_create:
                ids[d.key] = self.placeholder()
        else:
            def create(batch: list[Desired]) -> list[dict[str, Any]]:
                payload = [jsonable({**d.create_only, **d.fields}) for d in batch]
                created = self.send("POST", endpoint, payload, kind, [d.label for d in batch])
                if len(created) != len(batch):
                    raise SourceError(f"{kind}: NetBox answered {len(created)} objects for "
                                      f"{len(batch)} created", RETRY_HINT)
                return created

            if parallel > 1 and len(batches) > 1:
                with ThreadPoolExecutor(max_workers=parallel) as pool:
                    results = list(pool.map(create, batches))
            else:
                results = [create(b) for b in batches]
            for batch, created in zip(batches, results):
                for d, obj in zip(batch, created):
                    ids[d.key] = obj["id"]
        for d in to_create:
            t.created += 1
            self._line(t, f"{verb_c} {kind} {d.label}")
        for start in range(0, len(to_update), size):
            batch_u = to_update[start:start + size]
            if not self.dry_run:
                payload = [{"id": i, **diff} for _, i, diff in batch_u]
                self.send("PATCH", endpoint, payload, kind, [d.label for d, _, _ in batch_u])
            for d, _, diff in batch_u:
                t.updated += 1
                self._line(t, f"{verb_u} {kind} {d.label}: {', '.join(sorted(diff))}")
        t.seconds += time.monotonic() - started
        return ids

    def delete(self, kind: str, endpoint: str, ids_labels: list[tuple[int, str]]) -> None:
        """Bulk delete (used only for cables that connect to the wrong peer)."""
        if not ids_labels or self.dry_run:
            return
        size = self.chunk
        for start in range(0, len(ids_labels), size):
            batch = ids_labels[start:start + size]
            self.send("DELETE", endpoint, [{"id": i} for i, _ in batch], kind, [lbl for _, lbl in batch])


_CONCURRENT = re.compile(r"HTTP 400: .*(already exists|must be unique)", re.I)


def retry_on_concurrent_change(attempt: Callable[[], Report], echo: Echo | None, dry_run: bool) -> Report:
    """Run a plan/apply once more if another writer created the same object meanwhile.

    Two loads running at once (parallel tests, two operators) both plan to create a
    shared manufacturer or role; the slower one gets "already exists". Planning again
    finds the object. The first attempt's work is counted in the returned report.
    """
    try:
        return attempt()
    except SourceError as exc:
        if dry_run or not _CONCURRENT.search(str(exc)):
            raise
        first = getattr(exc, "partial_report", None)
    if echo:
        echo("NetBox changed while writing (another writer created the same objects): planning again")
    report = attempt()
    if isinstance(first, Report):
        for t1 in first.types:
            t = report.kind(t1.kind)
            t.created += t1.created
            t.updated += t1.updated
            t.unchanged = max(0, t.unchanged - t1.created - t1.updated)
    return report


def _detail_of(body: Any) -> str:
    if isinstance(body, dict):
        if "detail" in body:
            return str(body["detail"])
        return "; ".join(f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}"
                         for k, v in body.items())
    return str(body)


# --------------------------------------------------------------------------- snapshot
# NetBox stores VM disk in MB (base unit 1000 unless DISK_BASE_UNIT says otherwise);
# the snapshot counts GB. The loader divides by the same factor.
VM_DISK_MB_PER_GB = 1000
GENERIC_MANUFACTURER = "Generic"
UPS_TYPE = {"model": "UPS (colo)", "slug": "colo-ups"}
GENSET_TYPE = {"model": "Genset (colo)", "slug": "colo-genset"}
TAG = [{"slug": "colo-managed"}]
CABLE_CHUNK = 50  # NetBox creates ~8 cables/s: keep one request well under worker timeouts
DEVICE_CHUNK = 50  # and ~5-20 devices/s (measured 4.5/s on a busy 2-core machine)
# Ports and outlets go two requests at a time (NetBox serves several workers; they lock
# only their own device's counters, in order, so two requests cannot deadlock). Devices
# and VMs go one at a time (shared type/cluster counters deadlock), and so do cables
# (each one re-traces the power paths through its PDU).
PARALLEL_WRITES = 2


def _half_units(start: float, height: float) -> set[float]:
    out, u = set(), float(start)
    while u < start + height - 1e-9:
        out.add(u)
        u += 0.5
    return out


def validate_for_netbox(s: Snapshot, device_custom_fields: set[str] | None = None) -> None:
    """Everything NetBox would refuse halfway, checked before the first write.

    Raises InputError listing the problems (up to 15), each naming the object.
    """
    problems: list[str] = []
    racks = {r.key: r for r in s.racks}
    types = {t.key: t for t in s.device_types}
    devices = {d.key: d for d in s.devices}
    locations = {loc.key: loc for loc in s.locations}
    panels = {p.key: p for p in s.power_panels}

    def unique(items: Iterable[tuple[Hashable, str]], what: str) -> None:
        seen: dict[Hashable, str] = {}
        for k, label in items:
            if k in seen:
                problems.append(f"{what} {label!r} appears twice ({seen[k]!r}): NetBox needs it unique")
            else:
                seen[k] = label

    unique((((loc.site, loc.name.lower()), loc.name) for loc in s.locations), "location")
    unique((((r.site, r.name.lower()), r.name) for r in s.racks), "rack")
    unique((((t.manufacturer.lower(), t.model.lower()), t.model) for t in s.device_types), "device type")
    named = [(d.site, d.name.lower(), d.name) for d in s.devices if d.name]
    named += [(u.site, u.name.lower(), u.name) for u in s.ups]
    named += [(g.site, g.name.lower(), g.name) for g in s.gensets]
    unique((((site, low), name) for site, low, name in named), "device (or UPS/genset) name")
    unique((((p.site, p.name.lower()), p.name) for p in s.power_panels), "power panel")
    unique((((f.panel, f.name.lower()), f.name) for f in s.power_feeds), "power feed")
    unique((((c.provider.lower(), c.name), c.name) for c in s.uplinks), "uplink")
    unique((((c.site, c.name.lower()), c.name) for c in s.clusters), "cluster")
    unique((((c.key, vm.name.lower()), vm.name) for c in s.clusters for vm in c.vms), "VM")

    for r in s.racks:
        if r.location and locations[r.location].site != r.site:
            problems.append(f"rack {r.key!r}: location {r.location!r} is in another site")
    for p in s.power_panels:
        if p.location and locations[p.location].site != p.site:
            problems.append(f"power panel {p.key!r}: location {p.location!r} is in another site")
    for f in s.power_feeds:
        if f.rack and racks[f.rack].site != panels[f.panel].site:
            problems.append(f"power feed {f.key!r}: rack {f.rack!r} is not in the panel's site")

    occupied: dict[str, list[tuple[set[float], str | None, bool, str]]] = defaultdict(list)
    for d in s.devices:
        where = f"device {d.key!r}"
        t = types[d.device_type]
        if not d.name and d.position is None and not d.serial and not d.asset_tag:
            problems.append(f"{where}: unnamed, unracked and without serial or asset tag: NetBox "
                            "could not find it again on a re-run; give it a name")
        if d.rack and racks[d.rack].site != d.site:
            problems.append(f"{where}: rack {d.rack!r} is in site {racks[d.rack].site!r}, not {d.site!r}")
        if d.parent is not None:
            parent = devices[d.parent]
            if types[parent.device_type].subdevice_role != "parent":
                problems.append(f"{where}: parent {d.parent!r} has a device type that is not a parent type "
                                "(subdevice_role: parent)")
            if t.subdevice_role != "child":
                problems.append(f"{where}: has a parent but its device type is not a child type")
            if d.position is not None or d.face is not None:
                problems.append(f"{where}: a child device takes its rack place from its parent; "
                                "remove position and face")
        if d.position is not None and d.rack is not None:
            rack = racks[d.rack]
            if t.u_height == 0:
                problems.append(f"{where}: a 0U device type cannot have a rack position")
            else:
                top = rack.starting_unit + rack.u_height
                if d.position < rack.starting_unit or d.position + t.u_height > top + 1e-9:
                    problems.append(f"{where}: U{d.position:g} ({t.u_height:g}U) does not fit rack "
                                    f"{d.rack!r} (U{rack.starting_unit}-U{top - 1})")
                else:
                    occupied[d.rack].append((_half_units(d.position, t.u_height), d.face,
                                             t.is_full_depth, d.key))
        for p in d.power_ports:
            if p.allocated_draw is not None and p.maximum_draw is not None and p.allocated_draw > p.maximum_draw:
                problems.append(f"{where} port {p.name!r}: allocated draw {p.allocated_draw} W exceeds "
                                f"maximum draw {p.maximum_draw} W")
        unique((((d.key, p.name), f"{d.key}/{p.name}") for p in d.power_ports), "power port")
        unique((((d.key, o.name), f"{d.key}/{o.name}") for o in d.power_outlets), "power outlet")
        if device_custom_fields is not None:
            for name in d.custom_fields:
                if name not in device_custom_fields:
                    problems.append(f"{where}: custom field {name!r} is not defined in NetBox for "
                                    "devices (define it there, or remove it from the file)")
    for rack_key, items in occupied.items():
        for i, (units_a, face_a, full_a, key_a) in enumerate(items):
            for units_b, face_b, full_b, key_b in items[i + 1:]:
                if units_a & units_b and (full_a or full_b or face_a == face_b):
                    problems.append(f"devices {key_a!r} and {key_b!r} overlap in rack {rack_key!r}")
    for res in s.reservations:
        rack = racks[res.rack]
        bad = [u for u in res.units if not rack.starting_unit <= u < rack.starting_unit + rack.u_height]
        if bad:
            problems.append(f"reservation {res.key!r}: units {bad} are outside rack {res.rack!r}")
    hosts_seen: dict[str, str] = {}
    for c in s.clusters:
        for h in c.hosts:
            if devices[h.device].site != c.site:
                problems.append(f"cluster {c.key!r}: host {h.device!r} is not in site {c.site!r}")
            if h.device in hosts_seen:
                problems.append(f"device {h.device!r} is a host of clusters {hosts_seen[h.device]!r} "
                                f"and {c.key!r}: NetBox allows one")
            hosts_seen[h.device] = c.key
    if problems:
        shown = problems[:15]
        more = f"; and {len(problems) - 15} more" if len(problems) > 15 else ""
        raise InputError("the snapshot cannot be written to NetBox: " + "; ".join(shown) + more,
                         "nothing was written")


def _ids(values: Iterable[int]) -> list[int]:
    """Real NetBox ids only (dry-run placeholders are negative and have no children yet)."""
    return sorted({v for v in values if v and v > 0})


def _title(value: str) -> str:
    """A display name for a slug-like value (`patch-panel` -> `Patch Panel`)."""
    if value == slugify(value):
        return value.replace("-", " ").replace("_", " ").title() if len(value) > 3 else value.upper()
    return value


# What each object type's read asks for (`fields=` keeps NetBox from serialising the rest).
READ_FIELDS = {
    "dcim/sites": "id,name,slug,description",
    "dcim/locations": "id,name,site,description,custom_fields",
    "tenancy/tenant-groups": "id,name,slug",
    "tenancy/tenants": "id,name,slug,group,description",
    "dcim/rack-roles": "id,name,slug",
    "dcim/racks": "id,name,site,location,u_height,starting_unit,desc_units,status,role,tenant,max_weight,"
                  "weight,weight_unit,facility_id,custom_fields",
    "dcim/manufacturers": "id,name,slug",
    "dcim/device-types": "id,manufacturer,model,slug,u_height,is_full_depth,exclude_from_utilization,weight,"
                         "weight_unit,subdevice_role,custom_fields",
    "dcim/device-roles": "id,name,slug",
    "virtualization/cluster-types": "id,name,slug",
    "virtualization/clusters": "id,name,type,scope_type,scope_id,custom_fields",
    "dcim/devices": "id,name,site,tenant,device_type,role,rack,position,face,status,serial,asset_tag,"
                    "custom_fields,cluster",
    "dcim/device-bays": "id,device,name,installed_device",
    "dcim/rack-reservations": "id,rack,units,tenant,description",
    "dcim/power-panels": "id,name,site,location,custom_fields",
    "dcim/power-feeds": "id,name,power_panel,rack,status,type,supply,phase,voltage,amperage,max_utilization,cable",
    "dcim/power-ports": "id,device,name,allocated_draw,maximum_draw,cable",
    "dcim/power-outlets": "id,device,name,power_port,feed_leg,cable",
    "circuits/providers": "id,name,slug",
    "circuits/circuit-types": "id,name,slug",
    "circuits/circuits": "id,cid,provider,type,status,commit_rate",
    "circuits/circuit-terminations": "id,circuit,term_side,termination_type,termination_id,port_speed",
    "virtualization/virtual-machines": "id,name,cluster,status,tenant,vcpus,memory,disk,custom_fields",
}
SITE_SCOPED = (  # read per site, all at once as soon as the site ids are known
    "dcim/locations", "dcim/racks", "virtualization/clusters", "dcim/devices", "dcim/device-bays",
    "dcim/rack-reservations", "dcim/power-panels", "dcim/power-feeds", "dcim/power-ports",
    "dcim/power-outlets", "virtualization/virtual-machines",
)


class _SnapshotWriter:
    def __init__(self, client: NetBoxClient, snapshot: Snapshot, rec: Reconciler) -> None:
        self.c = client
        self.s = snapshot
        self.rec = rec
        self.dry_run = rec.dry_run
        # reads are independent of each other: several in flight at once (NetBox serves
        # them on several workers), each object type read exactly once per run
        self.pool = ThreadPoolExecutor(max_workers=4)
        self._reads: dict[str, Future[list[dict[str, Any]]]] = {}

    # -- reads ------------------------------------------------------------------
    def _fetch(self, endpoint: str, filters: dict[str, Any]) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"fields": READ_FIELDS[endpoint]}
        for name, value in filters.items():
            if isinstance(value, list):
                if not value:
                    return []  # filtered to nothing that exists yet
                params[name] = value
            elif value is not None:
                params[name] = value
        return self.c.get_all(endpoint, params)

    def prefetch(self, endpoint: str, **filters: Any) -> None:
        if endpoint not in self._reads:
            self._reads[endpoint] = self.pool.submit(self._fetch, endpoint, filters)

    def read(self, endpoint: str, **filters: Any) -> list[dict[str, Any]]:
        """What NetBox has of an object type (prefetched, or read now with these filters)."""
        self.prefetch(endpoint, **filters)
        return self._reads[endpoint].result()

    def ensure_named(self, kind: str, endpoint: str, values: Iterable[str],
                     extra: Callable[[str], dict[str, Any]] | None = None,
                     tag: bool = True) -> dict[str, int]:
        """Organisational objects referred to by name or slug (roles, manufacturers, types):
        reuse one whose slug or name matches, create the rest. Never renamed."""
        wanted = sorted(set(v for v in values if v))
        if not wanted:
            return {}
        existing = self.read(endpoint)
        by_slug = {e["slug"]: e for e in existing}
        by_name = {str(e["name"]).lower(): e for e in existing}
        found: dict[str, int] = {}
        desired: list[Desired] = []
        t = self.rec.report.kind(kind)
        for v in wanted:
            hit = (by_slug.get(v) or by_slug.get(slugify(v)) or by_name.get(v.lower())
                   or by_name.get(_title(v).lower()))
            if hit:
                found[v] = hit["id"]
                t.unchanged += 1
            else:
                create = {"name": _title(v), **(extra(v) if extra else {})}
                if tag:
                    create["tags"] = TAG
                desired.append(Desired(v, v, {"slug": slugify(v)}, create))
        found.update(self.rec.sync(kind, endpoint, desired, [], lambda e: None))
        return found

    # -- the whole snapshot, in dependency order ----------------------------------
    def run(self) -> None:
        s, rec = self.s, self.rec

        # the organisational types, all at once
        site_slug = {site.key: site.slug for site in s.sites}
        self.prefetch("dcim/sites", slug=sorted(site_slug.values()))
        needed = {
            "tenancy/tenant-groups": s.tenant_groups, "tenancy/tenants": s.tenants,
            "dcim/rack-roles": [r for r in s.racks if r.role], "dcim/manufacturers": s.device_types or s.ups
            or s.gensets, "dcim/device-roles": s.devices or s.ups or s.gensets,
            "virtualization/cluster-types": s.clusters, "circuits/providers": s.uplinks,
            "circuits/circuit-types": s.uplinks}
        for endpoint, items in needed.items():
            if items:
                self.prefetch(endpoint)

        # sites
        existing = self.read("dcim/sites", slug=sorted(site_slug.values()))
        by_slug = rec.sync("site", "dcim/sites", [
            Desired(site.slug, site.slug, {"name": site.name, "slug": site.slug,
                                           **({"description": site.description} if site.description else {})},
                    {"status": "active", "tags": TAG})
            for site in s.sites], existing, lambda e: e["slug"])
        self.site_id = {k: by_slug[slug] for k, slug in site_slug.items()}
        self.sites = sites = _ids(self.site_id.values())
        wanted = {
            "dcim/locations": s.locations, "dcim/racks": s.racks, "virtualization/clusters": s.clusters,
            "dcim/devices": s.devices or s.ups or s.gensets,
            "dcim/device-bays": [d for d in s.devices if d.parent], "dcim/rack-reservations": s.reservations,
            "dcim/power-panels": s.power_panels, "dcim/power-feeds": s.power_feeds,
            "dcim/power-ports": [d for d in s.devices if d.power_ports],
            "dcim/power-outlets": [d for d in s.devices if d.power_outlets],
            "virtualization/virtual-machines": [vm for c in s.clusters for vm in c.vms]}
        for endpoint in SITE_SCOPED:
            if wanted[endpoint]:
                self.prefetch(endpoint, site_id=sites)

        # locations
        existing = self.read("dcim/locations", site_id=sites)
        loc = rec.sync("location", "dcim/locations", [
            Desired((self.site_id[x.site], x.name.lower()), x.name,
                    {"name": x.name, "site": self.site_id[x.site],
                     **({"description": x.description} if x.description else {}),
                     "custom_fields": {"cooling_kw": x.cooling_kw, "cooling_units": x.cooling_units}},
                    {"slug": slugify(x.name), "status": "active", "tags": TAG})
            for x in s.locations], existing, lambda e: (norm(e["site"]), e["name"].lower()))
        self.location_id = {x.key: loc[(self.site_id[x.site], x.name.lower())] for x in s.locations}

        # tenant groups and tenants
        group_slug = {g.key: slugify(g.name) for g in s.tenant_groups}
        existing = self.read("tenancy/tenant-groups")
        grp = rec.sync("tenant group", "tenancy/tenant-groups", [
            Desired(group_slug[g.key], g.name, {"slug": group_slug[g.key]}, {"name": g.name, "tags": TAG})
            for g in s.tenant_groups], existing, lambda e: e["slug"])
        group_id = {k: grp[v] for k, v in group_slug.items()}
        existing = self.read("tenancy/tenants")
        ten = rec.sync("tenant", "tenancy/tenants", [
            Desired(t.slug, t.name, {"name": t.name, "slug": t.slug,
                                     "group": group_id[t.group] if t.group else None,
                                     **({"description": t.description} if t.description else {})},
                    {"tags": TAG})
            for t in s.tenants], existing, lambda e: e["slug"])
        self.tenant_id = {t.key: ten[t.slug] for t in s.tenants}

        # racks
        rack_role = self.ensure_named("rack role", "dcim/rack-roles", (r.role for r in s.racks if r.role),
                                      lambda v: {"color": "9e9e9e"})
        existing = self.read("dcim/racks", site_id=sites)
        desired = []
        for r in s.racks:
            f: dict[str, Any] = {
                "name": r.name, "site": self.site_id[r.site],
                "location": self.location_id[r.location] if r.location else None,
                "u_height": r.u_height, "starting_unit": r.starting_unit, "desc_units": r.desc_units,
                "status": r.status, "role": rack_role[r.role] if r.role else None,
                "tenant": self.tenant_id[r.tenant] if r.tenant else None,
                # NetBox stores max_weight as a whole number
                "max_weight": round(r.max_weight_kg) if r.max_weight_kg is not None else None,
                "weight": r.weight_kg,
                "custom_fields": {"cooling_kw": r.cooling_kw},
            }
            if r.max_weight_kg is not None or r.weight_kg is not None:
                f["weight_unit"] = "kg"
            if r.facility_id:
                f["facility_id"] = r.facility_id
            desired.append(Desired((f["site"], r.name.lower()), r.name, f, {"tags": TAG}))
        rk = rec.sync("rack", "dcim/racks", desired, existing, lambda e: (norm(e["site"]), e["name"].lower()))
        self.rack_id = {r.key: rk[(self.site_id[r.site], r.name.lower())] for r in s.racks}

        # manufacturers and device types (plus the generic UPS/genset types)
        makers = [t.manufacturer for t in s.device_types]
        if s.ups or s.gensets:
            makers.append(GENERIC_MANUFACTURER)
        maker_id = self.ensure_named("manufacturer", "dcim/manufacturers", makers)
        existing = self.read("dcim/device-types", manufacturer_id=_ids(maker_id.values()))
        desired = []
        for t in s.device_types:
            f = {"manufacturer": maker_id[t.manufacturer], "model": t.model, "u_height": t.u_height,
                 "is_full_depth": t.is_full_depth, "exclude_from_utilization": t.exclude_from_utilization,
                 "subdevice_role": t.subdevice_role, "custom_fields": {"power_factor": t.power_factor}}
            if t.weight_kg is not None:
                f.update(weight=t.weight_kg, weight_unit="kg")
            desired.append(Desired((f["manufacturer"], t.model.lower()), f"{t.manufacturer} {t.model}", f,
                                   {"slug": t.slug, "tags": TAG}))
        generic = {}
        for what, spec, present in (("ups", UPS_TYPE, s.ups), ("genset", GENSET_TYPE, s.gensets)):
            if present:
                mid = maker_id[GENERIC_MANUFACTURER]
                generic[what] = (mid, spec["model"].lower())
                desired.append(Desired(generic[what], f"{GENERIC_MANUFACTURER} {spec['model']}", {
                    "manufacturer": mid, "model": spec["model"], "u_height": 0, "is_full_depth": False,
                    "exclude_from_utilization": True}, {"slug": spec["slug"], "tags": TAG}))
        dt = rec.sync("device type", "dcim/device-types", desired, existing,
                      lambda e: (norm(e["manufacturer"]), e["model"].lower()))
        self.type_id = {t.key: dt[(maker_id[t.manufacturer], t.model.lower())] for t in s.device_types}
        generic_type = {k: dt[v] for k, v in generic.items()}

        roles = [d.role for d in s.devices] + (["ups"] if s.ups else []) + (["genset"] if s.gensets else [])
        role_id = self.ensure_named("device role", "dcim/device-roles", roles, lambda v: {"color": "9e9e9e"})

        # clusters (before devices: hosts are assigned to them)
        ctype = self.ensure_named("cluster type", "virtualization/cluster-types", (c.type for c in s.clusters))
        existing = self.read("virtualization/clusters", site_id=sites)
        cl = rec.sync("cluster", "virtualization/clusters", [
            Desired((self.site_id[c.site], c.name.lower()), c.name,
                    {"name": c.name, "type": ctype[c.type], "scope_type": "dcim.site",
                     "scope_id": self.site_id[c.site],
                     "custom_fields": {"datastore_gb": c.datastore_gb, "replication_factor": c.replication_factor}},
                    {"status": "active", "tags": TAG})
            for c in s.clusters], existing,
            lambda e: (e.get("scope_id") if e.get("scope_type") == "dcim.site" else None, e["name"].lower()))
        self.cluster_id = {c.key: cl[(self.site_id[c.site], c.name.lower())] for c in s.clusters}
        host_of = {h.device: (c.key, h.capacity) for c in s.clusters for h in c.hosts}

        # devices: gensets, then UPSs (they point at gensets), then the rest
        existing = self.read("dcim/devices", site_id=sites)
        key_of = self._device_key_of_existing
        gs = rec.sync("genset", "dcim/devices", [
            Desired(("n", self.site_id[g.site], g.name.lower()), g.name, {
                "name": g.name, "site": self.site_id[g.site], "device_type": generic_type["genset"],
                "role": role_id["genset"], "rack": None, "status": "active",
                "custom_fields": {"rated_va": g.rated_va, "derating": g.derating,
                                  "other_loads_va": g.other_loads_va, "redundancy_group": g.redundancy_group,
                                  "rated_w": g.rated_w, "cooling_factor": g.cooling_factor}},
                {"tags": TAG})
            for g in s.gensets], existing, key_of)
        self.genset_id = {g.key: gs[("n", self.site_id[g.site], g.name.lower())] for g in s.gensets}
        us = rec.sync("UPS", "dcim/devices", [
            Desired(("n", self.site_id[u.site], u.name.lower()), u.name, {
                "name": u.name, "site": self.site_id[u.site], "device_type": generic_type["ups"],
                "role": role_id["ups"], "rack": None, "status": "active",
                "custom_fields": {"rated_va": u.rated_va, "derating": u.derating, "efficiency": u.efficiency,
                                  "genset": self.genset_id[u.genset] if u.genset else None,
                                  "redundancy_group": u.redundancy_group, "rated_w": u.rated_w,
                                  "recharge_pct": u.recharge_pct}},
                {"tags": TAG})
            for u in s.ups], existing, key_of)
        self.ups_id = {u.key: us[("n", self.site_id[u.site], u.name.lower())] for u in s.ups}

        desired = []
        self._device_key: dict[str, Hashable] = {}
        # parents first, so a chunk never holds a child before its parent exists (bays come later)
        for d in sorted(s.devices, key=lambda d: d.parent is not None):
            f = {"name": d.name or None, "site": self.site_id[d.site], "device_type": self.type_id[d.device_type],
                 "role": role_id[d.role], "rack": self.rack_id[d.rack] if d.rack else None,
                 "position": d.position, "face": d.face, "status": d.status,
                 "tenant": self.tenant_id[d.tenant] if d.tenant else None}
            if d.serial:
                f["serial"] = d.serial
            if d.asset_tag:
                f["asset_tag"] = d.asset_tag
            cfs = dict(d.custom_fields)
            if d.key in host_of:
                cluster_key, cap = host_of[d.key]
                f["cluster"] = self.cluster_id[cluster_key]
                cfs.update(vcpus=cap.vcpus, memory_gb=cap.memory_gb, disk_gb=cap.disk_gb, cores=cap.cores,
                           threads=cap.threads)
            if cfs:
                f["custom_fields"] = cfs
            key = self._device_key_of_desired(d, f)
            self._device_key[d.key] = key
            desired.append(Desired(key, d.name or d.key, f, {"tags": TAG}))
        # one request at a time: every device bumps its device type's counter, and two
        # concurrent bulk creates deadlock on those rows in PostgreSQL (seen on NetBox 4.7.3)
        dv = rec.sync("device", "dcim/devices", desired, existing, key_of, chunk=DEVICE_CHUNK)
        self.device_id = {k: dv[v] for k, v in self._device_key.items()}

        self._device_bays()
        self._reservations(sites)
        self._power(sites)
        self._circuits()
        self._vms()

    # -- devices ------------------------------------------------------------------
    @staticmethod
    def _device_key_of_existing(e: dict[str, Any]) -> Hashable:
        site = norm(e.get("site"))
        if e.get("name"):
            return ("n", site, e["name"].lower())
        if e.get("rack") and e.get("position") is not None:
            return ("u", site, norm(e["rack"]), float(e["position"]), norm(e.get("face")),
                    norm(e["device_type"]))
        if e.get("serial"):
            return ("s", site, e["serial"])
        if e.get("asset_tag"):
            return ("a", site, e["asset_tag"])
        return ("id", e["id"])

    @staticmethod
    def _device_key_of_desired(d: Device, f: dict[str, Any]) -> Hashable:
        if d.name:
            return ("n", f["site"], d.name.lower())
        if d.rack and d.position is not None:
            return ("u", f["site"], f["rack"], float(d.position), d.face, f["device_type"])
        if d.serial:
            return ("s", f["site"], d.serial)
        return ("a", f["site"], d.asset_tag)

    def _device_bays(self) -> None:
        children = [d for d in self.s.devices if d.parent]
        if not children:
            return
        existing = self.read("dcim/device-bays", site_id=self.sites)
        self.rec.sync("device bay", "dcim/device-bays", [
            Desired((self.device_id[d.parent], f"Bay {d.name or d.key}"), f"{d.parent}/Bay {d.name or d.key}",
                    {"device": self.device_id[d.parent], "name": f"Bay {d.name or d.key}",
                     "installed_device": self.device_id[d.key]})
            for d in children if d.parent], existing, lambda e: (norm(e["device"]), e["name"]))

    def _reservations(self, sites: list[int]) -> None:
        if not self.s.reservations:
            return
        user = self.c.current_user()
        existing = self.read("dcim/rack-reservations", site_id=sites)
        self.rec.sync("rack reservation", "dcim/rack-reservations", [
            Desired((self.rack_id[r.rack], tuple(sorted(r.units))), r.key,
                    {"rack": self.rack_id[r.rack], "units": sorted(r.units),
                     "tenant": self.tenant_id[r.tenant] if r.tenant else None,
                     **({"description": r.description} if r.description else {})},
                    {"user": user["id"], "tags": TAG,
                     **({} if r.description else {"description": f"Reserved (colo {r.key})"})})
            for r in self.s.reservations], existing,
            lambda e: (norm(e["rack"]), tuple(sorted(int(u) for u in e["units"]))))

    # -- power --------------------------------------------------------------------
    def _power(self, sites: list[int]) -> None:
        s, rec = self.s, self.rec
        existing = self.read("dcim/power-panels", site_id=sites)
        pp = rec.sync("power panel", "dcim/power-panels", [
            Desired((self.site_id[p.site], p.name.lower()), p.name, {
                "name": p.name, "site": self.site_id[p.site],
                "location": self.location_id[p.location] if p.location else None,
                "custom_fields": {"ups": self.ups_id[p.ups] if p.ups else None}}, {"tags": TAG})
            for p in s.power_panels], existing, lambda e: (norm(e["site"]), e["name"].lower()))
        panel_id = {p.key: pp[(self.site_id[p.site], p.name.lower())] for p in s.power_panels}

        existing = self.read("dcim/power-feeds", site_id=sites)
        feed_cable = {e["id"]: norm(e.get("cable")) for e in existing}
        pf = rec.sync("power feed", "dcim/power-feeds", [
            Desired((panel_id[f.panel], f.name.lower()), f.name, {
                "name": f.name, "power_panel": panel_id[f.panel], "rack": self.rack_id[f.rack] if f.rack else None,
                "status": f.status, "type": f.type, "supply": f.supply, "phase": f.phase, "voltage": f.voltage,
                "amperage": f.amperage, "max_utilization": f.max_utilization}, {"tags": TAG})
            for f in s.power_feeds], existing, lambda e: (norm(e["power_panel"]), e["name"].lower()))
        feed_id = {f.key: pf[(panel_id[f.panel], f.name.lower())] for f in s.power_feeds}

        with_ports = [d for d in s.devices if d.power_ports]
        existing = self.read("dcim/power-ports", site_id=sites) if with_ports else []
        port_cable = {e["id"]: norm(e.get("cable")) for e in existing}
        ports = rec.sync("power port", "dcim/power-ports", [
            Desired((self.device_id[d.key], p.name), f"{d.name or d.key}/{p.name}", {
                "device": self.device_id[d.key], "name": p.name,
                "allocated_draw": p.allocated_draw, "maximum_draw": p.maximum_draw})
            for d in with_ports for p in d.power_ports], existing, lambda e: (norm(e["device"]), e["name"]),
            parallel=PARALLEL_WRITES)
        port_id = {(d.key, p.name): ports[(self.device_id[d.key], p.name)] for d in with_ports for p in d.power_ports}

        with_outlets = [d for d in s.devices if d.power_outlets]
        existing = self.read("dcim/power-outlets", site_id=sites) if with_outlets else []
        outlet_cable = {e["id"]: norm(e.get("cable")) for e in existing}
        outs = rec.sync("power outlet", "dcim/power-outlets", [
            Desired((self.device_id[d.key], o.name), f"{d.name or d.key}/{o.name}", {
                "device": self.device_id[d.key], "name": o.name,
                "power_port": port_id[(d.key, o.power_port)] if o.power_port else None,
                "feed_leg": o.feed_leg})
            for d in with_outlets for o in d.power_outlets], existing, lambda e: (norm(e["device"]), e["name"]),
            parallel=PARALLEL_WRITES)
        outlet_id = {(d.key, o.name): outs[(self.device_id[d.key], o.name)]
                     for d in with_outlets for o in d.power_outlets}

        self._cables(feed_id, outlet_id, port_id, feed_cable, outlet_cable, port_cable)

    def _cables(self, feed_id: dict[str, int], outlet_id: dict[tuple[str, str], int],
                port_id: dict[tuple[str, str], int], feed_cable: dict[int, Any],
                outlet_cable: dict[int, Any], port_cable: dict[int, Any]) -> None:
        """Cables feed -> port(s) and outlet -> port(s), matched by their terminations.

        NetBox gives every feed and outlet one cable; several ports behind one feed or
        outlet share it (one cable, several B terminations). Existing cables are
        recognised from the `cable` field of feeds, outlets and ports alone (cheap reads).
        """
        t = self.rec.report.kind("cable")
        want: dict[tuple[str, int], tuple[str, list[int]]] = {}  # (a type, a id) -> (label, ports)
        for d in self.s.devices:
            for p in d.power_ports:
                pid = port_id[(d.key, p.name)]
                if p.feed is not None:
                    a, a_label = ("dcim.powerfeed", feed_id[p.feed]), f"feed {p.feed}"
                elif p.outlet is not None:
                    a = ("dcim.poweroutlet", outlet_id[(p.outlet.device, p.outlet.name)])
                    a_label = f"{p.outlet.device}/{p.outlet.name}"
                else:
                    continue
                want.setdefault(a, (a_label, []))[1].append(pid)
        ports_of_cable: dict[Any, set[int]] = defaultdict(set)
        for pid, cab in port_cable.items():
            if cab is not None:
                ports_of_cable[cab].add(pid)
        port_label = {v: f"{k[0]}/{k[1]}" for k, v in port_id.items()}
        to_delete: dict[int, str] = {}
        to_create: list[tuple[str, dict[str, Any]]] = []
        # feed cables first: a server's path through a PDU is then complete when its own cable lands
        for (a_type, a_id), (a_label, plist) in sorted(want.items(), key=lambda kv: kv[0][0] != "dcim.powerfeed"):
            label = f"{a_label} -> {', '.join(port_label[p] for p in plist)}"
            cable = (feed_cable if a_type == "dcim.powerfeed" else outlet_cable).get(a_id)
            if cable is not None and ports_of_cable.get(cable) == set(plist) and all(
                    port_cable.get(p) == cable for p in plist):
                t.unchanged += 1
                continue
            stale = {cable} if cable is not None else set()
            stale |= {port_cable[p] for p in plist if port_cable.get(p) is not None}
            for cab in stale:
                to_delete[cab] = f"cable {cab}"
            to_create.append((label, {
                "a_terminations": [{"object_type": a_type, "object_id": a_id}],
                "b_terminations": [{"object_type": "dcim.powerport", "object_id": p} for p in plist],
                "status": "connected"}))
            if stale:
                t.updated += 1
                self.rec._line(t, f"{'would replace' if self.dry_run else 'replaced'} cable {label}")
            else:
                t.created += 1
                self.rec._line(t, f"{'would create' if self.dry_run else 'created'} cable {label}")
        if self.dry_run:
            return
        started = time.monotonic()
        self.rec.delete("cable", "dcim/cables", sorted(to_delete.items()))
        for start in range(0, len(to_create), CABLE_CHUNK):
            batch = to_create[start:start + CABLE_CHUNK]
            self.rec.send("POST", "dcim/cables", [p for _, p in batch], "cable", [lbl for lbl, _ in batch])
        t.seconds += time.monotonic() - started

    # -- circuits and VMs ---------------------------------------------------------
    def _circuits(self) -> None:
        s, rec = self.s, self.rec
        if not s.uplinks:
            return
        provider = self.ensure_named("provider", "circuits/providers", (u.provider for u in s.uplinks))
        ctype = self.ensure_named("circuit type", "circuits/circuit-types", ["internet-uplink"])["internet-uplink"]
        existing = self.read("circuits/circuits", provider_id=_ids(provider.values()))
        cid = rec.sync("circuit", "circuits/circuits", [
            Desired((provider[u.provider], u.name), f"{u.provider} {u.name}", {
                "cid": u.name, "provider": provider[u.provider], "type": ctype, "status": u.status,
                "commit_rate": u.commit_kbps}, {"tags": TAG})
            for u in s.uplinks], existing, lambda e: (norm(e["provider"]), e["cid"]))
        circuit_id = {u.key: cid[(provider[u.provider], u.name)] for u in s.uplinks}
        existing = self.read("circuits/circuit-terminations", circuit_id=_ids(circuit_id.values()))
        rec.sync("circuit termination", "circuits/circuit-terminations", [
            Desired((circuit_id[u.key], "A"), f"{u.provider} {u.name} A", {
                "circuit": circuit_id[u.key], "term_side": "A", "termination_type": "dcim.site",
                "termination_id": self.site_id[u.site], "port_speed": u.port_kbps})
            for u in s.uplinks], existing, lambda e: (norm(e["circuit"]), norm(e["term_side"])))

    def _vms(self) -> None:
        vms = [(c, vm) for c in self.s.clusters for vm in c.vms]
        if not vms:
            return
        existing = self.read("virtualization/virtual-machines", site_id=self.sites)
        self.rec.sync("virtual machine", "virtualization/virtual-machines", [
            Desired((self.cluster_id[c.key], vm.name.lower()), vm.name, {
                "name": vm.name, "cluster": self.cluster_id[c.key], "status": vm.status,
                "tenant": self.tenant_id[vm.tenant] if vm.tenant else None,
                "vcpus": vm.vcpus or None, "memory": vm.memory_mb or None,
                "disk": vm.disk_gb * VM_DISK_MB_PER_GB if vm.disk_gb else None,
                "custom_fields": {"bandwidth_mbps": vm.bandwidth_mbps or None}}, {"tags": TAG})
            for c, vm in vms], existing, lambda e: (norm(e["cluster"]), e["name"].lower()),
            chunk=DEVICE_CHUNK)


def load_snapshot_into_netbox(client: NetBoxClient, snapshot: Snapshot, *, dry_run: bool = False,
                              echo: Echo | None = None, verbose: bool = False) -> Report:
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

    Runs `bootstrap` first. The whole snapshot is checked before the first write.
    """
    from inventory.netbox.bootstrap import bootstrap, convention_custom_fields

    started, before = time.monotonic(), client.requests_made
    cfs = client.get_all("extras/custom-fields", {"fields": "name,object_types"})
    device_cfs = {c["name"] for c in cfs if "dcim.device" in (c.get("object_types") or [])}
    validate_for_netbox(snapshot, device_cfs | convention_custom_fields("dcim.device"))

    def attempt() -> Report:
        report = Report(dry_run=dry_run)
        conventions = bootstrap(client, dry_run=dry_run, echo=echo if verbose else None)
        report.types.append(TypeReport(
            "conventions (bootstrap)", conventions.created, conventions.updated, conventions.unchanged,
            [line for t in conventions.types for line in t.lines]))
        rec = Reconciler(client, report, dry_run=dry_run, echo=echo, verbose=verbose)
        writer = _SnapshotWriter(client, snapshot, rec)
        try:
            writer.run()
        finally:
            writer.pool.shutdown(wait=True, cancel_futures=True)
        return report

    report = retry_on_concurrent_change(attempt, echo, dry_run)
    report.requests = client.requests_made - before
    report.seconds = time.monotonic() - started
    return report
