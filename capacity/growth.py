"""What-if demand: requests placed today, and a steady stream of servers or VMs. Pure.

A request is placed as step 3 would place it (`capacity.fit.check_fit`, its first
placement) and held as an approval holds it (reservation and commitment, see
`capacity.whatif.with_footprints`). A stream ("30 servers of 2U/500 W per year") adds
growth per month to every dimension: one unit of it is placed the same way on today's
snapshot, and what each dimension's used figure gains, times the units per month, is
added to the trend (so failover, UPS and genset shares are the engine's, not a rule
of thumb).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from capacity.dimensions import site_figures
from capacity.engine import compute_capacity
from capacity.fit import check_fit
from capacity.fit_request import CapacityRequest, HostingRequest, ServerRequest
from capacity.fit_result import FitReport
from capacity.policy import Policy
from capacity.whatif import with_footprints
from inventory.demand import Footprint
from inventory.errors import InputError
from inventory.model import Snapshot

STREAM = re.compile(r"^\s*(?P<count>\d+(?:\.\d+)?)\s+(?P<what>servers?|vms?)\s+of\s+(?P<spec>.+?)\s+"
                    r"(?:per|a|an|/)\s*(?P<per>year|month)\s*$", re.IGNORECASE)
_TOKEN = re.compile(r"^(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>u|w|va|kw|mbps|gbps|psus?|vcpus?|gb|tb)"
                    r"(?:\s+(?P<what>ram|memory|disk|storage))?$", re.IGNORECASE)
STREAM_HELP = ('"N servers of 2U/500W[/100Mbps][/1PSU] per year|month" or '
               '"N vms of 4vCPU/16GB/200GB[/10Mbps] per year|month"')


@dataclass(frozen=True)
class Stream:
    """A steady stream of identical servers or VMs."""

    text: str
    per_month: float
    unit: CapacityRequest  # one server or one VM


def parse_stream(text: str) -> Stream:
    """"30 servers of 2U/500 W per year" -> 2.5 servers a month; errors say the form."""
    m = STREAM.match(text)
    if m is None:
        raise InputError(f"--add {text!r}: not a request file, nor a list like {STREAM_HELP}")
    count = float(m["count"])
    per_month = count / 12.0 if m["per"].lower() == "year" else count
    values: dict[str, float] = {}
    gigabytes: list[tuple[float, str | None]] = []
    for part in (p.strip() for p in m["spec"].split("/")):
        t = _TOKEN.match(part)
        if t is None:
            raise InputError(f"--add {text!r}: {part!r} is not a size like 2U, 500W, 100Mbps, 2PSU, 4vCPU or 16GB")
        num, unit = float(t["num"]), t["unit"].lower().rstrip("s")
        if unit in ("gb", "tb"):
            gigabytes.append((num * (1000 if unit == "tb" else 1), (t["what"] or "").lower() or None))
            continue
        scale = {"kw": 1000.0, "gbp": 1000.0}.get(unit, 1.0)
        values[{"kw": "w", "va": "w", "gbp": "mbp"}.get(unit, unit)] = num * scale
    try:
        if m["what"].lower().startswith("server"):
            if gigabytes or "vcpu" in values:
                raise ValueError("a server's size is U, W, Mbps and PSUs")
            unit_request = CapacityRequest(servers=[ServerRequest(
                name="what-if server", u_height=values.get("u", 0), allocated_draw_w=int(values.get("w", 0)) or None,
                psu_count=int(values.get("psu", 2)), bandwidth_mbps=values.get("mbp", 0))])
        else:
            memory, disk = _memory_and_disk(gigabytes)
            unit_request = CapacityRequest(hosting=HostingRequest(
                vcpus=values.get("vcpu", 0), memory_gb=memory, disk_gb=disk))
    except (ValueError, InputError) as exc:
        raise InputError(f"--add {text!r}: {_first_error(exc)}") from None
    if per_month <= 0:
        raise InputError(f"--add {text!r}: the count must be above 0")
    return Stream(text.strip(), per_month, unit_request)


def _memory_and_disk(sizes: list[tuple[float, str | None]]) -> tuple[float, float]:
    """16GB/200GB: RAM then disk, unless named (`200GB disk`)."""
    named = {what: size for size, what in sizes if what}
    plain = [size for size, what in sizes if not what]
    memory = named.get("ram", named.get("memory"))
    disk = named.get("disk", named.get("storage"))
    if memory is None and plain:
        memory = plain.pop(0)
    if disk is None and plain:
        disk = plain.pop(0)
    return memory or 0.0, disk or 0.0


def _first_error(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first["loc"] if not isinstance(p, int))
        msg = str(first["msg"]).removeprefix("Value error, ")
        return f"{where}: {msg}" if where else msg
    return str(exc)


def footprints_of_fit(label: str, request: CapacityRequest, fit: FitReport) -> list[tuple[str, Footprint]]:
    """What a request that fits holds once approved: its first placement and its cluster."""
    if not fit.fits:
        return []
    out: list[tuple[str, Footprint]] = []
    servers = {s.name: s for s in request.servers}
    for sp in (fit.placements[0].servers if fit.placements else []):
        s = servers[sp.server]
        out.append((f"{label} server {sp.server}", Footprint(
            site=sp.site, rack=sp.rack, position=sp.position, u_height=sp.u_height,
            feeds=tuple(f for f in (sp.feed_a, sp.feed_b) if f), psu_count=s.psu_count, draw_va=sp.draw_va,
            bandwidth_mbps=s.bandwidth_mbps, tenant=request.tenant)))
    if request.hosting is not None and fit.cluster is not None:
        h = request.hosting
        out.append((f"{label} hosting", Footprint(cluster=fit.cluster, vcpus=h.vcpus, memory_gb=h.memory_gb,
                                                  disk_gb=h.disk_gb, tenant=request.tenant)))
    return out


def place_request(snapshot: Snapshot, label: str, request: CapacityRequest, policy: Policy | None,
                  sites: set[str] | None) -> tuple[Snapshot, FitReport]:
    """The snapshot with the request held where step 3 would place it (unchanged when it
    does not fit: the report's reasons say why)."""
    fit = check_fit(snapshot, request, policy, compute_capacity(snapshot, policy), sites=sites)
    placed, _ = with_footprints(snapshot, footprints_of_fit(label, request, fit))
    return placed, fit


def stream_growth(snapshot: Snapshot, stream: Stream, policy: Policy | None,
                  sites: set[str] | None) -> tuple[dict[tuple[str, str, str | None], float], FitReport]:
    """Per dimension (figure key), what the stream adds per month; empty when one unit of
    it fits nowhere today (the fit report says why)."""
    before = {f.key: f.used for f in site_figures(snapshot, policy, sites)}
    placed, fit = place_request(snapshot, f"what-if {stream.text}", stream.unit, policy, sites)
    if not fit.fits:
        return {}, fit
    growth = {}
    for f in site_figures(placed, policy, sites):
        gained = f.used - before.get(f.key, 0.0)
        if gained:
            growth[f.key] = gained * stream.per_month
    return growth, fit
