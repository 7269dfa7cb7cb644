"""The composition root: every setting a command needs, built once, from its options.

A command (colo_cli) makes one `App` from its options and the process environment and
hands it, or the objects it holds, to the library. The configuration file is found and
read here, once; each section is validated on first use, so a command that does not
need a section does not fail on it (`capacity report` runs with a broken `workflow:`
section, counting no commitments); the NetBox client is made, and its connection
checked, only when a command first needs NetBox. Below this module nothing reads a
configuration file or the environment: the one exception is the SMTP password, read
from its variable at the moment of sending (playbooks/config.py `SmtpConfig.password`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Callable, Mapping
from zoneinfo import ZoneInfo

from capacity.policy import Policy
from inventory.config import ConfigFile, find_config_file, read_config
from inventory.errors import InputError
from inventory.files import DEMO_NAME
from inventory.netbox.client import NetBoxClient
from inventory.netbox.settings import NetBoxSettings, netbox_settings, netbox_url
from inventory.progress import Progress
from inventory.sources import Loaded, SnapshotOpener, open_snapshot
from playbooks.config import WorkflowConfig, policy_config, workflow_config
from playbooks.documents import DocumentsConfig, documents_config
from playbooks.requests import RequestStore
from playbooks.sla import WorkingCalendar

NO_NETBOX_NOTICE = "No NetBox configured (NETBOX_URL unset): using the bundled demo data centre."


@dataclass(frozen=True)
class Clock:
    """Now, in the SLA time zone; `fixed` (COLO_NOW) pins it for reproducible demos and tests."""

    tz: ZoneInfo
    fixed: datetime | None = None

    def now(self) -> datetime:
        return (self.fixed or datetime.now(self.tz)).replace(microsecond=0)


def fixed_now(text: str | None, tz: ZoneInfo) -> datetime | None:
    """COLO_NOW as a moment (no offset: the SLA zone), None when unset."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"COLO_NOW {text!r} is not an ISO date/time (e.g. 2026-11-30T09:15:00+08:00)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


class App:
    """The settings of one command run: configuration sections, requests folder, clock,
    snapshot sources and the NetBox client, each made once, on first use.

    `notify` receives one-line notices for the user (e.g. "using the bundled demo");
    `progress`, if given, how far the long steps have got (reading a large source)."""

    def __init__(self, environ: Mapping[str, str], *, config: Path | None = None,
                 requests_dir: Path | None = None, insecure: bool = False,
                 netbox_url: str | None = None, netbox_token: str | None = None,
                 notify: Callable[[str], None] = lambda line: None, progress: Progress | None = None) -> None:
        self.environ = environ
        self.config_option = config
        self.requests_dir_option = requests_dir
        self.insecure = insecure
        self.netbox_url_option = netbox_url
        self.netbox_token_option = netbox_token
        self.notify = notify
        self.progress = progress
        self._client: NetBoxClient | None = None

    # --- the configuration file, read once --------------------------------------------
    @cached_property
    def config(self) -> ConfigFile:
        return read_config(find_config_file(self.config_option, self.environ))

    @property
    def config_path(self) -> Path | None:
        return self.config.path

    @cached_property
    def policy(self) -> Policy:
        return policy_config(self.config)

    @cached_property
    def workflow(self) -> WorkflowConfig:
        return workflow_config(self.config, self.environ)

    @cached_property
    def documents(self) -> DocumentsConfig:
        return documents_config(self.config)

    # --- requests folder and clock ----------------------------------------------------
    @cached_property
    def requests_dir(self) -> Path:
        """--requests-dir, else $COLO_REQUESTS_DIR, else workflow.requests_dir."""
        return self.requests_dir_option or self.workflow.requests_dir

    @cached_property
    def store(self) -> RequestStore:
        return RequestStore(self.requests_dir, self.workflow.documents_dir)

    @cached_property
    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar(self.workflow.sla)

    @property
    def tz(self) -> ZoneInfo:
        return self.calendar.tz

    @cached_property
    def clock(self) -> Clock:
        return Clock(self.tz, fixed_now(self.environ.get("COLO_NOW"), self.tz))

    # --- NetBox -----------------------------------------------------------------------
    @cached_property
    def netbox_settings(self) -> NetBoxSettings:
        return netbox_settings(self.config, self.environ, self.insecure, url=self.netbox_url_option,
                               token=self.netbox_token_option)

    def netbox(self) -> NetBoxClient:
        """The client, made and checked (reachable, a NetBox, new enough, token accepted) once."""
        if self._client is None:
            client = NetBoxClient(self.netbox_settings)
            client.check()
            self._client = client
        return self._client

    def netbox_configured(self) -> bool:
        """NETBOX_URL is set, or the configuration file names a NetBox (`netbox: url:`)."""
        return bool(netbox_url(self.config, self.environ))

    # --- snapshot sources -------------------------------------------------------------
    def default_source(self) -> str:
        """NetBox when one is configured, else the bundled demo (reports and checks)."""
        return "netbox" if self.netbox_configured() else DEMO_NAME

    def open_snapshot(self, source: str | None, *, sites: list[str] | None = None) -> Loaded:
        """`--source` of the capacity commands: demo, netbox or a file; none: the default,
        with a notice when that is the demo."""
        chosen = source or self.default_source()
        loaded = open_snapshot(chosen, sites=sites, netbox=self.netbox, progress=self.progress)
        if source is None and chosen == DEMO_NAME:
            loaded.notice = NO_NETBOX_NOTICE
        return loaded

    def workflow_source(self, source: str | None) -> str:
        """The snapshot source of steps 3 and 5 and of the documents: --source, else
        workflow.capacity_source, else NetBox when configured. Never the bundled demo unless
        named: a real request checked against the demo would record a made-up "available"."""
        chosen = source or self.workflow.capacity_source
        if chosen:
            return chosen
        if self.netbox_configured():
            return "netbox"
        raise InputError(
            "no capacity source for the workflow: NetBox is not configured (NETBOX_URL unset, no "
            "netbox.url in the configuration), and real requests are not checked against the bundled "
            "demo data centre unless told: give --source demo (or netbox, or a snapshot file), or set "
            "`workflow.capacity_source: demo` in the configuration")

    def workflow_snapshot(self, source: str | None, *, site_only: bool = True) -> SnapshotOpener:
        """Opens the workflow's source when called (not before: a step refused for its order
        never reads it), kept to workflow.site unless `site_only` is off."""
        def opener() -> Loaded:
            sites = [self.workflow.site] if site_only and self.workflow.site else None
            return open_snapshot(self.workflow_source(source), sites=sites, netbox=self.netbox,
                                 progress=self.progress)
        return opener

    def uses_netbox(self, source: str | None) -> bool:
        """NetBox is the workflow's source: --source, else the configured one, else NETBOX_URL."""
        return (source or self.workflow.capacity_source or self.default_source()) == "netbox"
