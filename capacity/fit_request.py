"""The request `colo capacity check` reads: servers to rack and hosting to run, validated.

Bounds are capacity/limits.py's (docs/input-validation.md); the format is in
docs/capacity-space-and-fit.md.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from capacity.limits import (
    HOSTING_DISK_GB_MAX, HOSTING_MEMORY_GB_MAX, HOSTING_VCPUS_MAX, SERVER_BANDWIDTH_MBPS_MAX,
    SERVER_DRAW_W_MAX, SERVER_PSU_COUNT_MAX, SERVER_WEIGHT_KG_MAX,
)
from inventory.files import read_structured, validate_file
from inventory.limits import RACK_U_HEIGHT_MAX
from inventory.model import check_half_units


class _Req(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class ServerRequest(_Req):
    """One server to place. Draw in watts (treated as VA, as NetBox does)."""

    name: str = Field(min_length=1)
    u_height: float = Field(gt=0, le=RACK_U_HEIGHT_MAX)
    full_depth: bool = True
    psu_count: int = Field(2, ge=1, le=SERVER_PSU_COUNT_MAX)
    allocated_draw_w: int | None = Field(None, ge=0, le=SERVER_DRAW_W_MAX)
    maximum_draw_w: int | None = Field(None, ge=0, le=SERVER_DRAW_W_MAX)
    bandwidth_mbps: float = Field(0, ge=0, le=SERVER_BANDWIDTH_MBPS_MAX)
    weight_kg: float | None = Field(None, ge=0, le=SERVER_WEIGHT_KG_MAX)

    @field_validator("u_height")
    @classmethod
    def _half_units(cls, v: float) -> float:
        return check_half_units(v, "u_height")  # type: ignore[return-value]

    @model_validator(mode="after")
    def _some_draw(self) -> "ServerRequest":
        if not self.allocated_draw_w and not self.maximum_draw_w:
            raise ValueError(
                "give allocated_draw_w or maximum_draw_w (watts): without a draw the power, "
                "UPS and genset checks mean nothing"
            )
        if self.allocated_draw_w and self.maximum_draw_w and self.allocated_draw_w > self.maximum_draw_w:
            raise ValueError(f"allocated_draw_w ({self.allocated_draw_w}) exceeds maximum_draw_w "
                             f"({self.maximum_draw_w})")
        return self

    @property
    def draw_w(self) -> int:
        """allocated draw, or the maximum draw when no allocated draw is given."""
        return self.allocated_draw_w or self.maximum_draw_w or 0

    @property
    def draw_source(self) -> str:
        return "allocated" if self.allocated_draw_w else "maximum"


class HostingRequest(_Req):
    """Virtual machines to host on a cluster: vCPUs, RAM and disk."""

    vcpus: float = Field(0, ge=0, le=HOSTING_VCPUS_MAX)
    memory_gb: float = Field(0, ge=0, le=HOSTING_MEMORY_GB_MAX)
    disk_gb: float = Field(0, ge=0, le=HOSTING_DISK_GB_MAX)
    cluster: str | None = None

    @model_validator(mode="after")
    def _something(self) -> "HostingRequest":
        if not (self.vcpus or self.memory_gb or self.disk_gb):
            raise ValueError("hosting needs vcpus, memory_gb or disk_gb above 0")
        return self


class CapacityRequest(_Req):
    request_id: str | None = None
    tenant: str | None = None
    site: str | None = None
    servers: list[ServerRequest] = Field(default_factory=list)
    hosting: HostingRequest | None = None

    @model_validator(mode="after")
    def _needs_something(self) -> "CapacityRequest":
        if not self.servers and self.hosting is None:
            raise ValueError("a request needs servers, hosting or both")
        seen: set[str] = set()
        for s in self.servers:
            if s.name in seen:
                raise ValueError(f"server name {s.name!r} appears twice; names must be unique")
            seen.add(s.name)
        return self


def load_request(path: Path | str) -> CapacityRequest:
    """Read a request from YAML or JSON; errors name the file, the path and the field."""
    path = Path(path)
    return validate_file(CapacityRequest, read_structured(path), path)

