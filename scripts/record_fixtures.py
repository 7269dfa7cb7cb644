#!/usr/bin/env python3
"""Record what a real NetBox answers the registration and withdrawal planners, for the
gateway tests (tests/gateway/test_registration_plan.py), as pynetbox keeps its
tests/fixtures: plain JSON of real answers.

    eval "$(scripts/netbox-sandbox env)" && export NETBOX_URL NETBOX_TOKEN
    .venv/bin/python scripts/record_fixtures.py      # rewrites tests/fixtures/netbox/*.json

Against the NetBox of NETBOX_URL (the shared sandbox: everything is written under a new
suffix, as the integration tests do; nothing is deleted). It seeds a co-location site
(tests/support/registration.py: two racks, A/B feeds through PDUs), makes a delivered
request with step 5's real reservation, then records four plans:

- registration-fresh: nothing of the request is in NetBox yet (but its reservation);
- registration-half: after an apply that stopped right after creating the device;
- registration-done: after a complete apply (a plan of 0 changes);
- withdrawal: the withdrawal of the registered server.

Each file holds the request (its file's fields), the handover date and every GET the
planner made, in order: path, query, status and JSON body, with the sandbox's address
replaced by http://netbox.test. Headers are not recorded (the token travels in one);
the script refuses to write a file that contains the token anyway.
"""

from __future__ import annotations

import json
import sys
import uuid
from datetime import date
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

OUT = REPO / "tests" / "fixtures" / "netbox"
FAKE_URL = "http://netbox.test"
HANDOVER = date(2026, 1, 15)
REASONS = "moved to the provincial cloud"


class Recorder:
    """Every GET answer of a client's session while `recording`."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.exchanges: list[dict[str, Any]] | None = None
        client.http.hooks["response"].append(self._hook)

    def _hook(self, response: Any, *args: Any, **kwargs: Any) -> None:
        if self.exchanges is None or response.request.method != "GET":
            return
        url = urlsplit(response.request.url)
        self.exchanges.append({"path": url.path, "query": parse_qs(url.query, keep_blank_values=True),
                               "status": response.status_code, "body": response.json()})

    def record(self, what: Callable[[], Any]) -> tuple[Any, list[dict[str, Any]]]:
        self.exchanges = []
        try:
            return what(), self.exchanges
        finally:
            self.exchanges = None


def save(name: str, req: Any, exchanges: list[dict[str, Any]], client: Any, token: str) -> None:
    text = json.dumps({
        "recorded_by": "scripts/record_fixtures.py", "netbox": client.version,
        "request": req.model_dump(mode="json", exclude_none=True), "handover": HANDOVER.isoformat(),
        "exchanges": exchanges}, indent=1, sort_keys=True, ensure_ascii=False)
    text = text.replace(client.base_url, FAKE_URL)
    if any(secret in text for secret in {token, token.split(".", 1)[-1]} if len(secret) >= 8):
        raise SystemExit(f"{name}: the token appears in what NetBox answered; nothing written")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(text + "\n", encoding="utf-8")
    print(f"{OUT.relative_to(REPO)}/{name}.json: {len(exchanges)} answers")


def main() -> int:
    from inventory.netbox.client import NetBoxClient, settings_from_env_and_file
    from inventory.netbox.reconcile import Plan
    from playbooks.registration import apply_plan, plan_registration
    from playbooks.withdrawal import plan_withdrawal
    from tests.support.registration import new_request, reserve, seed_fault_site

    client = NetBoxClient(settings_from_env_and_file(None))  # NETBOX_URL, NETBOX_TOKEN
    client.check()
    token = client.settings.token
    site = seed_fault_site(client, uuid.uuid4().hex[:6])
    req = reserve(client, new_request(site, 1, "REQ-2025-0001"))
    recorder = Recorder(client)

    def plan() -> Plan:
        return plan_registration(req, handover=HANDOVER, client=client)

    fresh, exchanges = recorder.record(plan)
    save("registration-fresh", req, exchanges, client, token)
    device = next(i for i, c in enumerate(fresh.changes) if c.kind == "device")
    apply_plan(Plan(fresh.subject, fresh.changes[:device + 1]), client=client)  # a run stopped there
    half, exchanges = recorder.record(plan)
    save("registration-half", req, exchanges, client, token)
    apply_plan(half, client=client)
    _, exchanges = recorder.record(plan)
    save("registration-done", req, exchanges, client, token)
    _, exchanges = recorder.record(lambda: plan_withdrawal(req, [req.servers[0].name], REASONS, client=client))
    save("withdrawal", req, exchanges, client, token)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
