"""JSON at C speed (orjson) without giving up any rule of the exact reader.

`inventory/files.py` reads JSON with the standard library and an `object_pairs_hook`
that refuses duplicate keys: exact, but 2.6 s for a 200,000-device snapshot (125 MB).
orjson parses it in 0.5 s, but keeps the last of two equal keys silently. So the fast
path takes orjson's answer only when it provably holds every key of the text: the data,
serialized again by orjson, equals the text (byte for byte in orjson's indented form, which
`dump_snapshot` writes; else with all whitespace removed from both). A key that appeared
twice would appear once in the serialization, so the two would differ. Anything else
(a duplicate key, NaN, a number orjson cannot hold, a BOM, UTF-16, bad UTF-8, a NUL byte,
nesting deeper than `MAX_DEPTH`, a syntax error, a text formatted another way) returns None, and the caller reads the
text the exact way, which gives today's error message or today's data.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

_WHITESPACE = b" \t\n\r"
#: deeper nesting is left to the exact reader, which refuses about 1,000 levels (orjson
#: reads 1,024); a snapshot nests 6 deep
MAX_DEPTH = 200


def loads_checked(raw: bytes) -> Any | None:
    """The data of a JSON text, or None where the exact reader must decide."""
    try:
        data = orjson.loads(raw)  # refuses NaN, Infinity, invalid UTF-8, a BOM, control characters
    except orjson.JSONDecodeError:
        return None
    indented = orjson.dumps(data, option=orjson.OPT_INDENT_2)
    if indented.find(b"\n" + b"  " * MAX_DEPTH) >= 0:
        return None  # nested deeper than MAX_DEPTH: the exact reader says whether it is too deep
    if raw[:len(indented)] == indented and not raw[len(indented):].strip(_WHITESPACE):
        return data
    try:
        compact = orjson.dumps(data)
    except orjson.JSONEncodeError:
        return None
    if same_without_whitespace(raw, compact):
        return data
    return None


def dumps_indented(data: Any) -> bytes:
    """`data` as JSON indented by two spaces, UTF-8, newline at the end: the form
    `loads_checked` reads at full speed."""
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n"


def same_without_whitespace(a: bytes, b: bytes, block: int = 1 << 22) -> bool:
    """a == b once every space, tab and line break is taken out of both, compared `block`
    bytes at a time (the texts are 100+ MB: no stripped copy of either is made)."""
    blocks_a, blocks_b = _stripped_blocks(a, block), _stripped_blocks(b, block)
    left_a = left_b = memoryview(b"")
    while True:
        if not left_a:
            left_a = next(blocks_a, None)  # type: ignore[arg-type]
        if not left_b:
            left_b = next(blocks_b, None)  # type: ignore[arg-type]
        if left_a is None or left_b is None:
            return left_a is None and left_b is None
        n = min(len(left_a), len(left_b))
        if left_a[:n] != left_b[:n]:
            return False
        left_a, left_b = left_a[n:], left_b[n:]


def _stripped_blocks(text: bytes, size: int) -> Iterator[memoryview]:
    view = memoryview(text)
    for start in range(0, len(text), size):
        block = view[start:start + size].tobytes().translate(None, _WHITESPACE)
        if block:
            yield memoryview(block)
