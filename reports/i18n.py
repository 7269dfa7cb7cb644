"""Labels of the documents and the capacity report, in Indonesian (default) and English.

Templates read labels as `L.key`; with jinja's StrictUndefined a key missing from one
language fails the render instead of printing an empty string. Both languages must have
the same keys (a unit test checks).

The Indonesian wording follows the SOP's own forms (Form Pengajuan, Berita Acara Serah
Terima, penarikan co-location) word for word where the SOP gives it.

One module past the ~500-line guide on purpose: it is a table of label pairs, and one
table keeps the "same keys in both languages" rule checkable in one place.
"""

from __future__ import annotations

from typing import Any

from reports.dates import check_lang

LABELS: dict[str, dict[str, str]] = {
    # --- document titles ---------------------------------------------------
    "title_capacity_check": {
        "id": "Laporan Pengecekan Ketersediaan Kapasitas Infrastruktur",
        "en": "Infrastructure Capacity Check Report",
    },
    "title_application": {
        "id": "Form. Pengajuan Co-Location Server dan Hosting Aplikasi",
        "en": "Co-Location Server and Application Hosting Application Form",
    },
    "title_approval": {
        "id": "Form. Persetujuan Co-Location Server dan Hosting Aplikasi",
        "en": "Co-Location Server and Application Hosting Approval Form",
    },
    "title_approval_notice": {
        "id": "Pemberitahuan Persetujuan Co-Location Server dan Hosting Aplikasi",
        "en": "Notice of Approval: Co-Location Server and Application Hosting",
    },
    "title_handover": {
        "id": "Berita Acara Serah Terima Co-Location Server",
        "en": "Co-Location Server Handover Minutes",
    },
    "title_completion": {
        "id": "Berita Acara Penyelesaian Co-Location Server dan Hosting Aplikasi",
        "en": "Completion Minutes: Co-Location Server and Application Hosting",
    },
    "title_withdrawal": {
        "id": "Form. Penarikan Co-Location Server dan Hosting Aplikasi",
        "en": "Co-Location Server and Application Hosting Withdrawal Form",
    },
    "title_register_review": {
        "id": "Berita Acara Peninjauan Aset Register Server",
        "en": "Server Asset Register Review Minutes",
    },
    "title_capacity_report": {
        "id": "Laporan Kapasitas Data Center",
        "en": "Data Centre Capacity Report",
    },
    # --- page furniture ----------------------------------------------------
    "number": {"id": "Nomor", "en": "Number"},
    "number_short": {"id": "No.", "en": "No."},
    "page": {"id": "Halaman", "en": "Page"},
    "of": {"id": "dari", "en": "of"},
    "request_id": {"id": "ID Permohonan", "en": "Request ID"},
    "date": {"id": "Tanggal", "en": "Date"},
    "none": {"id": "—", "en": "—"},
    "note": {"id": "Catatan", "en": "Notes"},
    # --- parties -----------------------------------------------------------
    "unit_name": {"id": "Nama Unit", "en": "Unit Name"},
    "person_in_charge": {"id": "Penanggung Jawab", "en": "Person in Charge"},
    "nip": {"id": "NIP", "en": "NIP"},
    "unit_address": {"id": "Alamat Unit", "en": "Unit Address"},
    "contact_number": {"id": "Kontak Number", "en": "Contact Number"},
    "email": {"id": "E-mail", "en": "E-mail"},
    "domain": {"id": "Nama Domain", "en": "Domain Name"},
    "domain_activation_date": {"id": "Tanggal Aktif Domain", "en": "Domain Activation Date"},
    "valid_until": {"id": "Masa Berlaku", "en": "Valid Until"},
    "valid_until_note": {
        "id": "*) diisi untuk co-location tidak permanen",
        "en": "*) for a temporary co-location",
    },
    "colocation": {"id": "Co-location", "en": "Co-location"},
    "permanent": {"id": "Permanen", "en": "Permanent"},
    "temporary": {"id": "Tidak permanen", "en": "Not permanent"},
    "head_of_division": {"id": "Kepala Bidang", "en": "Head of Division"},
    "head_of_ict_division": {"id": "Kepala Bidang TIK", "en": "Head of the ICT Division"},
    "administrator": {"id": "Administrator Bidang TIK", "en": "ICT Division Administrator"},
    "it_manager": {"id": "Pengelola Teknologi Informasi", "en": "IT Operator (Pengelola)"},
    "it_inspector": {"id": "Pemeriksa Teknologi Informasi", "en": "IT Inspector (Pemeriksa)"},
    "applicant": {"id": "Pemohon", "en": "Applicant"},
    "approved_by": {"id": "Telah menyetujui,", "en": "Approved by,"},
    "agreed": {"id": "Menyetujui,", "en": "Approved,"},
    "signed": {"id": "Tertanda,", "en": "Signed,"},
    "checked_by": {"id": "Diperiksa oleh,", "en": "Checked by,"},
    "reviewed_by": {"id": "Ditinjau oleh,", "en": "Reviewed by,"},
    "known_by": {"id": "Mengetahui,", "en": "Acknowledged by,"},
    "hands_over": {"id": "Yang Menyerahkan,", "en": "Handed over by,"},
    "receives": {"id": "Yang Menerima,", "en": "Received by,"},
    "user": {"id": "Pengguna", "en": "User"},
    # --- servers -----------------------------------------------------------
    "no": {"id": "No", "en": "No"},
    "server_name": {"id": "Nama Server", "en": "Server Name"},
    "server_spec": {"id": "Spesifikasi Server", "en": "Server Specification"},
    "processor": {"id": "Prosesor", "en": "Processor"},
    "ram": {"id": "RAM", "en": "RAM"},
    "motherboard": {"id": "Motherboard", "en": "Motherboard"},
    "storage": {"id": "Storage", "en": "Storage"},
    "psu": {"id": "PSU", "en": "PSU"},
    "serial": {"id": "S/N Server", "en": "Server S/N"},
    "type_make": {"id": "Type & Merk", "en": "Type & Make"},
    "height_u": {"id": "Tinggi (U)", "en": "Height (U)"},
    "site": {"id": "Lokasi", "en": "Site"},
    "rack": {"id": "Rak", "en": "Rack"},
    "position": {"id": "Posisi (U)", "en": "Position (U)"},
    "face": {"id": "Sisi", "en": "Face"},
    "face_front": {"id": "depan", "en": "front"},
    "face_rear": {"id": "belakang", "en": "rear"},
    "feeds": {"id": "Feed Daya", "en": "Power Feeds"},
    "server_location": {"id": "Letak Server", "en": "Server Location"},
    "hosting": {"id": "Hosting Aplikasi", "en": "Application Hosting"},
    "vcpus": {"id": "vCPU", "en": "vCPU"},
    "memory_gb": {"id": "Memori (GB)", "en": "Memory (GB)"},
    "disk_gb": {"id": "Disk (GB)", "en": "Disk (GB)"},
    "agency": {"id": "Unit / OPD", "en": "Unit / Agency"},
    # --- capacity check (step 3) ------------------------------------------
    "cc_intro": {
        "id": "Pengelola Teknologi Informasi telah mengecek ketersediaan kapasitas "
              "infrastruktur (server, listrik, UPS, genset, bandwidth, tempat) untuk "
              "permohonan berikut:",
        "en": "The IT operator has checked the available infrastructure capacity (server, "
              "electricity, UPS, genset, bandwidth, space) for the following request:",
    },
    "cc_result": {"id": "Hasil", "en": "Result"},
    "cc_fits": {
        "id": "KAPASITAS TERSEDIA: lanjut ke pengisian Form Pengajuan (langkah 4)",
        "en": "CAPACITY AVAILABLE: continue with the application form (step 4)",
    },
    "cc_does_not_fit": {
        "id": "KAPASITAS TIDAK TERSEDIA: proses selesai",
        "en": "CAPACITY NOT AVAILABLE: the process ends",
    },
    "cc_dimensions": {"id": "Rincian per dimensi", "en": "Per dimension"},
    "cc_dimension": {"id": "Dimensi", "en": "Dimension"},
    "cc_before": {"id": "Sebelum", "en": "Before"},
    "cc_requested": {"id": "Diminta", "en": "Requested"},
    "cc_after": {"id": "Sesudah", "en": "After"},
    "cc_unit": {"id": "Satuan", "en": "Unit"},
    "cc_verdict": {"id": "Hasil", "en": "Verdict"},
    "cc_reason": {"id": "Keterangan", "en": "Reason"},
    "verdict_fits": {"id": "Tersedia", "en": "Fits"},
    "verdict_does_not_fit": {"id": "Tidak tersedia", "en": "Does not fit"},
    "verdict_unknown": {"id": "Tidak diketahui", "en": "Unknown"},
    "verdict_not_requested": {"id": "Tidak diminta", "en": "Not requested"},
    "cc_placements": {"id": "Usulan penempatan", "en": "Proposed placement"},
    "cc_no_placement": {"id": "Tidak ada penempatan yang memenuhi.", "en": "No placement fits."},
    "cc_servers": {"id": "Server yang diajukan", "en": "Requested servers"},
    "rank": {"id": "Urutan", "en": "Rank"},
    "dim_space": {"id": "Ruang rak", "en": "Rack space"},
    "dim_power": {"id": "Daya listrik", "en": "Power"},
    "dim_power_failover": {"id": "Daya saat failover A/B", "en": "Power on A/B failover"},
    "dim_ups": {"id": "UPS", "en": "UPS"},
    "dim_genset": {"id": "Genset", "en": "Genset"},
    "dim_bandwidth": {"id": "Bandwidth", "en": "Bandwidth"},
    "dim_hosting": {"id": "Hosting (komputasi)", "en": "Hosting (compute)"},
    "dim_hosting_vcpus": {"id": "Hosting: vCPU", "en": "Hosting: vCPU"},
    "dim_hosting_memory": {"id": "Hosting: memori", "en": "Hosting: memory"},
    "dim_hosting_disk": {"id": "Hosting: disk", "en": "Hosting: disk"},
    "dim_weight": {"id": "Berat rak", "en": "Rack weight"},
    "dim_outlets": {"id": "Stopkontak (outlet PDU / feed)", "en": "Plugs (PDU outlets / feeds)"},
    "dim_vcpu": {"id": "Hosting: vCPU", "en": "Hosting: vCPU"},
    "dim_memory": {"id": "Hosting: memori", "en": "Hosting: memory"},
    "dim_disk": {"id": "Hosting: disk", "en": "Hosting: disk"},
    "dim_legs": {"id": "Fasa (feed tiga fasa)", "en": "Phase legs (three-phase feeds)"},
    "dim_cooling": {"id": "Pendinginan", "en": "Cooling"},
    "dim_host_vcpu": {"id": "VM di satu host: vCPU", "en": "VM on one host: vCPU"},
    "dim_host_memory": {"id": "VM di satu host: memori", "en": "VM on one host: memory"},
    # --- application / approval -------------------------------------------
    "app_servers": {"id": "Spesifikasi server yang diajukan", "en": "Servers applied for"},
    "approval_intro": {
        "id": "Berdasarkan Form Pengajuan Co-Location Server dan Hosting Aplikasi",
        "en": "On the basis of the co-location server and application hosting application form",
    },
    "approval_intro_tail": {
        "id": "Administrator Bidang TIK dengan ini menyetujui permohonan berikut:",
        "en": "the ICT Division Administrator hereby approves the following request:",
    },
    "dated": {"id": "tanggal", "en": "dated"},
    "conditions": {"id": "Ketentuan", "en": "Conditions"},
    "placement": {"id": "Penempatan", "en": "Placement"},
    # --- approval notice (step 6) -----------------------------------------
    "subject": {"id": "Perihal", "en": "Subject"},
    "attachment": {"id": "Lampiran", "en": "Attachment"},
    "to": {"id": "Kepada Yth.", "en": "To"},
    "at": {"id": "di", "en": "at"},
    "salutation": {"id": "Dengan hormat,", "en": "Dear Sir or Madam,"},
    "notice_body": {
        "id": "Menindaklanjuti permohonan co-location server dan hosting aplikasi",
        "en": "Following up the request for co-location and application hosting",
    },
    "notice_for_domain": {"id": "untuk domain", "en": "for the domain"},
    "notice_approved": {
        "id": "bersama ini kami sampaikan bahwa permohonan tersebut telah disetujui",
        "en": "we inform you that the request has been approved",
    },
    "notice_approval_ref": {
        "id": "berdasarkan Form Persetujuan nomor",
        "en": "by approval form number",
    },
    "notice_bring": {
        "id": "Selanjutnya dimohon membawa perangkat server beserta sistem operasi, perangkat "
              "lunak, dan aplikasi pendukung sesuai dengan spesifikasi",
        "en": "Please bring the server with its operating system, software and supporting "
              "applications as specified",
    },
    "notice_servers": {"id": "Server yang dibawa", "en": "Servers to bring"},
    "notice_by": {"id": "paling lambat", "en": "no later than"},
    "notice_closing": {
        "id": "Demikian disampaikan, atas perhatian dan kerja samanya diucapkan terima kasih.",
        "en": "Thank you for your attention and cooperation.",
    },
    # --- minutes -----------------------------------------------------------
    "today": {"id": "Pada hari ini", "en": "Today"},
    "at_place": {"id": "bertempat di", "en": "at"},
    "undersigned": {"id": "yang bertanda tangan di bawah ini:", "en": "the undersigned:"},
    "handed_over_as_follows": {
        "id": "Telah menyerahkan co-location sebagai berikut:",
        "en": "Has handed over for co-location the following:",
    },
    "to_party": {"id": "Kepada:", "en": "To:"},
    "handover_closing": {
        "id": "Demikian formulir serah terima ini dibuat dengan kondisi sebenarnya.",
        "en": "This handover form is made in accordance with the actual condition.",
    },
    "completion_intro": {
        "id": "Pemeriksa Teknologi Informasi melaporkan kepada pengguna bahwa co-location "
              "server dan hosting aplikasi milik unit berikut telah selesai dan dapat diakses:",
        "en": "the IT inspector reports to the user that the co-location server and "
              "application hosting of the following unit are complete and reachable:",
    },
    "handover_ref": {"id": "Berita Acara Serah Terima", "en": "Handover minutes"},
    "completed_servers": {"id": "Server yang telah terpasang", "en": "Installed servers"},
    "access": {"id": "Alamat akses", "en": "Access"},
    "minutes_closing": {
        "id": "Demikian berita acara ini dibuat untuk dipergunakan sebagaimana mestinya.",
        "en": "These minutes are made to be used as appropriate.",
    },
    "cc_copy": {"id": "Tembusan:", "en": "Copy to:"},
    # --- withdrawal --------------------------------------------------------
    "withdrawal_applied": {
        "id": "Telah mengajukan permohonan penarikan co-location",
        "en": "Has applied for the withdrawal of the co-location",
    },
    "data_center": {"id": "Data Center", "en": "Data Center"},
    "colocation_section": {"id": "Co-Location", "en": "Co-Location"},
    "noc": {"id": "NOC", "en": "NOC"},
    "considering": {"id": "dengan pertimbangan", "en": "for the following reasons"},
    "withdrawal_closing": {
        "id": "Segala syarat dan ketentuan dalam pencabutan data center dan co-location telah "
              "disetujui oleh Kepala Bidang.",
        "en": "All terms and conditions of the withdrawal of the data center and co-location "
              "have been approved by the Head of Division.",
    },
    # --- register review ---------------------------------------------------
    "review_year": {"id": "Tahun", "en": "Year"},
    "review_intro": {
        "id": "Sesuai ketentuan SOP Co-Location, daftar aset register server ditinjau "
              "setidaknya satu kali dalam setahun untuk memastikan kesesuaiannya. "
              "Peninjauan telah dilakukan dengan hasil sebagai berikut:",
        "en": "As the co-location SOP requires, the server asset register is reviewed at "
              "least once a year to confirm it is accurate. The review found the following:",
    },
    "review_summary": {"id": "Ringkasan", "en": "Summary"},
    "review_total": {"id": "Jumlah server", "en": "Servers"},
    "last_reviewed": {"id": "Tinjauan terakhir", "en": "Last reviewed"},
    "review_status": {"id": "Status", "en": "Status"},
    "review_findings": {"id": "Temuan", "en": "Findings"},
    "general_findings": {"id": "Temuan umum", "en": "General findings"},
    "status_ok": {"id": "Sesuai", "en": "OK"},
    "status_mismatch": {"id": "Tidak sesuai", "en": "Mismatch"},
    "status_missing": {"id": "Tidak ditemukan", "en": "Missing"},
    "status_unregistered": {"id": "Belum terdaftar", "en": "Not registered"},
    "status_overdue": {"id": "Lewat tinjauan", "en": "Review overdue"},
    "status_expired": {"id": "Masa berlaku habis", "en": "Expired"},
    "status_incomplete": {"id": "Data tidak lengkap", "en": "Incomplete data"},
    "status_never_reviewed": {"id": "Belum pernah ditinjau", "en": "Never reviewed"},
    # --- capacity report (HTML) -------------------------------------------
    "cr_generated": {"id": "Dibuat", "en": "Generated"},
    "cr_source": {"id": "Sumber data", "en": "Data source"},
    "cr_summary": {"id": "Ringkasan per lokasi", "en": "Summary per site"},
    "cr_dimension": {"id": "Dimensi", "en": "Dimension"},
    "cr_used": {"id": "Terpakai", "en": "Used"},
    "cr_capacity": {"id": "Kapasitas", "en": "Capacity"},
    "cr_free": {"id": "Sisa", "en": "Free"},
    "cr_utilization": {"id": "Utilisasi", "en": "Utilization"},
    "cr_space": {"id": "Ruang rak", "en": "Rack space"},
    "cr_space_note": {
        "id": "unit bebas di rak yang terbuka untuk co-location; blok terbesar",
        "en": "free units in racks open for co-location; largest block",
    },
    "cr_power_normal": {"id": "Daya (normal)", "en": "Power (normal)"},
    "cr_power_failover": {"id": "Daya (failover A/B)", "en": "Power (A/B failover)"},
    "cr_power_failover_note": {
        "id": "feed terberat setelah sisi lain padam",
        "en": "worst feed after the other side fails",
    },
    "cr_racks_unsafe": {"id": "rak tidak aman saat failover", "en": "racks unsafe on failover"},
    "cr_ups": {"id": "UPS", "en": "UPS"},
    "cr_genset": {"id": "Genset", "en": "Genset"},
    "cr_bandwidth": {"id": "Bandwidth", "en": "Bandwidth"},
    "cr_hosting_vcpus": {"id": "Hosting: vCPU", "en": "Hosting: vCPU"},
    "cr_hosting_memory": {"id": "Hosting: memori", "en": "Hosting: memory"},
    "cr_hosting_disk": {"id": "Hosting: disk", "en": "Hosting: disk"},
    "cr_no_data": {"id": "tidak ada data", "en": "no data"},
    "cr_elevations": {"id": "Elevasi rak (depan dan belakang)", "en": "Rack elevations (front and rear)"},
    "cr_front": {"id": "Depan", "en": "Front"},
    "cr_rear": {"id": "Belakang", "en": "Rear"},
    "cr_legend": {"id": "Keterangan warna", "en": "Legend"},
    "cr_free_unit": {"id": "Kosong", "en": "Free"},
    "cr_reserved": {"id": "Dicadangkan", "en": "Reserved"},
    "cr_no_tenant": {"id": "Tanpa tenant (internal)", "en": "No tenant (internal)"},
    "cr_failover_warning": {"id": "Tidak aman saat failover", "en": "Unsafe on failover"},
    "cr_closed": {"id": "Tertutup untuk co-location", "en": "Closed to co-location"},
    "cr_no_elevation": {"id": "Data unit tidak tersedia", "en": "No unit data"},
    "cr_racks": {"id": "Rak", "en": "Racks"},
    "cr_feeds": {"id": "Feed daya", "en": "Power feeds"},
    "cr_sources": {"id": "UPS dan genset", "en": "UPS and gensets"},
    "cr_uplinks": {"id": "Uplink", "en": "Uplinks"},
    "cr_clusters": {"id": "Klaster hosting", "en": "Hosting clusters"},
    "cr_findings": {"id": "Temuan", "en": "Findings"},
    "cr_no_findings": {"id": "Tidak ada temuan.", "en": "No findings."},
    "cr_severity": {"id": "Tingkat", "en": "Severity"},
    "cr_object": {"id": "Objek", "en": "Object"},
    "cr_message": {"id": "Pesan", "en": "Message"},
    "cr_kind": {"id": "Jenis", "en": "Kind"},
    "cr_name": {"id": "Nama", "en": "Name"},
    "cr_panel": {"id": "Panel", "en": "Panel"},
    "cr_available_va": {"id": "Tersedia (VA)", "en": "Available (VA)"},
    "cr_load_va": {"id": "Beban (VA)", "en": "Load (VA)"},
    "cr_failover_load_va": {"id": "Beban failover (VA)", "en": "Failover load (VA)"},
    "cr_capacity_va": {"id": "Kapasitas (VA)", "en": "Capacity (VA)"},
    "cr_free_u": {"id": "Unit bebas", "en": "Free U"},
    "cr_largest_block": {"id": "Blok terbesar (U)", "en": "Largest block (U)"},
    "cr_power_pct": {"id": "Alokasi NetBox (%)", "en": "NetBox allocated (%)"},
    "cr_load_alloc_max": {"id": "Beban alok./maks. (VA)", "en": "Load alloc/max (VA)"},
    "cr_committed_va": {"id": "Komitmen (VA)", "en": "Committed (VA)"},
    "cr_reserved_u": {"id": "Dicadangkan (U)", "en": "Reserved (U)"},
    "cr_open": {"id": "Terbuka", "en": "Open"},
    "cr_yes": {"id": "ya", "en": "yes"},
    "cr_no": {"id": "tidak", "en": "no"},
    "cr_outlets_ab": {"id": "Stopkontak A/B", "en": "Outlets A/B"},
    "cr_outlets": {"id": "Stopkontak", "en": "Outlets"},
    "cr_rack_legend": {
        "id": "Alokasi NetBox: angka NetBox sendiri, hanya allocated draw (port yang hanya punya maximum "
              "draw dihitung 0), feed A dan B dijumlahkan. Beban alok./maks.: allocated draw, atau maximum "
              "draw bila tidak ada, setiap port, dalam VA (W / faktor daya), ditambah komitmen (permohonan disetujui yang belum "
              "terpasang). Stopkontak A/B: colokan tersisa untuk PSU baru di feed A (primary) dan B "
              "(redundant): outlet PDU yang bebas, atau feed itu sendiri bila belum ada kabel.",
        "en": "NetBox allocated: NetBox's own figure, allocated draw only (a port with only a maximum draw "
              "counts 0), A and B feeds added. Load alloc/max: allocated draw, else maximum draw, of every "
              "port, in VA (W / power factor), plus commitments (approved requests not yet installed). Outlets A/B: plugs left for new "
              "PSUs on the A (primary) and B (redundant) feeds: free PDU outlets, or the feed itself when "
              "nothing is cabled to it."},
    "cr_space_pct": {"id": "Ruang (%)", "en": "Space (%)"},
    "cr_failover": {"id": "Failover", "en": "Failover"},
    "cr_safe": {"id": "aman", "en": "safe"},
    "cr_unsafe": {"id": "TIDAK AMAN", "en": "UNSAFE"},
    "cr_provider": {"id": "Penyedia", "en": "Provider"},
    "cr_commit": {"id": "Commit (Mbps)", "en": "Commit (Mbps)"},
    "cr_error": {"id": "galat", "en": "error"},
    "cr_errors": {"id": "galat", "en": "errors"},
    "cr_warnings": {"id": "peringatan", "en": "warnings"},
    "cr_warning": {"id": "peringatan", "en": "warning"},
    "cr_units": {"id": "U", "en": "U"},
    # --- capacity runway (colo capacity forecast, charts, register review) ---
    "fc_title": {"id": "Runway Kapasitas Data Center", "en": "Data Centre Capacity Runway"},
    "fc_runway": {"id": "Runway kapasitas", "en": "Capacity runway"},
    "fc_runway_intro": {
        "id": "Kapan setiap dimensi mencapai ambang peringatan dan 100 %, dari tren riwayat permintaan "
              "(Theil–Sen, rentang ketidakpastian 95 %).",
        "en": "When each dimension reaches the warning threshold and 100 %, from the trend of the demand "
              "history (Theil–Sen, 95 % uncertainty band).",
    },
    "fc_heatmap": {"id": "Peta panas rak: unit bebas dan cadangan failover",
                   "en": "Rack heat map: free units and failover headroom"},
    "fc_free_u": {"id": "Unit bebas (U)", "en": "Free units (U)"},
    "fc_failover_headroom": {"id": "Cadangan failover (kVA)", "en": "Failover headroom (kVA)"},
    "fc_dim_space": {"id": "Ruang rak (rak terbuka)", "en": "Rack space (open racks)"},
    "fc_dim_power": {"id": "Daya normal (total lokasi)", "en": "Power, normal (site total)"},
    "fc_dim_power_failover": {"id": "Daya failover (total lokasi)", "en": "Power on failover (site total)"},
    "fc_dim_ups": {"id": "UPS (VA)", "en": "UPS (VA)"},
    "fc_dim_ups_w": {"id": "UPS (W)", "en": "UPS (W)"},
    "fc_dim_genset": {"id": "Genset (VA)", "en": "Genset (VA)"},
    "fc_dim_genset_w": {"id": "Genset (W)", "en": "Genset (W)"},
    "fc_dim_bandwidth": {"id": "Bandwidth", "en": "Bandwidth"},
    "fc_dim_vcpus": {"id": "vCPU hosting", "en": "Hosting vCPU"},
    "fc_dim_memory_gb": {"id": "RAM hosting", "en": "Hosting RAM"},
    "fc_dim_disk_gb": {"id": "Disk hosting", "en": "Hosting disk"},
    "fc_dim_outlets": {"id": "Stopkontak PDU", "en": "PDU outlets"},
    "fc_dim_cooling": {"id": "Pendinginan", "en": "Cooling"},
    "fc_history": {"id": "riwayat", "en": "history"},
    "fc_trend": {"id": "tren", "en": "trend"},
    "fc_projection": {"id": "proyeksi", "en": "projection"},
    "fc_band": {"id": "rentang ketidakpastian", "en": "uncertainty band"},
    "fc_warning_line": {"id": "ambang peringatan", "en": "warning threshold"},
    "fc_capacity_line": {"id": "kapasitas", "en": "capacity"},
    "fc_now": {"id": "sekarang", "en": "now"},
    "fc_not_within": {"id": "tidak dalam horizon", "en": "not within the horizon"},
    "fc_earliest": {"id": "paling cepat", "en": "earliest"},
    "fc_growth": {"id": "Pertumbuhan per bulan", "en": "Growth per month"},
    "fc_rank": {"id": "Urutan", "en": "Rank"},
    "fc_reached": {"id": "Tercapai", "en": "Reached"},
    "fc_binding": {"id": "Kendala pertama", "en": "Binding constraint"},
    "fc_no_history": {"id": "Tidak ada riwayat permintaan: pertumbuhan tidak diketahui.",
                      "en": "No demand history: growth unknown."},
    "fc_summary_intro": {
        "id": "Dimensi kapasitas yang paling dulu habis per lokasi, menurut tren permintaan {months} bulan "
              "terakhir (horizon {horizon} bulan).",
        "en": "The capacity dimension that runs out first at each site, by the demand trend of the last "
              "{months} months (horizon {horizon} months).",
    },
    # engineering figures (issue 12)
    "cr_power_usable": {"id": "Daya (kapasitas satu sisi)", "en": "Power (what one side gives)"},
    "cr_power_usable_note": {
        "id": "beban dibanding daya yang tersisa bila satu sisi A/B padam; terpasang A+B",
        "en": "load against what is left with one A/B side down; installed on A and B"},
    "cr_legs": {"id": "Fasa feed tiga fasa", "en": "Three-phase feed legs"},
    "cr_legs_note": {"id": "fasa terberat saat failover; ketidakseimbangan",
                     "en": "most loaded leg on failover; imbalance"},
    "cr_cooling": {"id": "Pendinginan", "en": "Cooling"},
    "cr_cooling_note": {"id": "panas beban IT dibanding pendinginan, satu unit cadangan (N+1)",
                        "en": "heat of the IT load against cooling, one unit kept spare (N+1)"},
    "cr_bandwidth_failover_note": {"id": "sisa bila uplink terbesar padam", "en": "left when the largest uplink fails"},
    "cr_vm_max": {"id": "VM terbesar di satu host (N+1)", "en": "Largest VM on one host (N+1)"},
    "cr_datastore": {"id": "Datastore (GB, replikasi)", "en": "Datastore (GB, replication)"},
    "cr_load_w": {"id": "Beban (W)", "en": "Load (W)"},
    "cr_failover_load_w": {"id": "Beban failover (W)", "en": "Failover load (W)"},
    "cr_capacity_w": {"id": "Kapasitas (W)", "en": "Capacity (W)"},
    "cr_binds": {"id": "Rating pembatas", "en": "Binding rating"},
    "cr_leg": {"id": "Fasa", "en": "Leg"},
    "cr_feed": {"id": "Feed", "en": "Feed"},
    "cr_heat_w": {"id": "Panas (W)", "en": "Heat (W)"},
    "cr_cooling_units": {"id": "Unit", "en": "Units"},
    "cr_installed_kw": {"id": "Terpasang (kW)", "en": "Installed (kW)"},
    "cr_room": {"id": "ruang", "en": "room"},
    "cr_rack_word": {"id": "rak", "en": "rack"},
    "cr_port": {"id": "Port (Mbps)", "en": "Port (Mbps)"},
    "cr_genset_parts": {"id": "Isi beban genset (W): pengisian baterai / pendinginan / lainnya",
                        "en": "Genset load (W): battery recharge / cooling / other"},
    "cr_power_legend": {
        "id": "W adalah daya yang dicatat NetBox; VA = W / faktor daya (kebijakan 0,95, atau milik tipe "
              "perangkat). UPS dan genset diperiksa terhadap kedua rating (VA dan W) setelah derating; rating "
              "pembatas adalah yang paling dekat batasnya saat failover. Genset saat beroperasi menanggung "
              "masukan setiap UPS (keluaran / efisiensi), pengisian baterai, pendinginan yang mengikuti beban "
              "IT, dan beban lain yang dideklarasikan.",
        "en": "W is the draw NetBox records; VA = W / power factor (policy 0.95, or the device type's own). "
              "UPS and gensets are checked against both ratings (VA and W) after derating; the binding rating "
              "is the one nearer its limit on failover. A genset on generator carries every UPS's input "
              "(output / efficiency), battery recharge, cooling that follows the IT load and declared other "
              "loads."},
}

# Status words of the register review: the known ones are translated, others shown as given.
REVIEW_STATUSES = ("ok", "mismatch", "missing", "unregistered", "overdue", "expired",
                   "incomplete", "never_reviewed")

# Capacity-check dimensions with a translated name; others are shown as given.
DIMENSIONS = ("space", "power", "power_failover", "ups", "genset", "bandwidth", "hosting",
              "hosting_vcpus", "hosting_memory", "hosting_disk", "weight", "vcpu", "memory", "disk", "outlets",
              "legs", "cooling", "host_vcpu", "host_memory")


class Labels(dict[str, str]):
    """A language's labels: `L.key` in templates; a missing key is an error, not blank."""

    def __getattr__(self, name: str) -> str:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"no label {name!r}") from None


def labels(lang: str = "id") -> Labels:
    check_lang(lang)
    return Labels({key: texts[lang] for key, texts in LABELS.items()})


def label(key: str, lang: str = "id") -> str:
    check_lang(lang)
    return LABELS[key][lang]


def format_number(value: Any, lang: str = "id", decimals: int | None = None) -> str:
    """12500 -> "12.500" (id) / "12,500" (en); 2.5 -> "2,5" / "2.5"; None -> "—".

    Whole floats print without decimals; others with at most `decimals` (default 1).
    """
    check_lang(lang)
    if value is None or value == "":
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, float) and decimals is None and value.is_integer():
        value = int(value)
    if isinstance(value, int) and decimals is None:
        text = f"{value:,}"
    else:
        text = f"{value:,.{1 if decimals is None else decimals}f}"
    if lang == "id":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


#: Units the runway shows scaled: VA as kVA, W as kW, kbps as Mbps.
DISPLAY_UNITS = {"VA": (1000.0, "kVA"), "kbps": (1000.0, "Mbps"), "W": (1000.0, "kW")}


def display_unit(unit: str) -> tuple[float, str]:
    """(divisor, unit shown) of a figure's unit."""
    return DISPLAY_UNITS.get(unit, (1.0, unit))


def dimension_label(row: dict[str, Any], L: Labels) -> str:
    """A runway row's dimension as people read it, with its object (a UPS, a cluster)."""
    name = L.get(f"fc_dim_{row['dimension']}", row["dimension"])
    return f"{name} {row['object']}" if row.get("object") else name
