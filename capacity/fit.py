"""Will a request fit? Per-dimension verdicts and ranked placements of its servers.

Pure: takes a snapshot, the request, the policy and the CapacityResult of that snapshot;
never reads NetBox. A placement is simulated on copies of the rack masks and on
increments to the loads of the result, so two servers of one request never share units
or headroom, and nothing of the snapshot or the result changes.

Checks, in the order a planner would name the cause ("layers"):
  space   free, unreserved half units on the faces the server needs (both when full
          depth), whole-unit servers on whole units, policy headroom kept per face
  weight  rack's known device weight + server weight <= max_weight_kg (when both known)
  power   a server with >= 2 PSUs takes a primary + a redundant active feed of the rack,
          draw/2 on each normally and the whole draw on each on failover; a single-PSU
          server takes one feed. Each feed: load + share <= available and (policy
          require_failover_safe) failover load + draw <= available. Draw in W, loads in
          VA: W / policy.power_factor
  legs    on a three-phase feed, the leg its PSUs take (the most headroom, with the
          outlets): load + share <= a third of the feed (capacity/fit_legs.py)
  outlets every PSU gets a plug on its feed (PSU i on feed i % 2): a free outlet of a PDU
          on the feed, or the feed itself when nothing is cabled to it (capacity/outlets.py)
  ups     the UPSs behind those feeds keep load and failover load within both ratings
          (VA and W) x derating
  genset  the gensets behind those UPSs likewise, loads x (1 / UPS efficiency + the
          genset's cooling factor)
  cooling the draw, as heat, within the cooling headroom of the rack's room and rack
Load increments follow capacity/power.py's failover model, so a placement's "after"
figures are what the engine reports once the servers are installed.
Bandwidth is per site; hosting compute per cluster. Rules and decisions:
docs/capacity-space-and-fit.md.

Where each part lives: the request schema in capacity/fit_request.py, the answer's types
in capacity/fit_result.py, the lookups of one query in capacity/fit_context.py, one
server in capacity/fit_server.py, the search in capacity/fit_search.py (its bounds in
capacity/bounds.py), the dimension checks in capacity/fit_dimensions.py; this module
runs them (`check_fit`). reports/fit_text.py prints the answer.
"""

from __future__ import annotations

import difflib
from collections import defaultdict

from capacity import fit_search
from capacity.fit_context import FitContext, PlacementState, ServerNeed, needs_of
from capacity.fit_dimensions import bandwidth_dim, hosting_dims, layer_dim, weight_dim
from capacity.fit_request import CapacityRequest
from capacity.fit_result import DimensionCheck, FitReport, PlacementCandidate
from capacity.policy import Policy
from capacity.results import CapacityResult
from capacity.scan import gc_paused
from capacity.space import RackOccupancy, space_index_for
from inventory.errors import InputError
from inventory.model import Snapshot
from inventory.names import same_name, select_sites

#: The placement layers, in the order a planner names the cause.
LAYERS = ("space", "weight", "power", "legs", "outlets", "ups", "genset", "cooling")


def check_fit(snapshot: Snapshot, request: CapacityRequest, policy: Policy | None,
              result: CapacityResult, sites: set[str] | None = None) -> FitReport:
    """Per-dimension verdicts and the `policy.max_placements` best placements.

    `sites` (site keys) narrows the sites the request may use (`capacity check --site`).
    """
    # the search allocates many small tuples over a snapshot of millions of objects: a
    # full collection of that heap costs more than the search (see capacity.scan.gc_paused)
    with gc_paused():
        return _check_fit(snapshot, request, policy, result, sites)


def _check_fit(snapshot: Snapshot, request: CapacityRequest, policy: Policy | None,
               result: CapacityResult, only_sites: set[str] | None) -> FitReport:
    policy = policy or Policy()
    ctx = FitContext(snapshot, policy, result, space_index_for(snapshot, policy, result.space))
    sites = _request_sites(snapshot, request, only_sites)
    tenant = _resolve_tenant(snapshot, request.tenant)
    needs = needs_of(request, policy.power_factor)
    notes: list[str] = []
    placements: list[PlacementCandidate] = []
    if needs:
        dims, placements = _server_dims(ctx, needs, sites, tenant, notes)
    else:
        dims = [DimensionCheck(d, u, None, None, None, "not requested", "no servers in the request")
                for d, u in (("space", "U"), ("weight", "kg"), ("power", "VA"), ("legs", "VA"),
                             ("outlets", "plugs"), ("ups", "VA"), ("genset", "VA"), ("cooling", "W"),
                             ("bandwidth", "Mbps"))]
    if ctx.search_cut:
        what = "a better placement" if placements else "a placement"
        notes.append(f"the placement search stopped after {fit_search.SEARCH_BUDGET:,} tries: {what} may "
                     "exist that it did not reach; try the servers in smaller requests")
    dims.extend(hosting_dims(ctx, request, sites))
    grouped: dict[str, list[str]] = {}
    for d in dims:
        if d.verdict == "does not fit":
            grouped.setdefault(d.reason, []).append(d.dimension)
    reasons = [f"{', '.join(names)}: {why}" for why, names in grouped.items()]
    fits = not reasons and (not needs or bool(placements))
    return FitReport(
        request_id=request.request_id,
        tenant=request.tenant,
        site=request.site,
        fits=fits,
        dimensions=dims,
        placements=placements,
        reasons=reasons,
        notes=notes,
        cluster=ctx.hosting_cluster,
    )


def _server_dims(ctx: FitContext, needs: list[ServerNeed], sites: set[str], tenant: str | None,
                 notes: list[str]) -> tuple[list[DimensionCheck], list[PlacementCandidate]]:
    """The placement layers' and bandwidth's dimensions, and the best placements."""
    eligible, skipped = _eligible(ctx, sites, tenant)
    if skipped:
        notes.append("racks not offered: " + ", ".join(f"{n} {why}" for why, n in sorted(skipped.items())))
    bw_dim, bw_sites = bandwidth_dim(ctx, needs, sites, None)
    layers = [layer for layer in LAYERS
              if layer != "weight" or any(n.req.weight_kg is not None for n in needs)]
    joint_racks = [o for o in eligible if o.site in bw_sites]
    found = fit_search.search(ctx, needs, joint_racks, frozenset(layers), tenant, ctx.policy.max_placements)
    placements: list[PlacementCandidate] = []
    layer_dims: dict[str, DimensionCheck] = {}
    if found:
        st = found[0].state
        placements = [fit_search.to_candidate(ctx, a, needs) for a in found]
        for sp in placements[0].servers:
            if sp.feed_b is None and sp.feed_a is not None:
                notes.append(f"{sp.server} has one PSU: it goes down when feed {sp.feed_a_name} fails")
        for layer in layers:
            layer_dims[layer] = layer_dim(ctx, layer, needs, st, eligible, "fits")
        bw_dim, _ = bandwidth_dim(ctx, needs, sites, st.racks[0].site)
    elif not eligible:
        why = "no rack is open to this request" + (f" ({notes[0]})" if notes else "")
        for layer in layers:
            layer_dims[layer] = layer_dim(ctx, layer, needs, None, eligible, "does not fit")
            layer_dims[layer].reason = why
            layer_dims[layer].before = layer_dims[layer].after = None
    else:
        layer_dims, failing = _failing_layers(ctx, needs, eligible, layers, tenant)
        if failing is None and bw_dim.verdict == "fits":
            # Each check passes where bandwidth is short, none where it is enough.
            bw_dim.verdict = "does not fit"
            bw_dim.reason = ("racks with space and power are only in sites without enough "
                             "bandwidth; " + bw_dim.reason)
    dims = []
    for name in LAYERS:
        if name in layer_dims:
            dims.append(layer_dims[name])
        elif name == "weight":
            dims.append(weight_dim(ctx, needs, None, eligible, "not requested"))
    dims.append(bw_dim)
    return dims, placements


def _failing_layers(ctx: FitContext, needs: list[ServerNeed], eligible: list[RackOccupancy],
                    layers: list[str], tenant: str | None) -> tuple[dict[str, DimensionCheck], str | None]:
    """When no placement was found: the layers that pass together (figures from the
    placement that passes them all), the first that fails (None: all pass together),
    and each later layer on its own."""
    layer_dims: dict[str, DimensionCheck] = {}
    failing: str | None = None
    last_state: PlacementState | None = None
    passed: list[str] = []
    for i, layer in enumerate(layers):
        attempt = fit_search.search(ctx, needs, eligible, frozenset(layers[: i + 1]), tenant, 1)
        if not attempt:
            failing = layer
            break
        passed.append(layer)
        last_state = attempt[0].state
    for layer in passed:
        layer_dims[layer] = layer_dim(ctx, layer, needs, last_state, eligible, "fits")
    if failing is not None:
        idx = layers.index(failing)
        layer_dims[failing] = layer_dim(ctx, failing, needs, None, eligible, "does not fit")
        for layer in layers[idx + 1:]:
            alone = fit_search.search(ctx, needs, eligible, frozenset([layer]), tenant, 1)
            if alone:
                d = layer_dim(ctx, layer, needs, alone[0].state, eligible, "fits")
                d.reason += " (on its own, not combined with the checks above)"
            else:
                d = layer_dim(ctx, layer, needs, None, eligible, "does not fit")
            layer_dims[layer] = d
    return layer_dims, failing


def _request_sites(snapshot: Snapshot, request: CapacityRequest, only_sites: set[str] | None) -> set[str]:
    """Keys of the sites the request may use: the one it names (all when none), within `only_sites`."""
    try:
        sites = set(select_sites(snapshot.sites, None if request.site is None else [request.site]))
    except InputError as exc:
        raise InputError(f"request: {exc}") from None
    if only_sites is not None:
        if request.site is not None and not sites & only_sites:
            names = ", ".join(sorted(s.slug for s in snapshot.sites if s.key in only_sites))
            raise InputError(f"request: site {request.site!r} is not among the sites asked for ({names})")
        sites &= only_sites
    return sites


def _resolve_tenant(snapshot: Snapshot, tenant: str | None) -> str | None:
    """The key of the tenant the request names; bad input, with a close match, when unknown."""
    if tenant is None:
        return None
    for t in snapshot.tenants:
        if same_name(tenant, t.key, t.slug, t.name):
            return t.key
    close = difflib.get_close_matches(tenant, [t.slug for t in snapshot.tenants], n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise InputError(f"request: unknown tenant {tenant!r}{hint}")


def _eligible(ctx: FitContext, sites: set[str], tenant: str | None
              ) -> tuple[list[RackOccupancy], dict[str, int]]:
    """Racks a request may use, and how many were left out for which reason."""
    out: list[RackOccupancy] = []
    skipped: dict[str, int] = defaultdict(int)
    only_tenant = ctx.policy.dedicated_racks_for_tenant_only
    for occ in ctx.index.racks.values():
        if occ.site not in sites:
            continue
        if not occ.open_for_colocation:
            skipped["closed for co-location"] += 1
            continue
        if only_tenant and occ.tenant is not None and occ.tenant != tenant:
            skipped["dedicated to another tenant"] += 1
            continue
        out.append(occ)
    return out, skipped
