"""Where the configuration file is, and reading one section of it.

One file holds every section (`netbox:`, `policy:`, `workflow:`, `documents:`); each
package validates its own section.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from inventory.errors import InputError
from inventory.files import read_structured

LOCAL_CONFIG = Path("colo.yaml")
USER_CONFIG = Path("~/.config/colo/config.yaml")


def find_config_file(explicit: Path | str | None = None) -> Path | None:
    """--config, else $COLO_CONFIG, else ./colo.yaml, else ~/.config/colo/config.yaml (if present).

    A file the user named (option or environment) must exist.
    """
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not path.exists():
            raise InputError(f"{path}: configuration file not found")
        return path
    env = os.environ.get("COLO_CONFIG")
    if env:
        path = Path(env).expanduser()
        if not path.exists():
            raise InputError(f"{path}: configuration file named by COLO_CONFIG not found")
        return path
    for candidate in (LOCAL_CONFIG, USER_CONFIG.expanduser()):
        if candidate.exists():
            return candidate
    return None


def config_section(path: Path | None, name: str) -> dict[str, Any]:
    """The mapping under `name:` in the file (empty when absent or no file)."""
    if path is None:
        return {}
    data = read_structured(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping at the top level")
    section = data.get(name) or {}
    if not isinstance(section, dict):
        raise InputError(f"{path}: {name}: expected a mapping")
    return section
