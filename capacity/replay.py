"""The data centre as it was in an earlier month: today's snapshot with the demand
records (`inventory.demand.Tenure`) replayed backwards. Pure.

For a moment in the past, a tenure held now but not then is taken out of today's
snapshot (the server installed since, the request approved since), and a tenure held
then but not now is put back from its footprint (the server withdrawn since). Every
other object is as it is today: the history varies demand, not the building (a UPS
replaced last year counts at its present rating in every month; docs/forecast.md).

Because every month is rebuilt from today's snapshot, the last point of a history is
today's snapshot itself, and figures measured on it are today's report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from capacity.whatif import with_footprints, without_devices, without_requests, without_vms
from inventory.demand import Tenure
from inventory.model import Snapshot

T = TypeVar("T")


@dataclass
class _Found:
    devices: tuple[str, ...] = ()
    vms: tuple[str, ...] = ()
    requests: tuple[str, ...] = ()


@dataclass
class Replay:
    """Today's snapshot and the tenures, resolved once against it."""

    today: Snapshot
    now: datetime
    tenures: list[Tenure]
    found: dict[int, _Found] = field(default_factory=dict)  # tenure index -> today's objects
    notes: list[str] = field(default_factory=list)

    def differences(self, moment: datetime) -> tuple[int, ...]:
        """The tenures held at `moment` but not now, or now but not then (by index)."""
        return tuple(i for i, t in enumerate(self.tenures) if t.held_at(moment) != t.held_at(self.now))

    def snapshot_at(self, moment: datetime) -> tuple[Snapshot, list[str]]:
        """The snapshot as it was at `moment`, and notes on what could not be put back."""
        devices: list[str] = []
        vms: list[str] = []
        requests: list[str] = []
        back = []
        for i, t in enumerate(self.tenures):
            then = t.held_at(moment)
            if i in self.found and not then:
                f = self.found[i]
                devices += f.devices
                vms += f.vms
                requests += f.requests
            elif then and not t.held_at(self.now) and t.footprint is not None:
                back.append((f"history: {t.label}", t.footprint))
        snap = without_requests(without_vms(without_devices(self.today, devices), vms), requests)
        return with_footprints(snap, back)


def prepare(today: Snapshot, tenures: Iterable[Tenure], now: datetime) -> Replay:
    """Resolve every tenure held now to today's objects. A tenure the data does not have
    (a server the records say is installed, which the source does not hold) is noted
    and left out, as is a past one nothing is known of."""
    replay = Replay(today, now, list(tenures))
    by_key = {d.key: d for d in today.devices}
    by_request: dict[tuple[str, str], list[str]] = {}
    by_name: dict[str, list[str]] = {}
    for d in today.devices:
        rid = (d.custom_fields or {}).get("request_id")
        if rid:
            by_request.setdefault((str(rid), d.name), []).append(d.key)
        if d.name:
            by_name.setdefault(d.name, []).append(d.key)
    vm_keys = {vm.key for c in today.clusters for vm in c.vms}
    vm_by_request: dict[str, list[str]] = {}
    vm_by_name: dict[str, list[str]] = {}
    for c in today.clusters:
        for vm in c.vms:
            if vm.request_id:
                vm_by_request.setdefault(vm.request_id, []).append(vm.key)
            vm_by_name.setdefault(vm.name, []).append(vm.key)
    committed = {c.request_id for c in today.commitments}
    reserved = {r.description.split(":", 1)[0] for r in today.reservations if r.description and ":" in r.description}

    def one(*candidates: list[str] | None) -> tuple[str, ...]:
        for c in candidates:
            if c is not None and len(c) == 1:
                return (c[0],)
        return ()

    for i, t in enumerate(replay.tenures):
        if not t.held_at(now):
            if t.footprint is None:
                replay.notes.append(f"{t.label}: held in the past, but its size is not known; not counted")
            continue
        if t.kind == "device":
            keys = (t.key,) if t.key in by_key else one(
                by_request.get((t.request_id, t.name or "")) if t.request_id else None,
                by_name.get(t.name) if t.name else None)
            found = _Found(devices=keys)
        else:
            keys = (t.key,) if t.key in vm_keys else one(
                vm_by_request.get(t.request_id) if t.request_id else None,
                vm_by_name.get(t.name) if t.name else None)
            found = _Found(vms=keys)
        if t.request_id and (t.request_id in committed or t.request_id in reserved):
            found.requests = (t.request_id,)  # approved, not yet installed: held as a commitment
        if found.devices or found.vms or found.requests:
            replay.found[i] = found
        else:
            replay.notes.append(f"{t.label}: held according to the records, but not in today's data; "
                                "left out of the history")
    return replay


def replay_series(replay: Replay, moments: Iterable[datetime], measure: Callable[[Snapshot], T],
                  edit: Callable[[Snapshot], Snapshot] | None = None,
                  now: datetime | None = None) -> list[tuple[datetime, T]]:
    """`measure` of the snapshot at each moment (`edit` applied first), then at `now`
    (default: when today's snapshot was taken). A moment no tenure tells apart from
    today is today's snapshot itself: the last point is today's report, by
    construction. Moments with the same differences from today are measured once."""
    points: list[tuple[datetime, T]] = []
    notes: set[str] = set()
    measured: dict[tuple[int, ...], T] = {}  # months with the same tenures differing from today are one snapshot
    end = now or replay.now
    for moment in [*moments, end]:
        key = replay.differences(moment)
        if key not in measured:
            if key:
                snap, missing = replay.snapshot_at(moment)
                notes.update(missing)
            else:
                snap = replay.today
            measured[key] = measure(edit(snap) if edit else snap)
        points.append((moment, measured[key]))
    replay.notes.extend(sorted(notes - set(replay.notes)))
    return points
