"""The bulk loader against a faked NetBox (`responses`): what it asks, what it builds.

The fake answers like NetBox 4.7: REST lists with `count` and a `previous` link that
carries the granted page size, GraphQL lists capped at MAX_PAGE_SIZE.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from capacity.engine import compute_capacity
from inventory.errors import InputError, NetBoxHTTPError
from inventory.netbox.bootstrap import ensure_export_templates
from inventory.netbox.client import NetBoxClient
from inventory.netbox.conventions import EXPORTS, export_template_objects
from inventory.netbox.loader import LoadStats, load_snapshot
from inventory.netbox.settings import NetBoxSettings

URL = "http://netbox.test"
TOKEN = "nbt_AbCdEfGh1234.s3cr3tPlainTextTokenValue0987654321"

BIG = {"dcim/devices": "device_list", "dcim/power-ports": "power_port_list",
       "dcim/power-outlets": "power_outlet_list", "dcim/power-feeds": "power_feed_list"}


def ref(i: Any) -> dict[str, str] | None:
    return None if i is None else {"id": str(i)}


class FakeNetBox:
    """Rows per GraphQL list field; sites for REST. Records every request."""

    def __init__(self, lists: dict[str, list[dict]], sites: list[dict], max_page: int = 5000) -> None:
        self.lists = {k: v for k, v in lists.items()}
        self.sites = sites
        self.max_page = max_page
        self.graphql_cap: int | None = None  # GraphQL granting less than REST says (never seen; handled)
        self.graphql_queries: list[str] = []
        self.counts: list[dict[str, list[str]]] = []
        self.exports: list[str] = []
        self.templates: list[dict] = []  # NetBox's export templates (none: a NetBox not bootstrapped)
        self.templates_status = 200  # what reading them answers

    def with_templates(self) -> "FakeNetBox":
        self.templates = [{**t, "id": i + 1, "environment_params": {}}
                          for i, t in enumerate(export_template_objects())]
        return self

    def install(self, rsps: responses.RequestsMock) -> None:
        rsps.add_callback(responses.GET, re.compile(rf"{URL}/api/dcim/sites/.*"), self._sites)
        self.probes = 0
        for path in BIG:
            rsps.add_callback(responses.GET, re.compile(rf"{URL}/api/{path}/.*"), self._count)
        rsps.add_callback(responses.POST, f"{URL}/graphql/", self._graphql)
        rsps.add_callback(responses.GET, re.compile(rf"{URL}/api/extras/export-templates/.*"), self._templates)

    def _templates(self, request: Any) -> tuple[int, dict, str]:
        if self.templates_status != 200:
            return self.templates_status, {}, json.dumps({"detail": "You do not have permission to perform this "
                                                                    "action." if self.templates_status == 403
                                                          else "Service unavailable"})
        names = parse_qs(urlsplit(request.url).query).get("name", [])
        rows = [t for t in self.templates if t["name"] in names]
        return 200, {}, json.dumps({"count": len(rows), "next": None, "previous": None, "results": rows})

    def _export(self, path: str, params: dict[str, list[str]]) -> tuple[int, dict, str]:
        """NetBox rendering our template: one line per object (what the Jinja code writes)."""
        name = params["export"][0]
        self.exports.append(name)
        if not any(t["name"] == name for t in self.templates):
            return 404, {}, json.dumps({"detail": "Not found."})
        spec = next(e for e in EXPORTS.values() if e.name == name)
        lines = []
        for row in self._site_rows(BIG[path], params.get("site_id")):
            values = []
            for f in spec.fields:
                if f == "id":
                    values.append(int(row["id"]))
                elif f.endswith("_id"):
                    r = row.get(f[:-3])
                    values.append(int(r["id"]) if r else None)
                else:
                    values.append(row.get(f))
            text = json.dumps(values)
            lines.append(f"{row.get(spec.decimal) or ''}\t{text}" if spec.decimal else text)
        return 200, {"Content-Type": "text/plain"}, "\n".join(lines) + "\n"

    def _sites(self, request: Any) -> tuple[int, dict, str]:
        params = parse_qs(urlsplit(request.url).query)
        if int(params.get("offset", ["0"])[0]) >= 10 ** 9:  # the page-size probe
            self.probes += 1
            granted = min(int(params["limit"][0]), self.max_page)
            return 200, {}, json.dumps({"count": len(self.sites), "next": None, "results": [],
                                        "previous": f"{URL}/api/dcim/sites/?limit={granted}&offset=999"})
        return 200, {}, json.dumps({"count": len(self.sites), "next": None, "previous": None,
                                    "results": self.sites})

    def _count(self, request: Any) -> tuple[int, dict, str]:
        url = urlsplit(request.url)
        params = parse_qs(url.query)
        path = url.path.strip("/").removeprefix("api/")
        if "export" in params:
            return self._export(path, params)
        self.counts.append(params)
        rows = self._site_rows(BIG[path], params.get("site_id"))
        granted = min(int(params["limit"][0]), self.max_page)
        prev = f"{URL}{url.path}?fields=id&limit={granted}&offset={int(params['offset'][0]) - granted}"
        return 200, {}, json.dumps({"count": len(rows), "next": None, "previous": prev, "results": []})

    def _site_rows(self, field: str, site_ids: list[str] | None) -> list[dict]:
        rows = self.lists.get(field, [])
        if site_ids is None:
            return rows
        devices = {d["id"]: d for d in self.lists.get("device_list", [])}
        if field == "device_list":
            return [r for r in rows if r["site"]["id"] in site_ids]
        if field in ("power_port_list", "power_outlet_list"):
            return [r for r in rows if devices[r["device"]["id"]]["site"]["id"] in site_ids]
        return rows

    def _graphql(self, request: Any) -> tuple[int, dict, str]:
        query = json.loads(request.body)["query"]
        self.graphql_queries.append(query)
        site_ids = re.findall(r'"(\d+)"', query.split("pagination")[0]) or None
        data = {}
        for field in re.findall(r"(\w+_list)\(", query):
            part = query[query.index(field + "("):]
            m = re.search(r"pagination: \{(?:offset: (\d+), )?limit: (\d+)\}", part)
            offset, limit = int(m.group(1) or 0), min(int(m.group(2)), self.graphql_cap or self.max_page)
            data[field] = self._site_rows(field, site_ids)[offset:offset + limit]
        return 200, {}, json.dumps({"data": data})


SITE = {"id": 1, "name": "DC Kaltim", "slug": "dc-kaltim", "description": ""}
OTHER = {"id": 2, "name": "DRC Balikpapan", "slug": "drc", "description": ""}


def device(i: int, name: str, rack: int | None, position: str | None, dtype: int = 10, role: int = 100,
           site: int = 1, cf: dict | None = None, face: str | None = "front") -> dict:
    return {"id": str(i), "name": name, "serial": f"SN{i}", "asset_tag": None, "position": position,
            "face": face if position else None, "status": "active", "custom_field_data": cf or {},
            "device_type": ref(dtype), "role": ref(role), "tenant": ref(None), "rack": ref(rack),
            "site": ref(site)}


def small_dc() -> dict[str, list[dict]]:
    """One rack R1: a PDU fed by feed A (single-phase), a server with one PSU on a PDU
    outlet and one straight on feed B (three-phase); a UPS and a genset (unracked); a
    cluster host; an uplink and a circuit of another type."""
    return {
        "location_list": [{"id": "5", "name": "Hall", "description": "", "site": ref(1)}],
        "tenant_group_list": [{"id": "7", "name": "OPD", "slug": "opd"}],
        "tenant_list": [{"id": "8", "name": "Dinas Kesehatan", "slug": "dinkes", "description": "",
                         "group": ref(7)}],
        "rack_list": [{"id": "20", "name": "R1", "u_height": 42, "starting_unit": 1, "desc_units": False,
                       "status": "active", "facility_id": None, "max_weight": 1000, "weight": None,
                       "weight_unit": "kg", "site": ref(1), "location": ref(5), "role": {"slug": "colocation"},
                       "tenant": ref(8)}],
        "device_type_list": [
            {"id": "10", "model": "Server 1U", "slug": "s1", "u_height": "1.0", "is_full_depth": True,
             "exclude_from_utilization": False, "subdevice_role": None, "weight": None, "weight_unit": None,
             "manufacturer": {"name": "Dell"}},
            {"id": "11", "model": "PDU", "slug": "pdu", "u_height": "0.0", "is_full_depth": False,
             "exclude_from_utilization": True, "subdevice_role": None, "weight": "12.5", "weight_unit": "lb",
             "manufacturer": {"name": "APC"}},
            {"id": "12", "model": "UPS (colo)", "slug": "colo-ups", "u_height": "0.0", "is_full_depth": False,
             "exclude_from_utilization": True, "subdevice_role": None, "weight": None, "weight_unit": None,
             "manufacturer": {"name": "Generic"}},
        ],
        "device_role_list": [{"id": "100", "slug": "server"}, {"id": "101", "slug": "pdu"},
                             {"id": "102", "slug": "ups"}, {"id": "103", "slug": "genset"},
                             {"id": "104", "slug": "hypervisor"}],
        "power_panel_list": [{"id": "30", "name": "Panel 1", "custom_field_data": {"ups": 42},
                              "site": ref(1), "location": None}],
        "rack_reservation_list": [{"id": "60", "units": [30, 31], "description": "REQ-1",
                                   "rack": ref(20), "tenant": ref(8)}],
        "device_bay_list": [],
        "circuit_termination_list": [
            {"id": "70", "term_side": "A", "termination": {"__typename": "SiteType", "id": "1"},
             "circuit": {"id": "71", "cid": "TLK-1", "status": "active", "commit_rate": 1_000_000,
                         "type": {"slug": "internet-uplink"}, "provider": {"name": "Telkom"}}},
            {"id": "72", "term_side": "A", "termination": {"__typename": "LocationType", "site": ref(1)},
             "circuit": {"id": "73", "cid": "MPLS-1", "status": "active", "commit_rate": 10_000,
                         "type": {"slug": "mpls"}, "provider": {"name": "Telkom"}}},
        ],
        "cluster_list": [{"id": "80", "name": "Cluster 1", "type": {"slug": "virtualization"},
                          "devices": [ref(44)], "scope": {"__typename": "SiteType", "id": "1"}}],
        "virtual_machine_list": [{"id": "90", "name": "vm1", "status": "active", "vcpus": "2.50",
                                  "memory": 4096, "disk": 80_000, "cluster": ref(80), "tenant": ref(8)}],
        "device_list": [
            device(40, "pdu-1", 20, None, dtype=11, role=101),
            device(41, "web-1", 20, "10.0", cf={"bandwidth_mbps": 20, "domain": "dinkes.go.id", "request_id": None}),
            device(42, "UPS-A", None, None, dtype=12, role=102,
                   cf={"rated_va": 40000, "derating": "0.8", "efficiency": None, "genset": 43,
                       "redundancy_group": "pair"}),
            device(43, "GEN-1", None, None, dtype=12, role=103, cf={"rated_va": 100000, "other_loads_va": 5000}),
            device(44, "host-1", 20, "20.5", role=104,
                   cf={"vcpus": 64, "memory_gb": "512.00", "disk_gb": 4000, "domain": "x"}),
        ],
        "power_port_list": [
            {"id": "400", "name": "inlet", "allocated_draw": None, "maximum_draw": None, "device": ref(40),
             "cable": ref(900)},
            {"id": "410", "name": "PSU1", "allocated_draw": 300, "maximum_draw": 450, "device": ref(41),
             "cable": ref(901)},
            {"id": "411", "name": "PSU2", "allocated_draw": None, "maximum_draw": 450, "device": ref(41),
             "cable": ref(902)},
            {"id": "440", "name": "PSU1", "allocated_draw": None, "maximum_draw": None, "device": ref(44),
             "cable": None},
        ],
        "power_outlet_list": [
            {"id": "500", "name": "1", "feed_leg": "A", "device": ref(40), "power_port": ref(400),
             "cable": ref(901)},
            {"id": "501", "name": "2", "feed_leg": None, "device": ref(40), "power_port": ref(400),
             "cable": None},
        ],
        "power_feed_list": [
            {"id": "600", "name": "Feed A", "status": "active", "type": "primary", "supply": "ac",
             "phase": "single-phase", "voltage": 230, "amperage": 16, "max_utilization": 80,
             "available_power": 2944, "power_panel": ref(30), "rack": ref(20), "cable": ref(900)},
            {"id": "601", "name": "Feed B", "status": "active", "type": "redundant", "supply": "ac",
             "phase": "three-phase", "voltage": 400, "amperage": 32, "max_utilization": 80,
             "available_power": 17736, "power_panel": ref(30), "rack": ref(20), "cable": ref(902)},
        ],
    }


def client() -> NetBoxClient:
    return NetBoxClient(NetBoxSettings(url=URL, token=TOKEN))


@pytest.fixture()
def rsps() -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as r:
        yield r


def test_a_small_data_centre_is_read_into_the_snapshot_model(rsps: Any) -> None:
    fake = FakeNetBox(small_dc(), [SITE])
    fake.install(rsps)
    stats = LoadStats()
    s = load_snapshot(client(), ["dc-kaltim"], stats=stats)

    assert [(x.key, x.slug, x.name) for x in s.sites] == [("dc-kaltim", "dc-kaltim", "DC Kaltim")]
    (rack,) = s.racks
    assert (rack.key, rack.name, rack.location, rack.role, rack.tenant, rack.max_weight_kg, rack.netbox_id) == \
        ("20", "R1", "5", "colocation", "dinkes", 1000.0, 20)
    devices = {d.name: d for d in s.devices}
    assert set(devices) == {"pdu-1", "web-1", "host-1"}  # the unracked UPS and genset are not devices
    web = devices["web-1"]
    assert (web.key, web.rack, web.position, web.face, web.role, web.device_type) == \
        ("41", "20", 10.0, "front", "server", "10")
    assert web.custom_fields == {"bandwidth_mbps": 20, "domain": "dinkes.go.id"}  # nulls dropped
    psu1, psu2 = web.power_ports
    assert (psu1.allocated_draw, psu1.maximum_draw, psu1.feed) == (300, 450, None)
    assert (psu1.outlet.device, psu1.outlet.name) == ("40", "1")  # type: ignore[union-attr]
    assert (psu2.feed, psu2.outlet) == ("601", None)
    pdu = devices["pdu-1"]
    assert pdu.power_ports[0].feed == "600" and pdu.position is None
    assert [(o.name, o.power_port, o.feed_leg) for o in pdu.power_outlets] == [("1", "inlet", "A"), ("2", "inlet", None)]
    types = {t.key: t for t in s.device_types}
    assert set(types) == {"10", "11"}
    assert (types["11"].manufacturer, types["11"].u_height, types["11"].exclude_from_utilization) == ("APC", 0.0, True)
    assert types["11"].weight_kg == pytest.approx(12.5 * 0.45359237, abs=1e-3)

    (ups,) = s.ups
    (genset,) = s.gensets
    assert (ups.key, ups.name, ups.rated_va, ups.derating, ups.efficiency, ups.genset, ups.redundancy_group) == \
        ("42", "UPS-A", 40000, 0.8, None, "43", "pair")
    assert (genset.rated_va, genset.other_loads_va, genset.derating) == (100000, 5000, None)
    (panel,) = s.power_panels
    assert panel.ups == "42"
    feeds = {f.name: f for f in s.power_feeds}
    assert (feeds["Feed B"].phase, feeds["Feed B"].voltage, feeds["Feed B"].type) == ("three-phase", 400, "redundant")

    (res,) = s.reservations
    assert (res.rack, res.units, res.tenant) == ("20", [30, 31], "dinkes")
    assert [(u.name, u.provider, u.commit_kbps) for u in s.uplinks] == [("TLK-1", "Telkom", 1_000_000)]
    (cluster,) = s.clusters
    (host,) = cluster.hosts
    assert (host.device, host.capacity.vcpus, host.capacity.memory_gb, host.capacity.disk_gb) == ("44", 64, 512.0, 4000.0)
    assert devices["host-1"].custom_fields == {"domain": "x"}  # capacity fields moved to the cluster
    assert devices["host-1"].position == 20.5
    (vm,) = cluster.vms
    assert (vm.vcpus, vm.memory_mb, vm.disk_gb, vm.tenant) == (2.5, 4096, 80, "dinkes")  # disk MB -> GB
    assert stats.warnings == []

    # the snapshot works for the capacity maths: Feed B carries web-1's PSU2 maximum (no allocation)
    result = compute_capacity(s)
    assert result.feeds["601"].available_va == 17736
    assert result.feeds["600"].available_va == 2944


def test_without_export_templates_every_collection_is_read_in_a_fixed_handful_of_requests(rsps: Any) -> None:
    fake = FakeNetBox(small_dc(), [SITE])
    fake.install(rsps)
    c = client()
    stats = LoadStats()
    load_snapshot(c, ["dc-kaltim"], stats=stats)
    # sites, the export-template check, the page-size probe, 4 counts, 1 GraphQL request
    # with every small list, one page per large list
    assert c.requests_made == 1 + 1 + 1 + 4 + 1 + 4
    assert len(fake.graphql_queries) == 5 and fake.exports == []
    assert set(stats.read_by.values()) == {"GraphQL"}
    # counts ask for no rows but the server's page size, filtered by site
    assert all(p["site_id"] == ["1"] and p["fields"] == ["id"] for p in fake.counts)
    # GraphQL asks only for the loaded site, and with one site, not for each device's site
    device_q = next(q for q in fake.graphql_queries if "device_list(" in q and "rack_list" not in q)
    assert '{site: {id: {in_list: ["1"]}}}' in device_q and "site {" not in device_q.split("pagination")[1]


def test_with_export_templates_the_large_lists_take_one_request_each(rsps: Any) -> None:
    fake = FakeNetBox(small_dc(), [SITE]).with_templates()
    fake.install(rsps)
    c = client()
    stats = LoadStats()
    by_export = load_snapshot(c, ["dc-kaltim"], stats=stats)
    # sites, the template check, the page-size probe, the small lists (GraphQL), one export per large list
    assert c.requests_made == 1 + 1 + 1 + 1 + 4 and fake.probes == 1
    assert sorted(fake.exports) == sorted(e.name for e in EXPORTS.values()) and fake.counts == []
    assert set(stats.read_by.values()) == {"export template"}
    by_graphql = load_snapshot(client(), ["dc-kaltim"], use_export_templates=False)
    assert by_export.model_dump(exclude={"taken_at"}) == by_graphql.model_dump(exclude={"taken_at"})


def test_an_edited_or_vanished_export_template_is_not_trusted(rsps: Any) -> None:
    fake = FakeNetBox(small_dc(), [SITE]).with_templates()
    edited = next(t for t in fake.templates if t["name"] == EXPORTS["power_ports"].name)
    edited["template_code"] = edited["template_code"].replace("maximum_draw", "allocated_draw")
    fake.install(rsps)
    stats = LoadStats()
    snap = load_snapshot(client(), ["dc-kaltim"], stats=stats)
    assert stats.read_by["power_ports"] == "GraphQL" and stats.read_by["devices"] == "export template"
    web = next(d for d in snap.devices if d.name == "web-1")
    assert [p.maximum_draw for p in web.power_ports] == [450, 450]

    fake.templates = [t for t in fake.templates if t["name"] != EXPORTS["devices"].name]
    fake.templates.append({**export_template_objects()[0], "id": 99, "environment_params": {"autoescape": True}})
    stats = LoadStats()
    load_snapshot(client(), ["dc-kaltim"], stats=stats)
    assert stats.read_by["devices"] == "GraphQL"  # a template rendered with other parameters is not used


def test_export_templates_the_token_may_not_read_are_passed_over_but_a_failing_netbox_stops(rsps: Any) -> None:
    fake = FakeNetBox(small_dc(), [SITE]).with_templates()
    fake.templates_status = 403  # a read-only token without the permission to view them
    fake.install(rsps)
    stats = LoadStats()
    load_snapshot(client(), ["dc-kaltim"], stats=stats)
    assert set(stats.read_by.values()) == {"GraphQL"}
    assert [w.split(" (")[0] for w in stats.warnings] == ["export templates not readable"]
    fake.templates_status = 503  # NetBox failing, through every retry: not a reason to go on
    quick = client()
    quick._sleep = lambda s: None
    with pytest.raises(NetBoxHTTPError) as exc:
        load_snapshot(quick, ["dc-kaltim"])
    assert exc.value.status == 503


def test_ensure_export_templates_creates_them_once(rsps: Any) -> None:
    created: list[dict] = []
    rsps.add(responses.GET, re.compile(rf"{URL}/api/extras/export-templates/.*"),
             json={"count": 0, "next": None, "previous": None, "results": []})
    rsps.add_callback(responses.POST, f"{URL}/api/extras/export-templates/",
                      lambda r: (201, {}, json.dumps([{**o, "id": i + 1} for i, o in
                                                       enumerate(created.extend(json.loads(r.body)) or
                                                                 json.loads(r.body))])))
    report = ensure_export_templates(client())
    assert report.created == 4 and {o["name"] for o in created} == {e.name for e in EXPORTS.values()}
    assert all(o["as_attachment"] is False and o["mime_type"] == "text/plain" for o in created)
    assert all(o["template_code"] == o["template_code"].strip() for o in created)  # NetBox strips

    rsps.replace(responses.GET, re.compile(rf"{URL}/api/extras/export-templates/.*"),
                 json={"count": 4, "next": None, "previous": None,
                       "results": [{**o, "id": i + 1} for i, o in enumerate(created)]})
    again = ensure_export_templates(client())
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)


def test_large_lists_are_paged_concurrently_in_balanced_pages_of_the_granted_size(rsps: Any) -> None:
    dc = small_dc()
    dc["device_list"] += [device(1000 + i, f"srv-{i}", 20, None) for i in range(2495)]  # 2500 devices
    fake = FakeNetBox(dc, [SITE], max_page=1000)  # MAX_PAGE_SIZE 1000, as NetBox's default
    fake.install(rsps)
    stats = LoadStats()
    s = load_snapshot(client(), ["dc-kaltim"], stats=stats)
    assert len(s.devices) == 2498  # 2500 minus the unracked UPS and genset
    pages = sorted((int(m.group(1)), int(m.group(2))) for q in fake.graphql_queries if "device_list(" in q
                   and "rack_list" not in q
                   for m in [re.search(r"offset: (\d+), limit: (\d+)", q)])
    assert pages == [(0, 834), (834, 834), (1668, 834)]  # 3 pages of at most 1000, balanced
    assert stats.page_size == 1000


def test_a_page_shorter_than_asked_is_completed(rsps: Any) -> None:
    dc = small_dc()
    dc["device_list"] += [device(1000 + i, f"srv-{i}", 20, None) for i in range(1495)]  # 1500 devices
    fake = FakeNetBox(dc, [SITE], max_page=5000)
    fake.graphql_cap = 600
    fake.install(rsps)
    s = load_snapshot(client(), ["dc-kaltim"])
    assert len(s.devices) == 1498
    pages = sorted(re.search(r"offset: (\d+), limit: (\d+)", q).groups() for q in fake.graphql_queries
                   if "device_list(" in q and "rack_list" not in q)
    assert [(int(a), int(b)) for a, b in pages] == [(0, 1500), (1200, 300), (600, 900)]


def test_an_unknown_site_is_an_input_error_naming_the_known_ones(rsps: Any) -> None:
    FakeNetBox(small_dc(), [SITE, OTHER]).install(rsps)
    with pytest.raises(InputError, match=r"unknown site 'nowhere' \(known sites: dc-kaltim, drc\)"):
        load_snapshot(client(), ["nowhere"])


def test_site_names_work_too_and_all_sites_need_no_filter(rsps: Any) -> None:
    fake = FakeNetBox(small_dc(), [SITE, OTHER])
    fake.install(rsps)
    s = load_snapshot(client(), ["dc kaltim"])
    assert [x.slug for x in s.sites] == ["dc-kaltim"]
    fake.graphql_queries.clear()
    fake.counts.clear()
    s = load_snapshot(client(), None)
    assert {x.slug for x in s.sites} == {"dc-kaltim", "drc"}
    assert all("site_id" not in p for p in fake.counts)
    assert all("in_list" not in q for q in fake.graphql_queries)
    device_q = next(q for q in fake.graphql_queries if "device_list(" in q and "rack_list" not in q)
    assert "site { id }" in device_q  # several sites: every device says which


def test_what_the_snapshot_cannot_hold_is_left_out_with_a_warning(rsps: Any, caplog: Any) -> None:
    dc = small_dc()
    dc["device_list"][2]["custom_field_data"] = {"rated_va": None}  # the UPS has no capacity
    dc["power_feed_list"][0]["available_power"] = 3000  # stored value disagrees with V x A x util
    dc["power_port_list"][1]["cable"] = ref(999)  # cabled to something not loaded
    dc["device_list"].append(device(50, "pdu-drc", None, None, dtype=11, role=101, site=2))
    dc["power_outlet_list"].append({"id": "777", "name": "x", "feed_leg": None, "device": ref(50),
                                    "power_port": None, "cable": ref(999)})  # a PDU in another site
    fake = FakeNetBox(dc, [SITE])
    fake.install(rsps)
    stats = LoadStats()
    with caplog.at_level("WARNING"):
        s = load_snapshot(client(), ["dc-kaltim"], stats=stats)
    assert s.ups == [] and s.power_panels[0].ups is None
    assert any("UPS UPS-A: custom field rated_va is missing" in w for w in stats.warnings)
    assert any("power panel Panel 1: custom field ups points at 42, not a loaded UPS" in w for w in stats.warnings)
    assert any("Feed A: NetBox's stored available_power 3000 differs from 2944" in w for w in stats.warnings)
    assert any("power port PSU1 (NetBox id 410): its cable 999 leads to no loaded feed or outlet" in w
               for w in stats.warnings)
    web = next(d for d in s.devices if d.name == "web-1")
    assert web.power_ports[0].outlet is None
    assert "rated_va is missing" in caplog.text


def test_progress_is_reported_as_requests_made_out_of_planned(rsps: Any) -> None:
    """The loader reports events; the command line draws them (colo_cli/progress.py)."""
    FakeNetBox(small_dc(), [SITE]).install(rsps)
    events: list[tuple[str, int, int]] = []
    load_snapshot(client(), ["dc-kaltim"], progress=lambda *event: events.append(event))
    assert events[-1] == ("Reading NetBox", 12, 12)
    assert all(what == "Reading NetBox" and 0 <= done < total for what, done, total in events[:-1])
    assert [done for _, done, _ in events] == sorted(done for _, done, _ in events)
    assert TOKEN not in repr(events)


def test_small_lists_longer_than_the_granted_page_are_read_to_the_end(rsps: Any) -> None:
    roomy = FakeNetBox(small_dc(), [SITE]).with_templates()
    roomy.install(rsps)
    expected = load_snapshot(client(), ["dc-kaltim"]).model_dump(exclude={"taken_at"})
    rsps.reset()
    tight = FakeNetBox(small_dc(), [SITE], max_page=2).with_templates()  # MAX_PAGE_SIZE 2
    tight.install(rsps)
    stats = LoadStats()
    snap = load_snapshot(client(), ["dc-kaltim"], stats=stats)
    assert snap.model_dump(exclude={"taken_at"}) == expected
    assert len(snap.devices) == 3 and len(snap.device_types) == 2  # 5 roles, 3 types: beyond one page
    assert stats.page_size == 2
    assert any("device_role_list(" in q and "offset: 4" in q for q in tight.graphql_queries)
