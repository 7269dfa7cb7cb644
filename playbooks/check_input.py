"""What `colo capacity check FILE` reads: a capacity request (docs/capacity-space-and-fit.md)
or a request file of the workflow, filled-in template included (`colo request template`).

A request file is recognised by its `agency` or `person_in_charge`, validated as the
workflow validates it (a draft has no id, state or history yet), and converted with the
mapping step 3 uses (`request_fit.capacity_request_data`), so `check` answers what step 3 will.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from capacity.fit_request import CapacityRequest, load_request
from inventory.errors import ColoError
from inventory.files import read_structured, read_text
from inventory.model import Snapshot
from playbooks.request_fit import capacity_request_data, resolve_tenant
from playbooks.request_model import Request
from playbooks.requests import parse_yaml, validate_request_or_draft

WORKFLOW_KEYS = ("agency", "person_in_charge")


@dataclass
class CheckInput:
    request: CapacityRequest
    note: str | None = None  # what of a request file the check used
    workflow_request: Request | None = None

    def for_snapshot(self, snapshot: Snapshot) -> CapacityRequest:
        """The request with its tenant as step 3 names it in this snapshot."""
        if self.workflow_request is None:
            return self.request
        data = self.request.model_dump(exclude_none=True)
        resolve_tenant(data, self.workflow_request, snapshot)
        return CapacityRequest.model_validate(data)


def read_check_input(path: Path) -> CheckInput:
    """The capacity request in `path`; bad input raises InputError naming the file and field."""
    data = read_structured(path)
    if not (isinstance(data, dict) and any(key in data for key in WORKFLOW_KEYS)):
        return CheckInput(load_request(path))
    # read again as the workflow reads request files (YAML 1.2, round trip)
    doc = data if path.suffix.lower() == ".json" else parse_yaml(read_text(path), path)
    req = validate_request_or_draft(doc, path)
    converted = capacity_request_data(req)
    if "id" not in doc:
        converted.pop("request_id")
    try:
        request = CapacityRequest.model_validate(converted)
    except ValueError as exc:  # the request validated, so this is a contract mismatch
        raise ColoError(f"{path}: cannot express the request for the capacity check: {exc}") from None
    return CheckInput(request, _used_keys(converted), req)


def _used_keys(converted: dict[str, Any]) -> str:
    parts = ["agency.tenant (else unit_name) as the tenant"]
    server_keys = sorted({k for s in converted.get("servers", []) for k in s})
    if server_keys:
        parts.append("servers[]." + ", ".join(server_keys))
    if converted.get("hosting"):
        parts.append("hosting." + ", ".join(sorted(converted["hosting"])))
    return ("a request file: the check uses " + "; ".join(parts)
            + " (the other keys are for the workflow)")
