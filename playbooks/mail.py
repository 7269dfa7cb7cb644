"""E-mail at steps 6 (approval notice) and 9 (completion, Cc the head of division).

Plain SMTP with optional STARTTLS or implicit TLS and a login; the password is read
from the environment variable the configuration names and never printed or logged.
"""

from __future__ import annotations

import mimetypes
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from inventory.errors import ColoError, InputError
from playbooks.config import SmtpConfig
from playbooks.request_model import Request


@dataclass
class Mail:
    to: list[str]
    subject: str
    body: str
    cc: list[str] = field(default_factory=list)
    attachments: list[Path] = field(default_factory=list)


def build_message(mail: Mail, sender: str) -> EmailMessage:
    # headers up to RFC 5322's 998 characters: Python's default 78-character folding can
    # break a long Subject right after the colon, and some clients then show a leading space
    msg = EmailMessage(policy=email_policy.default.clone(max_line_length=998))
    msg["From"] = sender
    msg["To"] = ", ".join(mail.to)
    if mail.cc:
        msg["Cc"] = ", ".join(mail.cc)
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg.set_content(mail.body)
    for path in mail.attachments:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"attachment {path}: cannot read ({exc.strerror})") from None
        ctype, _ = mimetypes.guess_type(path.name)
        maintype, subtype = (ctype or "application/octet-stream").split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=path.name)
    return msg


def send_mail(config: SmtpConfig, mail: Mail) -> None:
    """Send one message; every failure becomes one ColoError line (no password in it)."""
    msg = build_message(mail, config.sender)
    where = f"{config.host}:{config.port}"
    password = config.password()
    if config.ca_file is not None and not config.ca_file.is_file():
        raise InputError(f"workflow.smtp.ca_file {config.ca_file}: no such file")
    context = ssl.create_default_context(cafile=str(config.ca_file) if config.ca_file else None)
    try:
        if config.ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout_s,
                                                    context=context)
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=config.timeout_s)
        with client:
            client.ehlo()
            if config.starttls and not config.ssl:
                client.starttls(context=context)
                client.ehlo()
            if config.username:
                if password is None:
                    raise ColoError(f"SMTP login as {config.username!r} needs the password in "
                                    f"${config.password_env}")
                client.login(config.username, password)
            refused = client.send_message(msg)
    except smtplib.SMTPAuthenticationError:
        raise ColoError(f"SMTP server {where} refused the login of {config.username!r} "
                        f"(check ${config.password_env})") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise ColoError(f"SMTP server {where} refused every recipient: {', '.join(exc.recipients)}") from None
    except smtplib.SMTPNotSupportedError:
        raise ColoError(f"SMTP server {where} does not offer STARTTLS (set smtp.starttls: false "
                        "or use smtp.ssl)") from None
    except (smtplib.SMTPException, ssl.SSLError) as exc:
        raise ColoError(f"SMTP server {where}: {type(exc).__name__}: {_safe(exc, password)}") from None
    except (socket.timeout, TimeoutError):
        raise ColoError(f"SMTP server {where} did not answer within {config.timeout_s:g} s") from None
    except OSError as exc:
        raise ColoError(f"cannot reach the SMTP server {where}: {exc.strerror or exc}") from None
    if refused:
        raise ColoError(f"SMTP server {where} refused: {', '.join(sorted(refused))}")


NO_MAIL_HINT = ("the step is not recorded; to record it without e-mail, give --no-mail "
                "and tell the requester another way")


def send_step_mail(config: SmtpConfig, mail: Mail) -> None:
    """`send_mail` for steps 6 and 9: a failure says how to record the step without it."""
    try:
        send_mail(config, mail)
    except ColoError as exc:
        raise type(exc)(str(exc), NO_MAIL_HINT) from None


def _safe(exc: Exception, password: str | None) -> str:
    text = str(exc)
    return text.replace(password, "***") if password else text


# --- the SOP's messages ---------------------------------------------------------------

def step_mail(request: Request, step: int, document: Path | None, config: SmtpConfig) -> Mail:
    """The message of step 6 (approval notice) or step 9 (completion report)."""
    pic = request.person_in_charge
    servers = ", ".join(s.name for s in request.servers) or "-"
    attachments = [document] if document is not None else []
    if step == 6:
        subject = f"[{request.id}] Permohonan co-location disetujui: {request.domain}"
        body = (
            f"Yth. {pic.name},\n{request.agency.unit_name}\n\n"
            f"Permohonan co-location/hosting {request.id} untuk domain {request.domain} "
            f"telah DISETUJUI.\n"
            f"Silakan membawa server ({servers}) beserta sistem operasi, perangkat lunak dan "
            f"aplikasi pendukung sesuai formulir pengajuan ke Data Center.\n\n"
            f"(Request {request.id} for {request.domain} has been approved. Please bring the "
            f"server(s) with the operating system and software as specified.)\n\n"
            f"Hormat kami,\nData Center Diskominfo Provinsi Kalimantan Timur\n"
        )
        return Mail([pic.email], subject, body, [], attachments)
    if step == 9:
        subject = f"[{request.id}] Co-location selesai: {request.domain}"
        body = (
            f"Yth. {pic.name},\n{request.agency.unit_name}\n\n"
            f"Server dan hosting untuk domain {request.domain} ({request.id}; server: {servers}) "
            f"telah selesai dipasang dan dapat diakses. Berita acara terlampir.\n\n"
            f"(The server(s) and hosting for {request.domain} are installed and reachable; "
            f"the minutes are attached.)\n\n"
            f"Hormat kami,\nData Center Diskominfo Provinsi Kalimantan Timur\n"
        )
        cc = [config.head_of_division] if config.head_of_division else []
        return Mail([pic.email], subject, body, cc, attachments)
    raise ValueError(f"step {step} sends no e-mail")
