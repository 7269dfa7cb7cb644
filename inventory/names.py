"""How names are written and matched, one rule each, for every layer.

- `slugify`: the slug of a name (NetBox slugs, request files' tenant slugs).
- `natural_key`: the sort order of names (`R2` before `R10`).
- `same_name` and `select_sites`: which object a name a person typed means.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from inventory.errors import InputError

#: NetBox's SlugField holds up to 100 characters.
SLUG_MAX = 100

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_DIGITS = re.compile(r"(\d+)")


def slugify(text: str, max_length: int = SLUG_MAX, empty: str = "x") -> str:
    """Lower-case ASCII letters and digits, every other run of characters one `-`.

    Accents are dropped first (`Café` -> `cafe`): NetBox's slugs take ASCII only. The
    result is cut at `max_length` (a cut may leave a trailing `-`, as it always has,
    so slugs already in NetBox and request files keep matching); `empty` stands in for
    a name with no letter or digit.
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")[:max_length] or empty


def natural_key(text: str) -> tuple[Any, ...]:
    """Sort key putting `R2` before `R10`: digit runs compare as numbers, the rest without case."""
    return tuple(int(part) if part.isdigit() else part.lower() for part in _DIGITS.split(text))


def same_name(value: str, *candidates: str | None) -> bool:
    """Whether `value` names one of `candidates` (a key, slug or name): equal without
    case and surrounding spaces."""
    v = value.strip().lower()
    return any(c is not None and c.lower() == v for c in candidates)


class SiteLike(Protocol):
    """What site selection reads of a site (`inventory.model.Site` has it)."""

    key: str
    slug: str
    name: str


def select_sites(sites: Sequence[SiteLike], wanted: Iterable[str] | None) -> list[str]:
    """Keys of the sites `wanted` names (by key, slug or name), in the order asked; every
    site when nothing is wanted. An unknown name is bad input naming the known sites."""
    wanted = list(wanted or ())
    if not wanted:
        return [s.key for s in sites]
    chosen: dict[str, None] = {}
    for w in wanted:
        hits = [s.key for s in sites if same_name(w, s.key, s.slug, s.name)]
        if not hits:
            known = ", ".join(sorted(s.slug for s in sites)) or "none"
            raise InputError(f"unknown site {w!r} (known sites: {known})")
        chosen.update(dict.fromkeys(hits))
    return list(chosen)
