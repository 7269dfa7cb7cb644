"""Request files: validation messages that name the file and the field, round-trip edits
that keep a person's comments and key order, id allocation, `colo request new`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from colo_cli.request_cmds import request
from inventory.errors import InputError
from playbooks.request_model import Transition, normalise_id
from playbooks.requests import RequestFile, RequestStore
from tests.support.request_data import DRAFT, SAMPLE

WITA = ZoneInfo("Asia/Makassar")


def write(tmp_path: Path, text: str, name: str = "REQ-2026-0001.yaml") -> Path:
    folder = tmp_path / "requests"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(InputError) as err:
        RequestFile.load(path)
    return str(err.value)


def test_sample_loads_with_normalised_values(tmp_path: Path) -> None:
    req = RequestFile.load(write(tmp_path, SAMPLE)).request
    assert req.person_in_charge.nip == "198503142010011002"
    assert req.person_in_charge.phone == "+6281234567890"
    assert req.servers[0].draw_w() == 350
    assert req.agency.tenant_slug() == "dinkes"
    assert req.state == "submitted"


@pytest.mark.parametrize("old, new, message", [
    ("nip: 198503142010011002", "nip: 198502302010011002",
     "person_in_charge.nip: NIP '198502302010011002': digits 1-8 must be a birth date YYYYMMDD"),
    ("domain: simpus.kaltimprov.go.id", "domain: simpus..kaltimprov.go.id", "domain: domain name"),
    ("phone: '0812-3456-7890'", "phone: 0812-3456-7890x", "person_in_charge.phone: phone number"),
    ("phone: '0812-3456-7890'", "phone: 081234567890",
     "phone number 81234567890 lost its leading 0 or +: write it in quotes"),
    ("maximum_draw_w: 800", "maximum_draw_w: -5",
     "servers[0] (dinkes-app-01).maximum_draw_w: Input should be greater than 0"),
    ("u_height: 1", "u_height: 1.3", "servers[0] (dinkes-app-01).u_height: must be a multiple of 0.5"),
    ("allocated_draw_w: 350", "allocated_draw_w: 900", "allocated_draw_w (900) exceeds maximum_draw_w (800)"),
    ("valid_until: 2027-12-31", "valid_until: 2026-11-01", "valid_until must be after domain_activation_date"),
    ("permanent: false\nvalid_until: 2027-12-31\n", "permanent: false\n",
     "a temporary co-location (permanent: false) needs valid_until"),
    ("domain_activation_date: 2026-12-01", "domain_activation_date: 2026-13-01",
     "not valid YAML at line 14: '2026-13-01' is not a valid date/time (month must be in 1..12)"),
    ("domain_activation_date: 2026-12-01", "domain_activation_date: 1 December 2026",
     "domain_activation_date: Input should be a valid date"),
    ("    psu_count: 2", "    psu_count: 2\n    colour: red", "servers[0] (dinkes-app-01).colour: unknown key"),
    ("  tenant: dinkes", "  tennant: dinkes", "agency.tennant: unknown key (did you mean 'tenant'?)"),
    ("state: submitted", "state: approved", "state is 'approved' but the last history entry says 'submitted'"),
    ("    at: 2026-11-30 09:00:00+08:00", "    at: 2026-11-30 09:00:00",
     "history[0].at: time needs a UTC offset"),
    ("id: REQ-2026-0001", "id: REQ-26-1", "id: request id 'REQ-26-1' must look like REQ-2026-0001"),
])
def test_errors_name_file_and_field(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in SAMPLE
    path = write(tmp_path, SAMPLE.replace(old, new, 1))
    text = error_of(path)
    assert text.startswith(f"{path}: ")
    assert message in text


def test_request_needs_servers_or_hosting(tmp_path: Path) -> None:
    start = SAMPLE.index("servers:")
    end = SAMPLE.index("history:")
    path = write(tmp_path, SAMPLE[:start] + SAMPLE[end:])
    assert "a request needs at least one server or hosting needs" in error_of(path)


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, SAMPLE.replace("domain: simpus", "domain: [simpus"))
    assert f"{path}: not valid YAML at line" in error_of(path)


def test_empty_and_non_mapping_files(tmp_path: Path) -> None:
    assert error_of(write(tmp_path, "")) .endswith("the file is empty")
    assert "expected a mapping at the top level, found" in error_of(write(tmp_path, "- a\n- b\n"))


def test_round_trip_keeps_comments_order_and_quotes(tmp_path: Path) -> None:
    path = write(tmp_path, SAMPLE)
    rf = RequestFile.load(path)
    rf.append_history(Transition(step=2, state="dispositioned", by="Admin TIK",
                                 at=datetime(2026, 11, 30, 9, 10, tzinfo=WITA), note="ok"))
    rf.save()
    text = path.read_text(encoding="utf-8")
    # everything the person wrote is still there, byte for byte, except the state line
    expected_head = SAMPLE.replace("state: submitted", "state: dispositioned", 1)
    assert text.startswith(expected_head)
    assert text[len(expected_head):] == (
        "  - step: 2\n"
        "    state: dispositioned\n"
        "    by: Admin TIK\n"
        "    at: 2026-11-30 09:10:00+08:00\n"
        "    note: ok\n"
    )
    again = RequestFile.load(path).request
    assert [t.state for t in again.history] == ["submitted", "dispositioned"]


def test_save_refuses_an_invalid_edit_and_keeps_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, SAMPLE)
    rf = RequestFile.load(path)
    rf.set("domain", "not a domain")
    with pytest.raises(InputError):
        rf.save()
    assert path.read_text(encoding="utf-8") == SAMPLE


def test_ids_are_allocated_per_year(tmp_path: Path) -> None:
    store = RequestStore(tmp_path / "requests")
    assert store.next_id(2026) == "REQ-2026-0001"
    write(tmp_path, SAMPLE)
    write(tmp_path, SAMPLE.replace("REQ-2026-0001", "REQ-2026-0007"), "REQ-2026-0007.yaml")
    assert store.next_id(2026) == "REQ-2026-0008"
    assert store.next_id(2027) == "REQ-2027-0001"


def test_normalise_id() -> None:
    assert normalise_id("req-2026-7") == "REQ-2026-0007"
    assert normalise_id("2026-0012") == "REQ-2026-0012"
    with pytest.raises(InputError, match="is not a request id"):
        normalise_id("12")


def test_unknown_request_is_input_error(tmp_path: Path) -> None:
    write(tmp_path, SAMPLE)
    with pytest.raises(InputError, match=r"no request REQ-2026-0002 in .*; known: REQ-2026-0001"):
        RequestStore(tmp_path / "requests").open("REQ-2026-0002")


# --- colo request new ---------------------------------------------------------------------


def test_new_from_draft_keeps_its_comments(tmp_path: Path) -> None:
    draft = tmp_path / "draft.yaml"
    draft.write_text("# from the letter of 30 Nov\n" + DRAFT, encoding="utf-8")
    folder = tmp_path / "requests"
    result = CliRunner().invoke(request, ["new", "--from", str(draft), "--requests-dir", str(folder),
                                          "--by", "Sari (front desk)", "--at", "2026-11-27T10:00"],
                                env={"COLO_CONFIG": ""})
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"REQ-2026-0001 submitted: {folder / 'REQ-2026-0001.yaml'}\n"
        "next: step 2 (disposition): colo request advance REQ-2026-0001 2 --by NAME\n"
    )
    text = (folder / "REQ-2026-0001.yaml").read_text(encoding="utf-8")
    assert text.startswith("# from the letter of 30 Nov\nid: REQ-2026-0001\nstate: submitted\ncreated_at: ")
    assert "  tenant: dinkes   # NetBox tenant\n" in text
    assert "    bandwidth_mbps: 100   # agreed on the phone\n" in text
    req = RequestFile.load(folder / "REQ-2026-0001.yaml").request
    assert req.history[0].by == "Sari (front desk)"
    assert req.history[0].at == datetime(2026, 11, 27, 10, 0, tzinfo=WITA)


def test_new_from_flags(tmp_path: Path) -> None:
    folder = tmp_path / "requests"
    args = ["new", "--requests-dir", str(folder), "--unit-name", "Dinas Pendidikan",
            "--address", "Jl. Merdeka 1, Samarinda", "--pic-name", "Siti Aminah",
            "--nip", "199001012015032001", "--phone", "+62 811 555 0101", "--email", "siti@disdik.go.id",
            "--domain", "ppdb.kaltimprov.go.id", "--activation-date", "2027-01-15", "--permanent",
            "--hosting", "vcpus=4,memory_gb=8,disk_gb=200", "--at", "2026-11-27T10:00"]
    result = CliRunner().invoke(request, args)
    assert result.exit_code == 0, result.output
    req = RequestFile.load(folder / "REQ-2026-0001.yaml").request
    assert req.agency.tenant_slug() == "dinas-pendidikan"
    assert req.hosting is not None and (req.hosting.vcpus, req.hosting.memory_gb) == (4, 8)
    assert req.history[0].by == "Siti Aminah"  # the person in charge by default
    result = CliRunner().invoke(request, args)
    assert result.output.startswith("REQ-2026-0002 submitted")


def test_new_with_bad_nip_creates_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "requests"
    draft = tmp_path / "draft.yaml"
    draft.write_text(DRAFT.replace("198503142010011002", "198503142010013002"), encoding="utf-8")
    result = CliRunner().invoke(request, ["new", "--from", str(draft), "--requests-dir", str(folder)])
    assert result.exit_code == 2
    assert result.output == (
        f"Error: {draft}: person_in_charge.nip: NIP '198503142010013002': digit 15 (gender) must be 1 or 2, not 3\n"
    )
    assert list(folder.glob("*.yaml")) == []


def test_new_refuses_a_draft_with_history(tmp_path: Path) -> None:
    draft = write(tmp_path, SAMPLE, "draft.yaml")
    result = CliRunner().invoke(request, ["new", "--from", str(draft),
                                          "--requests-dir", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output == f"Error: {draft}: id: a draft must not have it (the tool assigns it)\n"


def test_template_is_a_valid_draft(tmp_path: Path) -> None:
    runner = CliRunner()
    text = runner.invoke(request, ["template"]).output
    draft = tmp_path / "draft.yaml"
    draft.write_text(text, encoding="utf-8")
    result = runner.invoke(request, ["new", "--from", str(draft), "--requests-dir", str(tmp_path / "r"),
                                     "--by", "clerk"])
    assert result.exit_code == 0, result.output


def test_validate_command(tmp_path: Path) -> None:
    good = write(tmp_path, SAMPLE)
    bad = write(tmp_path, SAMPLE.replace("REQ-2026-0001", "REQ-2026-0002").replace(
        "email: budi@kaltimprov.go.id", "email: budi"), "REQ-2026-0002.yaml")
    result = CliRunner().invoke(request, ["validate", "--requests-dir", str(tmp_path / "requests")])
    assert result.exit_code == 2
    assert result.output == (
        f"ok {good}\n"
        f"Error: {bad}: person_in_charge.email: e-mail address 'budi' is not of the form name@domain\n"
    )


def test_every_command_has_help() -> None:
    from colo_cli import register_cmds, request_cmds, withdraw_cmds

    COMMANDS = request_cmds.COMMANDS + withdraw_cmds.COMMANDS + register_cmds.COMMANDS
    runner = CliRunner()
    assert [g.name for g in COMMANDS] == ["request", "withdraw", "register"]
    for group in COMMANDS:
        assert group.help
        for name, cmd in group.commands.items():
            result = runner.invoke(group, [name, "--help"])
            assert result.exit_code == 0, name
            assert cmd.help, f"`colo {group.name} {name}` has no help text"


@pytest.mark.parametrize("old, new", [
    ("", ""),
    ("phone: '0812-3456-7890'", "phone: 081234567890"),   # YAML 1.2: a number, the 0 is lost
    ("permanent: false", "permanent: no"),                # YAML 1.2: 'no' is a string, not false
    ("domain_activation_date: 2026-12-01", "domain_activation_date: 2026-13-01"),
])
def test_fast_reader_agrees_with_round_trip_loader(tmp_path: Path, old: str, new: str) -> None:
    from playbooks.requests import read_request

    path = write(tmp_path, SAMPLE.replace(old, new, 1))
    try:
        expected: object = RequestFile.load(path).request
    except InputError as exc:
        expected = str(exc)
    try:
        got: object = read_request(path)
    except InputError as exc:
        got = str(exc)
    assert got == expected
    if "0812" in new:
        assert isinstance(got, str) and "lost its leading 0 or +" in got


def test_new_from_flags_with_a_bad_server(tmp_path: Path) -> None:
    folder = tmp_path / "requests"
    result = CliRunner().invoke(request, [
        "new", "--requests-dir", str(folder), "--unit-name", "Dinas X", "--address", "Jl. A",
        "--pic-name", "B", "--nip", "199001012015032001", "--phone", "0811-555-0101",
        "--email", "b@x.go.id", "--domain", "a.kaltimprov.go.id", "--activation-date", "2027-01-15",
        "--server", "name=x,make=Dell,modl=R1,u_height=1,maximum_draw_w=300,bandwidth_mbps=10"])
    assert result.exit_code == 2
    assert result.output == ("Error: new request (from the options): servers[0] (x).model: required field is "
                             "missing; servers[0] (x).modl: unknown key (did you mean 'model'?)\n")
    assert list(folder.glob("*.yaml")) == []
