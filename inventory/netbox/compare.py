"""How a value colo would send compares with NetBox's representation of it.

NetBox answers a related object as `{"id": …, …}` and a choice as `{"value": …,
"label": …}`, numbers as numbers or strings, and empty text as "" or null; a write
sends ids, choice values and plain JSON. `norm` reduces NetBox's side, `jsonable`
ours, `same` compares them, and `compare` gives what differs and the PATCH that fixes
it (only the custom fields that differ: NetBox merges them).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Mapping

Row = Mapping[str, Any]


def norm(value: Any) -> Any:
    """NetBox's representation reduced to what a write sends: ids and choice values."""
    if isinstance(value, dict):
        if "id" in value:
            return value["id"]
        if "value" in value and ("label" in value or len(value) == 1):  # a choice
            return value["value"]
        return {k: norm(v) for k, v in value.items()}
    if isinstance(value, list):
        return [norm(v) for v in value]
    return value


def field_at(obj: Row, path: str) -> Any:
    """The value at a dotted path (`custom_fields.nip`); None where something is missing."""
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


class Contains(list):  # noqa: D401 - a marker type
    """A desired list value that only needs to be contained in NetBox's (object_types)."""


def jsonable(value: Any) -> Any:
    """Plain JSON values: dates as ISO strings, Decimals as numbers, tuples as lists."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float, Decimal)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    return None


def same(desired: Any, existing: Any) -> bool:
    """Is NetBox's value (`existing`, raw) what we want (`desired`, as we would send it)?"""
    existing = norm(existing)
    contains = isinstance(desired, Contains)
    desired = jsonable(desired)
    if desired in (None, "") and existing in (None, ""):
        return True
    if contains or (isinstance(desired, list) and isinstance(existing, list)):
        if not isinstance(existing, list):
            return False
        have = {json.dumps(x, sort_keys=True) for x in existing}
        want = {json.dumps(x, sort_keys=True) for x in desired}
        return want <= have if contains else want == have
    if isinstance(desired, dict):
        if not isinstance(existing, dict):
            existing = {}
        return all(same(v, existing.get(k)) for k, v in desired.items())
    if isinstance(desired, bool) or isinstance(existing, bool):
        return desired == existing
    dn, en = _number(desired), _number(existing)
    if dn is not None and en is not None and not (isinstance(desired, str) and isinstance(existing, str)):
        return abs(dn - en) < 1e-9
    return desired == existing


def _patch_value(desired: Any, existing: Any) -> Any:
    if isinstance(desired, Contains):  # keep what NetBox has, add ours
        merged = list(norm(existing) or [])
        for item in desired:
            if item not in merged:
                merged.append(item)
        return merged
    if isinstance(desired, dict):  # custom fields: send only the changed keys (NetBox merges)
        existing = existing if isinstance(existing, dict) else {}
        return {k: jsonable(v) for k, v in desired.items() if not same(v, existing.get(k))}
    return jsonable(desired)


def compare(desired: Row, existing: Row) -> tuple[dict[str, tuple[Any, Any]], dict[str, Any]]:
    """What differs between the fields we want and NetBox's object, as (NetBox's value, ours)
    per field (custom fields as `cf.NAME`), and the PATCH payload that sets only those."""
    diff: dict[str, tuple[Any, Any]] = {}
    patch: dict[str, Any] = {}
    for k, v in desired.items():
        have = existing.get(k)
        if same(v, have):
            continue
        if k == "custom_fields" and isinstance(v, dict):
            have_cf = have if isinstance(have, dict) else {}
            diff.update({f"cf.{ck}": (norm(have_cf.get(ck)), cv) for ck, cv in v.items()
                         if not same(cv, have_cf.get(ck))})
        else:
            diff[k] = (norm(have), v)
        patch[k] = _patch_value(v, have)
    return diff, patch
