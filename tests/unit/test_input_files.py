"""Reading input files (encodings, JSON keys) and writing output files (atomic, with the
temporary file beside the target, removed on failure), and terminal-safe tables."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from colo_cli.main import cli
from inventory.errors import ColoError, InputError
from inventory.files import load_snapshot, write_atomic
from tests.support.request_data import HOSTILE_DC as DC
from tests.support.request_data import SAMPLE


@pytest.mark.parametrize("encoding, prefix", [
    ("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"),
])
def test_utf8_and_byte_order_marked_files_are_read(tmp_path: Path, encoding: str, prefix: bytes) -> None:
    snapshot = tmp_path / "dc.yaml"
    snapshot.write_bytes(prefix + ("# Café\n" + DC).encode(encoding))
    assert [r.name for r in load_snapshot(snapshot).racks] == ["R01", "D01"]
    folder = tmp_path / "requests"
    folder.mkdir()
    text = SAMPLE.replace("Dinas Kesehatan", "Dinas Kesehatan Café")
    (folder / "REQ-2026-0001.yaml").write_bytes(prefix + text.encode(encoding))
    result = CliRunner().invoke(cli, ["request", "list", "--requests-dir", str(folder)],
                                env={"COLO_CONFIG": None, "COLO_NOW": "2026-12-01T10:00:00+08:00"})
    assert result.exit_code == 0, result.output
    assert "Dinas Kesehatan Café" in result.stdout
    validate = CliRunner().invoke(cli, ["request", "validate", "--requests-dir", str(folder)],
                                  env={"COLO_CONFIG": None})
    assert validate.exit_code == 0, validate.output


def test_a_repeated_json_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dc.json"
    path.write_text('{"sites": [{"name": "a"}], "sites": []}', encoding="utf-8")
    with pytest.raises(InputError, match=r"dc.json: not valid JSON: duplicate key 'sites'"):
        load_snapshot(path)


def test_write_atomic_uses_a_unique_temporary_file_beside_the_target(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out" / "report.csv"
    renames: list[tuple[str, str]] = []
    real_replace = os.replace

    def recording_replace(src: str, dst: str) -> None:
        renames.append((src, dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", recording_replace)
    write_atomic(target, "a\n")
    write_atomic(target, b"b\n")
    assert target.read_bytes() == b"b\n"
    (first, _), (second, _) = renames
    assert Path(first).parent == Path(second).parent == target.parent
    assert Path(first).name.startswith(".report.csv.") and first != second
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.csv"]


def test_write_atomic_removes_its_temporary_file_on_failure(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.csv"
    target.write_text("before\n", encoding="utf-8")

    def failing_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(ColoError, match=r"report.csv: cannot write \(No space left on device\)"):
        write_atomic(target, "after\n")
    assert target.read_text(encoding="utf-8") == "before\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]


def test_write_atomic_refuses_a_folder_and_keeps_the_mode(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a folder"):
        write_atomic(tmp_path, "x")
    assert list(tmp_path.iterdir()) == [] and not list(Path(tmp_path.anchor).glob(f".{tmp_path.name}.*"))
    target = tmp_path / "shared.csv"
    target.write_text("x", encoding="utf-8")
    target.chmod(0o640)
    write_atomic(target, "y")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    fresh = tmp_path / "new.csv"
    write_atomic(fresh, "z")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask


BELL_DC = DC.replace("{name: R01, site: dc-kaltim, u_height: 6, role: colocation}",
                     '{name: "R01\\a\\e[2J\\u202e", site: dc-kaltim, u_height: 6, role: colocation}') \
    .replace("rack: R01", 'rack: "R01\\a\\e[2J\\u202e"') \
    .replace("- name: dc-drc", '- {key: dc-drc, name: "dc-drc\\a"}')


def test_control_characters_are_stripped_from_tables(tmp_path: Path) -> None:
    snapshot = tmp_path / "dc.yaml"
    snapshot.write_text(BELL_DC, encoding="utf-8")
    env = {"COLO_CONFIG": None, "COLO_REQUESTS_DIR": str(tmp_path / "requests")}
    table = CliRunner().invoke(cli, ["capacity", "report", "--source", str(snapshot)], env=env)
    assert table.exit_code == 0, table.output
    for char in ("\a", "\x1b", "\u202e"):
        assert char not in table.stdout
    assert "R01[2J" in table.stdout and "Site dc-drc (dc-drc)" in table.stdout
    # machine formats keep the data as it is
    data = CliRunner().invoke(cli, ["capacity", "report", "--source", str(snapshot), "--format", "json"], env=env)
    assert "R01\a\x1b[2J\u202e" in {r["name"] for r in json.loads(data.stdout)["racks"]}

    folder = tmp_path / "requests"
    folder.mkdir()
    (folder / "REQ-2026-0001.yaml").write_text(
        SAMPLE.replace("unit_name: Dinas Kesehatan Provinsi Kalimantan Timur",
                       'unit_name: "Dinas\\a Kesehatan"'), encoding="utf-8")
    listed = CliRunner().invoke(cli, ["request", "list", "--requests-dir", str(folder)],
                                env={"COLO_CONFIG": None, "COLO_NOW": "2026-12-01T10:00:00+08:00"})
    assert listed.exit_code == 0, listed.output
    assert "\a" not in listed.stdout and "Dinas Kesehatan" in listed.stdout
