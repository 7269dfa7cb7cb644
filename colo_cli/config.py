"""The configuration file: where it is, and its `policy:` section."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from capacity.policy import Policy
from inventory.errors import InputError
from inventory.files import read_structured, validate_file


def config_file(explicit: Path | None = None) -> Path | None:
    """--config, else $COLO_CONFIG, else ./colo.yaml, else ~/.config/colo/config.yaml (if present)."""
    if explicit is not None:
        if not explicit.exists():
            raise InputError(f"{explicit}: configuration file not found")
        return explicit
    env = os.environ.get("COLO_CONFIG")
    if env:
        path = Path(env)
        if not path.exists():
            raise InputError(f"{path}: configuration file named by COLO_CONFIG not found")
        return path
    for candidate in (Path("colo.yaml"), Path.home() / ".config" / "colo" / "config.yaml"):
        if candidate.exists():
            return candidate
    return None


def config_section(path: Path | None, name: str) -> dict[str, Any]:
    if path is None:
        return {}
    data = read_structured(path) or {}
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping at the top level")
    section = data.get(name) or {}
    if not isinstance(section, dict):
        raise InputError(f"{path}: {name}: expected a mapping")
    return section


def load_policy(path: Path | None) -> Policy:
    """Defaults, overridden by the file's `policy:` section (unknown keys rejected)."""
    section = config_section(path, "policy")
    if not section:
        return Policy()
    return validate_file(Policy, section, f"{path}: policy")
