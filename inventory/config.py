"""Where the configuration file is, and reading it (once).

One file holds every section (`netbox:`, `policy:`, `workflow:`, `documents:`); each
package validates its own section. Only the composition root (playbooks/context.py)
finds and reads it; the rest of the code is handed the validated sections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from inventory.errors import InputError
from inventory.files import read_structured

LOCAL_CONFIG = Path("colo.yaml")
USER_CONFIG = Path("~/.config/colo/config.yaml")


def find_config_file(explicit: Path | str | None, environ: Mapping[str, str]) -> Path | None:
    """--config, else $COLO_CONFIG, else ./colo.yaml, else ~/.config/colo/config.yaml (if present).

    A file the user named (option or environment) must exist.
    """
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not path.exists():
            raise InputError(f"{path}: configuration file not found")
        return path
    named = environ.get("COLO_CONFIG")
    if named:
        path = Path(named).expanduser()
        if not path.exists():
            raise InputError(f"{path}: configuration file named by COLO_CONFIG not found")
        return path
    for candidate in (LOCAL_CONFIG, USER_CONFIG.expanduser()):
        if candidate.exists():
            return candidate
    return None


@dataclass(frozen=True)
class ConfigFile:
    """The configuration file as read: its path (None: no file) and its top-level mapping."""

    path: Path | None
    data: Mapping[str, Any] = field(default_factory=dict)

    def section(self, name: str) -> dict[str, Any]:
        """The mapping under `name:` (empty when absent or no file)."""
        section = self.data.get(name) or {}
        if not isinstance(section, dict):
            raise InputError(f"{self.path}: {name}: expected a mapping")
        return section

    def where(self, name: str) -> str:
        """How messages name the section: `FILE: name`, or the environment without a file."""
        return f"{self.path}: {name}" if self.path is not None else "configuration (environment)"


def read_config(path: Path | None) -> ConfigFile:
    """The file at `path` (None: no file, every section empty)."""
    if path is None:
        return ConfigFile(None)
    data = read_structured(path)
    if data is None:
        return ConfigFile(path)
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping at the top level")
    return ConfigFile(path, data)

