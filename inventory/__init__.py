"""NetBox and file I/O. Only `inventory.netbox` talks to NetBox."""
