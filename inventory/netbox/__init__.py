"""NetBox I/O: the client, bootstrap of the data-model conventions, the writer, the loader.

The only package of the project that imports pynetbox.
"""

from inventory.netbox.client import NetBoxClient, NetBoxSettings, settings_from_env_and_file

__all__ = ["NetBoxClient", "NetBoxSettings", "settings_from_env_and_file"]
