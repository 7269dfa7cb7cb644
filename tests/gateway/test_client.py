"""The NetBox client, bootstrap and writer against a faked HTTP server (`responses`)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from click.testing import CliRunner
from responses import matchers

from inventory.errors import InputError, SourceError
from inventory.netbox.client import auth_header
from inventory.netbox.compare import Contains, same
from inventory.netbox.kinds import Kind, Ref
from inventory.netbox.reconcile import Desired, Plan, Report, apply
from inventory.netbox.settings import NetBoxSettings, settings_from_env_and_file
from tests.support.fake_netbox import LEGACY, STATUS, URL, V2, _bootstrap_server, assert_no_secret, make_client
from tests.support.snapshots import small_dc


# ---------------------------------------------------------------- settings
@pytest.fixture()
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("NETBOX_URL", "NETBOX_TOKEN", "COLO_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_settings_from_env(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETBOX_URL", "https://nb.example.org/")
    monkeypatch.setenv("NETBOX_TOKEN", V2)
    s = settings_from_env_and_file()
    assert (s.url, s.token, s.verify_tls, s.timeout_s) == ("https://nb.example.org", V2, True, 60)
    assert settings_from_env_and_file(insecure=True).verify_tls is False


def test_settings_repr_hides_the_token() -> None:
    s = NetBoxSettings(url=URL, token=V2)
    assert_no_secret(repr(s))
    assert_no_secret(str(s))
    assert "***" in repr(s)


def test_settings_from_config_file_with_token_file(clean_env: Path) -> None:
    (clean_env / "tok").write_text(LEGACY + "\n")
    cfg = clean_env / "c.yaml"
    cfg.write_text("netbox:\n  url: http://nb.local:8000\n  token_file: tok\n  timeout_s: 5\n")
    s = settings_from_env_and_file(cfg)
    assert (s.url, s.token, s.timeout_s) == ("http://nb.local:8000", LEGACY, 5.0)


def test_environment_wins_over_the_file_and_options_over_both(clean_env: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = clean_env / "c.yaml"
    cfg.write_text(f"netbox:\n  url: http://file:8000\n  token: {LEGACY}\n")
    monkeypatch.setenv("NETBOX_URL", "http://env:8000")
    s = settings_from_env_and_file(cfg)
    assert (s.url, s.token) == ("http://env:8000", LEGACY)
    s = settings_from_env_and_file(cfg, url="http://option:1", token=V2)
    assert (s.url, s.token) == ("http://option:1", V2)


def test_missing_settings_name_what_is_missing(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError) as exc:
        settings_from_env_and_file()
    assert "URL and token not set" in str(exc.value) and "NETBOX_URL" in str(exc.value)
    monkeypatch.setenv("NETBOX_URL", URL)
    with pytest.raises(InputError) as exc:
        settings_from_env_and_file()
    assert "NetBox token not set" in str(exc.value)


def test_named_config_file_must_exist_and_unknown_keys_are_errors(clean_env: Path) -> None:
    with pytest.raises(InputError, match="configuration file not found"):
        settings_from_env_and_file(clean_env / "nope.yaml")
    cfg = clean_env / "c.yaml"
    cfg.write_text("netbox:\n  url: http://x\n  tokn: abc\n")
    with pytest.raises(InputError, match="unknown key.*tokn"):
        settings_from_env_and_file(cfg)


# ---------------------------------------------------------------- auth header
@pytest.mark.parametrize("token,expected", [
    (V2, f"Bearer {V2}"),
    (LEGACY, f"Token {LEGACY}"),
])
@responses.activate
def test_token_header_forms(token: str, expected: str) -> None:
    responses.get(f"{URL}/api/status/", json=STATUS,
                  match=[matchers.header_matcher({"Authorization": expected})])
    assert auth_header(token) == expected
    assert make_client(token).check() == "4.7.3"


# ---------------------------------------------------------------- errors
@responses.activate
def test_connection_refused_says_not_reachable_and_what_to_do() -> None:
    responses.get(f"{URL}/api/status/", body=requests.exceptions.ConnectionError(
        "HTTPConnectionPool(host='netbox.test', port=80): Max retries exceeded "
        "(Caused by NewConnectionError('Failed to establish a new connection: [Errno 111] Connection refused'))"))
    client = make_client()
    with pytest.raises(SourceError) as exc:
        client.check()
    text = str(exc.value)
    assert text.startswith(f"NetBox at {URL} is not reachable: connection refused")
    assert "scripts/netbox-sandbox up" in text
    assert "\n" not in text
    assert len(responses.calls) == 2  # one quick retry, no more


@responses.activate
def test_dns_failure() -> None:
    responses.get(f"{URL}/api/status/", body=requests.exceptions.ConnectionError(
        "Failed to resolve 'netbox.test' ([Errno -2] Name or service not known)"))
    with pytest.raises(SourceError, match="not reachable: host name not found"):
        make_client().check()


@responses.activate
def test_timeouts_are_retried_with_backoff_then_reported() -> None:
    responses.get(f"{URL}/api/dcim/sites/", body=requests.exceptions.ReadTimeout("read timed out"))
    client = make_client(timeout_s=7)
    with pytest.raises(SourceError) as exc:
        client.get_json("dcim/sites")
    assert "did not answer GET /api/dcim/sites/ within 7 s (4 tries)" in str(exc.value)
    assert len(responses.calls) == 4 and client.requests_made == 4
    assert client.sleeps == [0.5, 1.0, 2.0]  # type: ignore[attr-defined]


@responses.activate
def test_5xx_on_reads_is_retried_and_then_succeeds() -> None:
    responses.get(f"{URL}/api/dcim/racks/", status=502, body="Bad Gateway")
    responses.get(f"{URL}/api/dcim/racks/", status=503, body="Unavailable")
    responses.get(f"{URL}/api/dcim/racks/", json={"count": 0, "results": []})
    client = make_client()
    assert client.get_json("dcim/racks") == {"count": 0, "results": []}
    assert len(responses.calls) == 3 and client.requests_made == 3
    assert client.sleeps == [0.5, 1.0]  # type: ignore[attr-defined]


@responses.activate
def test_5xx_that_persists_is_one_line_error() -> None:
    responses.get(f"{URL}/api/dcim/racks/", status=500, json={"detail": "boom"})
    client = make_client()
    with pytest.raises(SourceError) as exc:
        client.get_json("dcim/racks")
    assert "NetBox failed on GET /api/dcim/racks/ (HTTP 500: boom)" in str(exc.value)
    assert len(responses.calls) == client.max_attempts == 4


@responses.activate
def test_writes_are_not_retried() -> None:
    responses.post(f"{URL}/api/dcim/sites/", status=503, body="Unavailable")
    client = make_client()
    with pytest.raises(SourceError):
        client.write("post", "dcim/sites", [{"name": "x", "slug": "x"}])
    assert len(responses.calls) == 1


@responses.activate
def test_graphql_reads_are_retried_and_errors_raised() -> None:
    responses.post(f"{URL}/graphql/", status=502, body="Bad Gateway")
    responses.post(f"{URL}/graphql/", json={"data": {"site_list": [{"id": "1"}]}})
    client = make_client()
    assert client.graphql("{ site_list { id } }") == {"site_list": [{"id": "1"}]}
    assert len(responses.calls) == 2
    responses.post(f"{URL}/graphql/", json={"data": None, "errors": [{"message": "Cannot query field 'x'"}]})
    with pytest.raises(SourceError, match="GraphQL query failed: Cannot query field 'x'"):
        client.graphql("{ x }")


@pytest.mark.parametrize("status,body", [
    (404, "<html>Not Found</html>"),
    (200, "<html><body>Welcome to nginx</body></html>"),
])
@responses.activate
def test_wrong_url_does_not_look_like_netbox(status: int, body: str) -> None:
    responses.get(f"{URL}/api/status/", status=status, body=body, content_type="text/html")
    with pytest.raises(SourceError, match="does not look like a NetBox API"):
        make_client().check()


@responses.activate
def test_refused_token_names_the_token_and_never_shows_it(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    responses.get(f"{URL}/api/status/", status=403, json={"detail": "Invalid v2 token"})
    with pytest.raises(SourceError) as exc:
        make_client().check()
    text = str(exc.value)
    assert text.startswith("NetBox refused the token (HTTP 403: Invalid v2 token)")
    assert "NETBOX_TOKEN" in text
    assert_no_secret(text)
    assert_no_secret(caplog.text)
    assert len(responses.calls) == 1  # no retry on a refusal


@responses.activate
def test_missing_permission_is_told_apart_from_a_bad_token() -> None:
    responses.post(f"{URL}/api/dcim/sites/", status=403,
                   json={"detail": "You do not have permission to perform this action."})
    with pytest.raises(SourceError) as exc:
        make_client().write("post", "dcim/sites", [{}])
    assert "NetBox denied POST /api/dcim/sites/ (HTTP 403" in str(exc.value)
    assert "permission" in str(exc.value)


@pytest.mark.parametrize("version", ["4.1.9", "3.7.8"])
@responses.activate
def test_too_old_netbox(version: str) -> None:
    responses.get(f"{URL}/api/status/", json={"netbox-version": version})
    with pytest.raises(SourceError) as exc:
        make_client().check()
    assert f"is version {version}; colo needs NetBox 4.2 or later" in str(exc.value)


@responses.activate
def test_no_error_or_log_ever_contains_the_token(caplog: pytest.LogCaptureFixture) -> None:
    """Every mapped failure, with the token echoed back by a hostile server."""
    caplog.set_level(logging.DEBUG)
    echoed = {"detail": f"bad token {V2}"}
    responses.get(f"{URL}/api/a/", status=401, json=echoed)
    responses.get(f"{URL}/api/b/", status=400, json=echoed)
    responses.get(f"{URL}/api/c/", status=500, json=echoed)
    responses.get(f"{URL}/api/d/", body=requests.exceptions.ConnectionError("Connection refused"))
    responses.post(f"{URL}/graphql/", json={"errors": [{"message": f"no {V2}"}]})
    client = make_client()
    messages = []
    for call in (lambda: client.get_json("a"), lambda: client.get_json("b"), lambda: client.get_json("c"),
                 lambda: client.get_json("d"), lambda: client.graphql("{ x }")):
        with pytest.raises(SourceError) as exc:
            call()
        messages.append(str(exc.value))
    for text in messages + [caplog.text, repr(client)]:
        assert_no_secret(text)


# ---------------------------------------------------------------- pagination
@responses.activate
def test_get_all_reads_the_count_then_the_other_pages() -> None:
    def page(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        from urllib.parse import parse_qs, urlsplit
        q = parse_qs(urlsplit(request.url).query)
        offset, limit = int(q["offset"][0]), int(q["limit"][0])
        assert q["fields"] == ["id,name"]
        ids = range(offset + 1, min(offset + limit, 2500) + 1)
        return 200, {}, json.dumps({"count": 2500, "results": [{"id": i, "name": f"r{i}"} for i in ids]})

    responses.add_callback(responses.GET, f"{URL}/api/dcim/racks/", callback=page)
    client = make_client()
    racks = client.get_all("dcim/racks", {"fields": "id,name"})
    assert [r["id"] for r in racks] == list(range(1, 2501))
    assert client.requests_made == 3  # offsets 0, 1000, 2000


@responses.activate
def test_get_all_follows_a_smaller_server_page_size() -> None:
    def page(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        from urllib.parse import parse_qs, urlsplit
        q = parse_qs(urlsplit(request.url).query)
        offset = int(q["offset"][0])
        ids = range(offset + 1, min(offset + 250, 600) + 1)  # server caps at 250 (MAX_PAGE_SIZE)
        return 200, {}, json.dumps({"count": 600, "results": [{"id": i} for i in ids]})

    responses.add_callback(responses.GET, f"{URL}/api/dcim/devices/", callback=page)
    client = make_client()
    assert [d["id"] for d in client.get_all("/api/dcim/devices/")] == list(range(1, 601))
    assert client.requests_made == 3


# ---------------------------------------------------------------- writer engine
RACKS = Kind("rack", "dcim/racks", ("name",), ("name", "u_height"))


def test_same_compares_netbox_representations() -> None:
    assert same(5, {"id": 5, "display": "x"})
    assert same("front", {"value": "front", "label": "Front"})
    assert same(1, 1.0) and not same(1, 2)
    assert same(None, "") and not same(0, None)
    assert same({"a": 1}, {"a": 1, "b": 2}) and not same({"a": 1}, {"a": 2})
    assert same(Contains(["dcim.device"]), ["dcim.device", "dcim.rack"])
    assert not same(["dcim.device"], ["dcim.device", "dcim.rack"])


@responses.activate
def test_sync_creates_missing_updates_changed_and_leaves_the_rest() -> None:
    responses.post(f"{URL}/api/dcim/racks/", json=[{"id": 11}, {"id": 12}],
                   match=[matchers.json_params_matcher([
                       {"tags": ["t"], "name": "R2", "u_height": 42},
                       {"tags": ["t"], "name": "R3", "u_height": 48}])])
    responses.patch(f"{URL}/api/dcim/racks/", json=[{"id": 1}],
                    match=[matchers.json_params_matcher([{"id": 1, "u_height": 45}])])
    existing = [{"id": 1, "name": "R1", "u_height": 42.0}, {"id": 4, "name": "R4", "u_height": 42.0}]
    desired = [Desired("R1", "R1", {"name": "R1", "u_height": 45}, {"tags": ["t"]}),
               Desired("R2", "R2", {"name": "R2", "u_height": 42}, {"tags": ["t"]}),
               Desired("R3", "R3", {"name": "R3", "u_height": 48}, {"tags": ["t"]}),
               Desired("R4", "R4", {"name": "R4", "u_height": 42}, {"tags": ["t"]})]
    plan = Plan("load", bulk=True)
    ids = plan.reconcile(RACKS, desired, existing)
    outcome = apply(plan, make_client())
    assert outcome.resolve(ids) == {"R1": 1, "R2": 11, "R3": 12, "R4": 4}
    t = Report.of(plan.changes).kind("rack")
    assert (t.created, t.updated, t.unchanged) == (2, 1, 1)
    assert len(responses.calls) == 2  # one bulk POST, one bulk PATCH


@responses.activate
def test_a_plan_writes_nothing_and_refers_to_what_it_creates() -> None:
    plan = Plan("load", bulk=True)
    ids = plan.reconcile(Kind("site", "dcim/sites", ("slug",), ("slug",)),
                         [Desired("a", "a", {"slug": "a"}), Desired("b", "b", {"slug": "b"})], [{"id": 3, "slug": "b"}])
    assert isinstance(ids["a"], Ref) and ids["b"] == 3
    assert len(responses.calls) == 0
    report = Report.of(plan.changes, dry_run=True)
    assert report.summary("load") == "load: 1 would create, 0 would update, 1 unchanged (dry run: nothing written)"


@responses.activate
def test_a_refused_bulk_write_names_the_type_the_object_and_the_rerun() -> None:
    responses.post(f"{URL}/api/dcim/devices/", status=400,
                   json=[{}, {"position": ["U10 is already occupied"]}])
    desired = [Desired("a", "srv-a", {"name": "srv-a"}), Desired("b", "srv-b", {"name": "srv-b"})]
    plan = Plan("load", bulk=True)
    plan.reconcile(Kind("device", "dcim/devices", ("name",), ("name",)), desired, [])
    with pytest.raises(SourceError) as exc:
        apply(plan, make_client())
    text = str(exc.value)
    assert text.startswith("device: NetBox refused creating srv-b (HTTP 400: position: U10 is already occupied)")
    assert "continues idempotently" in text


# ---------------------------------------------------------------- bootstrap
@responses.activate
def test_bootstrap_twice_second_run_changes_nothing() -> None:
    from inventory.netbox.bootstrap import bootstrap
    from inventory.netbox.conventions import CUSTOM_FIELDS

    state: dict[str, list[dict[str, Any]]] = {}
    _bootstrap_server(state)
    client = make_client()
    dry = bootstrap(client, dry_run=True)
    # 19 + 1 choice set + 28 fields (10 of them the engineering inputs of issue 12) + the
    # loader's 4 export templates
    assert dry.created == 52 and not state.get("extras/custom-fields")
    first = bootstrap(client)
    assert (first.created, first.updated, first.unchanged) == (52, 0, 0)
    cfs = {c["name"]: c for c in state["extras/custom-fields"]}
    assert len(cfs) == len(CUSTOM_FIELDS) == 28
    assert cfs["cooling_kw"]["object_types"] == ["dcim.location", "dcim.rack"]
    assert cfs["power_factor"]["object_types"] == ["dcim.devicetype"]
    assert cfs["ups"]["object_types"] == ["dcim.powerpanel"] and cfs["ups"]["related_object_type"] == "dcim.device"
    assert cfs["colocation_type"]["choice_set"] == state["extras/custom-field-choice-sets"][0]["id"]
    assert cfs["nip"]["object_types"] == ["tenancy.contact"]
    second = bootstrap(client)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 52)


@responses.activate
def test_bootstrap_adds_its_object_type_to_an_existing_field_and_refuses_a_wrong_type() -> None:
    from inventory.netbox.bootstrap import bootstrap

    state: dict[str, list[dict[str, Any]]] = {"extras/custom-fields": [
        {"id": 900, "name": "domain", "type": {"value": "text"}, "object_types": ["dcim.rack"]}]}
    _bootstrap_server(state)
    report = bootstrap(make_client())
    domain = next(c for c in state["extras/custom-fields"] if c["name"] == "domain")
    assert sorted(domain["object_types"]) == ["dcim.device", "dcim.rack", "virtualization.virtualmachine"]
    assert ("updated custom field domain (dcim.device, virtualization.virtualmachine, text): object_types"
            in report.kind("custom field").lines)

    state2: dict[str, list[dict[str, Any]]] = {"extras/custom-fields": [
        {"id": 901, "name": "rated_va", "type": {"value": "text"}, "object_types": ["dcim.device"]}]}
    responses.reset()
    _bootstrap_server(state2)
    with pytest.raises(SourceError, match="custom field 'rated_va' exists as type 'text', expected integer"):
        bootstrap(make_client())
    assert [c["name"] for c in state2["extras/custom-fields"]] == ["rated_va"]  # nothing written


# ---------------------------------------------------------------- CLI errors
@responses.activate
def test_cli_prints_one_error_line_and_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    from colo_cli.main import cli

    monkeypatch.setenv("NETBOX_URL", URL)
    monkeypatch.setenv("NETBOX_TOKEN", V2)
    responses.get(f"{URL}/api/status/", status=403, json={"detail": "Invalid v2 token"})
    result = CliRunner().invoke(cli, ["netbox", "bootstrap"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: NetBox refused the token (HTTP 403")
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert_no_secret(result.output)


# ---------------------------------------------------------------- load, offline dry run
@responses.activate
def test_dry_run_load_into_an_empty_netbox_plans_every_object_and_writes_nothing() -> None:
    import re

    from inventory.netbox.writer import load_snapshot_into_netbox

    responses.get(f"{URL}/api/authentication-check/", json={"id": 1, "username": "admin"})
    responses.get(re.compile(URL + r"/api/.*"), json={"count": 0, "results": []})
    report = load_snapshot_into_netbox(make_client(), small_dc("x1"), dry_run=True)
    created = {t.kind: t.created for t in report.types}
    # counted by hand from small_dc: 4 servers/PDU/host + half-U device = 5 devices; ports: PDU inlet,
    # srv-1 PSU1+PSU2, srv-2 PSU1; cables: feed A->PDU, o1->srv-1, o2->srv-2, feed B->srv-1.
    # Its roles (pdu, server, hypervisor, ups, genset; rack role colocation), cluster type and
    # circuit type are conventions: the plan's bootstrap part creates them, the load reuses them
    # (as a real run does; the dry run used to count them twice)
    assert created == {
        "conventions (bootstrap)": 52, "site": 1, "location": 1, "tenant group": 1, "tenant": 1,
        "rack role": 0, "rack": 2, "manufacturer": 2, "device type": 6, "device role": 0,
        "cluster type": 0, "cluster": 1, "genset": 1, "UPS": 1, "device": 5, "rack reservation": 1,
        "power panel": 1, "power feed": 2, "power port": 4, "power outlet": 2, "cable": 4,
        "provider": 1, "circuit type": 0, "circuit": 1, "circuit termination": 1, "virtual machine": 1}
    assert {t.kind: t.unchanged for t in report.types if t.kind.endswith(("role", "type"))} == {
        "rack role": 1, "device type": 0, "device role": 5, "cluster type": 1, "circuit type": 1}
    assert all(call.request.method == "GET" for call in responses.calls)


@responses.activate
def test_a_load_netbox_refuses_midway_says_what_and_carries_what_it_wrote() -> None:
    import re

    from inventory.errors import NetBoxHTTPError
    from inventory.netbox.writer import load_snapshot_into_netbox

    ids = iter(range(1, 10_000))

    def created(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        objects = json.loads(request.body or "[]")
        if request.path_url.startswith("/api/dcim/devices/") and len(objects) > 1:  # the servers, not UPS/genset
            return 400, {}, json.dumps([{"position": ["U10 is already occupied"]} if o.get("position") == 10 else {}
                                        for o in objects])
        return 201, {}, json.dumps([{**o, "id": next(ids)} for o in objects])

    responses.get(f"{URL}/api/authentication-check/", json={"id": 1, "username": "admin"})
    responses.get(re.compile(URL + r"/api/.*"), json={"count": 0, "results": []})
    responses.add_callback(responses.POST, re.compile(URL + r"/api/.*"), callback=created)
    with pytest.raises(NetBoxHTTPError) as exc:
        load_snapshot_into_netbox(make_client(), small_dc("p1"))
    assert str(exc.value).startswith("device: NetBox refused creating srv-1-p1 (HTTP 400: position: U10 is already "
                                     "occupied) (objects written before this step stay in NetBox")
    assert exc.value.status == 400 and exc.value.body[1] == {"position": ["U10 is already occupied"]}
    written = {t.kind: t.created for t in exc.value.partial.types}
    # what came before the devices was written, as the load's report counts it; no device, port or cable
    assert written["conventions (bootstrap)"] == 52
    assert (written["site"], written["rack"], written["genset"], written["UPS"]) == (1, 2, 1, 1)
    assert not {"device", "power port", "cable"} & set(written)


@responses.activate
def test_a_load_reports_its_writes_as_progress_events() -> None:
    import re

    from inventory.netbox.writer import load_snapshot_into_netbox

    ids = iter(range(1, 10_000))

    def created(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        return 201, {}, json.dumps([{**o, "id": next(ids)} for o in json.loads(request.body or "[]")])

    responses.get(f"{URL}/api/authentication-check/", json={"id": 1, "username": "admin"})
    responses.get(re.compile(URL + r"/api/.*"), json={"count": 0, "results": []})
    responses.add_callback(responses.POST, re.compile(URL + r"/api/.*"), callback=created)
    events: list[tuple[str, int, int]] = []
    report = load_snapshot_into_netbox(make_client(), small_dc("g1"), progress=lambda *event: events.append(event))
    total = sum(t.created + t.updated for t in report.types)
    assert events[-1] == ("Writing into NetBox", total, total)
    assert {what for what, _, _ in events[:-1]} >= {"Writing into NetBox: device", "Writing into NetBox: cable"}
    assert [done for _, done, _ in events] == sorted(done for _, done, _ in events)


@responses.activate
def test_cables_are_written_in_waves_down_the_pdu_chain() -> None:
    """feed -> PDU1 -> PDU2 -> server: NetBox traces a cable's power path through the cables
    committed before it, so the feed's cable is written first, then the cables on PDU1's
    outlets, then those on PDU2's, each wave in requests of its own (within a wave, two
    requests at a time)."""
    import re

    from inventory.netbox.writer import load_snapshot_into_netbox
    from tests.support.power_data import ab_feeds, pdu, port, server, snap

    snapshot = snap([
        pdu("PDU1", {"in": port("in", feed="R1-A")}, {"o1": "in", "o2": "in"}),
        pdu("PDU2", {"in": port("in", outlet=("PDU1", "o1"))}, {"o1": "in"}),
        server("srv", port("psu1", outlet=("PDU2", "o1"), alloc=100), port("psu2", outlet=("PDU1", "o2"), alloc=100),
               position=10),
    ], ab_feeds())
    ids = iter(range(1, 10_000))
    device_name: dict[int, str] = {}
    outlet_device: dict[int, str] = {}
    cable_requests: list[list[str]] = []  # per cable request: the device of each cable's A side outlet, or "feed"

    def created(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        rows = [{**o, "id": next(ids)} for o in json.loads(request.body or "[]")]
        path = request.path_url
        for row in rows:
            if path.startswith("/api/dcim/devices/"):
                device_name[row["id"]] = row["name"]
            elif path.startswith("/api/dcim/power-outlets/"):
                outlet_device[row["id"]] = device_name[row["device"]]
        if path.startswith("/api/dcim/cables/"):
            cable_requests.append([
                "feed" if a["object_type"] == "dcim.powerfeed" else outlet_device[a["object_id"]]
                for a in (row["a_terminations"][0] for row in rows)])
        return 201, {}, json.dumps(rows)

    responses.get(f"{URL}/api/authentication-check/", json={"id": 1, "username": "admin"})
    responses.get(re.compile(URL + r"/api/.*"), json={"count": 0, "results": []})
    responses.add_callback(responses.POST, re.compile(URL + r"/api/.*"), callback=created)
    load_snapshot_into_netbox(make_client(), snapshot)
    assert cable_requests == [["feed"], ["PDU1", "PDU1"], ["PDU2"]]


def test_validation_lists_what_netbox_would_refuse_before_any_write() -> None:
    from inventory.netbox.snapshot_checks import validate_for_netbox

    snap = small_dc("v1")
    snap.devices[2].position, snap.devices[2].face = 10.0, "front"  # 2U over srv-1's U10
    snap.devices[3].position = 23.5  # 0.5U at U23.5 of a 24U rack: fits, below the host
    snap.devices[4].position = 24.0  # 1U host at U24, the top unit of R2: fits
    snap.devices[1].power_ports[0].allocated_draw = 500  # above its maximum of 450
    snap.reservations[0].units = [42, 43]
    snap.devices[1].custom_fields["colour"] = "red"
    with pytest.raises(InputError) as exc:
        validate_for_netbox(snap, {"domain", "request_id", "bandwidth_mbps"})
    text = str(exc.value)
    assert "devices 'srv-1-v1' and 'srv-2-v1' overlap in rack 'R1'" in text
    assert "allocated draw 500 W exceeds maximum draw 450 W" in text
    assert "units [43] are outside rack 'R1'" in text
    assert "custom field 'colour' is not defined in NetBox" in text
    assert "half-v1" not in text and "host-v1" not in text
    snap.devices[4].position = 24.5
    with pytest.raises(InputError, match=r"device 'host-v1': U24.5 \(1U\) does not fit rack 'R2' \(U1-U24\)"):
        validate_for_netbox(snap)


@responses.activate
def test_a_connection_dropped_midway_is_not_called_unreachable() -> None:
    responses.post(f"{URL}/api/dcim/devices/", body=requests.exceptions.ConnectionError(
        "('Connection aborted.', RemoteDisconnected('Remote end closed connection without response'))"))
    with pytest.raises(SourceError) as exc:
        make_client().write("post", "dcim/devices", [{}])
    assert str(exc.value).startswith(
        f"NetBox at {URL} dropped the connection during POST /api/dcim/devices/ (connection closed by the server)")
    assert len(responses.calls) == 1  # a write is never repeated


@responses.activate
def test_writes_use_a_fresh_connection_and_reads_keep_alive() -> None:
    responses.get(f"{URL}/api/dcim/sites/", json={"count": 0, "results": []})
    responses.post(f"{URL}/api/dcim/sites/", json=[{"id": 1}], status=201)
    client = make_client()
    client.get_json("dcim/sites")
    client.write("post", "dcim/sites", [{"name": "a", "slug": "a"}])
    assert responses.calls[0].request.headers.get("Connection") != "close"
    assert responses.calls[1].request.headers["Connection"] == "close"
    assert client.requests_made == 2


MANUFACTURERS = Kind("manufacturer", "dcim/manufacturers", ("slug",), ("slug",))


@responses.activate
def test_an_object_created_meanwhile_by_another_writer_is_found_on_a_second_plan() -> None:
    from inventory.netbox.reconcile import retry_on_concurrent_change

    # first read: no manufacturer; our POST loses the race; second read: it is there
    responses.get(f"{URL}/api/dcim/manufacturers/", json={"count": 0, "results": []})
    responses.post(f"{URL}/api/dcim/manufacturers/", status=400,
                   json=[{"slug": ["Manufacturer with this Slug already exists."]}])
    responses.get(f"{URL}/api/dcim/manufacturers/", json={"count": 1, "results": [{"id": 7, "slug": "dell"}]})
    client = make_client()
    seen: list[dict[Any, int]] = []

    def attempt() -> Report:
        plan = Plan("load", bulk=True)
        existing = client.get_all("dcim/manufacturers")
        ids = plan.reconcile(MANUFACTURERS, [Desired("dell", "Dell", {"slug": "dell"}, {"name": "Dell"})], existing)
        outcome = apply(plan, client)
        seen.append(outcome.resolve(ids))
        return Report.of(plan.changes)

    messages: list[str] = []
    report = retry_on_concurrent_change(attempt, messages.append)
    assert seen == [{"dell": 7}]
    assert (report.created, report.unchanged) == (0, 1)
    assert messages == ["NetBox changed while writing (another writer created the same objects): planning again"]


@responses.activate
def test_other_refusals_are_not_retried() -> None:
    from inventory.netbox.reconcile import retry_on_concurrent_change

    responses.post(f"{URL}/api/dcim/devices/", status=400, json=[{"position": ["U10 is already occupied"]}])
    calls = []

    def attempt() -> Report:
        calls.append(1)
        plan = Plan("load", bulk=True)
        plan.reconcile(Kind("device", "dcim/devices", ("name",), ("name",)), [Desired("a", "a", {"name": "a"})], [])
        apply(plan, make_client())
        return Report()

    with pytest.raises(SourceError, match="already occupied"):
        retry_on_concurrent_change(attempt, None)
    assert calls == [1]
