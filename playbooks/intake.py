"""Step 1 and the request files' own checks: `new_request` records a request from a
draft (`colo request template`, filled in) and/or the options, `validate_files` checks
request files as every command reads them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from inventory.errors import InputError
from inventory.files import read_text
from playbooks.context import App
from playbooks.requests import (
    RequestFile, check_draft_keys, check_file_name, dump_yaml, parse_yaml, to_yaml_data, validate_request,
)
from playbooks.workflow import parse_at, record_document

TEMPLATE = """\
# Co-location / hosting request (surat permohonan + Form Pengajuan).
# Fill in, then: colo request new --from THIS_FILE --by "NAME OF CLERK"
agency:
  unit_name: Dinas Contoh Provinsi Kalimantan Timur   # Nama Unit (OPD)
  address: Jl. Contoh No. 1, Samarinda                # Alamat Unit
  # tenant: dinas-contoh                              # NetBox tenant slug (default: from the name)
person_in_charge:                                     # Penanggung Jawab
  name: Nama Penanggung Jawab
  nip: '198503142010011002'                           # 18 digits: birth date, appointment month, gender, serial
  phone: '0812-3456-7890'                             # quote it: a leading 0 or + must survive
  email: nama@kaltimprov.go.id
domain: aplikasi.kaltimprov.go.id
domain_activation_date: 2026-12-01
permanent: true                                       # false: temporary, then give valid_until
# valid_until: 2027-12-31
servers:                                              # co-location; leave out for hosting only
  - name: contoh-app-01
    make: Dell
    model: PowerEdge R650
    # serial: ABC1234                                 # known at delivery (step 7) at the latest
    processor: 2x Intel Xeon Silver 4314
    ram: 128 GB DDR4
    motherboard: Dell 0PJPW3
    storage: 4x 1.2 TB SAS
    psu: 2x 800 W
    u_height: 1
    full_depth: true
    psu_count: 2
    allocated_draw_w: 350                             # typical draw, W
    maximum_draw_w: 800                               # nameplate, W
    bandwidth_mbps: 100
# hosting:                                            # hosting on the data centre's cluster
#   vcpus: 4
#   memory_gb: 8
#   disk_gb: 200
#   vm_name: aplikasi-01                              # its VM in NetBox (default: the domain)
"""


# the options of `colo request new` that set a field: option name -> path in the request file
FLAG_FIELDS = {
    "unit_name": ("agency", "unit_name"), "address": ("agency", "address"),
    "tenant": ("agency", "tenant"), "pic_name": ("person_in_charge", "name"),
    "nip": ("person_in_charge", "nip"), "phone": ("person_in_charge", "phone"),
    "email": ("person_in_charge", "email"), "domain": ("domain",),
    "activation_date": ("domain_activation_date",), "valid_until": ("valid_until",),
}


@dataclass
class NewRequest:
    """What step 1 records: a draft file and/or the fields given as options."""

    draft: Path | None = None
    fields: dict[str, str | None] | None = None  # FLAG_FIELDS names -> value
    permanent: bool | None = None
    servers: list[dict[str, Any]] | None = None
    hosting: dict[str, Any] | None = None


def _request_document(new: NewRequest) -> Any:
    """The request's YAML tree: the draft (its comments kept), the options written over it."""
    if new.draft is not None:
        doc = parse_yaml(read_text(new.draft, "draft"), new.draft)
        if doc is None:
            doc = to_yaml_data({})
        if not isinstance(doc, dict):
            raise InputError(f"{new.draft}: expected a mapping at the top level")
        check_draft_keys(doc, new.draft)
    else:
        doc = to_yaml_data({})
    for name, path in FLAG_FIELDS.items():
        value = (new.fields or {}).get(name)
        if value is None:
            continue
        node = doc
        for k in path[:-1]:
            if k not in node or not isinstance(node[k], dict):
                node[k] = to_yaml_data({})
            node = node[k]
        node[path[-1]] = value
    if new.permanent is not None:
        doc["permanent"] = new.permanent
    if new.servers:
        doc["servers"] = to_yaml_data(new.servers)
    if new.hosting:
        doc["hosting"] = to_yaml_data(new.hosting)
    return doc


def new_request(app: App, new: NewRequest, *, by: str | None, at_text: str | None,
                document: Path | None = None, note: str | None = None) -> tuple[str, Path]:
    """Record a new request (step 1): its id (REQ-YYYY-NNNN, the next free one) and file.
    A bad request never gets an id: it is validated before the file is visible."""
    doc = _request_document(new)
    now = app.clock.now()
    at = parse_at(at_text, app.tz, now)
    if at > now + timedelta(minutes=5):
        raise InputError(f"--at {at.isoformat()} is in the future")
    if document is not None and not document.is_file():
        raise InputError(f"--document {document}: no such file")

    def render(request_id: str) -> str:
        doc.insert(0, "id", request_id)
        doc.insert(1, "state", "submitted")
        doc.insert(2, "created_at", now)
        pic = doc.get("person_in_charge") if isinstance(doc.get("person_in_charge"), dict) else {}
        who = (by or (pic or {}).get("name") or "").strip() or "unknown"
        entry: dict[str, Any] = {"step": 1, "state": "submitted", "by": who, "at": at}
        if note:
            entry["note"] = note
        doc["history"] = to_yaml_data([entry])
        validate_request(doc, new.draft if new.draft is not None else "new request (from the options)")
        return dump_yaml(doc)

    request_id, path = app.store.create(at.year, render)
    if document is not None:
        rf = RequestFile.load(path)
        rel, checksum = record_document(app.store, request_id, document)
        rf.doc["history"][0]["document"] = rel
        rf.doc["history"][0]["checksum"] = checksum
        rf.save()
    return request_id, path


def validate_files(app: App, files: list[Path]) -> list[tuple[Path, InputError | None]]:
    """Each request file (default: every file in the requests folder) with what is wrong
    with it (None: it is good)."""
    paths = files or [app.store.path_for(i) for i in app.store.ids()]
    out: list[tuple[Path, InputError | None]] = []
    for p in paths:
        try:
            check_file_name(p, RequestFile.load(p).request)
            out.append((p, None))
        except InputError as exc:
            out.append((p, exc))
    return out
