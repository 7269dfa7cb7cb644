"""The `workflow:` and `policy:` sections of the configuration: requests folder, SLA
clock, lapse, SMTP; the capacity policy numbers.

Precedence, highest first: command-line options, environment variables
(`COLO_REQUESTS_DIR`, `COLO_SMTP_PASSWORD`, ...), the `workflow:` section of the
configuration file (`--config`, else `COLO_CONFIG`, else `./colo.yaml` if present),
the defaults below. The composition root (playbooks/context.py) reads the file and the
environment once and builds these objects; nothing else does. The SMTP password is only
ever read from the environment, at the moment of sending (`SmtpConfig.password`), so no
object holds it.
"""

from __future__ import annotations

import os
from datetime import date, time
from pathlib import Path
from typing import Any, Literal, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from capacity.policy import Policy
from inventory.config import ConfigFile
from inventory.errors import InputError
from inventory.files import describe_validation_error, validate_file

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SlaConfig(_Strict):
    timezone: str = Field("Asia/Makassar", description="Time zone of the working day (WITA).")
    day_start: time = Field(time(8, 0), description="Start of the working day.")
    day_end: time = Field(time(16, 0), description="End of the working day.")
    working_days: list[Weekday] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"],
        description="Days of the week that are working days.",
    )
    holiday_country: str = Field("ID", description="Country code for the `holidays` package.")
    holiday_subdivision: str | None = Field(None, description="Province code, if any.")
    holiday_categories: list[str] = Field(
        default_factory=lambda: ["public", "government"],
        description="`public` holidays and `government` collective leave (cuti bersama).",
    )
    extra_holidays: list[date] = Field(
        default_factory=list, description="Further days off (e.g. a regional decree)."
    )
    extra_working_days: list[date] = Field(
        default_factory=list, description="Days that are worked although the data says off."
    )
    total_working_days: float = Field(4, gt=0, description="The SOP's standard for the whole service.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (for example Asia/Makassar)") from None
        return v

    @model_validator(mode="after")
    def _day_order(self) -> "SlaConfig":
        if self.day_end <= self.day_start:
            raise ValueError("day_end must be after day_start")
        if not self.working_days:
            raise ValueError("working_days must name at least one day")
        return self


class SmtpConfig(_Strict):
    host: str = Field("localhost", description="SMTP server.")
    port: int = Field(25, ge=1, le=65535)
    starttls: bool = Field(False, description="Upgrade the connection with STARTTLS.")
    ssl: bool = Field(False, description="Connect with implicit TLS (port 465).")
    ca_file: Path | None = Field(None, description="CA certificate(s) to trust for TLS (PEM), "
                                 "e.g. the office's own CA; default: the system's.")
    username: str | None = Field(None, description="Login name; the password comes from the env.")
    password_env: str = Field("COLO_SMTP_PASSWORD", description="Variable holding the password.")
    sender: str = Field("noreply@localhost", description="From: address.")
    head_of_division: str | None = Field(
        None, description="E-mail of the head of the ICT division (Cc at step 9)."
    )
    timeout_s: float = Field(30, gt=0)
    enabled: bool = Field(True, description="Send mail at steps 6 and 9.")

    def password(self) -> str | None:
        return os.environ.get(self.password_env) or None


class WorkflowConfig(_Strict):
    requests_dir: Path = Field(Path("requests"), description="Folder of request files.")
    documents_dir: str = Field(
        "documents", description="Sub-folder of the requests folder for step documents."
    )
    capacity_source: str | None = Field(
        None, description="Snapshot source for step 3: demo, a file, or netbox (None: default)."
    )
    site: str | None = Field(None, description="Site requests are placed in (None: any).")
    lapse_working_days: float = Field(
        10, gt=0, description="Working days after approval before an uninstalled request lapses."
    )
    register_review_days: int = Field(365, ge=1, description="Maximum age of a register review.")
    colocation_role: str = Field("server", description="Device role of co-located servers.")
    sla: SlaConfig = Field(default_factory=SlaConfig)
    smtp: SmtpConfig = Field(default_factory=SmtpConfig)


def _env_overrides(data: dict[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    if environ.get("COLO_REQUESTS_DIR"):
        data["requests_dir"] = environ["COLO_REQUESTS_DIR"]
    if environ.get("COLO_CAPACITY_SOURCE"):
        data["capacity_source"] = environ["COLO_CAPACITY_SOURCE"]
    smtp = dict(data.get("smtp") or {})
    for key, var in (("host", "COLO_SMTP_HOST"), ("port", "COLO_SMTP_PORT"),
                     ("username", "COLO_SMTP_USERNAME"), ("sender", "COLO_SMTP_SENDER")):
        if environ.get(var):
            smtp[key] = environ[var]
    if smtp:
        data["smtp"] = smtp
    return data


def workflow_config(config: ConfigFile, environ: Mapping[str, str]) -> WorkflowConfig:
    """The `workflow:` section of the configuration file, with the environment's overrides."""
    section = _env_overrides(dict(config.section("workflow")), environ)
    try:
        return WorkflowConfig.model_validate(section)
    except ValidationError as exc:
        msg = describe_validation_error(exc, WorkflowConfig, section)
        raise InputError(f"{config.where('workflow')}: {msg}") from None


def policy_config(config: ConfigFile) -> Policy:
    """Defaults, overridden by the file's `policy:` section (unknown keys rejected)."""
    section = config.section("policy")
    if not section:
        return Policy()
    return validate_file(Policy, section, f"{config.path}: policy")
