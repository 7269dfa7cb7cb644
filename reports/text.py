"""Text for a terminal: names from files and NetBox may hold control characters (a bell,
an escape sequence that recolours or clears the screen, a right-to-left override that
reorders what is shown); tables print them removed."""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, and the bidirectional embeddings, overrides and isolates
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` without control characters (a tab or a newline becomes a space)."""
    return _UNPRINTABLE.sub(lambda m: " " if m.group() in "\t\n\r" else "", text)
