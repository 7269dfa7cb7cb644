"""The fast path of `inventory.files.load_snapshot`: devices straight into rows.

The models (inventory/model.py) stay the rules; this path only takes a shortcut where it
can prove it gives their data. Devices, power ports and outlets are decoded into rows
(inventory/rows.py) and checked against the models' remaining rules here; every other
collection is validated by the models; the cross references by `check_references`, as
`Snapshot` does. Anything unproven returns None, and the caller validates the file with
the models as it always has, so a bad file gets exactly the message it got before: a
value the models would coerce (`"42"` for a number), a missing key, a broken rule, a key
given twice, text in another order or form than this path encodes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import msgspec
from msgspec import UNSET, UnsetType
from pydantic import ValidationError

from inventory.fastjson import same_without_whitespace
from inventory.model import FILE_CONTEXT, Snapshot, check_references
from inventory.rows import DeviceRow

# The snapshot's top level with the devices as rows and every other collection as plain
# data (validated by the models afterwards). Fields in the model's order, so that a file
# `dump_snapshot` wrote encodes back to its own text (the duplicate-key proof below).
_Top = msgspec.defstruct(
    "_Top", [(name, (list[DeviceRow] if name == "devices" else Any) | UnsetType, UNSET)
             for name in Snapshot.model_fields],
    forbid_unknown_fields=True, omit_defaults=True)
_decode_top = msgspec.json.Decoder(_Top)
_encode = msgspec.json.Encoder()


def snapshot_from_json(raw: bytes, checking: Callable[[], None] = lambda: None) -> Snapshot | None:
    """The snapshot of a JSON file's bytes, with rows; None where the models must decide.

    msgspec keeps the last of two equal keys, so its answer is taken only when the data,
    encoded again, is the text once all whitespace is removed from both: a key given
    twice would be missing from the encoding.
    `checking` is called once the text is read."""
    try:
        top = _decode_top.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    encoded = _encode.encode(top)
    if not same_without_whitespace(raw, encoded):
        return None
    del encoded, raw  # 200 MB of text: gone before the models build the rest (the
    # caller's reference was handed over with the call)
    data = {name: getattr(top, name) for name in Snapshot.model_fields if getattr(top, name) is not UNSET}
    checking()  # read; what is left is checking it
    return _assemble(data, data.pop("devices", []))


def snapshot_from_data(data: Any) -> Snapshot | None:
    """The snapshot of parsed data (YAML), with rows; None where the models must decide."""
    if not isinstance(data, dict) or not isinstance(data.get("devices", []), list):
        return None
    try:
        rows = msgspec.convert(data.get("devices", []), list[DeviceRow])
    except msgspec.ValidationError:
        return None
    return _assemble({k: v for k, v in data.items() if k != "devices"}, rows)


def _assemble(rest: dict[str, Any], rows: list[DeviceRow]) -> Snapshot | None:
    """The models validate everything but the rows; the rows get the models' defaults and
    cross-field rules; then every cross reference is checked, as `Snapshot` does."""
    if not _complete(rows):
        return None
    try:
        snapshot = Snapshot.model_validate({**rest, "devices": []},
                                           context={**FILE_CONTEXT, "references": False})
    except ValidationError:
        return None
    snapshot.devices = rows  # type: ignore[assignment]  # rows read as devices (AnyDevice)
    try:
        check_references(snapshot, creation_rules=True)
    except ValueError:
        return None
    return snapshot


def _complete(rows: list[DeviceRow]) -> bool:
    """Device's own rules on rows: the key defaults to the name, a position is a finite
    multiple of 0.5 with a face and a rack, a port has at most one peer. False sends the
    file to the models (their error message).

    On the way, every repeated string (a site, a rack, a type, a feed, a port's name) is
    made one object: the decoder makes a new one per occurrence (at 200,000 devices the
    process's peak went 617 -> 573 MiB)."""
    same: dict[str, str] = {}
    one = same.setdefault
    for d in rows:
        if not d.key:
            if not d.name:
                return False
            d.key = d.name
        elif d.name == d.key:
            d.name = d.key
        position = d.position
        if position is not None and (not math.isfinite(position) or position * 2 != int(position * 2)
                                     or d.face is None or d.rack is None):
            return False
        d.device_type, d.site, d.status, d.role = one(d.device_type, d.device_type), one(d.site, d.site), \
            one(d.status, d.status), one(d.role, d.role)
        if d.rack is not None:
            d.rack = one(d.rack, d.rack)
        if d.tenant is not None:
            d.tenant = one(d.tenant, d.tenant)
        for p in d.power_ports:
            if p.feed is not None:
                if p.outlet is not None:
                    return False
                p.feed = one(p.feed, p.feed)
            p.name = one(p.name, p.name)
        for o in d.power_outlets:
            o.name = one(o.name, o.name)
            if o.power_port is not None:
                o.power_port = one(o.power_port, o.power_port)
    return True


