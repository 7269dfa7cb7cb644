"""The draft of the SOP walks against the real NetBox (`{sfx}`: the test's unique suffix)."""

DRAFT = """\
agency:
  unit_name: Dinas Kesehatan {sfx}
  address: Jl. Basuki Rahmat No. 92, Samarinda
  tenant: dinkes-{sfx}
person_in_charge:
  name: Budi {sfx}
  nip: '198503142010011002'
  phone: '0812-3456-7890'
  email: budi-{sfx}@kaltimprov.go.id
domain: simpus-{sfx}.kaltimprov.go.id
domain_activation_date: 2026-12-01
permanent: true
servers:
  - name: simpus-{sfx}
    make: Dell {sfx}
    model: PowerEdge R650
    processor: 2x Intel Xeon Silver 4314
    ram: 128 GB DDR4
    motherboard: Dell 0PJPW3
    storage: 4x 1.2 TB SAS
    psu: 2x 800 W
    u_height: 1
    psu_count: 2
    allocated_draw_w: 351
    maximum_draw_w: 800
    bandwidth_mbps: 100
"""
