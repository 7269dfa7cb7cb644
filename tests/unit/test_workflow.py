"""The state machine through the CLI: order enforced, times recorded, step 3 runs the
capacity check on a small hand-built data centre, approval commits capacity, rejection,
cancellation and lapse release it, `list` and `status` show the SLA."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from click.testing import CliRunner

from colo_cli.register_cmds import register
from colo_cli.request_cmds import request
from inventory.files import load_snapshot
from capacity.engine import compute_capacity
from inventory.model import Cluster, Device, PowerPort, Site, Snapshot, VirtualMachine
from playbooks.commitments import (
    HOSTING,
    apply_commitments,
    committed_capacity,
    registered_parts,
    request_commitments,
    reserved_units,
)
from playbooks.config import WorkflowConfig
from playbooks.request_model import Request
from playbooks.states import expected_next, resolve_action
from tests.support.request_data import DRAFT, SAMPLE
from tests.support.request_data import DRAFT_3U, REGISTER_DC
from tests.support.workflow import load, new, run, step

WITA = ZoneInfo("Asia/Makassar")


def test_resolve_action_names_numbers_and_aliases() -> None:
    assert resolve_action("5").state == "approved"
    assert resolve_action("approve").step == 5
    assert resolve_action("capacity_checked").step == 3
    assert resolve_action("persetujuan").state == "approved"
    assert resolve_action("reject").state == "rejected"
    assert expected_next("form_submitted").key == "approve"


def test_out_of_order_step_is_refused_and_file_unchanged(env: dict[str, Path]) -> None:
    rid = new(env)
    path = env["requests"] / f"{rid}.yaml"
    before = path.read_bytes()
    result = step(rid, "approve", "2026-11-30T08:05", code=2)
    assert result.output == (
        "Error: REQ-2026-0001 is at submitted; the next step is step 2 (disposition), not step 5 "
        "(approve); run `colo request advance REQ-2026-0001 2` first\n")
    assert path.read_bytes() == before


def test_step_before_previous_time_is_refused(env: dict[str, Path]) -> None:
    rid = new(env)
    result = step(rid, "2", "2026-11-30T07:59", code=2)
    assert result.output == ("Error: --at 2026-11-30T07:59:00+08:00 is before the previous step "
                             "(submitted at 2026-11-30T08:00:00+08:00)\n")


def test_future_time_and_unknown_step_are_refused(env: dict[str, Path]) -> None:
    rid = new(env)
    assert step(rid, "2", "2027-01-05T08:00", code=2).output == \
        "Error: --at 2027-01-05T08:00:00+08:00 is in the future\n"
    result = step(rid, "launch", "2026-11-30T08:05", code=2)
    assert result.output.startswith("Error: unknown step 'launch'; steps: 2 disposition, 3 check,")


def test_full_path_with_capacity_commitment_and_sla(env: dict[str, Path]) -> None:
    rid = new(env)
    letter = env["root"] / "disposisi.pdf"
    letter.write_bytes(b"%PDF-1.4 disposition")
    out = step(rid, "disposition", "2026-11-30T08:10", "--document", str(letter)).output
    assert out == ("REQ-2026-0001: step 2 disposition recorded; state dispositioned\n"
                   "next: step 3 (check): colo request advance REQ-2026-0001 3 --by NAME\n")
    out = step(rid, "3", "2026-11-30T08:40").output
    assert out.splitlines()[0] == (
        f"capacity: available (file {env['dc']}); placement: dinkes-app-01 -> R01 U3 front")
    rf = load(env, rid)
    assert rf.request.capacity_check is not None and rf.request.capacity_check.fits
    sp = rf.request.placement.servers[0]
    assert (sp.rack, sp.position, sp.face, sp.feeds) == ("R01", 3, "front", ["R01-A", "R01-B"])
    assert rf.request.history[1].document == "documents/REQ-2026-0001/disposisi.pdf"
    assert (env["requests"] / "documents/REQ-2026-0001/disposisi.pdf").read_bytes() == letter.read_bytes()
    assert rf.request.history[2].document == "documents/REQ-2026-0001/capacity-check.json"

    # nothing committed before approval
    assert committed_capacity(env["requests"], now=datetime(2026, 11, 30, 9, tzinfo=WITA)) == []
    step(rid, "form", "2026-11-30T09:00")
    out = step(rid, "approve", "2026-11-30T09:10").output
    assert "capacity committed until installation (or rejection, cancellation, lapse)" in out
    commitments = committed_capacity(env["requests"], now=datetime(2026, 11, 30, 10, tzinfo=WITA))
    assert [(c.request_id, c.rack, c.feeds, c.draw_va, c.bandwidth_mbps) for c in commitments] == [
        ("REQ-2026-0001", "R01", ["R01-A", "R01-B"], 350, 100)]
    snap = apply_commitments(load_snapshot(env["dc"]), env["requests"],
                             now=datetime(2026, 11, 30, 10, tzinfo=WITA))
    assert [(r.rack, r.units) for r in snap.reservations] == [("R01", [3, 4, 5])]
    assert snap.reservations[0].description.startswith("REQ-2026-0001: Dinas Kesehatan")

    step(rid, "notify", "2026-11-30T09:20")
    step(rid, "deliver", "2026-12-01T10:00", "--serial", "dinkes-app-01=SN-123")
    result = step(rid, "install", "2026-12-02T09:00")
    assert "committed capacity released (installed: the device replaces the reservation)" in result.output
    assert committed_capacity(env["requests"], now=datetime(2026, 12, 2, 10, tzinfo=WITA)) == []
    step(rid, "complete", "2026-12-02T09:10")
    rf = load(env, rid)
    assert rf.request.state == "completed"
    assert rf.request.servers[0].serial == "SN-123"
    assert [t.step for t in rf.request.history] == list(range(1, 10))

    status = run("status", rid).output
    table = status[status.index("STEP  STATE"):].splitlines()
    assert table[:10] == [
        "STEP  STATE             BY         AT                ELAPSED    STANDARD   SIDE         ON TIME  DOCUMENT",
        "1     submitted         clerk      2026-11-30 08:00  -          -          -            -        -",
        "2     dispositioned     Admin TIK  2026-11-30 08:10  10m        15m        data centre  yes      "
        "documents/REQ-2026-0001/disposisi.pdf",
        "3     capacity_checked  Admin TIK  2026-11-30 08:40  30m        1h 00m     data centre  yes      "
        "documents/REQ-2026-0001/capacity-check.json",
        # the agency took 20 minutes for a 15-minute step
        "4     form_submitted    Admin TIK  2026-11-30 09:00  20m        15m        agency       OVERDUE  -",
        "5     approved          Admin TIK  2026-11-30 09:10  10m        15m        data centre  yes      -",
        "6     notified          Admin TIK  2026-11-30 09:20  10m        15m        data centre  yes      -",
        # Mon 09:20-16:00 (6h40) + Tue 08:00-10:00 (2h) = 8h40 against one working day (8h)
        "7     delivered         Admin TIK  2026-12-01 10:00  1d 0h 40m  1d 0h 00m  agency       OVERDUE  -",
        # Tue 10:00-16:00 (6h) + Wed 08:00-09:00 (1h) = 7h
        "8     installed         Admin TIK  2026-12-02 09:00  7h 00m     1d 0h 00m  data centre  yes      -",
        "9     completed         Admin TIK  2026-12-02 09:10  10m        15m        data centre  yes      -",
    ]
    # Mon 08:00 -> Wed 09:10: 8h + 8h + 1h10 = 17h10 (2d 1h 10m) of 32h; agency 20m + 8h40 = 9h,
    # data centre 10+30+10+10+7h+10 min = 8h10; over the standards: agency 5m + 40m
    assert table[11:] == [
        "total: 2d 1h 10m of 4d 0h 00m working time; agency 1d 1h 00m, data centre 1d 0h 10m",
        "delay on the agency's side (over the standards: agency 45m, data centre 0m)",
    ]


def test_registered_server_replaces_its_commitment_before_step_8(env: dict[str, Path]) -> None:
    # `colo request apply` creates the device in NetBox; step 8 is recorded later. In
    # between, the device counts and its commitment must not: the draw counts once.
    rid = new(env)
    for name, at in (("disposition", "2026-11-30T08:10"), ("3", "2026-11-30T08:40"),
                     ("form", "2026-11-30T09:00"), ("approve", "2026-11-30T09:10")):
        step(rid, name, at)
    now = datetime(2026, 11, 30, 10, tzinfo=WITA)
    source = load_snapshot(env["dc"])
    held = apply_commitments(source, env["requests"], now=now)
    assert [c.draw_va for c in held.commitments] == [350]

    def with_device(request_id: str) -> Snapshot:
        device = Device(
            name="dinkes-app-01", device_type="hpe-dl380", site="dc-kaltim", rack="R01",
            position=3, face="front", custom_fields={"request_id": request_id},
            power_ports=[PowerPort(name="PSU1", allocated_draw=175, feed="R01-A"),
                         PowerPort(name="PSU2", allocated_draw=175, feed="R01-B")])
        return source.model_copy(update={"devices": source.devices + [device]})

    registered = apply_commitments(with_device(rid), env["requests"], now=now)
    assert registered.commitments == []
    loads = {k: f.load_w for k, f in compute_capacity(held).feeds.items()}  # draw in W
    assert {k: f.load_w for k, f in compute_capacity(registered).feeds.items()} == loads
    assert loads == {"R01-A": 300 + 175, "R01-B": 300 + 175}
    # the units stay held until step 8 (NetBox's reservation is deleted then)
    assert [r.units for r in registered.reservations] == [[3, 4, 5]]

    # a device of the same name registered for another request replaces nothing
    other = apply_commitments(with_device("REQ-2026-0999"), env["requests"], now=now)
    assert [c.draw_va for c in other.commitments] == [350]


def test_registered_vm_replaces_the_hosting_commitment() -> None:
    req = Request.model_validate({**yaml.safe_load(SAMPLE), "hosting": {
        "vcpus": 4, "memory_gb": 8, "disk_gb": 100, "cluster": "C1"}})
    snap = Snapshot(sites=[Site(name="s1")], clusters=[Cluster(name="C1", site="s1", vms=[
        VirtualMachine(name="app", vcpus=4, memory_mb=8192, disk_gb=100, request_id=req.id),
        VirtualMachine(name="other", vcpus=2, request_id="REQ-2026-0999")])])
    parts = registered_parts(snap, {req.id})
    assert parts == {req.id: frozenset({HOSTING})}
    assert [c.vcpus for c in request_commitments(req)] == [4]
    assert [c.vcpus for c in request_commitments(req, parts[req.id])] == []


def test_not_available_rejects(env: dict[str, Path]) -> None:
    rid = new(env, DRAFT.replace("    u_height: 1\n", "    u_height: 5\n"))
    step(rid, "2", "2026-11-30T08:10")
    result = step(rid, "3", "2026-11-30T08:40")
    lines = result.output.splitlines()
    assert lines[0] == f"capacity: NOT available (file {env['dc']}); the request is rejected"
    assert lines[1].startswith("  space: ")
    assert lines[-1] == "REQ-2026-0001: step 3 check recorded; state rejected"
    req = load(env, rid).request
    assert [t.state for t in req.history] == ["submitted", "dispositioned", "capacity_checked", "rejected"]
    assert req.capacity_check is not None and not req.capacity_check.fits and req.placement is None
    assert step(rid, "4", "2026-11-30T09:00", code=2).output == \
        "Error: REQ-2026-0001 is rejected: no further steps (asked for step 4 (form))\n"


def _to_form(env: dict[str, Path], at_day: str = "2026-11-30") -> str:
    rid = new(env, at=f"{at_day}T08:00")
    step(rid, "2", f"{at_day}T08:10")
    step(rid, "3", f"{at_day}T08:40")
    step(rid, "4", f"{at_day}T09:00")
    return rid


def test_two_requests_never_get_the_same_units(env: dict[str, Path]) -> None:
    a = _to_form(env)
    b = _to_form(env)  # checked while A was not yet approved: the same U3-U5 offered
    assert load(env, b).request.placement.servers[0].position == 3
    step(a, "approve", "2026-11-30T09:10")
    result = step(b, "approve", "2026-11-30T09:20", code=1)
    assert result.output.startswith(
        "Error: REQ-2026-0002: capacity committed since step 3 leaves no room any more (space: ")
    assert load(env, b).request.state == "form_submitted"
    # an approved request is not rejected but cancelled
    out = run("reject", a, "--by", "Kabid", "--at", "2026-11-30T09:30").output
    assert out == ("Error: REQ-2026-0001 is approved: reject is possible only when capacity_checked or "
                   "form_submitted (the next step is step 6 (notify))\n")
    # cancelling A releases its units, and B can be approved
    out = run("cancel", a, "--by", "Kabid", "--at", "2026-11-30T09:30", "--note", "budget").output
    assert out == ("committed capacity released (cancelled)\n"
                   "REQ-2026-0001: cancel recorded; state cancelled\n")
    step(b, "approve", "2026-11-30T09:40")
    assert load(env, b).request.state == "approved"


def test_approval_moves_placement_when_units_were_taken(env: dict[str, Path]) -> None:
    # a 2U server: U3-U4 first, then U5-U6 is still free for the second request
    draft = DRAFT.replace("    u_height: 1\n", "    u_height: 2\n")
    a = new(env, draft)
    b = new(env, draft)
    for rid in (a, b):
        step(rid, "2", "2026-11-30T08:10")
        step(rid, "3", "2026-11-30T08:40")
        step(rid, "4", "2026-11-30T09:00")
    step(a, "5", "2026-11-30T09:10")
    out = step(b, "5", "2026-11-30T09:20").output
    assert out.splitlines()[0] == ("placement changed since step 3 (units taken by another approval): "
                                   "dinkes-app-01 -> R01 U5")
    snap = apply_commitments(load_snapshot(env["dc"]), env["requests"],
                             now=datetime(2026, 11, 30, 10, tzinfo=WITA))
    assert sorted((r.rack, tuple(r.units)) for r in snap.reservations) == [("R01", (3, 4)), ("R01", (5, 6))]


def test_lapse_releases_commitment_and_is_flagged(env: dict[str, Path]) -> None:
    rid = _to_form(env)
    step(rid, "5", "2026-11-30T10:00")
    # 10 working days after Mon 30 Nov 10:00 is Mon 14 Dec 10:00 (hand-computed in test_sla)
    before = datetime(2026, 12, 14, 9, 59, tzinfo=WITA)
    after = datetime(2026, 12, 14, 10, 1, tzinfo=WITA)
    assert len(committed_capacity(env["requests"], now=before)) == 1
    assert committed_capacity(env["requests"], now=after) == []
    # a reservation the source holds for the request (as NetBox would) is dropped once lapsed
    from inventory.model import RackReservation

    base = load_snapshot(env["dc"])
    held = base.model_copy(update={"reservations": [RackReservation(
        rack="R01", units=[3, 4, 5], description="REQ-2026-0001: Dinas Kesehatan ...")]})
    assert [r.units for r in apply_commitments(held, env["requests"], now=before).reservations] == [[3, 4, 5]]
    assert apply_commitments(held, env["requests"], now=after).reservations == []
    listing = run("list", "--now", "2026-12-14T10:01").output
    assert listing.splitlines()[1].endswith("LAPSED: cancel to release")
    status = run("status", rid, "--now", "2026-12-14T10:01").output
    assert "approval holds capacity until 2026-12-14 10:00 (LAPSED)" in status
    out = run("cancel", rid, "--by", "Admin TIK", "--at", "2026-12-14T10:05", "--note", "lapsed").output
    assert out.splitlines()[-1] == "REQ-2026-0001: cancel recorded; state cancelled"


def test_install_needs_every_serial(env: dict[str, Path]) -> None:
    rid = _to_form(env)
    step(rid, "5", "2026-11-30T09:10")
    step(rid, "6", "2026-11-30T09:20")
    step(rid, "7", "2026-11-30T10:00")
    result = step(rid, "8", "2026-11-30T11:00", code=2)
    assert result.output == ("Error: REQ-2026-0001: server(s) dinkes-app-01 have no serial number; give "
                             "--serial NAME=SN (the serial is the server's identity in the register)\n")
    result = step(rid, "8", "2026-11-30T11:00", "--serial", "web-9=X", code=2)
    assert result.output == ("Error: --serial web-9=...: the request has no server 'web-9' "
                             "(servers: dinkes-app-01)\n")
    step(rid, "8", "2026-11-30T11:00", "--serial", "dinkes-app-01=CN7X12")
    assert load(env, rid).request.servers[0].serial == "CN7X12"


def test_list_shows_open_requests_with_flags(env: dict[str, Path]) -> None:
    a = new(env)
    step(a, "2", "2026-11-30T08:10")
    new(env, at="2026-11-30T09:00")  # a second one, still at step 1
    result = run("list", "--now", "2026-11-30T10:30")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "ID             STATE          STEP  AGENCY                        DOMAIN                   AGE     "
        "WAITING FOR                  FLAGS",
        # 08:00-10:30; waiting 2h20 for a 1-hour step
        "REQ-2026-0001  dispositioned  2/9   Dinas Kesehatan Provinsi Ka…  simpus.kaltimprov.go.id  2h 30m  "
        "3 check (data centre)        step overdue (data centre)",
        "REQ-2026-0002  submitted      1/9   Dinas Kesehatan Provinsi Ka…  simpus.kaltimprov.go.id  1h 30m  "
        "2 disposition (data centre)  step overdue (data centre)",
    ]
    early = run("list", "--now", "2026-11-30T09:05").output.splitlines()
    assert early[1].endswith("1h 05m  3 check (data centre)        -")
    assert early[2].endswith("5m      2 disposition (data centre)  -")
    # closed requests only with --all
    step(a, "cancel", "2026-11-30T10:40")
    assert len(run("list", "--now", "2026-11-30T10:45").output.splitlines()) == 2
    assert run("list", "--all", "--now", "2026-11-30T10:45").output.splitlines()[1].startswith(
        "REQ-2026-0001  cancelled  -     Dinas")


def test_reserved_units() -> None:
    assert reserved_units(10, 1) == [10]
    assert reserved_units(10, 2) == [10, 11]
    assert reserved_units(10.5, 1) == [10, 11]
    assert reserved_units(10, 0.5) == [10]


def test_config_rejects_unknown_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("workflow:\n  sla:\n    timezone: Asia/Makasar\n  lapse_days: 3\n", encoding="utf-8")
    result = CliRunner().invoke(request, ["list", "--config", str(cfg)])
    assert result.exit_code == 2
    assert result.output == (
        f"Error: {cfg}: workflow: sla.timezone: unknown time zone 'Asia/Makasar' (for example "
        "Asia/Makassar); lapse_days: unknown key (did you mean 'lapse_working_days'?)\n")
    assert WorkflowConfig().lapse_working_days == 10


# --- register review / export (any snapshot source) -----------------------------------------


def test_register_review_and_export(env: dict[str, Path], tmp_path: Path) -> None:
    snap = tmp_path / "register.yaml"
    snap.write_text(REGISTER_DC, encoding="utf-8")
    # REQ-2026-0001: temporary until 2027-12-31 and completed with serial SN-T
    rid = new(env, DRAFT_3U.replace("valid_until: 2027-12-31", "valid_until: 2026-12-15"))
    for n, at in (("2", "08:10"), ("3", "08:40"), ("4", "09:00"), ("5", "09:10"), ("6", "09:20")):
        step(rid, n, f"2026-11-30T{at}", "--no-mail") if n == "6" else step(rid, n, f"2026-11-30T{at}")
    step(rid, "7", "2026-11-30T10:00", "--serial", "dinkes-app-01=SN-T")
    step(rid, "8", "2026-11-30T11:00")
    step(rid, "9", "2026-11-30T11:10", "--no-mail")
    result = CliRunner().invoke(register, ["review", "--source", str(snap), "--today", "2026-12-20"])
    assert result.exit_code == 1, result.output
    assert result.output.splitlines() == [
        "DEVICE    SERIAL  TENANT  FINDING            DETAIL",
        "ghost-01  -       -       never_reviewed     never reviewed",
        "ghost-01  -       -       missing_serial     no serial number",
        "ghost-01  -       -       missing_tenant     no tenant (agency)",
        "ghost-01  -       -       missing_domain     no domain name",
        "ghost-01  -       -       unaccounted        no request accounts for it",
        # 2025-11-01 -> 2026-12-20 is 414 days
        "old-01    OLD1    dinkes  review_overdue     last reviewed 2025-11-01 (414 days ago)",
        "old-01    OLD1    dinkes  unaccounted        no request accounts for it",
        "temp-01   SN-T    dinkes  temporary_expired  temporary co-location ended 2026-12-15",
        "8 finding(s) on 3 server(s)",
    ]
    export = CliRunner().invoke(register, ["export", "--source", str(snap)])
    assert export.exit_code == 0, export.output
    lines = export.output.splitlines()
    assert lines[0] == ("name,serial,tenant,make,model,site,rack,position,face,status,domain,request_id,"
                        "colocation_type,valid_until,handover_date,last_review_date")
    assert lines[1:] == [
        "ghost-01,,,HPE,DL380,dc-kaltim,R01,5,front,active,,,,,,",
        "old-01,OLD1,dinkes,HPE,DL380,dc-kaltim,R01,1,front,active,old.kaltimprov.go.id,,,,,2025-11-01",
        "temp-01,SN-T,dinkes,HPE,DL380,dc-kaltim,R01,3,front,active,simpus.kaltimprov.go.id,REQ-2026-0001,"
        "temporary,,,2026-06-01",
    ]


# --- the overlap race rule (docs/workflow.md, "Race"): the later object id yields -----------

class FakeNetBox:
    """Just enough of NetBoxClient for `check_race`: a rack with devices, and deletes."""

    def __init__(self, devices: list[dict], types: dict[int, dict]) -> None:
        self.devices = {d["id"]: d for d in devices}
        self.types = types
        self.deleted: list[str] = []

    def get_json(self, path: str, params: dict | None = None) -> dict:
        kind, _, ident = path.rpartition("/")
        return self.types[int(ident)] if kind == "dcim/device-types" else self.devices[int(ident)]

    def get_all(self, path: str, params: dict | None = None) -> list[dict]:
        return [d for d in self.devices.values() if d["rack"]["id"] == params["rack_id"]]

    def write(self, method: str, path: str, payload: object, what: str | None = None) -> None:
        self.deleted.append(path)


def _dev(i: int, pos: float, face: str = "front", dtype: int = 1) -> dict:
    return {"id": i, "name": f"d{i}", "rack": {"id": 7}, "position": pos, "face": {"value": face},
            "device_type": {"id": dtype}}


def test_race_later_id_yields() -> None:
    from inventory.errors import ColoError
    from inventory.netbox.write_once import check_race

    types = {1: {"id": 1, "u_height": 2, "is_full_depth": True}, 2: {"id": 2, "u_height": 1, "is_full_depth": False}}
    # ours (id 20, U10-U11) overlaps an earlier device (id 19, U11): ours is deleted
    nb = FakeNetBox([_dev(19, 11), _dev(20, 10)], types)
    with pytest.raises(ColoError, match=r"device d20 overlapped d19 \(id 19\).*the earlier object wins"):
        check_race(nb, 20, lambda s: None)
    assert nb.deleted == ["dcim/devices/20"]
    # ours is the earlier one: we keep it, the other writer yields
    notes: list[str] = []
    nb = FakeNetBox([_dev(20, 10), _dev(21, 11)], types)
    check_race(nb, 20, notes.append)
    assert nb.deleted == [] and notes == ["note: d21 (id 21) overlaps d20; it is newer and yields"]
    # half-depth devices on opposite faces do not overlap; adjacent units do not either
    nb = FakeNetBox([_dev(19, 10, "rear", 2), _dev(20, 10, "front", 2), _dev(18, 11, "front", 2)], types)
    check_race(nb, 20, notes.append)
    assert nb.deleted == []
