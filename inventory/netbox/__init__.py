"""NetBox I/O: the only package of the project that talks to NetBox.

- client.py: the one HTTP client (authentication, retries, typed errors);
- conventions.py: the data-model conventions (custom fields, roles, export templates);
- kinds.py, compare.py: every object kind's natural key and compared fields, and how
  NetBox's values compare with ours;
- reconcile.py, write_once.py: the plan/apply engine (bulk, or one write at a time
  exactly once);
- bootstrap.py, snapshot_plan.py, snapshot_checks.py, writer.py: `colo netbox
  bootstrap` and `load`;
- loader.py: NetBox read into a `Snapshot` in bulk.
"""

from inventory.netbox.client import NetBoxClient, NetBoxSettings, settings_from_env_and_file

__all__ = ["NetBoxClient", "NetBoxSettings", "settings_from_env_and_file"]
