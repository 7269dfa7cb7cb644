"""`colo capacity forecast` and `colo capacity whatif` as one call each, on the composition
root (playbooks/context.py `App`): the `forecast:` section, the snapshot, the demand
history (request files, NetBox's changelog) and the clock come from the `App`; the maths is
playbooks/forecasting.py and playbooks/whatif.py, which read nothing themselves.

Also the runway the HTML capacity report and the yearly register review carry: there a
history that cannot be read costs the charts (a warning), never the document.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from capacity.forecast import parse_horizon
from capacity.policy import Policy
from inventory.errors import ColoError, InputError
from inventory.files import DEMO_NAME, demo_path, validate_file
from inventory.model import Snapshot
from inventory.names import select_sites
from inventory.netbox.changelog import changelog_tenures
from inventory.sources import Loaded
from playbooks.assessment import capacity_snapshot
from playbooks.context import App
from playbooks.forecasting import Forecast, ForecastSettings, History, build_forecast, history_window_start
from playbooks.history import merge_sources, request_tenures
from playbooks.requests import RequestStore
from playbooks.whatif import Scenario, WhatIf, run_whatif

HISTORY_FROM = ("auto", "requests", "netbox", "both", "none")


def demo_requests_dir() -> Path:
    """The bundled demo's request history (scripts/make_demo_requests.py)."""
    return demo_path().parent / "requests"


def forecast_settings(app: App, horizon: str | None = None, warning: float | None = None,
                      history_months: int | None = None) -> ForecastSettings:
    """The `forecast:` section, overridden by the options given."""
    section = dict(app.config.section("forecast"))
    if horizon is not None:
        try:
            section["horizon_months"] = parse_horizon(horizon)
        except ValueError as exc:
            raise InputError(f"--horizon: {exc}") from None
    if warning is not None:
        section["warning_pct"] = warning
    if history_months is not None:
        section["history_months"] = history_months
    where = app.config.where("forecast") if app.config.path is not None else "options: forecast"
    return validate_file(ForecastSettings, section, where)


def as_of(app: App, today: str | None) -> datetime:
    """--today at noon in the SLA zone, else now."""
    if today is None:
        return app.clock.now()
    try:
        day = date.fromisoformat(today.strip())
    except ValueError:
        raise InputError(f"--today: {today!r} is not a date (YYYY-MM-DD)") from None
    return datetime.combine(day, time(12, 0), app.tz)


def gather_history(app: App, kind: str, history_from: str, requests_dir: Path | None, snapshot: Snapshot,
                   now: datetime, settings: ForecastSettings) -> History:
    """The demand records of the sources asked for (docs/forecast.md); `kind` is the
    snapshot source (demo, netbox or a file), `requests_dir` the folder given, if any."""
    history = History()
    if history_from == "none":
        return history
    if history_from == "netbox" and kind != "netbox":
        raise InputError("--history-from netbox needs --source netbox (the changelog is NetBox's)")
    from_requests: list[Any] = []
    if history_from in ("auto", "requests", "both"):
        folder = requests_dir or (demo_requests_dir() if kind == DEMO_NAME else app.requests_dir)
        store = RequestStore(folder, app.workflow.documents_dir)
        if not store.ids() and history_from in ("requests", "both"):
            raise InputError(f"--history-from {history_from}: no request files (REQ-*.yaml) in {folder}")
        if store.ids():
            requests = store.read_all()
            from_requests = request_tenures(requests, app.calendar, app.workflow.lapse_working_days, now)
            where = ("the bundled demo's request files" if folder == demo_requests_dir()
                     else f"request files in {folder}")
            history.sources.append(f"{where} ({len(requests)} requests)")
    from_netbox: list[Any] = []
    if history_from in ("netbox", "both") or (history_from == "auto" and kind == "netbox"):
        since = history_window_start(now, settings)
        from_netbox = changelog_tenures(app.netbox(), snapshot, since)
        history.sources.append(f"NetBox changelog since {since:%Y-%m-%d} ({len(from_netbox)} objects)")
    history.tenures = merge_sources(from_requests, from_netbox)
    return history


@dataclass
class RunwayInputs:
    """What a forecast or a what-if is computed from."""

    loaded: Loaded
    policy: Policy
    sites: set[str] | None
    history: History
    now: datetime
    settings: ForecastSettings

    @property
    def taken_at(self) -> datetime:
        return self.loaded.snapshot.taken_at or self.now


@dataclass
class RunwayOptions:
    """The options forecast and what-if share."""

    source: str | None = None
    sites: tuple[str, ...] = ()
    requests_dir: Path | None = None
    horizon: str | None = None
    warning: float | None = None
    history_months: int | None = None
    history_from: str = "auto"
    today: str | None = None


def runway_inputs(app: App, options: RunwayOptions) -> RunwayInputs:
    settings = forecast_settings(app, options.horizon, options.warning, options.history_months)
    now = as_of(app, options.today)
    loaded = capacity_snapshot(app, options.source, list(options.sites))
    wanted = set(select_sites(loaded.snapshot.sites, options.sites)) if options.sites else None
    kind = options.source or app.default_source()
    history = gather_history(app, kind, options.history_from, options.requests_dir, loaded.snapshot, now,
                             settings)
    return RunwayInputs(loaded, app.policy, wanted, history, now, settings)


def capacity_forecast(app: App, options: RunwayOptions) -> tuple[Forecast, Loaded]:
    """`colo capacity forecast`: the runway of every dimension, binding first."""
    inputs = runway_inputs(app, options)
    result = build_forecast(inputs.loaded.snapshot, inputs.history, inputs.now, inputs.settings,
                            taken_at=inputs.taken_at, policy=inputs.policy, sites=inputs.sites)
    return result, inputs.loaded


def capacity_whatif(app: App, options: RunwayOptions, scenario: Scenario,
                    checks: list[tuple[str, Any]]) -> tuple[WhatIf, RunwayInputs]:
    """`colo capacity whatif`: the report and forecast with `scenario` applied, beside
    today's; `checks` are (name, read request file) to place as step 3 would."""
    inputs = runway_inputs(app, options)
    snapshot = inputs.loaded.snapshot
    scenario.requests = [(name, checked.for_snapshot(snapshot)) for name, checked in checks]
    result = run_whatif(snapshot, inputs.history, inputs.now, inputs.settings, scenario, taken_at=inputs.taken_at,
                        policy=inputs.policy, sites=inputs.sites)
    return result, inputs


def report_runway(app: App, loaded: Loaded, source: str | None, requests_dir: Path | None,
                  sites: set[str] | None) -> dict[str, Any] | None:
    """The runway of the HTML capacity report (its charts); None, with a warning, when the
    demand history cannot be read (the report itself still renders)."""
    try:
        settings = forecast_settings(app)
        now = app.clock.now()
        history = gather_history(app, source or app.default_source(), "auto", requests_dir, loaded.snapshot, now,
                                 settings)
    except ColoError as exc:
        app.notify(f"warning: no runway charts: {exc}")
        return None
    return build_forecast(loaded.snapshot, history, now, settings, taken_at=loaded.snapshot.taken_at,
                          policy=app.policy, sites=sites).to_dict()


def review_runway(app: App, snapshot: Snapshot, source: str | None, today: date) -> dict[str, Any] | None:
    """The runway summary of the yearly register review: the workflow's requests folder
    (and NetBox's changelog when NetBox is the source) as the demand history, as of
    `today`; None, with a warning, when the history cannot be read."""
    try:
        settings = forecast_settings(app)
        now = datetime.combine(today, time(12, 0), app.tz)
        history = gather_history(app, app.workflow_source(source), "auto", app.requests_dir, snapshot, now,
                                 settings)
    except ColoError as exc:
        app.notify(f"warning: no runway summary: {exc}")
        return None
    site = app.workflow.site
    sites = set(select_sites(snapshot.sites, [site])) if site else None
    return build_forecast(snapshot, history, now, settings, taken_at=snapshot.taken_at, policy=app.policy,
                          sites=sites).to_dict()
