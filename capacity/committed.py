"""Where committed capacity counts: the one rule for a commitment's site, cluster, rack
and feeds in a snapshot. Pure.

A commitment (`inventory.model.Commitment`) is what an approved, not yet installed
request holds. Its references are recorded at the capacity check, as keys of the source
checked against or as names; `CommitmentScope.resolve` turns them into this snapshot's
keys (playbooks/commitments.py, adding held requests to a snapshot). `site_of` and
`cluster_of` say what a commitment is charged to: bandwidth per site (capacity/bandwidth.py),
hosting per cluster (capacity/compute.py); capacity/findings.py reports the commitments
charged to nothing.
"""

from __future__ import annotations

from functools import cached_property

from inventory.model import Commitment, Site, Snapshot, Tenant


class CommitmentScope:
    """A snapshot's racks, feeds, sites, clusters and tenants, looked up by key or name
    (each lookup built on first use: most snapshots hold no commitment)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot

    @cached_property
    def _rack_site(self) -> dict[str, str]:
        return {r.key: r.site for r in self._snapshot.racks}

    @cached_property
    def _racks_by_name(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for r in self._snapshot.racks:
            out.setdefault(r.name, []).append(r.key)
        return out

    @cached_property
    def _feeds(self) -> set[str]:
        return {f.key for f in self._snapshot.power_feeds}

    @cached_property
    def _feed_by_name(self) -> dict[tuple[str | None, str], str]:
        return {(f.rack, f.name): f.key for f in self._snapshot.power_feeds}

    @cached_property
    def _sites(self) -> dict[str, str]:
        return _by_key_slug_or_name(self._snapshot.sites)

    @cached_property
    def _tenants(self) -> dict[str, str]:
        return _by_key_slug_or_name(self._snapshot.tenants)

    @cached_property
    def _cluster_site(self) -> dict[str, str]:
        return {c.key: c.site for c in self._snapshot.clusters}

    @cached_property
    def _clusters(self) -> dict[str, str]:
        clusters = self._snapshot.clusters
        return {c.name: c.key for c in clusters} | {c.key: c.key for c in clusters}

    @cached_property
    def _clusters_of_site(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for c in self._snapshot.clusters:
            out.setdefault(c.site, []).append(c.key)
        return out

    # --- what a commitment is charged to

    def site_of(self, cm: Commitment) -> str | None:
        """The site whose bandwidth it takes: its own, else its rack's, else its cluster's."""
        if cm.site is not None:
            return cm.site
        if cm.rack is not None and cm.rack in self._rack_site:
            return self._rack_site[cm.rack]
        return self._cluster_site.get(cm.cluster) if cm.cluster is not None else None

    def cluster_of(self, cm: Commitment) -> str | None:
        """The cluster whose compute its hosting takes: the one it names, else the only
        cluster of its site; None when that is ambiguous."""
        if cm.cluster is not None:
            return cm.cluster
        site = self.site_of(cm)
        candidates = self._clusters_of_site.get(site, []) if site is not None else []
        return candidates[0] if len(candidates) == 1 else None

    # --- references recorded elsewhere, as this snapshot's keys

    def tenant_key(self, *refs: str | None) -> str | None:
        """The first of `refs` (key, slug or name) that names a tenant here."""
        return next((self._tenants[r] for r in refs if r is not None and r in self._tenants), None)

    def site_key(self, ref: str | None) -> str | None:
        """A site by key, slug or name."""
        return self._sites.get(ref) if ref else None

    def rack_key(self, ref: str, name: str | None = None, site: str | None = None) -> str | None:
        """A rack by key, else by its recorded name, else by `ref` taken as a name; of
        racks of one name (names repeat across sites), the one in `site`."""
        if ref in self._rack_site:
            return ref
        for n in (name, ref):
            keys = self._racks_by_name.get(n) if n else None
            if keys:
                return ([k for k in keys if self._rack_site[k] == site] or keys)[-1]
        return None

    def resolve(self, cm: Commitment, rack_name: str | None = None) -> str | None:
        """Rewrite the commitment's site, cluster, rack and feeds as this snapshot's keys.

        A site or cluster that is not here is dropped (the commitment is charged to what
        is left); a rack or feed that is not here is a problem, returned as text (None:
        resolved), and the commitment must not be counted.
        """
        cm.site = self.site_key(cm.site)
        if cm.cluster is not None:
            cm.cluster = self._clusters.get(cm.cluster)
            if cm.cluster is not None and cm.site is None:
                cm.site = self._cluster_site[cm.cluster]
        if cm.rack is None:
            return None
        rack = self.rack_key(cm.rack, rack_name, cm.site)
        if rack is None:
            return f"rack {cm.rack!r} is not in this snapshot"
        feeds = [f if f in self._feeds else self._feed_by_name.get((rack, f)) for f in cm.feeds]
        if None in feeds:
            return f"feeds {cm.feeds} are not in this snapshot"
        cm.rack, cm.feeds = rack, feeds  # type: ignore[assignment]
        return None


def _by_key_slug_or_name(objects: list[Site] | list[Tenant]) -> dict[str, str]:
    out: dict[str, str] = {}
    for o in objects:
        for ident in (o.key, o.slug, o.name):
            out.setdefault(ident, o.key)
    return out
