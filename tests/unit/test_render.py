"""The SOP's documents: what a person reads on the page (PDF text, HTML), hostile input,
and clear errors for missing data."""

from __future__ import annotations

import copy
import io
import os
import re
import time
from datetime import date
from html.parser import HTMLParser
from typing import Any

import pytest

from inventory.errors import InputError
from reports.i18n import LABELS, format_number
from reports.render import (
    DOCUMENT_KINDS,
    capacity_check_data,
    environment,
    render_document,
    validate_document,
)

try:  # PDF needs WeasyPrint; in CI it must be there.
    import weasyprint  # noqa: F401

    HAVE_PDF = True
except ImportError:  # pragma: no cover
    HAVE_PDF = False
needs_pdf = pytest.mark.skipif(not HAVE_PDF and not os.environ.get("CI"),
                               reason="WeasyPrint is not installed (pip install weasyprint)")

AGENCY = {"name": "Dinas Kesehatan Provinsi Kalimantan Timur",
          "address": "Jl. Basuki Rahmat No. 92, Samarinda"}
PERSON = {"name": "Budi Santoso", "nip": "198503142010011002", "phone": "0812-5555-0142",
          "email": "budi@dinkes.example.go.id"}
RECEIVER = {"unit": "Bidang TIK Diskominfo Prov. Kaltim", "name": "Rahmat Hidayat",
            "nip": "199001012015031001"}
SERVERS = [
    {"name": "dinkes-web-01", "make": "Dell", "model": "PowerEdge R650", "serial": "7H2K9Q3",
     "processor": "Intel Xeon Silver 4314", "ram": "128 GB", "motherboard": "Dell 0PYVT1",
     "storage": "4x 960 GB SSD", "psu": "2x 800 W", "rack": "R03", "position": 20},
    {"name": "dinkes-db-01", "make": "HPE", "model": "ProLiant DL380", "serial": "CZJ1234XYZ",
     "processor": "Intel Xeon Gold 6226R", "ram": "256 GB", "motherboard": "HPE 875073",
     "storage": "8x 1.92 TB SSD", "psu": "2x 1600 W", "rack": "R03", "position": 21},
]
NUMBER = "045/DKI-TIK/XI/2026"


def base(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"document_number": NUMBER, "date": date(2026, 11, 28)}
    data.update(fields)
    return data


def samples() -> dict[str, dict[str, Any]]:
    return copy.deepcopy(_samples())


def _samples() -> dict[str, dict[str, Any]]:
    return {
        "capacity_check": base(
            request_id="REQ-2026-0042", agency=AGENCY, domain="sikda.kaltimprov.go.id", verdict="fits",
            dimensions=[
                {"dimension": "space", "before": 38, "requested": 3, "after": 35, "unit": "U",
                 "verdict": "fits", "reason": "largest block 12 U"},
                {"dimension": "power", "before": 7360, "requested": 900, "after": 6460, "unit": "VA",
                 "verdict": "fits"},
                {"dimension": "bandwidth", "before": 1800, "requested": 100, "after": 1700,
                 "unit": "Mbps", "verdict": "fits"},
            ],
            placements=[{"server": "dinkes-web-01", "site": "dc-smd", "rack": "R03", "position": 20,
                         "face": "front", "u_height": 1, "feeds": ["R03-A", "R03-B"]}],
            checked_by={"name": "Dewi Lestari", "nip": "199203032016022002"}),
        "application": base(
            agency=AGENCY, person=PERSON, domain="sikda.kaltimprov.go.id",
            domain_activation_date="2026-12-01", colocation_type="temporary",
            valid_until="2027-11-30", servers=SERVERS,
            approver={"name": "Siti Aminah", "nip": "197201011998032004"}),
        "approval": base(
            request_id="REQ-2026-0042", agency=AGENCY, person=PERSON, domain="sikda.kaltimprov.go.id",
            colocation_type="permanent", application_number="044/DKI-TIK/XI/2026", servers=SERVERS,
            placements=[{"server": "dinkes-web-01", "rack": "R03", "position": 20}],
            approver={"name": "Andi Pratama", "nip": "198807072012121001"}),
        "approval_notice": base(
            request_id="REQ-2026-0042", agency=AGENCY, person=PERSON, domain="sikda.kaltimprov.go.id",
            approval_number="046/DKI-TIK/XI/2026", approval_date="2026-11-28", deliver_by="2026-11-30",
            sender={"name": "Dewi Lestari", "nip": "199203032016022002"}),
        "handover": base(agency=AGENCY, person=PERSON, receiver=RECEIVER, servers=SERVERS,
                         place="Data Center Diskominfo"),
        "completion": base(
            request_id="REQ-2026-0042", agency=AGENCY, person=PERSON, domain="sikda.kaltimprov.go.id",
            servers=SERVERS, endpoints=["https://sikda.kaltimprov.go.id"],
            handover_number="047/BAST/XI/2026", inspector={"name": "Dewi Lestari", "nip": "199203032016022002"},
            head_of_division={"name": "Siti Aminah"}),
        "withdrawal": base(
            domain="sikda.kaltimprov.go.id", agency=AGENCY, person=PERSON,
            data_center={"noc": "NOC Diskominfo", "location": "Ruang Server 1"},
            colocation={"noc": "NOC Co-Location"}, servers=SERVERS[:1],
            reasons=["Aplikasi dipindahkan ke PDN.", "Masa berlaku berakhir."],
            approver={"name": "Siti Aminah", "nip": "197201011998032004"}),
        "register_review": base(
            year=2026, reviewed_by={"name": "Dewi Lestari", "nip": "199203032016022002"},
            servers=[dict(SERVERS[0], agency="Dinas Kesehatan", review_status="ok", last_reviewed="2025-11-20"),
                     dict(SERVERS[1], agency="Dinas Kesehatan", review_status="never_reviewed",
                          findings=["no review on record"])],
            findings=["Rak R09 tanpa feed B."]),
    }


def squash(text: str) -> str:
    """Text without whitespace: a PDF wraps lines anywhere a table cell is narrow."""
    return re.sub(r"\s+", "", text)


def pdf_pages(data: bytes) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def assert_in_pdf(pdf_text: str, *values: str) -> None:
    missing = [v for v in values if squash(v) not in squash(pdf_text)]
    assert not missing, f"not in the PDF text: {missing}"


# --------------------------------------------------------------------------- HTML


@pytest.mark.parametrize("kind", DOCUMENT_KINDS)
@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_kind_renders_self_contained_html(kind: str, lang: str) -> None:
    html = render_document(kind, samples()[kind], lang=lang).decode("utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert NUMBER in html
    # nothing outside the file: no link, script, image or remote stylesheet
    assert not re.search(r"<(script|link|img|iframe)\b", html)
    assert "url(" not in html and "@import" not in html


def test_kinds_are_the_sop_documents() -> None:
    assert set(DOCUMENT_KINDS) == {"capacity_check", "application", "approval", "approval_notice",
                                   "handover", "completion", "withdrawal", "register_review"}


def test_handover_html_in_english() -> None:
    html = render_document("handover", samples()["handover"], lang="en").decode()
    assert "Co-Location Server Handover Minutes" in html
    assert "Today, Saturday, the twenty-eighth day of November in the year two thousand twenty-six" in html
    assert "Handed over by," in html and "Received by," in html


def test_application_marks_the_chosen_colocation_type() -> None:
    temporary = render_document("application", samples()["application"]).decode()
    # ☒ is the ticked box, ☐ the empty one; "Tidak permanen" is the one ticked
    assert re.search(r"&#x2610;</span> Permanen", temporary)
    assert re.search(r"&#x2612;</span> Tidak permanen", temporary)
    assert "30 November 2027" in temporary  # Masa Berlaku


# --------------------------------------------------------------------------- PDF


@needs_pdf
def test_handover_pdf_contains_every_field() -> None:
    pdf = render_document("handover", samples()["handover"], fmt="pdf")
    assert pdf.startswith(b"%PDF-")
    text = "\n".join(pdf_pages(pdf))
    assert_in_pdf(text, "BERITA ACARA SERAH TERIMA CO-LOCATION SERVER", NUMBER,
                  "Pada hari ini, Sabtu, tanggal dua puluh delapan bulan November tahun dua ribu dua puluh enam",
                  "(28 November 2026)", "Data Center Diskominfo",
                  AGENCY["name"], PERSON["name"], PERSON["nip"],
                  RECEIVER["unit"], RECEIVER["name"], RECEIVER["nip"],
                  "Yang Menyerahkan,", "Yang Menerima,",
                  "Pemerintah Provinsi Kalimantan Timur".upper(), "Dinas Komunikasi dan Informatika".upper())
    for s in SERVERS:
        assert_in_pdf(text, s["name"], s["serial"], s["processor"], s["ram"], s["motherboard"],
                      s["storage"], s["psu"])


@needs_pdf
def test_application_pdf_contains_every_field() -> None:
    pdf = render_document("application", samples()["application"], fmt="pdf")
    text = "\n".join(pdf_pages(pdf))
    assert_in_pdf(text, "FORM. PENGAJUAN CO-LOCATION SERVER DAN HOSTING APLIKASI",
                  AGENCY["name"], AGENCY["address"], PERSON["name"], PERSON["nip"], PERSON["phone"],
                  PERSON["email"], "sikda.kaltimprov.go.id", "1 Desember 2026", "30 November 2027",
                  "Tidak permanen", "Telah menyetujui,", "Kepala Bidang", "Siti Aminah",
                  "197201011998032004", "Samarinda, 28 November 2026")


@needs_pdf
@pytest.mark.parametrize("kind", DOCUMENT_KINDS)
def test_every_kind_makes_a_pdf_with_number_and_page_numbers(kind: str) -> None:
    pages = pdf_pages(render_document(kind, samples()[kind], fmt="pdf"))
    for i, page in enumerate(pages, start=1):
        assert_in_pdf(page, f"Nomor: {NUMBER}", f"Halaman {i} dari {len(pages)}")


@needs_pdf
def test_long_minutes_repeat_number_office_and_page_count_on_every_page() -> None:
    data = samples()["handover"]
    data["servers"] = [dict(SERVERS[0], name=f"srv-{i:02d}", serial=f"SN-{i:04d}") for i in range(40)]
    pages = pdf_pages(render_document("handover", data, fmt="pdf"))
    assert len(pages) >= 2
    for i, page in enumerate(pages, start=1):
        assert_in_pdf(page, f"Nomor: {NUMBER}", f"Halaman {i} dari {len(pages)}")
        if i > 1:  # the letterhead is on page 1; later pages carry the office in the header
            assert_in_pdf(page, "Pemerintah Provinsi Kalimantan Timur")
    assert_in_pdf("\n".join(pages), "SN-0000", "SN-0039")


@needs_pdf
def test_withdrawal_and_completion_pdf_wording() -> None:
    w = "\n".join(pdf_pages(render_document("withdrawal", samples()["withdrawal"], fmt="pdf")))
    assert_in_pdf(w, "Telah mengajukan permohonan penarikan co-location", "Data Center", "Co-Location",
                  "NOC Diskominfo", "Ruang Server 1", "NOC Co-Location", "7H2K9Q3",
                  "PowerEdge R650 / Dell", "dengan pertimbangan", "Aplikasi dipindahkan ke PDN.",
                  "Masa berlaku berakhir.", "Kepala Bidang TIK", "Siti Aminah")
    c = "\n".join(pdf_pages(render_document("completion", samples()["completion"], fmt="pdf")))
    assert_in_pdf(c, "Tembusan:", "Kepala Bidang (Siti Aminah)", "https://sikda.kaltimprov.go.id",
                  "047/BAST/XI/2026", "Pemeriksa Teknologi Informasi")


@needs_pdf
def test_same_data_same_pdf_bytes() -> None:
    # The checksum recorded in a request's history must be reproducible, also a second
    # later: embedded font subsets are stamped with the time unless it is pinned.
    before = os.environ.get("SOURCE_DATE_EPOCH")
    a = render_document("approval", samples()["approval"], fmt="pdf")
    time.sleep(1.1)
    b = render_document("approval", samples()["approval"], fmt="pdf")
    assert a == b
    assert os.environ.get("SOURCE_DATE_EPOCH") == before  # the pin does not leak


# --------------------------------------------------------------------------- hostile input

HOSTILE_AGENCY = "<script>alert(1)</script>"
HOSTILE_DOMAIN = "a\"b'.go.id"


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def hostile(kind: str) -> dict[str, Any]:
    data = copy.deepcopy(samples()[kind])
    if "agency" in data:
        data["agency"]["name"] = HOSTILE_AGENCY
    if "domain" in data:
        data["domain"] = HOSTILE_DOMAIN
    return data


@pytest.mark.parametrize("kind", DOCUMENT_KINDS)
def test_hostile_values_are_escaped_in_html(kind: str) -> None:
    html = render_document(kind, hostile(kind)).decode()
    parser = _Collect()
    parser.feed(html)
    assert "script" not in parser.tags
    text = "".join(parser.text)
    if "agency" in samples()[kind]:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert HOSTILE_AGENCY in text  # shown to the reader as the literal text
    if "domain" in samples()[kind]:
        assert "a&#34;b&#39;.go.id" in html
        assert HOSTILE_DOMAIN in text


@needs_pdf
def test_hostile_values_are_plain_text_in_pdf() -> None:
    data = hostile("handover")
    data["domain"] = HOSTILE_DOMAIN
    # a document number that tries to break out of CSS must stay text too
    data["document_number"] = '1"); } body { display: none } /*'
    pdf = render_document("handover", data, fmt="pdf")
    text = "\n".join(pdf_pages(pdf))
    assert_in_pdf(text, HOSTILE_AGENCY, HOSTILE_DOMAIN, '1"); } body { display: none } /*',
                  "Yang Menerima,")  # the body still renders
    for marker in (b"/JavaScript", b"/JS ", b"/URI", b"/Launch"):
        assert marker not in pdf


def test_pdf_renderer_fetches_nothing_outside_the_document() -> None:
    weasyprint = pytest.importorskip("weasyprint")
    from reports.render import _offline_fetcher

    fetcher = _offline_fetcher(weasyprint)
    fetch = fetcher.fetch if hasattr(fetcher, "fetch") else fetcher
    for url in ("file:///etc/hostname", "http://127.0.0.1:9/x.css"):
        with pytest.raises(ValueError):
            fetch(url)


# --------------------------------------------------------------------------- errors


def test_missing_serial_in_handover_names_the_field() -> None:
    data = samples()["handover"]
    del data["servers"][1]["serial"]
    with pytest.raises(InputError) as exc:
        render_document("handover", data)
    assert "handover document" in str(exc.value)
    assert "servers[1].serial: missing (required)" in str(exc.value)


def test_blank_required_field_counts_as_missing() -> None:
    data = samples()["application"]
    data["person"]["nip"] = "   "
    with pytest.raises(InputError, match=r"person\.nip: missing \(required\)"):
        render_document("application", data)


def test_misspelt_top_level_field_is_refused() -> None:
    data = samples()["application"]
    data["valid_untill"] = data.pop("valid_until")
    with pytest.raises(InputError) as exc:
        render_document("application", data)
    assert "valid_untill: unknown field" in str(exc.value)


def test_temporary_colocation_needs_its_end_date() -> None:
    data = samples()["application"]
    del data["valid_until"]
    with pytest.raises(InputError, match="valid_until is required for a temporary co-location"):
        render_document("application", data)
    data["colocation_type"] = "permanent"
    assert b"Permanen" in render_document("application", data)


def test_withdrawal_needs_reasons() -> None:
    data = samples()["withdrawal"]
    data["reasons"] = []
    with pytest.raises(InputError, match="reasons"):
        render_document("withdrawal", data)


def test_unknown_kind_format_and_language() -> None:
    with pytest.raises(InputError, match="unknown document kind 'invoice'"):
        render_document("invoice", {})
    with pytest.raises(InputError, match="unknown format 'docx'"):
        render_document("handover", samples()["handover"], fmt="docx")
    with pytest.raises(InputError, match="unknown language 'fr'"):
        render_document("handover", samples()["handover"], lang="fr")


def test_templates_fail_loudly_on_undefined_values() -> None:
    from jinja2.exceptions import UndefinedError

    with pytest.raises(UndefinedError):
        environment().from_string("{{ nothing_here }}").render()


# --------------------------------------------------------------------------- contracts


def test_capacity_check_from_a_fit_report() -> None:
    fit = {  # the shape of capacity.fit.FitReport.to_dict()
        "request_id": "REQ-2026-0042", "tenant": "dinkes", "site": None, "fits": False,
        "dimensions": [
            {"dimension": "space", "unit": "U", "before": 2.0, "requested": 4.0, "after": -2.0,
             "verdict": "does not fit", "reason": "no rack has 4 U in one block"},
            {"dimension": "vcpu", "unit": "vCPU", "before": None, "requested": None, "after": None,
             "verdict": "not requested", "reason": "no hosting requested"},
        ],
        "placements": [{"site": "dc-smd", "site_name": "DC Samarinda", "rank_ignored": 1, "servers": [
            {"server": "web-01", "site": "1", "site_name": "DC Samarinda", "rack": "17", "rack_name": "R03",
             "position": 20.0, "face": "front", "u_height": 2.0, "feed_a_name": "R03-A", "feed_b_name": "R03-B"},
        ]}],
        "reasons": ["space: no rack has 4 U in one block"],
        "notes": [],
    }
    data = capacity_check_data(fit, document_number=NUMBER, date="2026-11-28", agency=AGENCY)
    doc = validate_document("capacity_check", data)
    assert doc.verdict == "does_not_fit"
    assert [d.verdict for d in doc.dimensions] == ["does_not_fit", "not_requested"]
    p = doc.placements[0]
    assert (p.rank, p.server, p.site, p.rack, p.position, p.feeds) == (
        1, "web-01", "DC Samarinda", "R03", 20.0, ["R03-A", "R03-B"])
    html = render_document("capacity_check", data).decode()
    assert "KAPASITAS TIDAK TERSEDIA: proses selesai" in html
    assert "Tidak diminta" in html and "Ruang rak" in html
    assert "space: no rack has 4 U in one block" in html


def test_numbers_follow_the_language() -> None:
    assert format_number(12500, "id") == "12.500"
    assert format_number(12500, "en") == "12,500"
    assert format_number(2.5, "id") == "2,5"
    assert format_number(149042.6, "id") == "149.042,6"
    assert format_number(4.0, "en") == "4"
    assert format_number(None, "id") == "—"


def test_every_label_exists_in_both_languages() -> None:
    for key, texts in LABELS.items():
        assert set(texts) == {"id", "en"}, key
        assert texts["id"].strip() and texts["en"].strip(), key


def test_office_header_is_configurable() -> None:
    data = samples()["approval"]
    data["office"] = {"government": "Pemerintah Kota Balikpapan", "name": "Dinas Kominfo Balikpapan",
                      "city": "Balikpapan"}
    html = render_document("approval", data).decode()
    assert "Pemerintah Kota Balikpapan" in html and "Balikpapan, 28 November 2026" in html
    assert "Kalimantan Timur</div>" not in html
