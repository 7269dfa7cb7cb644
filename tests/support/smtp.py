"""A real SMTP server (aiosmtpd) on a free loopback port, for the e-mail of steps 6 and 9."""

from __future__ import annotations

import socket
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, Iterator

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


PASSWORD = "s3cret-Pa55"


class Collect:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and data.login == b"dc-bot" and data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@contextmanager
def smtp_server() -> Iterator[tuple[Collect, int]]:
    """An SMTP server on a free loopback port that keeps what it receives; login dc-bot / PASSWORD."""
    handler = Collect()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, auth_require_tls=False,
                            authenticator=_authenticator)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()
