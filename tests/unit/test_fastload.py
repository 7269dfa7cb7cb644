"""Devices read straight into rows (issue 13, inventory/fastload.py) give exactly what
the models give: the same data for a good file, and for a bad one the same error.

Every test compares `load_snapshot` with the models' own reading of the same file
(`validate_file(Snapshot, read_structured(path))`, the path every file took before)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from inventory.errors import InputError
from inventory.fastjson import same_without_whitespace
from inventory.files import dump_snapshot, load_snapshot, read_structured, validate_file
from inventory.model import Device, Snapshot, plain, replaced
from inventory.rows import DeviceRow, PowerPortRow
from inventory.synthetic import generate_snapshot
from tests.support.snapshots import written_as_json_and_yaml


def by_models(path: Path) -> Any:
    """The models' reading of a file: its data, or its error message."""
    try:
        return validate_file(Snapshot, read_structured(path), path).model_dump()
    except InputError as exc:
        return str(exc)


def by_load(path: Path) -> Any:
    try:
        return load_snapshot(path).model_dump()
    except InputError as exc:
        return str(exc)


@pytest.fixture(scope="module")
def dumped(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("rows")
    paths = written_as_json_and_yaml(generate_snapshot(40, 700, seed=5), folder)
    compact = folder / "compact.json"  # another form of the same JSON: no indentation
    compact.write_text(json.dumps(json.loads(paths["json"].read_text()), separators=(",", ":")))
    paths["compact"] = compact
    return paths


@pytest.mark.parametrize("kind", ["json", "yaml", "compact"])
def test_a_written_snapshot_loads_as_rows_holding_the_models_data(dumped: dict[str, Path], kind: str) -> None:
    """The 200,000-device benchmark depends on this path being taken for the files
    `dump_snapshot` (and NetBox exports) write; its answer must be the models'."""
    loaded = load_snapshot(dumped[kind])
    assert loaded.devices and all(type(d) is DeviceRow for d in loaded.devices)
    assert loaded.model_dump() == by_models(dumped[kind])


def test_rows_dump_and_load_back_to_the_same_file(dumped: dict[str, Path], tmp_path: Path) -> None:
    again = tmp_path / "again.json"
    dump_snapshot(load_snapshot(dumped["json"]), again)
    assert again.read_bytes() == dumped["json"].read_bytes()


def test_rows_and_models_write_the_same_file(tmp_path: Path) -> None:
    """A YAML date in a custom field, a float, a nested list: the file `dump_snapshot`
    writes from rows is the one it writes from the models."""
    data = json.loads(json.dumps(BASE))
    data["devices"][1]["custom_fields"] = {"bandwidth_mbps": 20.5, "installed": date(2024, 1, 2), "tags": ["a", 1]}
    source = write(tmp_path, data, "yaml")
    rows = load_snapshot(source)
    models = validate_file(Snapshot, read_structured(source), source)
    assert type(rows.devices[1]) is DeviceRow and type(models.devices[1]) is Device
    for suffix in ("json", "yaml"):
        dump_snapshot(rows, tmp_path / f"rows.{suffix}")
        dump_snapshot(models, tmp_path / f"models.{suffix}")
        assert (tmp_path / f"rows.{suffix}").read_bytes() == (tmp_path / f"models.{suffix}").read_bytes()
    assert "installed: '2024-01-02'" in (tmp_path / "rows.yaml").read_text()


# --- bad and odd values: the rows accept only what the models accept, with their values ---

BASE: dict[str, Any] = {
    "sites": [{"name": "s"}],
    "racks": [{"name": "R1", "site": "s"}],
    "device_types": [{"manufacturer": "Dell", "model": "R650", "u_height": 1}],
    "power_panels": [{"name": "P", "site": "s"}],
    "power_feeds": [{"name": "F-A", "panel": "P", "rack": "R1"}],
    "devices": [
        {"name": "pdu", "device_type": "dell-r650", "site": "s", "rack": "R1",
         "power_ports": [{"name": "in", "feed": "F-A"}],
         "power_outlets": [{"name": "o1", "power_port": "in", "feed_leg": "A"}]},
        {"name": "web", "device_type": "dell-r650", "site": "s", "rack": "R1", "position": 10, "face": "front",
         "power_ports": [{"name": "PSU1", "allocated_draw": 300, "maximum_draw": 500,
                          "outlet": {"device": "pdu", "name": "o1"}}],
         "custom_fields": {"bandwidth_mbps": 20}},
    ],
}
ODD_VALUES = [None, "", "42", 42, 42.0, 10.5, 10.25, 0.25, -1, 0, 0.5, 100.5, 101, 2**31, 2**63, True, False,
              [], {}, "front", "rear", "A", "D", "F-A", "pdu", "o1", "R1", "s", "in", 1e300]
DEVICE_FIELDS = ["key", "name", "device_type", "site", "rack", "position", "face", "status", "tenant",
                 "serial", "asset_tag", "parent", "power_ports", "power_outlets", "custom_fields", "netbox_id",
                 "nmae"]
PORT_FIELDS = ["name", "allocated_draw", "maximum_draw", "feed", "outlet", "power_port"]
OUTLET_FIELDS = ["name", "power_port", "feed_leg", "feed"]
MISSING = object()


def mutated(where: str, field: str, value: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(BASE))
    device = data["devices"][1 if where != "outlet" else 0]
    target = {"device": device, "port": device["power_ports"][0],
              "outlet": device.get("power_outlets", [{}])[0]}[where]
    if value is MISSING:
        target.pop(field, None)
    else:
        target[field] = value
    return data


def write(folder: Path, data: dict[str, Any], suffix: str) -> Path:
    path = folder / f"dc.{suffix}"
    path.write_text(json.dumps(data, indent=2) if suffix == "json" else yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.parametrize("suffix", ["json", "yaml"])
def test_every_odd_value_in_every_field_gives_the_models_answer(tmp_path: Path, suffix: str) -> None:
    """Every field of a device, a port and an outlet, missing or set to each odd value
    (860 files a format): the same data or the same error as the models."""
    differ = []
    for place, fields in (("device", DEVICE_FIELDS), ("port", PORT_FIELDS), ("outlet", OUTLET_FIELDS)):
        for field in fields:
            for value in [MISSING, *ODD_VALUES]:
                path = write(tmp_path, mutated(place, field, value), suffix)
                if by_load(path) != by_models(path):
                    differ.append((place, field, value))
    assert not differ


def test_the_base_file_itself_loads_as_rows(tmp_path: Path) -> None:
    # the property above would be weak if the base itself went to the models
    for suffix in ("json", "yaml"):
        loaded = load_snapshot(write(tmp_path, BASE, suffix))
        assert type(loaded.devices[1]) is DeviceRow and loaded.devices[1].position == 10.0
        assert loaded.model_dump() == by_models(tmp_path / f"dc.{suffix}")


@pytest.mark.parametrize("text, key", [
    ('"name": "web", "name": "web2"', "name"),
    ('"name": "web", "position": 10, "position": 12', "position"),
])
def test_a_key_given_twice_in_a_device_is_refused_as_before(tmp_path: Path, text: str, key: str) -> None:
    good = json.dumps(BASE, indent=2)
    path = tmp_path / "dc.json"
    path.write_text(good.replace('"name": "web"', text, 1))
    assert by_load(path) == by_models(path)
    with pytest.raises(InputError, match=f"duplicate key '{key}'"):
        load_snapshot(path)


def test_a_key_given_twice_at_the_top_or_in_a_port_is_refused_as_before(tmp_path: Path) -> None:
    good = json.dumps(BASE, indent=2)
    for text in (good.replace('"sites":', '"racks": [], "sites":', 1),
                 good.replace('"allocated_draw": 300', '"allocated_draw": 300, "allocated_draw": 30', 1)):
        path = tmp_path / "dc.json"
        path.write_text(text)
        with pytest.raises(InputError, match="duplicate key"):
            load_snapshot(path)


def test_a_broken_cross_reference_in_a_row_gets_the_models_message(tmp_path: Path) -> None:
    data = json.loads(json.dumps(BASE))
    data["devices"][0]["power_ports"][0]["feed"] = "F-B"
    path = write(tmp_path, data, "json")
    with pytest.raises(InputError, match=r"unknown power feed 'F-B' \(did you mean 'F-A'\?\)"):
        load_snapshot(path)
    assert by_load(path) == by_models(path)


@given(a=st.binary(max_size=40), b=st.binary(max_size=40), block=st.integers(1, 9))
def test_the_duplicate_key_proof_compares_texts_without_their_whitespace(a: bytes, b: bytes, block: int) -> None:
    """The comparison runs in blocks (126 MB texts); its answer is the whole texts'."""
    def strip(text: bytes) -> bytes:
        return text.translate(None, b" \t\n\r")
    assert same_without_whitespace(a, b, block) == (strip(a) == strip(b))
    spaced = a.replace(b"", b" \n")  # whitespace around every byte: blocks of other lengths
    assert same_without_whitespace(a, spaced, block) and same_without_whitespace(spaced, a, block)


def test_either_kind_is_copied_and_read_the_same(tmp_path: Path) -> None:
    row = load_snapshot(write(tmp_path, BASE, "json")).devices[1]
    model = Device.model_validate(BASE["devices"][1])
    assert plain(row) == plain(model)
    for device in (row, model):
        moved = replaced(device, position=20.0)
        assert (moved.position, device.position, type(moved)) == (20.0, 10.0, type(device))
        unplugged = replaced(device.power_ports[0], outlet=None)
        assert unplugged.outlet is None and unplugged.allocated_draw == 300
    assert type(replaced(row.power_ports[0], outlet=None)) is PowerPortRow
