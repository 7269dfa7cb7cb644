"""`colo capacity whatif`: the report and the forecast with changes applied, beside
today's. Never writes anywhere: every change is made to a copy of the snapshot.

Order: the structural additions of `--change` (a UPS, an uplink, a rack row) apply to
today and to every month of the history (the building as it would be, with the demand
it had); then `--remove` (a tenant, serial numbers) and `--add` (requests placed as
step 3 would place them) change today's demand; a stream of new demand (`--add "30
servers of 2U/500 W per year"`) adds to every trend what one more unit adds today.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from capacity.additions import apply_additions
from capacity.engine import compute_capacity
from capacity.fit_request import CapacityRequest
from capacity.growth import Stream, place_request, stream_growth
from capacity.policy import Policy
from capacity.replay import prepare
from capacity.report import build_report
from capacity.whatif import without_serials, without_tenant
from inventory.model import Snapshot
from playbooks.forecasting import Forecast, ForecastSettings, History, build_forecast


@dataclass(frozen=True)
class Removal:
    kind: Literal["tenant", "serials"]
    values: tuple[str, ...]


@dataclass
class Scenario:
    """What to change: each part optional."""

    change: tuple[str, Any] | None = None  # (file name, its parsed YAML)
    removals: list[Removal] = field(default_factory=list)
    requests: list[tuple[str, CapacityRequest]] = field(default_factory=list)  # (label, request)
    streams: list[Stream] = field(default_factory=list)


@dataclass
class WhatIf:
    before: Forecast
    after: Forecast
    applied: list[str]  # what was changed, for people
    refused: list[str]  # requests or streams that fit nowhere today, with the reasons
    report_before: dict[str, Any]
    report_after: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"applied": self.applied, "refused": self.refused,
                "today": {"report": self.report_before, "forecast": self.before.to_dict()},
                "after": {"report": self.report_after, "forecast": self.after.to_dict()}}


def run_whatif(snapshot: Snapshot, history: History, now: datetime, settings: ForecastSettings,
               scenario: Scenario, *, taken_at: datetime | None = None, policy: Policy | None = None,
               sites: set[str] | None = None) -> WhatIf:
    applied: list[str] = []
    refused: list[str] = []
    edit = None
    today = snapshot
    if taken_at is not None and taken_at > now:  # the what-if starts from the data centre as it was at `now`
        today, _ = prepare(snapshot, history.tenures, taken_at).snapshot_at(now)
    start = today
    if scenario.change is not None:
        name, data = scenario.change
        today, described = apply_additions(today, data, name)
        applied += [f"{name}: {line}" for line in described]

        def edit(s: Snapshot) -> Snapshot:
            return apply_additions(s, data, name)[0]

    for removal in scenario.removals:
        if removal.kind == "tenant":
            for tenant in removal.values:
                today, said = without_tenant(today, tenant)
                applied.append(f"removed {said}")
        else:
            today, said = without_serials(today, removal.values)
            applied.append(f"removed {said}")
    for label, request in scenario.requests:
        today, fit = place_request(today, f"what-if {label}", request, policy, sites)
        if fit.fits:
            where = ", ".join(f"{sp.server} -> {sp.rack_name} {sp.units}" for sp in fit.placements[0].servers) \
                if fit.placements else ""
            hosted = f"hosting on cluster {fit.cluster}" if request.hosting is not None and fit.cluster else ""
            applied.append(f"added {label}: " + "; ".join(p for p in (where, hosted) if p))
        else:
            refused.append(f"{label} does not fit today: {'; '.join(fit.reasons) or 'no placement'}")
    extra: dict[tuple[str, str, str | None], float] = {}
    for stream in scenario.streams:
        growth, fit = stream_growth(today, stream, policy, sites)
        if not fit.fits:
            refused.append(f"{stream.text}: one does not fit today ({'; '.join(fit.reasons) or 'no placement'}); "
                           "its growth is not added")
            continue
        for key, per_month in growth.items():
            extra[key] = extra.get(key, 0.0) + per_month
        applied.append(f"growth {stream.text} ({stream.per_month:g} a month)")

    before = build_forecast(snapshot, history, now, settings, taken_at=taken_at, policy=policy, sites=sites)
    after = build_forecast(snapshot, history, now, settings, taken_at=taken_at, policy=policy, sites=sites,
                           edit=edit, today=today, extra_growth=extra)
    return WhatIf(before, after, applied, refused, _report(start, policy, sites), _report(today, policy, sites))


def _report(snapshot: Snapshot, policy: Policy | None, sites: set[str] | None) -> dict[str, Any]:
    return build_report(snapshot, compute_capacity(snapshot, policy), sites)
