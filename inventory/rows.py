"""Devices, power ports and outlets of a file snapshot as compact rows (msgspec structs).

A 200,000-device snapshot holds 660,000 devices, ports and outlets. As pydantic models
they cost 1.3 s to validate and 630 MB (each one a `__dict__` and a fields-set); as
msgspec structs that the cyclic collector never tracks, decoded straight from the text,
0.3 s (0.2 s more for the models' other rules) and 154 MiB, repeated strings shared.
So `inventory.files.load_snapshot` reads those three collections into these rows
(inventory/fastload.py), and every other collection into the models.

A row has its model's field names, defaults and bounds (inventory/model.py: `Device`,
`PowerPort`, `PowerOutlet`, `OutletRef`), so whatever reads a device reads either kind;
what copies or reads one as data uses `inventory.model.replaced` and `plain`, and the
snapshot's own `model_dump` dumps either. The models' rules that are not bounds (a key
defaults to the name, a position is a multiple of 0.5 with a face and a rack, one peer
per port) are checked by inventory/fastload.py, which hands anything it cannot prove to
the models.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

from inventory.limits import INT_MAX, POSITION_MAX

# omit_defaults: encoded as `model_dump(exclude_defaults=True)` writes the model;
# gc=False: rows hold no cycles, so the cyclic collector never walks 660,000 of them
_ROW = {"forbid_unknown_fields": True, "omit_defaults": True, "gc": False}


class OutletRefRow(Struct, **_ROW):  # type: ignore[call-arg,misc]
    device: str
    name: str


class PowerPortRow(Struct, **_ROW):  # type: ignore[call-arg,misc]
    name: str
    allocated_draw: Annotated[int, Meta(ge=0, le=INT_MAX)] | None = None
    maximum_draw: Annotated[int, Meta(ge=1, le=INT_MAX)] | None = None
    feed: str | None = None
    outlet: OutletRefRow | None = None


class PowerOutletRow(Struct, **_ROW):  # type: ignore[call-arg,misc]
    name: str
    power_port: str | None = None
    feed_leg: Literal["A", "B", "C"] | None = None


class DeviceRow(Struct, kw_only=True, **_ROW):  # type: ignore[call-arg,misc]
    """`Device` as a row (keyword-only: its required fields sit amid defaulted ones)."""

    key: str = ""
    name: str = ""
    device_type: str
    site: str
    rack: str | None = None
    position: Annotated[float, Meta(ge=0.5, le=POSITION_MAX)] | None = None
    face: Literal["front", "rear"] | None = None
    status: str = "active"
    role: str = "server"
    tenant: str | None = None
    serial: str = ""
    asset_tag: str | None = None
    parent: str | None = None
    power_ports: list[PowerPortRow] = []
    power_outlets: list[PowerOutletRow] = []
    custom_fields: dict[str, Any] = {}
    netbox_id: int | None = None


@cache
def _defaults(kind: type[Struct]) -> dict[str, Any]:
    return {f.name: [] if f.default_factory is list else {} if f.default_factory is dict else f.default
            for f in msgspec.structs.fields(kind) if f.required is False}


def row_plain(row: Struct, *, exclude_defaults: bool = False, exclude_none: bool = False) -> dict[str, Any]:
    """A row's fields as plain Python data, as `model_dump` gives its model's."""
    defaults = _defaults(type(row))
    out: dict[str, Any] = {}
    for name in row.__struct_fields__:
        value = getattr(row, name)
        if (exclude_defaults and name in defaults and value == defaults[name]) or (exclude_none and value is None):
            continue
        if isinstance(value, Struct):
            value = row_plain(value, exclude_defaults=exclude_defaults, exclude_none=exclude_none)
        elif isinstance(value, list):
            value = [row_plain(v, exclude_defaults=exclude_defaults, exclude_none=exclude_none)
                     if isinstance(v, Struct) else v for v in value]
        elif isinstance(value, dict):
            value = dict(value)
        out[name] = value
    return out
