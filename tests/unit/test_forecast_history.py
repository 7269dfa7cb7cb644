"""The capacity history: request files (playbooks/history.py) replayed on today's snapshot
(capacity/replay.py), measured by the engine, the last point being today's report."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from capacity.dimensions import site_figures
from capacity.engine import compute_capacity
from capacity.replay import prepare
from colo_cli.main import cli
from inventory.demand import Footprint, Tenure
from inventory.files import load_snapshot
from playbooks.commitments import apply_commitments
from playbooks.config import WorkflowConfig
from playbooks.history import merge_sources, request_tenures
from playbooks.request_model import Request
from playbooks.requests import RequestStore, read_request
from playbooks.runway import demo_requests_dir
from playbooks.sla import WorkingCalendar
from playbooks.states import lapse_deadline

WITA = timezone(timedelta(hours=8))
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=WITA)
CONFIG = WorkflowConfig()
CALENDAR = WorkingCalendar(CONFIG.sla)


@pytest.fixture(scope="module")
def demo():  # type: ignore[no-untyped-def]
    return load_snapshot("demo")


def demo_tenures(now: datetime = NOW) -> list[Tenure]:
    requests = RequestStore(demo_requests_dir()).read_all()
    return request_tenures(requests, CALENDAR, CONFIG.lapse_working_days, now)


def demo_request(rid: str) -> Request:
    return read_request(demo_requests_dir() / f"{rid}.yaml")


def until(req: Request, state: str) -> Request:
    """The request as it was when it reached `state`."""
    cut = next(i for i, t in enumerate(req.history) if t.state == state)
    return req.model_copy(update={"history": req.history[:cut + 1], "state": state, "withdrawal": None})


def cli_json(*args: str) -> dict:
    result = CliRunner().invoke(cli, list(args), env={"COLO_REQUESTS_DIR": "", "NETBOX_URL": "", "COLO_CONFIG": ""})
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_last_point_of_every_history_is_todays_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./requests, no ./colo.yaml: the report counts no commitments
    report = cli_json("capacity", "report", "--source", "demo", "--format", "json")
    runway = cli_json("capacity", "forecast", "--source", "demo", "--format", "json", "--today", "2026-12-04")
    rows = {(r["site"], r["dimension"], r["object"]): r for r in runway["dimensions"]}
    for row in rows.values():
        assert row["history"][-1]["used"] == row["used"], row["dimension"]
        assert len(row["history"]) == 25  # 24 month starts and today
    bandwidth = next(b for b in report["bandwidth"] if b["site"] == "dc-kaltim")
    assert rows[("dc-kaltim", "bandwidth", None)]["used"] == bandwidth["allocated_kbps"] == 2_520_000
    assert rows[("dc-kaltim", "bandwidth", None)]["capacity"] == bandwidth["allocatable_kbps"]
    ups = next(u for u in report["ups"] if u["name"] == "UPS-A")
    assert (rows[("dc-kaltim", "ups", "UPS-A")]["used"], rows[("dc-kaltim", "ups", "UPS-A")]["capacity"]) == \
        (ups["failover_load_va"], ups["capacity_va"])
    racks = [r for r in report["racks"] if r["site"] == "dc-kaltim"]
    open_racks = [r for r in racks if r["open_for_colocation"]]
    assert rows[("dc-kaltim", "space", None)]["used"] == sum(r["u_height"] - r["free_u"] for r in open_racks)
    assert rows[("dc-kaltim", "power_failover", None)]["used"] == sum(r["failover_load_va"] for r in racks)
    assert rows[("dc-kaltim", "power", None)]["capacity"] == sum(r["available_va"] for r in racks)
    cluster = report["clusters"][0]
    assert rows[("dc-kaltim", "vcpus", None)]["used"] == cluster["vcpus_used"]


def test_the_demo_history_grows_as_its_requests_say(demo) -> None:  # type: ignore[no-untyped-def]
    runway = cli_json("capacity", "forecast", "--source", "demo", "--format", "json", "--today", "2026-12-04")
    assert runway["meta"]["history_sources"] == ["the bundled demo's request files (26 requests)"]
    space = next(r for r in runway["dimensions"] if r["dimension"] == "space" and r["site"] == "dc-kaltim")
    history = {h["at"][:7]: h["used"] for h in space["history"]}
    # REQ-2026-0009 (rsud-aws-simrs-dr-01) is at the DRC; at dc-kaltim the last change is
    # bkd-cat-01..03 (3 x 2U, approved 2026-09): 189 -> 195 U
    assert (history["2026-09"], history["2026-10"]) == (189.0, 195.0)
    assert space["growth_per_month"] > 0 and space["growth_low"] <= space["growth_per_month"] <= space["growth_high"]
    bandwidth = next(r for r in runway["dimensions"] if r["dimension"] == "bandwidth")
    assert bandwidth["warning"]["when"] == "now"
    # ranked after only what is fuller already (the demo's over-loaded cooling)
    ahead = [r for r in runway["dimensions"] if r["rank"] < bandwidth["rank"]]
    assert all(r["used_pct"] > bandwidth["used_pct"] for r in ahead)


def test_a_withdrawn_server_is_put_back_for_the_months_it_was_held(demo) -> None:  # type: ignore[no-untyped-def]
    """PPDB 2025 (4 x 2U at R1-06 U2-U9, approved 2025-05, withdrawn 2025-08-29) held the
    units PPDB 2026 (6 x 2U at U2-U13, approved 2026-07) holds today."""
    replay = prepare(demo, demo_tenures(), NOW)
    today = compute_capacity(demo).space["R1-06"].free_u
    july_2025, _ = replay.snapshot_at(datetime(2025, 7, 1, tzinfo=WITA))
    january_2025, _ = replay.snapshot_at(datetime(2025, 1, 1, tzinfo=WITA))
    assert today == 25
    assert compute_capacity(july_2025).space["R1-06"].free_u == 25 + 12 - 8
    assert compute_capacity(january_2025).space["R1-06"].free_u == 25 + 12
    # their draw is back on the rack's feeds: 4 x 470 W, half on each side, in VA at the
    # power factor 0.95
    feeds = compute_capacity(july_2025).feeds
    assert feeds["R1-06-A"].committed_va == feeds["R1-06-B"].committed_va == round(2 * 470 / 0.95)
    assert not replay.notes


def test_a_request_is_counted_from_its_approval(demo) -> None:  # type: ignore[no-untyped-def]
    """REQ-2026-0008 (bkd-cat-01..03): approved 2026-09-15, installed 2026-10-03."""
    req = demo_request("REQ-2026-0008")
    approved = req.transition("approved").at
    [tenure, *_] = request_tenures([req], CALENDAR, CONFIG.lapse_working_days, NOW)
    assert (tenure.start, tenure.end, tenure.name) == (approved, None, "bkd-cat-01")
    replay = prepare(demo, request_tenures([req], CALENDAR, CONFIG.lapse_working_days, NOW), NOW)
    before, _ = replay.snapshot_at(approved - timedelta(seconds=1))
    at, _ = replay.snapshot_at(approved)
    assert compute_capacity(before).space["R1-04"].free_u == compute_capacity(demo).space["R1-04"].free_u + 6
    assert compute_capacity(at).space["R1-04"].free_u == compute_capacity(demo).space["R1-04"].free_u


def test_an_approved_request_held_as_a_commitment_is_taken_out_before_its_approval(
        demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Approved, not installed: today's snapshot holds it as a reservation and commitment
    (playbooks/commitments.py); before the approval, neither."""
    req = until(demo_request("REQ-2026-0008"), "notified")
    folder = tmp_path / "requests"
    folder.mkdir()
    from playbooks.requests import dump_yaml, to_yaml_data

    (folder / f"{req.id}.yaml").write_text(dump_yaml(to_yaml_data(req)), encoding="utf-8")
    shown = demo.model_copy(update={"devices": [d for d in demo.devices if not d.name.startswith("bkd-cat-")]})
    now = req.transition("notified").at + timedelta(days=1)  # held: not lapsed yet
    today = apply_commitments(shown, folder, now=now, config=CONFIG)
    assert len([c for c in today.commitments if c.request_id == req.id]) == 3
    replay = prepare(today, request_tenures([req], CALENDAR, CONFIG.lapse_working_days, now), now)
    assert not replay.notes
    before, _ = replay.snapshot_at(req.transition("approved").at - timedelta(hours=1))
    assert not [c for c in before.commitments if c.request_id == req.id]
    assert not [r for r in before.reservations if (r.description or "").startswith(req.id)]
    assert site_figures(before)[0].used == site_figures(shown)[0].used  # space as without the request


def test_a_lapsed_approval_holds_until_the_lapse(demo) -> None:  # type: ignore[no-untyped-def]
    req = until(demo_request("REQ-2026-0008"), "notified")
    deadline = lapse_deadline(req, CALENDAR, CONFIG.lapse_working_days)
    assert deadline is not None
    [first, *_] = request_tenures([req], CALENDAR, CONFIG.lapse_working_days, deadline + timedelta(days=30))
    assert (first.start, first.end) == (req.transition("approved").at, deadline)
    [held, *_] = request_tenures([req], CALENDAR, CONFIG.lapse_working_days, deadline - timedelta(hours=1))
    assert held.end is None


def test_rejected_and_cancelled_requests_held_nothing() -> None:
    for rid in ("REQ-2026-0004", "REQ-2026-0002"):  # rejected at the capacity check, cancelled
        req = demo_request(rid)
        assert req.state in ("rejected", "cancelled")
        assert request_tenures([req], CALENDAR, CONFIG.lapse_working_days, NOW) == []


def test_a_record_the_data_does_not_have_is_noted_not_counted(demo) -> None:  # type: ignore[no-untyped-def]
    ghost = Tenure("device", "REQ-2026-0099 server ghost-01", datetime(2026, 1, 5, tzinfo=WITA), None,
                   name="ghost-01", request_id="REQ-2026-0099", footprint=Footprint(rack="R1-05", u_height=1))
    unknown = Tenure("device", "NetBox device 77", None, datetime(2026, 3, 1, tzinfo=WITA), key="77")
    gone_rack = Tenure("device", "REQ-2025-0098 server far-01", datetime(2025, 1, 5, tzinfo=WITA),
                       datetime(2025, 6, 1, tzinfo=WITA), footprint=Footprint(rack="R9-99", position=3, u_height=1))
    replay = prepare(demo, [ghost, unknown, gone_rack], NOW)
    snap, missing = replay.snapshot_at(datetime(2025, 3, 1, tzinfo=WITA))
    assert replay.notes == [
        "REQ-2026-0099 server ghost-01: held according to the records, but not in today's data; left out of the history",
        "NetBox device 77: held in the past, but its size is not known; not counted"]
    assert missing == ["history: REQ-2025-0098 server far-01: rack 'R9-99' is not in the data; not counted"]
    assert compute_capacity(snap).space["R1-05"].free_u == compute_capacity(demo).space["R1-05"].free_u


def test_both_sources_count_an_object_once() -> None:
    start = datetime(2026, 1, 5, tzinfo=WITA)
    from_requests = [Tenure("device", "REQ-2026-0001 server web-01", start, None, name="web-01",
                            request_id="REQ-2026-0001")]
    from_netbox = [Tenure("device", "NetBox device web-01", start + timedelta(days=20), None, key="12",
                          name="web-01", request_id="REQ-2026-0001"),
                   Tenure("device", "NetBox device sw-01", start, None, key="13", name="sw-01")]
    merged = merge_sources(from_requests, from_netbox)
    assert [t.label for t in merged] == ["REQ-2026-0001 server web-01", "NetBox device sw-01"]


def test_months_no_record_tells_apart_share_one_engine_run(demo) -> None:  # type: ignore[no-untyped-def]
    from capacity.forecast import month_starts
    from capacity.replay import replay_series

    measured: list[object] = []

    def measure(snapshot: object) -> int:
        measured.append(snapshot)
        return len(measured)

    points = replay_series(prepare(demo, [], NOW), month_starts(NOW, 24), measure)
    assert len(points) == 25 and measured == [demo] and {v for _, v in points} == {1}
    measured.clear()
    replay = prepare(demo, demo_tenures(), NOW)
    points = replay_series(replay, month_starts(NOW, 24), measure)
    assert len(measured) == len({replay.differences(t) for t, _ in points}) < 25
    assert measured[-1] is demo and points[-1] == (NOW, len(measured))  # today: the snapshot itself
