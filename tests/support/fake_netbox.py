"""A NetBox faked with `responses` for the gateway tests: a client on a fake URL, a
tiny in-memory server for the convention endpoints."""

from __future__ import annotations

import json
from typing import Any

import requests
import responses

from inventory.netbox.client import NetBoxClient
from inventory.netbox.settings import NetBoxSettings

URL = "http://netbox.test"


V2 = "nbt_AbCdEfGh1234.s3cr3tPlainTextTokenValue0987654321"
LEGACY = "0123456789abcdef0123456789abcdef01234567"
STATUS = {"netbox-version": "4.7.3", "django-version": "5.2"}


def make_client(token: str = V2, **kw: Any) -> NetBoxClient:
    client = NetBoxClient(NetBoxSettings(url=URL, token=token, **kw))
    client.sleeps = []  # type: ignore[attr-defined]
    client._sleep = client.sleeps.append  # type: ignore[attr-defined]
    return client


def assert_no_secret(text: str) -> None:
    assert V2 not in text and "s3cr3tPlainTextTokenValue0987654321" not in text and LEGACY not in text


# ---------------------------------------------------------------- bootstrap
def _bootstrap_server(state: dict[str, list[dict[str, Any]]]) -> None:
    """A tiny in-memory NetBox for the convention endpoints: list, bulk create, bulk patch."""
    endpoints = ["dcim/device-roles", "dcim/rack-roles", "tenancy/tenant-groups", "dcim/inventory-item-roles",
                 "extras/tags", "circuits/circuit-types", "virtualization/cluster-types",
                 "extras/custom-field-choice-sets", "extras/custom-fields", "extras/export-templates"]
    counter = iter(range(1, 10_000))

    def handler(endpoint: str) -> Any:
        def cb(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
            objs = state.setdefault(endpoint, [])
            if request.method == "GET":
                return 200, {}, json.dumps({"count": len(objs), "results": objs})
            body = json.loads(request.body or "[]")
            out = []
            for item in body:
                if request.method == "POST":
                    item = {**item, "id": next(counter)}
                    if "type" in item:
                        item["type"] = {"value": item["type"], "label": item["type"].title()}
                    objs.append(item)
                else:
                    obj = next(o for o in objs if o["id"] == item["id"])
                    obj.update(item)
                    item = obj
                out.append(item)
            return 201 if request.method == "POST" else 200, {}, json.dumps(out)
        return cb

    for ep in endpoints:
        for method in (responses.GET, responses.POST, responses.PATCH):
            responses.add_callback(method, f"{URL}/api/{ep}/", callback=handler(ep))
