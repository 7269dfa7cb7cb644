"""E-mail at steps 6 and 9 against a real SMTP server (aiosmtpd) on a free loopback port."""

from __future__ import annotations

import re
import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from inventory.errors import ColoError
from playbooks.config import SmtpConfig
from playbooks.mail import Mail, send_mail

from tests.support.workflow import load, new, step, workflow_folder
from tests.support.smtp import Collect, PASSWORD, free_port


def test_message_arrives_with_headers_and_attachment(smtp: tuple[Collect, int], tmp_path: Path) -> None:
    handler, port = smtp
    doc = tmp_path / "berita-acara.pdf"
    doc.write_bytes(b"%PDF-1.4 minutes")
    send_mail(SmtpConfig(host="127.0.0.1", port=port, sender="dc@kaltimprov.go.id"),
              Mail(["budi@kaltimprov.go.id"], "[REQ-2026-0001] selesai", "Body", ["kabid@kaltimprov.go.id"], [doc]))
    (mail_from, rcpts, msg), = handler.messages
    assert mail_from == "dc@kaltimprov.go.id"
    assert rcpts == ["budi@kaltimprov.go.id", "kabid@kaltimprov.go.id"]
    assert msg["To"] == "budi@kaltimprov.go.id" and msg["Cc"] == "kabid@kaltimprov.go.id"
    assert msg["Subject"] == "[REQ-2026-0001] selesai"
    (att,) = list(msg.iter_attachments())
    assert att.get_filename() == "berita-acara.pdf"
    assert att.get_content_type() == "application/pdf"
    assert att.get_content() == b"%PDF-1.4 minutes"


def test_login_with_password_from_env(smtp: tuple[Collect, int], monkeypatch: pytest.MonkeyPatch) -> None:
    handler, port = smtp
    cfg = SmtpConfig(host="127.0.0.1", port=port, username="dc-bot", sender="dc@kaltimprov.go.id")
    monkeypatch.setenv("COLO_SMTP_PASSWORD", PASSWORD)
    send_mail(cfg, Mail(["a@kaltimprov.go.id"], "s", "b"))
    assert len(handler.messages) == 1
    monkeypatch.setenv("COLO_SMTP_PASSWORD", "wrong-" + PASSWORD)
    with pytest.raises(ColoError) as err:
        send_mail(cfg, Mail(["a@kaltimprov.go.id"], "s", "b"))
    assert str(err.value) == (f"SMTP server 127.0.0.1:{port} refused the login of 'dc-bot' "
                              "(check $COLO_SMTP_PASSWORD)")
    assert PASSWORD not in str(err.value)
    monkeypatch.delenv("COLO_SMTP_PASSWORD")
    with pytest.raises(ColoError, match=r"SMTP login as 'dc-bot' needs the password in \$COLO_SMTP_PASSWORD"):
        send_mail(cfg, Mail(["a@kaltimprov.go.id"], "s", "b"))


def test_unreachable_server_and_missing_starttls(smtp: tuple[Collect, int]) -> None:
    _, port = smtp
    closed = free_port()
    with pytest.raises(ColoError) as err:
        send_mail(SmtpConfig(host="127.0.0.1", port=closed), Mail(["a@b.go.id"], "s", "b"))
    assert str(err.value) == f"cannot reach the SMTP server 127.0.0.1:{closed}: Connection refused"
    with pytest.raises(ColoError, match="does not offer STARTTLS"):
        send_mail(SmtpConfig(host="127.0.0.1", port=port, starttls=True), Mail(["a@b.go.id"], "s", "b"))


def test_starttls_with_a_private_ca(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    handler = Collect()
    port = free_port()
    controller = Controller(handler, hostname="localhost", port=port, tls_context=context,
                            require_starttls=True)
    controller.start()
    try:
        cfg = SmtpConfig(host="localhost", port=port, starttls=True)
        with pytest.raises(ColoError, match="CERTIFICATE_VERIFY_FAILED"):  # not trusted by default
            send_mail(cfg, Mail(["a@b.go.id"], "s", "b"))
        send_mail(cfg.model_copy(update={"ca_file": cert}), Mail(["a@b.go.id"], "tls", "b"))
    finally:
        controller.stop()
    assert [m[2]["Subject"] for m in handler.messages] == ["tls"]


@pytest.fixture
def mail_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: tuple[Collect, int]) -> dict[str, Any]:
    handler, port = smtp
    block = ("    host: 127.0.0.1\n"
             f"    port: {port}\n"
             "    sender: datacenter@kaltimprov.go.id\n"
             "    head_of_division: kabid.tik@kaltimprov.go.id\n")
    return {**workflow_folder(tmp_path, monkeypatch, smtp=block), "handler": handler}


def test_steps_6_and_9_send_the_notices(mail_env: dict[str, Any]) -> None:
    env, handler = mail_env, mail_env["handler"]
    rid = new(env)
    for n, at in (("2", "08:10"), ("3", "08:40"), ("4", "09:00"), ("5", "09:10")):
        step(rid, n, f"2026-11-30T{at}")
    assert handler.messages == []  # steps 2-5 send nothing
    notice = env["root"] / "pemberitahuan.pdf"
    notice.write_bytes(b"%PDF notice")
    out = step(rid, "6", "2026-11-30T09:20", "--document", str(notice)).output
    assert out.splitlines()[0] == "e-mail sent to budi@kaltimprov.go.id"
    (_, rcpts, msg), = handler.messages
    assert rcpts == ["budi@kaltimprov.go.id"] and msg["Cc"] is None
    assert msg["Subject"] == "[REQ-2026-0001] Permohonan co-location disetujui: simpus.kaltimprov.go.id"
    assert [a.get_filename() for a in msg.iter_attachments()] == ["pemberitahuan.pdf"]
    step(rid, "7", "2026-12-01T09:00", "--serial", "dinkes-app-01=SN1")
    step(rid, "8", "2026-12-01T11:00")
    minutes = env["root"] / "berita-acara.pdf"
    minutes.write_bytes(b"%PDF minutes")
    out = step(rid, "9", "2026-12-01T11:10", "--document", str(minutes)).output
    assert out.splitlines()[0] == "e-mail sent to budi@kaltimprov.go.id, cc kabid.tik@kaltimprov.go.id"
    _, rcpts, msg = handler.messages[1]
    assert rcpts == ["budi@kaltimprov.go.id", "kabid.tik@kaltimprov.go.id"]
    assert msg["Cc"] == "kabid.tik@kaltimprov.go.id"
    assert msg["Subject"] == "[REQ-2026-0001] Co-location selesai: simpus.kaltimprov.go.id"
    (att,) = list(msg.iter_attachments())
    assert att.get_filename() == "berita-acara.pdf" and att.get_content() == b"%PDF minutes"


def test_failed_mail_leaves_the_step_unrecorded(mail_env: dict[str, Any]) -> None:
    env = mail_env
    rid = new(env)
    for n, at in (("2", "08:10"), ("3", "08:40"), ("4", "09:00"), ("5", "09:10")):
        step(rid, n, f"2026-11-30T{at}")
    closed = free_port()
    cfg = re.sub(r"    port: \d+\n", f"    port: {closed}\n", env["config"].read_text(encoding="utf-8"))
    env["config"].write_text(cfg, encoding="utf-8")
    before = (env["requests"] / f"{rid}.yaml").read_bytes()
    result = step(rid, "6", "2026-11-30T09:20", code=1)
    assert result.output == (f"Error: cannot reach the SMTP server 127.0.0.1:{closed}: Connection refused "
                             "(the step is not recorded; to record it without e-mail, give --no-mail "
                             "and tell the requester another way)\n")
    assert (env["requests"] / f"{rid}.yaml").read_bytes() == before
    # --no-mail records it (e.g. the requester was told by telephone)
    step(rid, "6", "2026-11-30T09:20", "--no-mail", "--note", "told by phone")
    assert load(env, rid).request.state == "notified"
    # step 9 says the same
    step(rid, "7", "2026-12-01T09:00", "--serial", "dinkes-app-01=SN1")
    step(rid, "8", "2026-12-01T11:00")
    before = (env["requests"] / f"{rid}.yaml").read_bytes()
    result = step(rid, "9", "2026-12-01T11:10", code=1)
    assert "Connection refused" in result.output and "give --no-mail" in result.output
    assert (env["requests"] / f"{rid}.yaml").read_bytes() == before
