"""Request files and file data centres the workflow tests share (unit tier).

`SAMPLE` is a submitted request file, `DRAFT` its draft (what `colo request new --from`
reads), `DRAFT_3U` the draft with a 3U server; `DC` the workflow's one-rack data centre,
`REGISTER_DC` it with servers for the register review, `HOSTILE_DC` it with a second
site, a cluster, a reservation and a commitment for the inconsistent-snapshot cases."""

from __future__ import annotations

SAMPLE = """\
# Surat permohonan Dinas Kesehatan, received by post
id: REQ-2026-0001
state: submitted
agency:
  unit_name: Dinas Kesehatan Provinsi Kalimantan Timur
  address: Jl. Basuki Rahmat No. 92, Samarinda
  tenant: dinkes   # NetBox tenant
person_in_charge:
  name: Budi Santoso
  nip: 198503142010011002
  phone: '0812-3456-7890'
  email: budi@kaltimprov.go.id
domain: simpus.kaltimprov.go.id
domain_activation_date: 2026-12-01
permanent: false
valid_until: 2027-12-31
servers:
  - name: dinkes-app-01
    make: Dell
    model: PowerEdge R650
    processor: 2x Xeon Silver 4314
    ram: 128 GB
    u_height: 1
    psu_count: 2
    allocated_draw_w: 350
    maximum_draw_w: 800
    bandwidth_mbps: 100   # agreed on the phone
history:
  - step: 1
    state: submitted
    by: Budi Santoso
    at: 2026-11-30 09:00:00+08:00
"""


DRAFT = SAMPLE[SAMPLE.index("agency:"):SAMPLE.index("history:")]


PDU = """\
  - {{name: pdu-{side}, device_type: apc-pdu, site: dc-kaltim, rack: R01, role: pdu,
     power_ports: [{{name: INPUT, feed: {feed}}}],
     power_outlets: [{{name: '1', power_port: INPUT}}, {{name: '2', power_port: INPUT}},
                     {{name: '3', power_port: INPUT}}, {{name: '4', power_port: INPUT}}]}}
"""


# One 6U rack: a 2U server at U1-U2 leaves U3-U6 free (4U). Two 16 A feeds at 230 V,
# 80 %: 2944 VA each, each with a 0U PDU of 4 outlets. The existing server draws 300 W
# per PSU through outlet 1 of each PDU.
DC = """\
sites:
  - name: dc-kaltim
racks:
  - {name: R01, site: dc-kaltim, u_height: 6, role: colocation}
device_types:
  - {manufacturer: HPE, model: DL380, u_height: 2}
  - {manufacturer: APC, model: PDU, u_height: 0}
devices:
  - name: old-01
    device_type: hpe-dl380
    site: dc-kaltim
    rack: R01
    position: 1
    face: front
    power_ports:
      - {name: PSU1, allocated_draw: 300, outlet: {device: pdu-a, name: '1'}}
      - {name: PSU2, allocated_draw: 300, outlet: {device: pdu-b, name: '1'}}
""" + "".join(PDU.format(side=side, feed=f"R01-{side.upper()}") for side in "ab") + """\
power_panels:
  - {name: PP-1, site: dc-kaltim}
power_feeds:
  - {name: R01-A, panel: PP-1, rack: R01, type: primary}
  - {name: R01-B, panel: PP-1, rack: R01, type: redundant}
uplinks:
  - {name: isp-1, site: dc-kaltim, provider: Telkom, commit_kbps: 1000000}
"""


# the sample's server, as a 3U machine: fits in U3-U5 or U4-U6, once
DRAFT_3U = DRAFT.replace("    u_height: 1\n", "    u_height: 3\n")


REGISTER_DC = DC.replace("""    power_ports:
      - {name: PSU1, allocated_draw: 300, outlet: {device: pdu-a, name: '1'}}
      - {name: PSU2, allocated_draw: 300, outlet: {device: pdu-b, name: '1'}}
""", """    serial: OLD1
    tenant: dinkes
    custom_fields: {domain: old.kaltimprov.go.id, last_review_date: '2025-11-01'}
  - name: temp-01
    device_type: hpe-dl380
    site: dc-kaltim
    rack: R01
    position: 3
    face: front
    serial: SN-T
    tenant: dinkes
    custom_fields: {domain: simpus.kaltimprov.go.id, request_id: REQ-2026-0001,
                    colocation_type: temporary, last_review_date: '2026-06-01'}
  - name: ghost-01
    device_type: hpe-dl380
    site: dc-kaltim
    rack: R01
    position: 5
    face: front
  - name: pdu-01
    device_type: hpe-dl380
    site: dc-kaltim
    role: pdu
""").replace("racks:\n", "tenants:\n  - {name: dinkes}\nracks:\n")


# the workflow's one-rack data centre, with a second site, a cluster, a reservation and
# a commitment for the inconsistent-snapshot cases to spoil
HOSTILE_DC = (DC
      .replace("  - name: dc-kaltim\n", "  - name: dc-kaltim\n  - name: dc-drc\n", 1)
      .replace("role: colocation}\n", "role: colocation}\n  - {name: D01, site: dc-drc, u_height: 6}\n", 1)
      .replace("power_panels:\n", "  - {name: host-01, device_type: hpe-dl380, site: dc-kaltim}\n"
               "reservations:\n  - {rack: R01, units: [5]}\npower_panels:\n", 1)
      + """\
clusters:
  - name: c1
    site: dc-kaltim
    hosts: [{device: host-01, capacity: {vcpus: 32, memory_gb: 256, disk_gb: 2000}}]
    vms: [{name: vm-1, vcpus: 2, memory_mb: 4096, disk_gb: 50, bandwidth_mbps: 10}]
commitments:
  - {request_id: REQ-2025-0009, rack: R01, draw_va: 100}
""")
