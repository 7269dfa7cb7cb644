"""Python's cyclic garbage collector around phases that build or walk millions of objects.

A large snapshot is millions of small, long-lived objects and no reference cycle: every
full collection that their allocation triggers walks the whole growing heap again
(loading a 200,000-device file: 12.4-12.8 s with the collector, 3.4-4.4 s without).
Reference counting frees everything as usual while the collector is paused.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic collector; restored to its previous state on the way out.

    The capacity passes allocate hundreds of thousands of small lists and tuples over a
    heap of millions of snapshot objects (a full collection: 1 to 2 s each on 200,000
    devices); the loaders allocate the snapshot itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def building_long_lived() -> Iterator[None]:
    """`gc_paused` for building a large structure that lives on (a snapshot): on the way
    out, every object still alive moves straight to the oldest generation
    (`gc.freeze()` then `gc.unfreeze()`), so the young collections that follow do not
    walk the new millions of objects once per generation. Full collections, which do,
    only come once the oldest generation has grown by a quarter."""
    with gc_paused():
        yield
        gc.freeze()
        gc.unfreeze()
