"""Plausible maxima of what one request asks, for request files and `capacity check`.

Above these a number is a typo (a draw in mW, a bandwidth in kbps), not a plan: it is
refused naming the field, before any capacity is computed. Chosen with room above the
largest real hardware (docs/input-validation.md):
- draw: a whole rack of the densest GPU servers draws about 130 kW; 1 MW per server is
  far above anything that is racked, and far below 10^30;
- power supplies: 8, as the request form has always allowed;
- bandwidth: 400 Gbit/s, the fastest common port;
- hosting: 4,096 vCPUs, 64 TiB of memory, 10 PB of disk for one application.
Heights are bounded by NetBox's tallest rack (inventory.model.RACK_U_HEIGHT_MAX).
"""

from __future__ import annotations

SERVER_DRAW_W_MAX = 1_000_000
SERVER_PSU_COUNT_MAX = 8
SERVER_BANDWIDTH_MBPS_MAX = 400_000
SERVER_WEIGHT_KG_MAX = 2_000
HOSTING_VCPUS_MAX = 4_096
HOSTING_MEMORY_GB_MAX = 65_536
HOSTING_DISK_GB_MAX = 10_000_000
