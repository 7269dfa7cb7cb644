"""Where to find NetBox and how to authenticate: options, environment, config file.

Precedence, highest first: explicit values (the CLI's `--url`/`--token`), the
environment (`NETBOX_URL`, `NETBOX_TOKEN`), then the config file (`--config`, else
`$COLO_CONFIG`, else `./colo.yaml`, else `~/.config/colo/config.yaml`)::

    netbox:
      url: https://netbox.example.org
      token_file: ~/.config/colo/netbox-token   # or `token:` (keep the file private)
      verify_tls: true
      timeout_s: 60

The token is a secret: it is never part of a repr, a message or a log line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from inventory.config import ConfigFile, find_config_file, read_config
from inventory.errors import InputError


@dataclass(frozen=True)
class NetBoxSettings:
    url: str
    token: str
    verify_tls: bool = True
    timeout_s: float = 60

    def __repr__(self) -> str:
        return (f"NetBoxSettings(url={self.url!r}, token='***', "
                f"verify_tls={self.verify_tls!r}, timeout_s={self.timeout_s!r})")

    __str__ = __repr__


def _netbox_section(config: ConfigFile) -> dict[str, Any]:
    """The `netbox:` section, checked for unknown keys."""
    section = config.section("netbox")
    unknown = set(section) - {"url", "token", "token_file", "verify_tls", "timeout_s"}
    if unknown:
        raise InputError(f"{config.path}: netbox: unknown key(s) {', '.join(sorted(unknown))} "
                         "(expected url, token, token_file, verify_tls, timeout_s)")
    return section


def _token_from_file(token_file: str, config: Path) -> str:
    path = Path(token_file).expanduser()
    if not path.is_absolute():
        path = config.parent / path
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise InputError(f"{config}: netbox.token_file {path}: cannot read ({exc.strerror})") from None
    if not token:
        raise InputError(f"{config}: netbox.token_file {path} is empty")
    return token


def settings_from_env_and_file(config_path: Path | None = None, insecure: bool = False, *,
                               url: str | None = None, token: str | None = None) -> NetBoxSettings:
    """`netbox_settings` from this process's environment and the configuration file it names."""
    config = read_config(find_config_file(config_path, os.environ))
    return netbox_settings(config, os.environ, insecure, url=url, token=token)


def netbox_url(config: ConfigFile, environ: Mapping[str, str]) -> str | None:
    """The NetBox URL the environment or the configuration names (None: no NetBox configured)."""
    return environ.get("NETBOX_URL") or config.section("netbox").get("url") or None


def netbox_settings(config: ConfigFile, environ: Mapping[str, str], insecure: bool = False, *,
                    url: str | None = None, token: str | None = None) -> NetBoxSettings:
    """Build the settings; InputError names what is missing and where it may be given."""
    path, section = config.path, _netbox_section(config)

    url = url or netbox_url(config, environ)
    if not token:
        token = environ.get("NETBOX_TOKEN")
    if not token:
        if section.get("token"):
            token = str(section["token"]).strip()
        elif section.get("token_file"):
            token = _token_from_file(str(section["token_file"]), path or Path("."))
    missing = [name for name, value in (("URL", url), ("token", token)) if not value]
    if missing:
        raise InputError(
            f"NetBox {' and '.join(missing)} not set: set NETBOX_URL and NETBOX_TOKEN "
            f"(eval \"$(scripts/netbox-sandbox env)\" for the sandbox), pass --url/--token, "
            f"or put `netbox: {{url: ..., token_file: ...}}` in {path or './colo.yaml or ~/.config/colo/config.yaml'}")
    url = str(url).strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise InputError(f"NetBox URL {url!r} must start with http:// or https://")
    verify = not insecure
    timeout: float = 60
    if section:
        if section.get("verify_tls") is False:
            verify = False
        if section.get("timeout_s") is not None:
            try:
                timeout = float(section["timeout_s"])
            except (TypeError, ValueError):
                raise InputError(f"{path}: netbox.timeout_s must be a number of seconds") from None
    return NetBoxSettings(url=url, token=str(token).strip(), verify_tls=verify, timeout_s=timeout)
