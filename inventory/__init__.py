"""NetBox and file I/O. Only `inventory.netbox` imports pynetbox."""
