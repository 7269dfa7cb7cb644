"""The `policy:` section of the configuration file."""

from __future__ import annotations

from pathlib import Path

from capacity.policy import Policy
from inventory.config import config_section
from inventory.config import find_config_file as config_file  # noqa: F401  (re-exported for the commands)
from inventory.files import validate_file


def load_policy(path: Path | None) -> Policy:
    """Defaults, overridden by the file's `policy:` section (unknown keys rejected)."""
    section = config_section(path, "policy")
    if not section:
        return Policy()
    return validate_file(Policy, section, f"{path}: policy")
