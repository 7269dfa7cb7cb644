"""The bulk loader: one NetBox site (or all) into a `Snapshot`, in a handful of requests.

This module reads; inventory/netbox/queries.py says what it asks for and
inventory/netbox/assemble.py turns the rows into the snapshot (pure, no HTTP).
Reads (docs/netbox-loader.md has the queries and what each costs on NetBox 4.7):

1. concurrently: the sites (REST, to resolve the slugs or names asked for) and the
   loader's export templates (REST), to see whether NetBox holds them as this version
   wrote them;
2. concurrently, by a few threads:
   - one GraphQL request holding every small collection, each with only the fields the
     snapshot needs;
   - each large collection (devices, power ports, power outlets, power feeds) in ONE
     REST request rendered by an export template;
   - or, for a large collection whose template is missing or edited: a REST request
     with no rows that answers the count and, in its `previous` link, the page size the
     server grants (MAX_PAGE_SIZE), then GraphQL pages of that size, balanced, scalar
     fields and related ids only.

`available_power` of feeds comes from the export or GraphQL (REST lacks it). No cable or
termination is read (inventory/netbox/assemble.py says why). Never one request per
rack, device or port. Progress is reported as events (inventory/progress.py).
"""
from __future__ import annotations

import logging
import math
import threading
import time
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from inventory.errors import NetBoxHTTPError, SourceError
from inventory.heap import building_long_lived
from inventory.model import Snapshot
from inventory.names import select_sites
from inventory.netbox.assemble import assemble, site_models
from inventory.netbox.client import NetBoxClient
from inventory.netbox.conventions import EXPORTS, ExportTemplate
from inventory.netbox.queries import (
    BIG_READS, BIG_REST, SMALL_READS, BigRead, graphql_filters,
)
from inventory.progress import Progress

__all__ = ["load_snapshot", "LoadStats"]

log = logging.getLogger(__name__)

#: the page size asked for; the server's MAX_PAGE_SIZE may grant less (detected)
DEFAULT_PAGE_SIZE = 5000
#: concurrent requests: the sandbox serves with 4 gunicorn workers
DEFAULT_WORKERS = 4


# --------------------------------------------------------------------------- statistics
@dataclass
class ReadStat:
    name: str
    requests: int = 0
    objects: int = 0
    seconds: float = 0.0  # summed over the read's requests (concurrent ones overlap)


@dataclass
class LoadStats:
    """What a load cost: per read, requests, objects and seconds; in total, wall time."""

    reads: dict[str, ReadStat] = field(default_factory=dict)
    wall_seconds: float = 0.0
    requests: int = 0
    page_size: int = DEFAULT_PAGE_SIZE
    read_by: dict[str, str] = field(default_factory=dict)  # large read -> "export template" | "GraphQL"
    warnings: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, name: str, objects: int, seconds: float) -> None:
        with self._lock:
            st = self.reads.setdefault(name, ReadStat(name))
            st.requests += 1
            st.objects += objects
            st.seconds += seconds

    def lines(self) -> list[str]:
        out = [f"{s.name:<16} {s.objects:>7} objects {s.requests:>3} requests {s.seconds:7.2f} s"
               for s in sorted(self.reads.values(), key=lambda s: -s.seconds)]
        paths = ", ".join(f"{k} by {v}" for k, v in self.read_by.items())
        out.append(f"total: {self.requests} HTTP requests, {self.wall_seconds:.2f} s wall time ({paths})")
        return out



# --------------------------------------------------------------------------- export templates

# --------------------------------------------------------------------------- progress
class _Progress:
    """Requests made out of requests planned, as `Progress` events ("Reading NetBox")."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.total = 0
        self.done = 0
        self._lock = threading.Lock()

    def add(self, n: int) -> None:
        with self._lock:
            self.total += n
            self._draw()

    def step(self) -> None:
        with self._lock:
            self.done += 1
            self._draw()

    def _draw(self) -> None:
        if self.progress is not None and self.total:
            self.progress("Reading NetBox", min(self.done, self.total - 1), self.total)

    def close(self) -> None:
        if self.progress is not None and self.total:
            self.progress("Reading NetBox", self.total, self.total)


# --------------------------------------------------------------------------- reading
class _Reader:
    """Counts, pages and concurrency of one load."""

    def __init__(self, client: NetBoxClient, site_ids: list[int] | None, page_size: int,
                 workers: int, progress: _Progress, stats: LoadStats) -> None:
        self.client = client
        self.site_ids = site_ids
        self.single_site: str | None = None  # the site id when only one site is read
        self.page_size = page_size
        self.workers = max(1, workers)
        self.progress = progress
        self.stats = stats

    def timed(self, name: str, fn: Callable[[], Any], objects: Callable[[Any], int]) -> Any:
        t0 = time.perf_counter()
        out = fn()
        self.stats.add(name, objects(out), time.perf_counter() - t0)
        self.progress.step()
        return out

    def count(self, big: BigRead) -> tuple[int, int]:
        """(count, granted page size) of a large read, filtered by the loaded sites."""
        params: dict[str, Any] = {}
        if self.site_ids is not None:
            params["site_id"] = self.site_ids
        return self.probe(big.rest, params)

    def probe(self, path: str, params: dict[str, Any]) -> tuple[int, int]:
        """(count, granted page size): a page far past the end answers both, with no rows."""
        params = {**params, "fields": "id", "limit": self.page_size, "offset": 10 ** 9}
        body = self.timed("counts", lambda: self.client.get_json(path, params), lambda b: 0)
        if not isinstance(body, dict) or "count" not in body:
            raise SourceError(f"NetBox answered GET /api/{path}/ without a count",
                              "is NETBOX_URL a NetBox?")
        granted = self.page_size
        link = body.get("previous") or ""
        if link:
            limit = parse_qs(urlsplit(link).query).get("limit")
            if limit and limit[0].isdigit() and int(limit[0]) > 0:
                granted = min(granted, int(limit[0]))
        return int(body["count"]), granted

    def usable_exports(self) -> set[str]:
        """The large reads whose export template NetBox holds exactly as this version wrote it."""
        try:
            got = self.client.get_all("extras/export-templates", {
                "name": [e.name for e in EXPORTS.values()],
                "fields": "name,object_types,template_code,environment_params"}, page_size=100)
        except NetBoxHTTPError as exc:
            if not 400 <= exc.status < 500:  # NetBox failing: that is an error
                raise
            # e.g. a token without permission to view export templates: the slower way still works
            self.stats.warnings.append(f"export templates not readable ({exc}); reading through GraphQL")
            got = []
        finally:
            self.progress.step()
        ok = set()
        by_name = {t.get("name"): t for t in got}
        for e in EXPORTS.values():
            t = by_name.get(e.name)
            if (t is not None and t.get("template_code") == e.code and not t.get("environment_params")
                    and e.object_type in (t.get("object_types") or [])):
                ok.add(e.read)
        return ok

    def export(self, e: ExportTemplate) -> list[dict] | None:
        """All rows of a large read in one request; None if NetBox has no such template (any more)."""
        params: dict[str, Any] = {"export": e.name}
        if self.site_ids is not None:
            params["site_id"] = self.site_ids

        def fetch() -> list[dict] | None:
            url = self.client.url(BIG_REST[e.read])
            response = self.client.http.get(url, params=params)
            if response.status_code == 404:
                return None
            if response.status_code >= 400:
                raise SourceError(f"NetBox failed on the export {e.name} of {urlsplit(url).path} "
                                  f"(HTTP {response.status_code})", "try again; see NetBox's log")
            return e.parse(response.text)

        return self.timed(e.read, fetch, lambda rows: len(rows or []))

    def graphql(self, name: str, query: str, rows_in: Callable[[dict], int]) -> dict[str, Any]:
        return self.timed(name, lambda: self.client.graphql(query), rows_in)

    def big_page(self, big: BigRead, offset: int, limit: int) -> list[dict]:
        selection = big.selection
        if self.single_site is not None:  # every row is in that site: save a field per row
            selection = selection.replace(" site { id }", "")
        q = (f"query {{ {big.field}({graphql_filters(big.site_filter, self.site_ids)}"
             f"pagination: {{offset: {offset}, limit: {limit}}}) {{ {selection} }} }}")
        data = self.graphql(big.name, q, lambda d: len(d.get(big.field) or []))
        rows = data.get(big.field)
        if rows is None:
            raise SourceError(f"NetBox GraphQL answered without {big.field}")
        return rows

    def small(self, limit: int) -> dict[str, list[dict]]:
        parts = []
        for name, fld, sel, flt in SMALL_READS:
            # no aliases: NetBox allows only 10 (GRAPHQL_MAX_ALIASES); every list field appears once
            parts.append(f"{fld}({graphql_filters(flt, self.site_ids, name)}"
                         f"pagination: {{limit: {limit}}}) {{ {sel} }}")
        data = self.graphql("small lists", "query { " + " ".join(parts) + " }",
                            lambda d: sum(len(v or []) for v in d.values()))
        return {name: data.get(fld) or [] for name, fld, *_ in SMALL_READS}

    def small_rest(self, name: str, granted: int, have: int) -> list[dict]:
        """The rest of a small collection larger than one page (rare: thousands of racks)."""
        spec = next(s for s in SMALL_READS if s[0] == name)
        _, fld, sel, flt = spec
        rows: list[dict] = []
        offset = have
        while True:
            q = (f"query {{ {fld}({graphql_filters(flt, self.site_ids, name)}"
                 f"pagination: {{offset: {offset}, limit: {granted}}}) {{ {sel} }} }}")
            self.progress.add(1)
            got = self.graphql(name, q, lambda d: len(d.get(fld) or [])).get(fld) or []
            rows.extend(got)
            offset += len(got)
            if len(got) < granted:
                return rows


def _dedupe(rows: list[dict]) -> list[dict]:
    """Objects created or deleted while paging shift offsets: one row per id."""
    seen: set[Any] = set()
    out = []
    for r in rows:
        ident = r.get("id")
        if ident in seen:
            continue
        seen.add(ident)
        out.append(r)
    return out


# --------------------------------------------------------------------------- the load
def load_snapshot(client: NetBoxClient, sites: list[str] | None = None, progress: Progress | None = None, *,
                  page_size: int = DEFAULT_PAGE_SIZE, workers: int = DEFAULT_WORKERS,
                  stats: LoadStats | None = None, use_export_templates: bool = True) -> Snapshot:
    """Read `sites` (slugs or names; None or empty = every site) into a Snapshot.

    `progress` hears the requests made out of those planned. `stats`, if
    given, receives what each read cost. Problems in the data that the snapshot cannot
    hold (a UPS without a rated capacity, a link to an object outside the loaded sites)
    are left out and listed in `stats.warnings` (and logged as warnings).
    """
    t_start = time.perf_counter()
    stats = stats if stats is not None else LoadStats()
    requests_before = client.requests_made
    bar = _Progress(progress)
    try:
        snapshot = _load(client, sites, bar, stats, page_size, workers, use_export_templates)
    finally:
        bar.close()
        stats.wall_seconds = time.perf_counter() - t_start
        stats.requests = client.requests_made - requests_before
    for w in stats.warnings:
        log.warning("%s", w)
    for line in stats.lines():
        log.info("%s", line)
    return snapshot



def _load(client: NetBoxClient, wanted: list[str] | None, bar: _Progress, stats: LoadStats,
          page_size: int, workers: int, use_exports: bool) -> Snapshot:
    reader = _Reader(client, None, page_size, workers, bar, stats)
    with ThreadPoolExecutor(max_workers=reader.workers) as pool:
        bar.add(3 if use_exports else 1)
        exports_fut = pool.submit(reader.usable_exports) if use_exports else None
        # the page size NetBox grants (MAX_PAGE_SIZE), for the small lists read in one page;
        # with GraphQL pages the counts of the large reads answer it
        cap_fut = pool.submit(reader.probe, "dcim/sites", {}) if use_exports else None
        site_rows = reader.timed("sites", lambda: client.get_all(
            "dcim/sites", {"fields": "id,name,slug,description"}, page_size=page_size), len)
        by_slug = {s["slug"]: s for s in site_rows}
        chosen = [by_slug[k] for k in select_sites(site_models(site_rows), wanted)]
        reader.site_ids = None if not wanted else sorted(int(s["id"]) for s in chosen)
        if len(chosen) == 1:
            reader.single_site = str(chosen[0]["id"])
        usable = exports_fut.result() if exports_fut is not None else set()
        stats.read_by = {b.name: "export template" if b.name in usable else "GraphQL" for b in BIG_READS}

        rows: dict[str, list[dict]] = {}
        bar.add(1 + len(usable))
        small_fut = pool.submit(reader.small, page_size)
        export_futs = {name: pool.submit(reader.export, EXPORTS[name]) for name in sorted(usable)}
        paged = [b for b in BIG_READS if b.name not in usable]
        for name, fut in export_futs.items():
            got = fut.result()
            if got is None:  # the template vanished since the check: read through GraphQL
                paged.append(next(b for b in BIG_READS if b.name == name))
                stats.read_by[name] = "GraphQL"
            else:
                rows[name] = got
        granted = cap_fut.result()[1] if cap_fut is not None else page_size
        stats.page_size = granted
        if paged:
            rows.update(_paged_reads(reader, pool, paged))
            granted = min(granted, stats.page_size)
        rows.update(small_fut.result())
    for name, *_ in SMALL_READS:  # a small list that filled a whole page may go on
        if len(rows[name]) >= granted:
            rows[name] = _dedupe(rows[name] + reader.small_rest(name, granted, len(rows[name])))
    for big in BIG_READS:  # the same order whichever way they were read: NetBox's creation order
        rows[big.name].sort(key=lambda r: int(r["id"]))
    if reader.single_site is not None:
        for d in rows["devices"]:
            if not d.get("site"):
                d["site"] = {"id": reader.single_site}
    with building_long_lived():  # a large site is millions of new objects (inventory/heap.py)
        return assemble(chosen, rows, stats.warnings.append)


def _paged_reads(reader: _Reader, pool: ThreadPoolExecutor, reads: list[BigRead]) -> dict[str, list[dict]]:
    """Large reads through GraphQL: counts, then balanced pages of the granted size, concurrently."""
    bar, stats = reader.progress, reader.stats
    bar.add(len(reads))
    count_futs = {b.name: pool.submit(reader.count, b) for b in reads}
    counts: dict[str, int] = {}
    granted = reader.page_size
    for name, fut in count_futs.items():
        counts[name], g = fut.result()
        granted = min(granted, g)
    stats.page_size = granted
    # balanced pages, the largest collections first so the small ones fill the end
    pages: list[tuple[int, BigRead, int, int]] = []
    for big in reads:
        n = counts[big.name]
        k = max(1, math.ceil(n / granted))
        size = max(1, math.ceil(n / k))
        pages += [(n, big, off, size) for off in range(0, max(n, 1), size)]
    pages.sort(key=lambda p: (-p[0], p[2]))
    bar.add(len(pages))
    futs: dict[str, list[tuple[int, int, Future]]] = defaultdict(list)
    for _, big, off, size in pages:
        futs[big.name].append((off, size, pool.submit(reader.big_page, big, off, size)))
    rows: dict[str, list[dict]] = {}
    for big in reads:
        got: list[dict] = []
        for off, size, fut in futs[big.name]:
            part = fut.result()
            got.extend(part)
            # a page shorter than asked, before the end: read the rest of its range
            pos, end = off + len(part), min(off + size, counts[big.name])
            while part and pos < end:
                bar.add(1)
                part = reader.big_page(big, pos, end - pos)
                got.extend(part)
                pos += len(part)
        rows[big.name] = _dedupe(got)
    return rows
