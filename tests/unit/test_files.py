"""Snapshot files: bad files are rejected naming the file, the path inside it and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from inventory.errors import InputError
from inventory.files import dump_snapshot, load_snapshot
from inventory.model import Snapshot

GOOD = """\
sites:
  - name: dc-kaltim
racks:
  - name: R01
    site: dc-kaltim
device_types:
  - manufacturer: Dell
    model: PowerEdge R650
    u_height: 1
devices:
  - name: web-01
    device_type: dell-poweredge-r650
    site: dc-kaltim
    rack: R01
    position: 10
    face: front
"""


def write(tmp_path: Path, text: str, name: str = "dc.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_good_file_loads_with_keys_defaulting_to_names(tmp_path: Path) -> None:
    snap = load_snapshot(write(tmp_path, GOOD))
    assert [r.key for r in snap.racks] == ["R01"]
    assert snap.device_types[0].key == "dell-poweredge-r650"
    assert snap.devices[0].position == 10


def test_unknown_key_is_named_with_a_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    face: front", "    face: front\n    postion: 3"))
    with pytest.raises(InputError) as err:
        load_snapshot(path)
    text = str(err.value)
    assert str(path) in text
    assert "devices[0] (web-01).postion: unknown key (did you mean 'position'?)" in text
    assert err.value.exit_code == 2


def test_wrong_type_names_the_field(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    site: dc-kaltim\ndevice_types", "    site: dc-kaltim\n    u_height: tall\ndevice_types"))
    with pytest.raises(InputError) as err:
        load_snapshot(path)
    assert "racks[0] (R01).u_height" in str(err.value)


def test_unknown_reference_suggests_the_close_key(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    rack: R01", "    rack: R1"))
    with pytest.raises(InputError) as err:
        load_snapshot(path)
    assert "device 'web-01': unknown rack 'R1' (did you mean 'R01'?)" in str(err.value)


def test_half_unit_positions_only(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("position: 10", "position: 10.3"))
    with pytest.raises(InputError) as err:
        load_snapshot(path)
    assert "position must be a multiple of 0.5" in str(err.value)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "sites:\n  - name: [unclosed\n")
    with pytest.raises(InputError) as err:
        load_snapshot(path)
    assert f"{path}: not valid YAML at line" in str(err.value)


def test_json_files_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_snapshot(tmp_path / "absent.yaml")
    with pytest.raises(InputError, match="not valid JSON at line 1"):
        load_snapshot(write(tmp_path, "{nope", "dc.json"))


def test_dump_then_load_round_trips(tmp_path: Path) -> None:
    snap = load_snapshot(write(tmp_path, GOOD))
    for name in ("out.yaml", "out.json"):
        dump_snapshot(snap, tmp_path / name)
        again = load_snapshot(tmp_path / name)
        assert again.model_dump() == snap.model_dump()


def test_duplicate_keys_are_rejected() -> None:
    with pytest.raises(ValueError, match="duplicate rack key 'R01'"):
        Snapshot.model_validate({
            "sites": [{"name": "s"}],
            "racks": [{"name": "R01", "site": "s"}, {"name": "R01", "site": "s"}],
        })
