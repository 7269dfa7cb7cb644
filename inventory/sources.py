"""Where a snapshot comes from: the bundled demo, a file, or NetBox."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from inventory.config import config_section, find_config_file
from inventory.errors import InputError
from inventory.files import DEMO_NAME, load_snapshot
from inventory.model import Snapshot


@dataclass
class Loaded:
    snapshot: Snapshot
    source: str  # what to print as "source of the data" (never the token)
    notice: str | None = None  # one line for the user, e.g. "no NetBox configured: using the demo"
    requests_made: int | None = None  # HTTP requests, for NetBox


def netbox_configured(config_path: Path | None = None) -> bool:
    """NETBOX_URL is set, or the configuration file names a NetBox (`netbox: url:`)."""
    if os.environ.get("NETBOX_URL"):
        return True
    return bool(config_section(find_config_file(config_path), "netbox").get("url"))


def default_source(config_path: Path | None = None) -> str:
    """NetBox when one is configured, else the bundled demo."""
    return "netbox" if netbox_configured(config_path) else DEMO_NAME


def open_snapshot(source: str | None, *, sites: list[str] | None = None, config_path: Path | None = None,
                  insecure: bool = False, progress: bool = False) -> Loaded:
    """Load a snapshot from `source`: `demo`, `netbox`, or a YAML/JSON path."""
    notice = None
    if source is None:
        source = default_source(config_path)
        if source == DEMO_NAME:
            notice = "No NetBox configured (NETBOX_URL unset): using the bundled demo data centre."
    if source == DEMO_NAME:
        return Loaded(load_snapshot(DEMO_NAME), "demo (bundled Data Center Diskominfo Kaltim)", notice)
    if source == "netbox":
        from inventory.netbox.client import NetBoxClient
        from inventory.netbox.loader import load_snapshot as load_from_netbox
        from inventory.netbox.settings import settings_from_env_and_file

        settings = settings_from_env_and_file(config_path, insecure=insecure)
        client = NetBoxClient(settings)
        client.check()
        snapshot = load_from_netbox(client, sites, progress=progress)
        return Loaded(snapshot, f"NetBox {settings.url}", None, client.requests_made)
    path = Path(source)
    if not path.exists():
        raise InputError(f"unknown source {source!r}: not 'demo', 'netbox' or an existing file")
    return Loaded(load_snapshot(path), f"file {path}")
