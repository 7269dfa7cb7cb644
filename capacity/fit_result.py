"""What `check_fit` answers: a verdict per dimension and ranked placement candidates.

Plain data (dataclasses). A `PlacementCandidate` is one way the whole request could be
placed, found by the search (capacity/fit_search.py); it is not the placement a request
file records once chosen (`playbooks.requests.Placement`). Rendered as text by
reports/fit_text.py, as JSON by `FitReport.to_dict`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Verdict = Literal["fits", "does not fit", "not requested"]


def num_text(x: float) -> str:
    """A number as a person writes it: `2`, `2.5`."""
    return str(int(x)) if float(x).is_integer() else str(x)


def figure_text(x: float | None) -> str:
    """A figure for a table or a reason: `-` when unknown, `1,234`, `1,234.5`."""
    if x is None:
        return "-"
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.1f}"


def rounded(x: float | None) -> float | None:
    """A dimension's figure as reported: one decimal."""
    return None if x is None else round(x, 1)


@dataclass
class DimensionCheck:
    dimension: str
    unit: str
    before: float | None
    requested: float | None
    after: float | None
    verdict: Verdict
    reason: str


@dataclass
class ServerSpot:
    server: str
    site: str  # site key
    site_name: str
    rack: str  # rack key
    rack_name: str
    position: float | None  # lowest unit the server occupies
    face: str | None
    u_height: float
    full_depth: bool
    feed_a: str | None  # feed keys
    feed_b: str | None  # None for a single-PSU server
    feed_a_name: str | None
    feed_b_name: str | None
    draw_va: int  # the server's whole draw, in W (the name predates the power factor)
    feed_a_draw_va: int | None  # its share on each feed in normal operation, in W
    feed_b_draw_va: int | None
    draw_source: str  # "allocated" | "maximum"
    # the leg of a three-phase feed its PSUs on that feed take (None: single-phase, or
    # spread over the legs when no leg has the outlets)
    feed_a_leg: str | None = None
    feed_b_leg: str | None = None

    @property
    def units(self) -> str:
        """`U10`, `U10-U11` for whole units; `U3.5 (0.5U)` when halves are involved."""
        if self.position is None:
            return "-"
        if float(self.position).is_integer() and float(self.u_height).is_integer():
            top = self.position + self.u_height - 1
            return f"U{num_text(self.position)}" + (f"-U{num_text(top)}" if top > self.position else "")
        return f"U{num_text(self.position)} ({num_text(self.u_height)}U)"


@dataclass
class PlacementCandidate:
    """One candidate for the whole request: a spot for every server, and its rank."""

    servers: list[ServerSpot]
    site: str
    site_name: str
    racks: list[str]  # rack names used, in order of first use
    racks_used: int
    empty_racks_used: int  # racks without a counted device before this request
    slack_u: float  # spare units left in the free blocks the servers went into
    score: float  # lower is tighter; ranks like (racks_used, empty_racks_used, slack_u)


@dataclass
class FitReport:
    request_id: str | None
    tenant: str | None
    site: str | None
    fits: bool
    dimensions: list[DimensionCheck]
    placements: list[PlacementCandidate]
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cluster: str | None = None  # key of the cluster the hosting dimensions were checked on

    def dimension(self, name: str) -> DimensionCheck:
        return next(d for d in self.dimensions if d.dimension == name)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for p, placement in zip(data["placements"], self.placements):
            for s, sp in zip(p["servers"], placement.servers):
                s["units"] = sp.units
        return data

