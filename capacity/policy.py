"""Every policy number the capacity maths uses, in one place, with documented defaults.

Users override any of them in the `policy:` section of the configuration file
(see docs/configuration.md); `Policy()` gives the defaults below.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # --- space -----------------------------------------------------------
    open_rack_statuses: list[str] = Field(
        default_factory=lambda: ["active"],
        description="Rack statuses open for co-location placements.",
    )
    open_rack_roles: list[str] | None = Field(
        default_factory=lambda: ["colocation"],
        description="Rack roles open for co-location; null = any role (racks without a role "
        "count as open only when this is null).",
    )
    dedicated_racks_for_tenant_only: bool = Field(
        True, description="A rack with a tenant is offered to that tenant only."
    )
    rack_headroom_u: float = Field(
        0, ge=0, description="Units kept free in every rack (never offered to a placement)."
    )

    # --- power -----------------------------------------------------------
    power_factor: float = Field(
        0.95, gt=0, le=1, description="Power factor of IT loads (modern PSUs): VA = W / power factor; "
        "a device type's custom field power_factor overrides it.",
    )
    ups_derating: float = Field(
        0.8, gt=0, le=1, description="Share of a UPS's rated VA and rated W that may be loaded."
    )
    ups_efficiency: float = Field(
        0.94, gt=0, le=1, description="UPS efficiency: UPS input = UPS output / efficiency."
    )
    ups_rated_power_factor: float = Field(
        0.9, gt=0, le=1, description="A UPS with only rated_va is taken as rated_w = rated_va x this."
    )
    ups_recharge_pct: float = Field(
        10, ge=0, le=100, description="Battery recharge load on the genset, % of each UPS's rating."
    )
    genset_derating: float = Field(
        0.8, gt=0, le=1, description="Share of a genset's rated VA and rated W that may be loaded."
    )
    genset_rated_power_factor: float = Field(
        0.8, gt=0, le=1, description="A genset with only rated_va is taken as rated_w = rated_va x this."
    )
    leg_imbalance_max_pct: float = Field(
        20, ge=0, description="Three-phase feeds whose legs are more unbalanced than this are reported "
        "(largest deviation from the mean leg load, % of the mean).",
    )

    # --- cooling ---------------------------------------------------------
    cooling_n_plus_one: bool = Field(
        True, description="Keep the largest cooling unit of each room spare (N+1)."
    )
    require_failover_safe: bool = Field(
        True,
        description="A request fits only if every A/B feed, UPS and genset still carries the "
        "whole load after one side fails.",
    )

    # --- bandwidth -------------------------------------------------------
    bandwidth_oversubscription: float = Field(
        1.0, gt=0, description="Allocatable bandwidth = commit rate x this ratio."
    )
    bandwidth_n_plus_one: bool = Field(
        False, description="Plan bandwidth as if the largest uplink were down."
    )

    # --- hosting compute -------------------------------------------------
    cpu_overcommit: float = Field(
        4.0, gt=0, description="vCPUs allocatable per physical core (per declared vCPU when a host "
        "gives no cores).",
    )
    memory_overcommit: float = Field(1.0, gt=0, description="RAM allocatable per GB installed.")
    disk_overcommit: float = Field(1.0, gt=0, description="Disk allocatable per GB installed.")
    compute_n_plus_one: bool = Field(
        True, description="Keep the largest host of each cluster spare (N+1)."
    )
    hypervisor_reserved_gb: float = Field(
        8.0, ge=0, description="Memory each host keeps for its hypervisor, never given to VMs."
    )

    # --- placement -------------------------------------------------------
    max_placements: int = Field(5, ge=1, description="Ranked placement candidates to show.")
