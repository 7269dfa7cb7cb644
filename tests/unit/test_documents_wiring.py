"""The SOP's documents produced from request files: `colo doc REQUEST-ID KIND` for a
request walked through every step on a file source, the text of the real PDFs, the
checksums in the history, the numbering, refusals that write nothing, and the automatic
documents (documents.auto) attached to the e-mails of steps 6 and 9."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date
from pathlib import Path
from typing import Any, Iterator

import pytest
from click.testing import CliRunner, Result

from colo_cli.main import cli
from playbooks.documents import ROMAN_MONTHS, DocumentsConfig, document_number
from playbooks.mail import NO_MAIL_HINT
from playbooks.requests import RequestFile
from tests.support.request_data import DC, REGISTER_DC
from tests.support.smtp import free_port

pytest.importorskip("weasyprint", reason="PDF rendering needs WeasyPrint")

RID = "REQ-2026-0001"
AGENCY = "Dinas Kesehatan Provinsi Kalimantan Timur"
NIP = "198503142010011002"
DOMAIN = "simpus.kaltimprov.go.id"
SERIALS = {"simpus-app-01": "CN7X12", "simpus-db-01": "CZJ1234XYZ"}

DRAFT = """\
agency:
  unit_name: Dinas Kesehatan Provinsi Kalimantan Timur
  address: Jl. Basuki Rahmat No. 92, Samarinda
  tenant: dinkes
person_in_charge:
  name: Budi Santoso
  nip: '198503142010011002'
  phone: '0812-3456-7890'
  email: budi@kaltimprov.go.id
domain: simpus.kaltimprov.go.id
domain_activation_date: 2026-12-01
permanent: false
valid_until: 2027-12-31
servers:
  - name: simpus-app-01
    make: Dell
    model: PowerEdge R650
    processor: 2x Xeon Silver 4314
    ram: 128 GB
    motherboard: Dell 0PYVT1
    storage: 4x 960 GB SSD
    psu: 2x 800 W
    u_height: 1
    allocated_draw_w: 350
    maximum_draw_w: 800
    bandwidth_mbps: 100
  - name: simpus-db-01
    make: HPE
    model: ProLiant DL380
    processor: Xeon Gold 6226R
    ram: 256 GB
    motherboard: HPE 875073
    storage: 8x 1.92 TB SSD
    psu: 2x 1600 W
    u_height: 2
    allocated_draw_w: 500
    maximum_draw_w: 1600
    bandwidth_mbps: 100
"""

DOCUMENTS = """\
documents:
  place: Data Center Diskominfo, Samarinda
  head_of_division: {name: Siti Aminah, nip: '197201011998032004'}
  it_officer: {title: Pengelola TI}
  receiver: {unit: Bidang TIK Diskominfo Prov. Kaltim, name: Rahmat Hidayat, nip: '199001012015031001'}
  noc: {data_center: NOC Data Center Diskominfo, colocation: NOC Dinkes}
  data_center_location: Ruang Server Lt. 2
  approval_conditions: [Server dilengkapi dua PSU yang berfungsi.]
  staff:
    Dewi Lestari: {nip: '199203032016022002'}
"""


def make_env(root: Path, mp: pytest.MonkeyPatch, documents: str = DOCUMENTS, smtp: str = "  smtp:\n"
             "    enabled: false\n") -> dict[str, Path]:
    (root / "dc.yaml").write_text(DC, encoding="utf-8")
    (root / "draft.yaml").write_text(DRAFT, encoding="utf-8")
    config = root / "colo.yaml"
    config.write_text("workflow:\n"
                      f"  requests_dir: {root / 'requests'}\n"
                      f"  capacity_source: {root / 'dc.yaml'}\n" + smtp + documents, encoding="utf-8")
    mp.setenv("COLO_CONFIG", str(config))
    mp.delenv("COLO_REQUESTS_DIR", raising=False)
    mp.delenv("NETBOX_URL", raising=False)
    mp.setenv("COLO_NOW", "2026-12-31T12:00:00+08:00")
    return {"root": root, "requests": root / "requests", "config": config,
            "docs": root / "requests" / "documents" / RID, "file": root / "requests" / f"{RID}.yaml"}


def colo(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, result.output
    return result


def step(number: str, at: str, *extra: str, by: str = "Admin TIK", code: int = 0) -> Result:
    return colo("request", "advance", RID, number, "--by", by, "--at", at, *extra, code=code)


def submit(env: dict[str, Path]) -> None:
    out = colo("request", "new", "--from", str(env["root"] / "draft.yaml"), "--by", "clerk",
               "--at", "2026-11-30T08:00").output
    assert out.startswith(f"{RID} submitted")


# Each step of the walk, the document it produces, and the date and number it carries
# (hand-written: the steps' times in WITA, the month in Roman numerals).
WALK: list[tuple[tuple[str, ...], str | None]] = [
    (("2", "2026-11-30T08:10"), None),
    (("3", "2026-11-30T08:40", "--by", "Dewi Lestari"), "capacity_check"),
    (("4", "2026-11-30T09:00", "--by", "Budi Santoso"), "application"),
    (("5", "2026-11-30T09:10"), "approval"),
    (("6", "2026-11-30T09:20"), "approval_notice"),
    (("7", "2026-12-01T10:00", "--by", "Budi Santoso", "--serial", "simpus-app-01=CN7X12",
      "--serial", "simpus-db-01=CZJ1234XYZ"), None),
    (("8", "2026-12-01T15:00", "--by", "Personil DC"), "handover"),
    # 16:30 UTC on 1 December is 00:30 WITA on 2 December: the minutes are dated the 2nd
    (("9", "2026-12-01T16:30:00+00:00", "--by", "Pemeriksa"), "completion"),
]
EXPECTED = {  # kind: (file, number, date, history entry index, step text)
    "capacity_check": ("REQ-2026-0001-capacity-check.pdf", "REQ-2026-0001/KAP/XI/2026", "2026-11-30", 2,
                       "step 3 (check)"),
    "application": ("REQ-2026-0001-application.pdf", "REQ-2026-0001/PGJ/XI/2026", "2026-11-30", 3,
                    "step 4 (form)"),
    "approval": ("REQ-2026-0001-approval.pdf", "REQ-2026-0001/PSJ/XI/2026", "2026-11-30", 4,
                 "step 5 (approve)"),
    "approval_notice": ("REQ-2026-0001-approval-notice.pdf", "REQ-2026-0001/PBR/XI/2026", "2026-11-30", 5,
                        "step 6 (notify)"),
    "handover": ("REQ-2026-0001-handover.pdf", "REQ-2026-0001/BAST/XII/2026", "2026-12-01", 7,
                 "step 8 (install)"),
    "completion": ("REQ-2026-0001-completion.pdf", "REQ-2026-0001/BAP/XII/2026", "2026-12-02", 8,
                   "step 9 (complete)"),
    "withdrawal": ("REQ-2026-0001-withdrawal.pdf", "REQ-2026-0001/PNR/XII/2026", "2026-12-10", 10,
                   "the withdrawal approval"),
}


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", "", text)  # a PDF wraps lines anywhere a table cell is narrow


def assert_in(text: str, *values: str) -> None:
    missing = [v for v in values if re.sub(r"\s+", "", v) not in text]
    assert not missing, f"not in the PDF: {missing}"


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One request through steps 1-9 and the withdrawal approval, with `colo doc` run for
    each step's document right after the step."""
    with pytest.MonkeyPatch.context() as mp:
        env = make_env(tmp_path_factory.mktemp("walk"), mp)
        submit(env)
        outputs: dict[str, str] = {}
        for args, kind in WALK:
            step(*args)
            if kind:
                outputs[kind] = colo("doc", RID, kind).output
        colo("withdraw", "request", "--serial", "CN7X12", "--reason", "Aplikasi dipindahkan ke PDN.",
             "--by", "Budi Santoso", "--at", "2026-12-10T09:00")
        colo("withdraw", "approve", RID, "--by", "Siti Aminah", "--at", "2026-12-10T10:00")
        outputs["withdrawal"] = colo("doc", RID, "withdrawal").output
        yield {"env": env, "outputs": outputs}


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_each_document_is_stored_numbered_and_recorded(walked: dict[str, Any], kind: str) -> None:
    env = walked["env"]
    name, number, day, index, step_text = EXPECTED[kind]
    path = env["docs"] / name
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    assert walked["outputs"][kind] == (f"{path}\n{kind} {number}, {day}, {sha(data)}\n"
                                       f"recorded at {step_text}\n")
    entry = RequestFile.load(env["file"]).request.history[index]
    assert entry.document == f"documents/{RID}/{name}"
    assert entry.checksum == sha(data)
    text = pdf_text(data)
    assert_in(text, number, AGENCY, DOMAIN, "Halaman1dari")
    if kind not in ("capacity_check", "approval_notice"):  # these name no NIP
        assert_in(text, NIP)
    if kind in ("handover", "completion"):
        assert_in(text, *SERIALS.values())
    elif kind == "withdrawal":
        assert_in(text, SERIALS["simpus-app-01"])


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_re_rendering_an_unchanged_request_gives_the_same_bytes(walked: dict[str, Any], kind: str) -> None:
    env = walked["env"]
    name, number, day, _, step_text = EXPECTED[kind]
    before = (env["docs"] / name).read_bytes()
    request_before = env["file"].read_bytes()
    out = colo("doc", RID, kind).output
    assert out.splitlines()[1:] == [f"{kind} {number}, {day}, {sha(before)}",
                                    f"unchanged: {step_text} records this document with this checksum"]
    assert (env["docs"] / name).read_bytes() == before
    assert env["file"].read_bytes() == request_before


def text_of(walked: dict[str, Any], kind: str) -> str:
    return pdf_text((walked["env"]["docs"] / EXPECTED[kind][0]).read_bytes())


def test_capacity_report_shows_the_placement_and_who_checked(walked: dict[str, Any]) -> None:
    text = text_of(walked, "capacity_check")
    placement = RequestFile.load(walked["env"]["file"]).request.placement
    assert placement is not None
    # the recorded placement: both servers in R01, on the feed pair R01-A/R01-B
    assert {p.rack_name for p in placement.servers} == {"R01"}
    assert_in(text, RID, "simpus-app-01", "simpus-db-01", "R01-A, R01-B",
              # signed by whoever recorded step 3, NIP from documents.staff
              "Dewi Lestari", "NIP. 199203032016022002")


def test_application_and_approval_carry_the_person_and_references(walked: dict[str, Any]) -> None:
    app = text_of(walked, "application")
    assert_in(app, "Budi Santoso", NIP, "Jl. Basuki Rahmat No. 92, Samarinda", "1 Desember 2026",
              "31 Desember 2027", "2x Xeon Silver 4314", "Siti Aminah")
    approval = text_of(walked, "approval")
    assert_in(approval, "Budi Santoso", NIP, "REQ-2026-0001/PGJ/XI/2026",
              "Server dilengkapi dua PSU yang berfungsi.", "R01-A, R01-B", "Admin TIK")


def test_approval_notice_names_the_deadline(walked: dict[str, Any]) -> None:
    text = text_of(walked, "approval_notice")
    # approved Mon 30 Nov 09:10 + 10 working days (workflow.lapse_working_days):
    # 30 Nov 6h50 + 1-11 Dec (9 days) 72h + 1h10 on Mon 14 Dec
    assert_in(text, "Budi Santoso", "REQ-2026-0001/PSJ/XI/2026", "Senin, 14 Desember 2026")


def test_handover_lists_each_server_with_serial_and_both_signatories(walked: dict[str, Any]) -> None:
    text = text_of(walked, "handover")
    assert_in(text, "Selasa, tanggal satu bulan Desember tahun dua ribu dua puluh enam (1 Desember 2026)",
              "Data Center Diskominfo, Samarinda",
              "Budi Santoso", NIP, "Rahmat Hidayat", "199001012015031001", "Bidang TIK Diskominfo Prov. Kaltim",
              "simpus-app-01", "Dell 0PYVT1", "4x 960 GB SSD", "2x 800 W", "CN7X12",
              "simpus-db-01", "HPE 875073", "8x 1.92 TB SSD", "2x 1600 W", "CZJ1234XYZ")


def test_completion_refers_to_the_handover_and_copies_the_head_of_division(walked: dict[str, Any]) -> None:
    text = text_of(walked, "completion")
    assert_in(text, "Rabu, tanggal dua bulan Desember", "REQ-2026-0001/BAST/XII/2026", "CN7X12", "CZJ1234XYZ",
              "Pemeriksa", "Tembusan:", "Siti Aminah")


def test_withdrawal_lists_only_the_withdrawn_server(walked: dict[str, Any]) -> None:
    text = text_of(walked, "withdrawal")
    assert_in(text, "NOC Data Center Diskominfo", "Ruang Server Lt. 2", "NOC Dinkes", "CN7X12",
              "PowerEdge R650 / Dell", "Aplikasi dipindahkan ke PDN.", "Siti Aminah", "197201011998032004")
    assert "CZJ1234XYZ" not in text


def test_english_html_is_a_copy_that_is_not_recorded(walked: dict[str, Any], tmp_path: Path) -> None:
    env = walked["env"]
    request_before = env["file"].read_bytes()
    out = colo("doc", RID, "handover", "--format", "html", "--lang", "en", "-o", str(tmp_path / "h.html")).output
    path = env["docs"] / "REQ-2026-0001-handover.en.html"
    html = path.read_bytes()
    assert out == (f"{path}\nhandover REQ-2026-0001/BAST/XII/2026, 2026-12-01, {sha(html)}\n"
                   "not recorded: the history records pdf documents in 'id' (documents.format, documents.lang)\n"
                   f"copy: {tmp_path / 'h.html'}\n")
    assert (tmp_path / "h.html").read_bytes() == html
    assert b"HANDOVER" in html.upper() and b"CZJ1234XYZ" in html
    assert env["file"].read_bytes() == request_before


def test_register_review_document(walked: dict[str, Any], tmp_path: Path) -> None:
    # old-01 carries a serial of the walked request, temp-01 names it: both are accounted for
    snap = tmp_path / "register.yaml"
    snap.write_text(REGISTER_DC.replace("serial: OLD1", "serial: CZJ1234XYZ"), encoding="utf-8")
    out = colo("doc", "register-review", "--source", str(snap), "--today", "2026-12-20").output
    path = walked["env"]["requests"] / "documents" / "register-review" / "register-review-2026-12-20.pdf"
    data = path.read_bytes()
    assert out == (f"{path}\nregister_review REG-2026/REVIU/XII/2026, 2026-12-20, {sha(data)}\n"
                   "3 server(s), 2 to look at\n")
    text = pdf_text(data)
    # ghost-01: nothing known and no request (Belum terdaftar); old-01 last reviewed 2025-11-01,
    # 414 days before (Lewat tinjauan); temp-01 reviewed 2026-06-01 and temporary until 2027 (Sesuai)
    assert_in(text, "ghost-01", "Belum terdaftar", "old-01", "Lewat tinjauan", "temp-01", "Sesuai",
              "Siti Aminah", "REG-2026/REVIU/XII/2026")


# --------------------------------------------------------------------------- refusals
@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    return make_env(tmp_path, monkeypatch)


def walk_to(env: dict[str, Path], last: str, serials: bool = True) -> None:
    submit(env)
    for args, _ in WALK:
        if not serials and args[0] == "7":
            args = args[:4]
        step(*args)
        if args[0] == last:
            return


def test_missing_serial_refuses_the_handover_and_writes_nothing(env: dict[str, Path]) -> None:
    walk_to(env, "7", serials=False)
    before = env["file"].read_bytes()
    result = colo("doc", RID, "handover", code=2)
    assert result.output == (
        "Error: REQ-2026-0001: handover minutes: "
        "server simpus-app-01 has no serial (give the serial with: "
        "colo request advance REQ-2026-0001 8 --serial simpus-app-01=SN); "
        "server simpus-db-01 has no serial (give the serial with: "
        "colo request advance REQ-2026-0001 8 --serial simpus-db-01=SN)\n")
    assert not (env["docs"] / "REQ-2026-0001-handover.pdf").exists()
    assert env["file"].read_bytes() == before


def test_missing_specification_names_the_field_and_the_file(env: dict[str, Path]) -> None:
    walk_to(env, "7")
    text = env["file"].read_text(encoding="utf-8")
    env["file"].write_text(text.replace("    motherboard: HPE 875073\n", "")
                           .replace("    psu: 2x 1600 W\n", ""), encoding="utf-8")
    result = colo("doc", RID, "handover", code=2)
    assert result.output == (
        "Error: REQ-2026-0001: handover minutes: server simpus-db-01 has no motherboard, psu (add "
        f"servers[1].motherboard, servers[1].psu to the requests file {env['file']})\n")
    assert not (env["docs"] / "REQ-2026-0001-handover.pdf").exists()


def test_document_of_a_step_not_reached_is_refused(env: dict[str, Path]) -> None:
    submit(env)
    assert colo("doc", RID, "approval", code=2).output == (
        "Error: REQ-2026-0001 is submitted: the approval form (Form Persetujuan) belongs to step 5 "
        "(approve); it can be printed from form_submitted on (next step: 2 disposition)\n")
    step("2", "2026-11-30T08:10")
    assert colo("doc", RID, "capacity-check", code=2).output == (
        "Error: REQ-2026-0001 is dispositioned: the capacity check report belongs to step 3 (check), "
        "which is not recorded; run it: colo request advance REQ-2026-0001 3 --by NAME\n")
    assert colo("doc", RID, "invoice", code=2).output == (
        "Error: unknown document 'invoice' (documents: capacity_check, application, approval, "
        "approval_notice, handover, completion, withdrawal)\n")
    assert not env["docs"].exists() or not list(env["docs"].glob("*.pdf"))


def test_printing_before_the_step_and_recording_it_with_the_step(env: dict[str, Path]) -> None:
    walk_to(env, "3")
    # the Form Pengajuan, printed for the agency to sign before step 4: dated today (COLO_NOW)
    out = colo("doc", RID, "application").output
    path = env["docs"] / "REQ-2026-0001-application.pdf"
    assert out.splitlines()[1:] == [
        f"application REQ-2026-0001/PGJ/XII/2026, 2026-12-31, {sha(path.read_bytes())}",
        f"not recorded: step 4 (form) is not recorded yet; record it with this document: "
        f"colo request advance REQ-2026-0001 4 --by NAME --document {path}"]
    assert RequestFile.load(env["file"]).request.state == "capacity_checked"


def test_a_changed_request_does_not_silently_replace_the_recorded_document(env: dict[str, Path]) -> None:
    walk_to(env, "4")
    colo("doc", RID, "application")
    path = env["docs"] / "REQ-2026-0001-application.pdf"
    recorded = path.read_bytes()
    text = env["file"].read_text(encoding="utf-8")
    env["file"].write_text(text.replace("Jl. Basuki Rahmat No. 92", "Jl. Basuki Rahmat No. 94"), encoding="utf-8")
    before = env["file"].read_bytes()
    result = colo("doc", RID, "application", code=1)
    assert result.output.startswith(
        f"Error: REQ-2026-0001: the application form (Form Pengajuan) recorded at step 4 (form) "
        f"(documents/REQ-2026-0001/REQ-2026-0001-application.pdf, {sha(recorded)}) differs from a new "
        "rendering (sha256:")
    assert result.output.endswith("the recorded file is kept (give --replace to replace it and its checksum)\n")
    assert path.read_bytes() == recorded and env["file"].read_bytes() == before
    colo("doc", RID, "application", "--replace")
    replaced = path.read_bytes()
    assert replaced != recorded
    assert RequestFile.load(env["file"]).request.history[3].checksum == sha(replaced)
    assert_in(pdf_text(replaced), "Jl. Basuki Rahmat No. 94")


def test_document_numbers() -> None:
    assert ROMAN_MONTHS == ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
    assert document_number("{request_id}/{code}/{month_roman}/{year}", request_id=RID, code="BAST",
                           day=date(2026, 9, 4)) == "REQ-2026-0001/BAST/IX/2026"
    assert document_number("045/{code}/DKI/{day}.{month}.{year}", request_id=RID, code="BAP",
                           day=date(2027, 1, 5)) == "045/BAP/DKI/05.01.2027"
    assert DocumentsConfig(codes={"handover": "BA-ST"}).code("handover") == "BA-ST"
    assert DocumentsConfig().code("approval") == "PSJ"


def test_number_format_with_an_unknown_field_is_refused(env: dict[str, Path]) -> None:
    walk_to(env, "4")
    text = env["config"].read_text(encoding="utf-8")
    env["config"].write_text(text + "  number_format: '{seq}/{code}/{year}'\n", encoding="utf-8")
    assert colo("doc", RID, "application", code=2).output == (
        f"Error: {env['config']}: documents: number_format: '{{seq}}/{{code}}/{{year}}': "
        "unknown field {seq} (fields: {request_id}, {code}, {year}, {month}, {month_roman}, {day})\n")


def test_number_and_date_can_be_given(env: dict[str, Path]) -> None:
    walk_to(env, "4")
    out = colo("doc", RID, "application", "--number", "045/PGJ/DKI/XII/2026", "--date", "2026-12-03").output
    data = (env["docs"] / "REQ-2026-0001-application.pdf").read_bytes()
    assert out.splitlines()[1] == f"application 045/PGJ/DKI/XII/2026, 2026-12-03, {sha(data)}"
    assert_in(pdf_text(data), "045/PGJ/DKI/XII/2026", "3 Desember 2026")


# --------------------------------------------------------------------------- documents.auto
AUTO = DOCUMENTS.replace("documents:\n", "documents:\n  auto: true\n")
AUTO_HTML = AUTO.replace("  auto: true\n", "  auto: true\n  format: html\n")  # faster where no PDF is read


def test_auto_mode_records_each_steps_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = make_env(tmp_path, monkeypatch, AUTO)
    submit(env)
    outputs = {args[0]: step(*args).output for args, _ in WALK}
    assert outputs["3"].splitlines()[1] == (
        "document: documents/REQ-2026-0001/REQ-2026-0001-capacity-check.pdf (REQ-2026-0001/KAP/XI/2026)")
    req = RequestFile.load(env["file"]).request
    documents = {t.step: t.document for t in req.history}
    assert documents == {1: None, 2: None, 7: None} | {
        EXPECTED[kind][3] + 1: f"documents/{RID}/{EXPECTED[kind][0]}"
        for kind in ("capacity_check", "application", "approval", "approval_notice", "handover", "completion")}
    for t in req.history:
        if t.document:
            assert t.checksum == sha((env["requests"] / t.document).read_bytes())
    # step 3's fit data stays beside it
    assert req.capacity_check is not None and req.capacity_check.report == f"documents/{RID}/capacity-check.json"
    # `colo doc` renders exactly what the step recorded
    for kind in ("approval", "handover", "completion"):
        assert colo("doc", RID, kind).output.splitlines()[2].startswith("unchanged: ")


def test_auto_mode_refuses_step_8_without_the_specification(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = make_env(tmp_path, monkeypatch, AUTO_HTML)
    walk_to(env, "7")
    text = env["file"].read_text(encoding="utf-8")
    env["file"].write_text(text.replace("    storage: 4x 960 GB SSD\n", ""), encoding="utf-8")
    before = env["file"].read_bytes()
    result = step("8", "2026-12-01T15:00", code=2)
    assert result.output == (
        "Error: REQ-2026-0001: handover minutes: server simpus-app-01 has no storage (add "
        f"servers[0].storage to the requests file {env['file']})\n")
    assert env["file"].read_bytes() == before
    assert not (env["docs"] / "REQ-2026-0001-handover.html").exists()
    # with the signed scan as the step's document nothing is rendered
    scan = tmp_path / "bast-signed.pdf"
    scan.write_bytes(b"%PDF-1.4 signed scan")
    step("8", "2026-12-01T15:00", "--document", str(scan))
    assert RequestFile.load(env["file"]).request.history[7].document == f"documents/{RID}/bast-signed.pdf"


def test_auto_mode_refuses_before_netbox_is_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # step 8 releases the approval's NetBox reservation: with the handover's data missing
    # the step must be refused before the release, not after (the step as `colo request
    # advance` records it, NetBox's releaser replaced by a recorder)
    import os

    from inventory.errors import InputError
    from playbooks import reservations
    from playbooks.context import App
    from playbooks.states import resolve_action
    from playbooks.steps import run_step

    env = make_env(tmp_path, monkeypatch, AUTO_HTML)
    walk_to(env, "7")
    text = env["file"].read_text(encoding="utf-8")
    text = text.replace("  netbox_ids: []\n", "  netbox_ids: [41]\n").replace("    psu: 2x 800 W\n", "")
    env["file"].write_text(text, encoding="utf-8")
    released: list[list[int]] = []
    monkeypatch.setattr(App, "netbox", lambda self: "a NetBox client")
    monkeypatch.setattr(reservations, "releaser",
                        lambda client: lambda req, ids: released.append(ids) or ids)
    with pytest.raises(InputError, match=r"server simpus-app-01 has no psu"):
        run_step(App(os.environ), RID, resolve_action("8"), by="Personil DC", at_text="2026-12-01T15:00")
    assert released == []
    env["file"].write_text(text.replace("    ram: 128 GB\n", "    ram: 128 GB\n    psu: 2x 800 W\n"),
                           encoding="utf-8")
    ctx = run_step(App(os.environ), RID, resolve_action("8"), by="Personil DC", at_text="2026-12-01T15:00")
    assert released == [[41]]
    assert ctx.transition.document == f"documents/{RID}/REQ-2026-0001-handover.html"


def test_auto_mode_attaches_the_rendered_pdf_to_the_emails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            smtp: Any) -> None:
    handler, port = smtp
    mail = (f"  smtp:\n    host: 127.0.0.1\n    port: {port}\n    sender: datacenter@kaltimprov.go.id\n"
            "    head_of_division: kabid.tik@kaltimprov.go.id\n")
    env = make_env(tmp_path, monkeypatch, AUTO, smtp=mail)
    walk_to(env, "9")
    assert len(handler.messages) == 2
    for (_, rcpts, msg), kind in zip(handler.messages, ("approval_notice", "completion")):
        (att,) = list(msg.iter_attachments())
        stored = (env["docs"] / EXPECTED[kind][0]).read_bytes()
        assert att.get_filename() == EXPECTED[kind][0]
        assert att.get_content_type() == "application/pdf"
        assert att.get_content() == stored
    assert handler.messages[1][1] == ["budi@kaltimprov.go.id", "kabid.tik@kaltimprov.go.id"]


def test_auto_mode_failed_mail_leaves_no_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    closed = free_port()
    env = make_env(tmp_path, monkeypatch, AUTO_HTML, smtp=f"  smtp:\n    host: 127.0.0.1\n    port: {closed}\n")
    walk_to(env, "5")
    before = env["file"].read_bytes()
    result = step("6", "2026-11-30T09:20", code=1)
    assert result.output == (f"Error: cannot reach the SMTP server 127.0.0.1:{closed}: Connection refused "
                             f"({NO_MAIL_HINT})\n")
    assert env["file"].read_bytes() == before
    notice = env["docs"] / "REQ-2026-0001-approval-notice.html"
    assert not notice.exists()
    assert (env["docs"] / "REQ-2026-0001-approval.html").exists()  # step 5's, recorded before
    # a notice printed before the step is put back as it was
    colo("doc", RID, "approval_notice")
    printed = notice.read_bytes()
    step("6", "2026-11-30T09:20", code=1)
    assert notice.read_bytes() == printed and env["file"].read_bytes() == before



def test_auto_mode_reads_the_config_given_by_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # documents.auto set only in the file named by --config (no COLO_CONFIG): the step's
    # document follows the same configuration as the rest of the command
    env = make_env(tmp_path, monkeypatch, AUTO_HTML)
    monkeypatch.delenv("COLO_CONFIG")
    elsewhere = tmp_path / "elsewhere"  # no colo.yaml here for the usual search to find
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = str(env["config"])
    colo("request", "new", "--from", str(env["root"] / "draft.yaml"), "--by", "clerk",
         "--at", "2026-11-30T08:00", "--config", config)
    step("2", "2026-11-30T08:10", "--config", config)
    out = step("3", "2026-11-30T08:40", "--by", "Dewi Lestari", "--config", config).output
    assert f"document: documents/{RID}/{RID}-capacity-check.html" in out
    req = RequestFile.load(env["file"]).request
    assert req.history[-1].document == f"documents/{RID}/{RID}-capacity-check.html"
