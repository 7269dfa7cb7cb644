"""A corpus of hostile inputs (issue 10, point 5), through every command that reads them.

A pass: exit 2, exactly one `Error:` line naming the file (and the field where there is
one), no traceback, no file changed anywhere in the workspace, no temporary file left
(not in the workspace, not at the filesystem root, not beside a folder given to -o).

The workspace is built once through the CLI (a completed request REQ-2026-0001 and a
dispositioned REQ-2026-0002 on a small file data centre) and copied for every case.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
from click.testing import CliRunner, Result

from colo_cli.main import cli
from tests.support.request_data import DRAFT
from tests.support.request_data import HOSTILE_DC as DC


CHECK = """\
servers:
  - name: app-01
    u_height: 1
    allocated_draw_w: 300
    maximum_draw_w: 500
    bandwidth_mbps: 50
hosting: {vcpus: 2, memory_gb: 4, disk_gb: 40}
"""

CONFIG = """\
workflow:
  requests_dir: requests
  capacity_source: dc.yaml
  smtp:
    enabled: false
"""

BAD = "requests/REQ-2026-0002.yaml"  # the dispositioned request the request-file cases spoil
NOW = "2026-12-31T12:00:00+08:00"


def _invoke(root: Path, *args: str) -> Result:
    env = {"COLO_CONFIG": str(root / "colo.yaml"), "COLO_NOW": NOW, "NETBOX_URL": None,
           "NETBOX_TOKEN": None, "COLO_REQUESTS_DIR": None}
    cwd = os.getcwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(cli, list(args), env=env)
    finally:
        os.chdir(cwd)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile-template")
    (root / "dc.yaml").write_text(DC, encoding="utf-8")
    (root / "colo.yaml").write_text(CONFIG, encoding="utf-8")
    (root / "check.yaml").write_text(CHECK, encoding="utf-8")
    (root / "draft.yaml").write_text(DRAFT, encoding="utf-8")

    def ok(*args: str) -> None:
        result = _invoke(root, *args)
        assert result.exit_code == 0, (args, result.output)

    ok("request", "new", "--from", "draft.yaml", "--by", "clerk", "--at", "2026-11-30T08:00")
    for n, at in (("2", "08:10"), ("3", "08:40"), ("4", "09:00"), ("5", "09:10"), ("6", "09:20")):
        ok("request", "advance", "REQ-2026-0001", n, "--by", "Admin", "--at", f"2026-11-30T{at}")
    ok("request", "advance", "REQ-2026-0001", "7", "--by", "Admin", "--at", "2026-12-01T09:00",
       "--serial", "dinkes-app-01=SN-1")
    for n, at in (("8", "10:00"), ("9", "10:10")):
        ok("request", "advance", "REQ-2026-0001", n, "--by", "Admin", "--at", f"2026-12-01T{at}")
    second = DRAFT.replace("simpus.", "sipd.").replace("dinkes-app-01", "dinkes-app-02")
    (root / "draft.yaml").write_text(second, encoding="utf-8")
    ok("request", "new", "--from", "draft.yaml", "--by", "clerk", "--at", "2026-12-02T08:00")
    ok("request", "advance", "REQ-2026-0002", "2", "--by", "Admin", "--at", "2026-12-02T08:10")
    (root / "out").mkdir()
    return root


def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(root.rglob("*"))}


@dataclass
class Case:
    id: str
    args: tuple[str, ...]
    names: tuple[str, ...]  # each must be in the Error line (file, field, problem)
    spoil: Callable[[Path], None] = field(default=lambda root: None)


def _run_case(template: Path, tmp_path: Path, case: Case) -> None:
    root = tmp_path / "ws"
    shutil.copytree(template, root)
    case.spoil(root)
    before = _hashes(root)
    top_before = set(os.listdir("/"))
    result = _invoke(root, *case.args)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert len(errors) == 1, result.stderr
    for name in case.names:
        assert name in errors[0], (name, errors[0])
    assert _hashes(root) == before  # nothing changed, nothing left behind
    assert set(os.listdir("/")) - top_before == set()


# --- request files ------------------------------------------------------------------------

def _rewrite(relative: str, transform: Callable[[str], bytes]) -> Callable[[Path], None]:
    def spoil(root: Path) -> None:
        path = root / relative
        path.write_bytes(transform(path.read_text(encoding="utf-8")))
    return spoil


def _replace(old: str, new: str) -> Callable[[str], bytes]:
    def transform(text: str) -> bytes:
        assert old in text, old
        return text.replace(old, new, 1).encode("utf-8")
    return transform


def _append(extra: str) -> Callable[[str], bytes]:
    return lambda text: (text + extra).encode("utf-8")


CP1252 = lambda text: (text + "# Caf\u00e9 \u2013 noted\n").encode("cp1252")  # noqa: E731
LATIN1 = lambda text: (text + "# Caf\u00e9, noted\n").encode("latin-1")  # noqa: E731
UTF16_NO_BOM = lambda text: text.encode("utf-16-le")  # noqa: E731
BINARY = lambda text: bytes(range(256)) * 8  # noqa: E731
ALIASES = _append("notes: &n 'x'\nlast_reviewed: *n\n")
LAUGHS = _append("lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
                 + "".join(f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]\n" for i in range(1, 10)))
DUPLICATE_KEY = _append("domain: other.kaltimprov.go.id\n")

REQUEST_CONTENT = {
    "cp1252": (CP1252, ("REQ-2026-0002.yaml", "offset")),
    "latin-1": (LATIN1, ("REQ-2026-0002.yaml", "offset")),
    "utf-16-without-bom": (UTF16_NO_BOM, ("REQ-2026-0002.yaml", "offset")),
    "binary": (BINARY, ("REQ-2026-0002.yaml", "offset")),
    "alias": (ALIASES, ("REQ-2026-0002.yaml", "line", "alias")),
    "billion-laughs": (LAUGHS, ("REQ-2026-0002.yaml", "alias")),
    "duplicate-key": (DUPLICATE_KEY, ("REQ-2026-0002.yaml", "domain", "duplicate")),
    "inf-height": (_replace("u_height: 1\n", "u_height: .inf\n"), ("REQ-2026-0002.yaml", "u_height", "finite")),
    "inf-bandwidth": (_replace("bandwidth_mbps: 100", "bandwidth_mbps: .inf"),
                      ("REQ-2026-0002.yaml", "bandwidth_mbps", "finite")),
    "absurd-draw": (_replace("maximum_draw_w: 800", "maximum_draw_w: 1000000000000000000000000000000"),
                    ("REQ-2026-0002.yaml", "maximum_draw_w")),
    "psu-count-million": (_replace("psu_count: 2", "psu_count: 1000000"), ("REQ-2026-0002.yaml", "psu_count")),
    "non-canonical-id": (_replace("id: REQ-2026-0002", "id: REQ-2026-00002"), ("REQ-2026-0002.yaml", "id")),
}
READERS_OF_REQUEST = {
    "capacity-report": ("capacity", "report"),
    "capacity-check": ("capacity", "check", BAD, "--source", "dc.yaml"),
    "validate": ("request", "validate"),
    "list": ("request", "list"),
    "status": ("request", "status", "REQ-2026-0002"),
    "advance": ("request", "advance", "REQ-2026-0002", "3", "--by", "Admin"),
    "doc": ("doc", "REQ-2026-0002", "capacity_check", "--format", "html"),
    "withdraw": ("withdraw", "request", "--domain", "simpus.kaltimprov.go.id", "--by", "Budi",
                 "--reason", "moving out"),
}
CASES: list[Case] = [
    Case(f"request-{content}-{command}", args, names, _rewrite(BAD, transform))
    for content, (transform, names) in REQUEST_CONTENT.items()
    for command, args in READERS_OF_REQUEST.items()
]
# a draft given to `request new --from`
CASES += [
    Case(f"draft-{content}-new", ("request", "new", "--from", "draft.yaml", "--by", "clerk"),
         tuple(n.replace("REQ-2026-0002.yaml", "draft.yaml") for n in names),
         _rewrite("draft.yaml", transform))
    for content, (transform, names) in REQUEST_CONTENT.items()
    if content != "non-canonical-id"
]

# --- capacity-check requests --------------------------------------------------------------

CHECK_CONTENT = {
    "cp1252": (CP1252, ("check.yaml", "offset")),
    "binary": (BINARY, ("check.yaml", "offset")),
    "alias": (_append("site: &s x\ntenant: *s\n"), ("check.yaml", "alias")),
    "duplicate-key": (_append("hosting: {vcpus: 4}\n"), ("check.yaml", "hosting", "duplicate")),
    "inf-height": (_replace("u_height: 1", "u_height: .inf"), ("check.yaml", "u_height", "finite")),
    "inf-memory": (_replace("memory_gb: 4", "memory_gb: .inf"), ("check.yaml", "memory_gb", "finite")),
    "nan-vcpus": (_replace("vcpus: 2", "vcpus: .nan"), ("check.yaml", "vcpus", "finite")),
    "absurd-draw": (_replace("allocated_draw_w: 300", "allocated_draw_w: 1000000000000000000000000000000"),
                    ("check.yaml", "allocated_draw_w")),
    "psu-count-million": (_replace("    u_height: 1\n", "    u_height: 1\n    psu_count: 1000000\n"),
                          ("check.yaml", "psu_count")),
    "allocated-above-maximum": (_replace("maximum_draw_w: 500", "maximum_draw_w: 200"),
                                ("check.yaml", "allocated_draw_w", "maximum_draw_w")),
}
CASES += [
    Case(f"check-{content}", ("capacity", "check", "check.yaml", "--source", "dc.yaml"), names,
         _rewrite("check.yaml", transform))
    for content, (transform, names) in CHECK_CONTENT.items()
]

# --- snapshots ----------------------------------------------------------------------------

UPS = "name: UPS-1, site: dc-kaltim, rated_va: 10000"
SNAPSHOT_CONTENT = {
    "cp1252": (CP1252, ("dc.yaml", "offset")),
    "utf-16-without-bom": (UTF16_NO_BOM, ("dc.yaml", "offset")),
    "binary": (BINARY, ("dc.yaml", "offset")),
    "alias": (lambda text: text.replace("  - name: dc-kaltim\n", "  - name: &s dc-kaltim\n", 1)
              .replace("  - {name: PP-1, site: dc-kaltim}", "  - {name: PP-1, site: *s}").encode("utf-8"),
              ("dc.yaml", "line", "alias")),
    "duplicate-key": (_replace("    position: 1\n", "    position: 1\n    position: 3\n"),
                      ("dc.yaml", "position", "duplicate")),
    "inf-type-height": (_replace("model: DL380, u_height: 2", "model: DL380, u_height: .inf"),
                        ("dc.yaml", "device_types[0]", "u_height", "finite")),
    "inf-position": (_replace("position: 1", "position: .inf"), ("dc.yaml", "position", "finite")),
    "inf-vm-vcpus": (_replace("vcpus: 2,", "vcpus: .inf,"), ("dc.yaml", "vcpus", "finite")),
    "inf-vm-bandwidth": (_replace("bandwidth_mbps: 10", "bandwidth_mbps: .inf"),
                         ("dc.yaml", "bandwidth_mbps", "finite")),
    "inf-host-memory": (_replace("memory_gb: 256", "memory_gb: .inf"), ("dc.yaml", "memory_gb", "finite")),
    "absurd-draw": (_replace("allocated_draw: 300", "allocated_draw: 1000000000000000000000000000000"),
                    ("dc.yaml", "allocated_draw")),
    "reservation-unit-0": (_replace("units: [5]", "units: [0]"), ("dc.yaml", "reservation", "unit")),
    "reservation-unit-negative": (_replace("units: [5]", "units: [-3]"), ("dc.yaml", "reservation", "unit")),
    "reservation-unit-999": (_replace("units: [5]", "units: [999]"), ("dc.yaml", "reservation", "999")),
    "device-site-not-rack-site": (_replace("    site: dc-kaltim\n    rack: R01", "    site: dc-drc\n    rack: R01"),
                                  ("dc.yaml", "old-01", "site")),
    "feed-rack-at-another-site": (_replace("{name: R01-B, panel: PP-1, rack: R01",
                                           "{name: R01-B, panel: PP-1, rack: D01"), ("dc.yaml", "R01-B", "site")),
    "own-parent": (_replace("    face: front\n", "    face: front\n    parent: old-01\n"),
                   ("dc.yaml", "old-01", "parent")),
    "parent-loop": (lambda text: text.replace("    face: front\n", "    face: front\n    parent: host-01\n")
                    .replace("{name: host-01, device_type: hpe-dl380, site: dc-kaltim}",
                             "{name: host-01, device_type: hpe-dl380, site: dc-kaltim, parent: old-01}")
                    .encode("utf-8"), ("dc.yaml", "parent", "loop")),
    "negative-commitment": (_replace("draw_va: 100", "draw_va: -500"), ("dc.yaml", "draw_va")),
    # the engineering inputs of issue 12
    "power-factor-above-one": (_replace("model: DL380, u_height: 2", "model: DL380, u_height: 2, power_factor: 1.5"),
                               ("dc.yaml", "device_types[0]", "power_factor")),
    "feed-phase-unknown": (_replace("rack: R01, type: primary", "rack: R01, type: primary, phase: two-phase"),
                           ("dc.yaml", "power_feeds[0]", "phase")),
    "rack-cooling-negative": (_replace("role: colocation}", "role: colocation, cooling_kw: -1}"),
                              ("dc.yaml", "racks[0]", "cooling_kw")),
    "ups-watts-above-va": (_append(f"ups:\n  - {{{UPS}, rated_w: 20000}}\n"), ("dc.yaml", "UPS-1", "rated_w")),
    "ups-recharge-above-100": (_append(f"ups:\n  - {{{UPS}, recharge_pct: 150}}\n"), ("dc.yaml", "recharge_pct")),
    "genset-cooling-factor-inf": (_append("gensets:\n  - {name: G-1, site: dc-kaltim, rated_va: 10000, "
                                          "cooling_factor: .inf}\n"), ("dc.yaml", "cooling_factor", "finite")),
    "uplink-port-speed-zero": (_replace("commit_kbps: 1000000}", "commit_kbps: 1000000, port_kbps: 0}"),
                               ("dc.yaml", "port_kbps")),
}
READERS_OF_SNAPSHOT = {
    "capacity-report": ("capacity", "report", "--source", "dc.yaml"),
    "capacity-check": ("capacity", "check", "check.yaml", "--source", "dc.yaml"),
    "advance": ("request", "advance", "REQ-2026-0002", "3", "--by", "Admin"),
    "netbox-load": ("netbox", "load", "dc.yaml"),
}
CASES += [
    Case(f"snapshot-{content}-{command}", args, names, _rewrite("dc.yaml", transform))
    for content, (transform, names) in SNAPSHOT_CONTENT.items()
    for command, args in READERS_OF_SNAPSHOT.items()
]

# --- -o -----------------------------------------------------------------------------------

WRITERS = {
    "capacity-report": ("capacity", "report", "--source", "dc.yaml", "-o"),
    "sla": ("request", "sla", "--from", "2026-12-01", "--to", "2026-12-31", "-o"),
    "register-export": ("register", "export", "--source", "dc.yaml", "-o"),
    "doc": ("doc", "REQ-2026-0001", "completion", "--format", "html", "-o"),
    "register-review-doc": ("doc", "register-review", "--source", "dc.yaml", "--format", "html", "-o"),
    "netbox-snapshot": ("netbox", "snapshot", "-o"),
}
OUTPUTS = {
    "directory": ("out", ("out", "folder")),
    "top-level-directory": ("/tmp", ("/tmp", "folder")),
    "missing-directory": ("missing/report.txt", ("missing", "no such folder")),
    "unwritable-directory": ("/proc/sys/report.txt", ("/proc/sys", "not writable")),
    "empty": ("", ("-o", "empty")),
    "the-source-snapshot": ("dc.yaml", ("dc.yaml", "--source")),
    "the-configuration": ("colo.yaml", ("colo.yaml", "configuration")),
    "a-request-file": ("requests/REQ-2026-0001.yaml", ("REQ-2026-0001.yaml", "request")),
    "a-new-request-file": ("requests/REQ-2026-0009.yaml", ("REQ-2026-0009.yaml", "request")),
}
CASES += [
    Case(f"output-{what}-{command}", (*args, target), names)
    for what, (target, names) in OUTPUTS.items()
    for command, args in WRITERS.items()
    if not (what == "the-source-snapshot" and "--source" not in args)
]

# --- the requests folder ------------------------------------------------------------------

FOLDER_READERS = {
    "capacity-report": ("capacity", "report", "--source", "dc.yaml"),
    "list": ("request", "list"),
    "validate": ("request", "validate"),
    "status": ("request", "status", "REQ-2026-0001"),
    "advance": ("request", "advance", "REQ-2026-0002", "3", "--by", "Admin"),
    "new": ("request", "new", "--from", "draft.yaml", "--by", "clerk"),
    "doc": ("doc", "REQ-2026-0001", "completion", "--format", "html"),
    "withdraw": ("withdraw", "request", "--domain", "simpus.kaltimprov.go.id", "--by", "Budi", "--reason", "x"),
}
CASES += [
    Case(f"requests-dir-is-a-file-{command}", (*args, "--requests-dir", "dc.yaml"), ("dc.yaml", "not a folder"))
    for command, args in FOLDER_READERS.items()
]


def _copy_request(new_name: str, new_id: str | None = None) -> Callable[[Path], None]:
    def spoil(root: Path) -> None:
        text = (root / "requests" / "REQ-2026-0001.yaml").read_text(encoding="utf-8")
        if new_id:
            text = text.replace("id: REQ-2026-0001", f"id: {new_id}", 1)
        (root / "requests" / new_name).write_text(text, encoding="utf-8")
    return spoil


for command in ("list", "validate", "capacity-report"):
    CASES += [
        Case(f"same-id-in-two-files-{command}", FOLDER_READERS[command],
             ("REQ-2026-0003.yaml", "REQ-2026-0001"), _copy_request("REQ-2026-0003.yaml")),
        Case(f"same-id-non-canonical-name-{command}", FOLDER_READERS[command],
             ("REQ-2026-00001.yaml", "REQ-2026-0001"), _copy_request("REQ-2026-00001.yaml", "REQ-2026-00001")),
    ]

# --- withdrawal and other options -----------------------------------------------------------

for reason in ("", "   "):
    CASES.append(Case(f"withdraw-reason-{len(reason)}-spaces",
                      ("withdraw", "request", "--domain", "simpus.kaltimprov.go.id", "--by", "Budi",
                       "--reason", reason), ("--reason",)))
CASES.append(Case("advance-by-empty", ("request", "advance", "REQ-2026-0002", "3", "--by", ""), ("--by",)))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input_is_refused_cleanly(template: Path, tmp_path: Path, case: Case) -> None:
    _run_case(template, tmp_path, case)
