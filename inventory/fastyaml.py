"""YAML read from libyaml's events into plain data, without PyYAML's node tree.

`yaml.load` with the C loader first builds a node object, with two marks, for every
scalar, sequence and mapping of the document, then constructs the data from them in
Python: for a 200,000-device snapshot (74 MB, 9.7 million events) that took 34 s and
4.1 GB. Here the C parser's events are turned into dicts, lists and scalars as they
come (9.6 s, of which 7 s are libyaml's events themselves; the data's own memory).

Only the plain subset of YAML that snapshots use is built here: block or flow mappings
and sequences with scalar keys, scalars without explicit tags, implicit types resolved by
PyYAML's own resolver and constructors (the same YAML 1.1 rules as `yaml.safe_load`:
`yes` is true, `1_000` is 1000, dates are dates). Anything else (an alias, a duplicate
key, an explicit tag, a merge key `<<`, a key that is not a scalar, more than one
document, nesting deeper than `MAX_DEPTH`, any syntax error) raises `NotPlain`, and the
caller reads the text the exact way (inventory/files.py), which gives today's data or
today's error message.
"""

from __future__ import annotations

from typing import Any, Callable

import yaml
from yaml.events import (
    DocumentEndEvent, DocumentStartEvent, MappingEndEvent, MappingStartEvent, ScalarEvent,
    SequenceEndEvent, SequenceStartEvent, StreamEndEvent, StreamStartEvent,
)
from yaml.nodes import ScalarNode

#: implicit types built by PyYAML's constructors; any other resolved tag is not plain
_CONSTRUCTED = {f"tag:yaml.org,2002:{kind}" for kind in ("null", "bool", "int", "float", "timestamp")}
_RESOLVERS = yaml.resolver.Resolver.yaml_implicit_resolvers
#: deeper nesting is left to the exact reader (which refuses about 1,000 levels); a snapshot
#: nests 6 deep
MAX_DEPTH = 200
_CACHE_LIMIT = 100_000  # plain scalars that are not strings kept (numbers repeat: positions, draws)
PROGRESS_EVERY = 2_000
_MISSING = object()
_NO_KEY = object()  # a mapping waiting for its next key (None is a key YAML allows: `~: x`)


class NotPlain(Exception):
    """The text needs the exact reader (an error, or YAML beyond the plain subset)."""


def load_plain(text: str, progress: Callable[[int, int], None] | None = None) -> Any:
    """The data of a one-document YAML text, as `yaml.safe_load` gives it; `NotPlain` if the
    text is beyond the plain subset or not valid YAML. `progress` hears the characters
    read out of all, now and then (after every `PROGRESS_EVERY` items of a top-level list)."""
    try:
        parser = yaml.CSafeLoader(text) if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader(text)
        return _build(parser, progress, len(text))
    except yaml.YAMLError:
        raise NotPlain from None


def _build(parser: Any, progress: Callable[[int, int], None] | None, size: int) -> Any:
    get = parser.get_event
    if type(get()) is not StreamStartEvent:
        raise NotPlain
    first = get()
    if type(first) is StreamEndEvent:
        return None  # an empty file
    if type(first) is not DocumentStartEvent:
        raise NotPlain
    typed = _Typed()
    # the container being built (None: none yet), whether it is a mapping, its pending key;
    # the enclosing ones on `outer`
    top: Any = None
    is_map = False
    key: Any = _NO_KEY
    outer: list[tuple[Any, bool, Any]] = []
    items = 0  # ended items of top-level lists (devices, racks, ...), for `progress`
    while True:  # one pass per event: this loop is the reader's whole cost
        event = get()
        kind = type(event)
        if kind is ScalarEvent:
            if event.tag is not None:
                raise NotPlain
            value = event.value
            if event.implicit[0] and value[:1] in _RESOLVERS:  # plain, and may be a number, date, ...
                value = typed(value)
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            if event.tag is not None:
                raise NotPlain  # !!omap, !!set, ...
            value = {} if kind is MappingStartEvent else []
            if is_map:
                if key is _NO_KEY:
                    raise NotPlain  # a mapping or sequence as a key
                top[key] = value
                key = _NO_KEY
            elif top is not None:
                top.append(value)
            outer.append((top, is_map, key))
            if len(outer) > MAX_DEPTH:
                raise NotPlain  # the exact reader says whether that is too deep
            top, is_map, key = value, kind is MappingStartEvent, _NO_KEY
            continue
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            done = top
            top, is_map, key = outer.pop()
            if top is None:
                return _ending(get, done)
            if progress is not None and len(outer) == 2:
                items += 1
                if items % PROGRESS_EVERY == 0:
                    progress(event.end_mark.index, size)
            continue
        elif kind is DocumentEndEvent:  # an empty document
            return _ending(get, None, document_ended=True)
        else:  # an alias, or an event the plain subset does not have
            raise NotPlain
        if is_map:
            if key is _NO_KEY:
                if value in top:
                    raise NotPlain  # a key given twice: the exact reader says whether that is an error
                key = value
            else:
                top[key] = value
                key = _NO_KEY
        elif top is not None:
            top.append(value)
        else:
            return _ending(get, value)  # a document that is one scalar


class _Typed:
    """Plain scalars that PyYAML's resolver types (numbers, booleans, null, dates), built by
    its SafeConstructor; the values seen are kept (positions and draws repeat)."""

    def __init__(self) -> None:
        self.constructor = yaml.constructor.SafeConstructor()
        self.made: dict[str, Any] = {}

    def __call__(self, value: str) -> Any:
        made = self.made.get(value, _MISSING)
        if made is not _MISSING:
            return made
        for tag, pattern in _RESOLVERS[value[:1]]:
            if pattern.match(value):
                break
        else:
            return value  # a string after all
        if tag not in _CONSTRUCTED:
            raise NotPlain  # a merge key `<<`, `=`, ...
        made = self.constructor.yaml_constructors[tag](self.constructor, ScalarNode(tag, value))
        if len(self.made) >= _CACHE_LIMIT:
            self.made.clear()
        self.made[value] = made
        return made


def _ending(get: Any, root: Any, document_ended: bool = False) -> Any:
    """`root`, if the stream ends after its document (more documents: not plain)."""
    if not document_ended and type(get()) is not DocumentEndEvent:
        raise NotPlain
    if type(get()) is not StreamEndEvent:
        raise NotPlain
    return root
