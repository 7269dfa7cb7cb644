"""A fault-injecting HTTP proxy in front of NetBox, for the exactly-once tests.

It listens on 127.0.0.1 (a random port) and forwards every request to the upstream
NetBox. It counts the writes (POST, PATCH, PUT, DELETE; not POST /graphql/, which only
reads) and, when armed for write N, does one of:

- `lost_reply`: forwards write N to NetBox (which commits it), then closes the client's
  connection without answering: the client cannot know whether it happened;
- `refuse`: answers write N with HTTP 503 without forwarding it: nothing happened.

A `gate` may hold writes before they are forwarded (to line two writers up, or to keep
one busy while another starts). Nothing here knows about colo: it is plain HTTP.
"""

from __future__ import annotations

import http.client
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Literal
from urllib.parse import urlsplit

Fault = Literal["lost_reply", "refuse"]
#: what the fault sweeps found, by what was swept: (write points tried, converged);
#: printed at the end of the test run (tests/integration/conftest.py)
TALLY: dict[str, tuple[int, int]] = {}
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
                        "trailer", "transfer-encoding", "upgrade", "content-length", "host"})


def is_write(method: str, path: str) -> bool:
    return method in WRITE_METHODS and not (method == "POST" and urlsplit(path).path.rstrip("/") == "/graphql")


@dataclass
class Armed:
    write: int  # 1-based number of the write to hit, counted since `arm`
    fault: Fault
    fired: bool = False


@dataclass
class FaultProxy:
    """`with FaultProxy(upstream) as proxy:` then point the client at `proxy.url`."""

    upstream: str
    writes: list[str] = field(default_factory=list)  # "POST /api/dcim/devices/" in order since `arm`
    armed: Armed | None = None
    #: called with (write number, "METHOD /path") before a write is forwarded; may block
    gate: Callable[[int, str], None] | None = None

    def __post_init__(self) -> None:
        parts = urlsplit(self.upstream)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
                pass

            def _any(self) -> None:
                proxy._handle(self)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = _any

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "FaultProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def arm(self, write: int | None = None, fault: Fault = "lost_reply") -> None:
        """Start counting writes afresh; hit write number `write` (None: pass everything)."""
        with self._lock:
            self.writes = []
            self.armed = Armed(write, fault) if write is not None else None

    @property
    def fired(self) -> bool:
        return bool(self.armed and self.armed.fired)

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        fault: Fault | None = None
        number = 0
        if is_write(h.command, h.path):
            where = f"{h.command} {urlsplit(h.path).path}"
            with self._lock:
                self.writes.append(where)
                number = len(self.writes)
                if self.armed is not None and not self.armed.fired and self.armed.write == number:
                    self.armed.fired = True
                    fault = self.armed.fault
            if self.gate is not None:
                self.gate(number, where)
        if fault == "refuse":
            payload = b'{"detail": "Service unavailable (fault injected by the test proxy)"}'
            h.send_response(503)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(payload)))
            h.send_header("Connection", "close")
            h.end_headers()
            h.wfile.write(payload)
            h.close_connection = True
            return
        status, headers, data = self._forward(h.command, h.path, dict(h.headers), body)
        if fault == "lost_reply":
            # NetBox has done it; the client never hears: close without a byte of answer
            h.close_connection = True
            return
        h.send_response(status)
        for name, value in headers:
            if name.lower() not in HOP_BY_HOP:
                h.send_header(name, value)
        h.send_header("Content-Length", str(len(data)))
        if h.close_connection:  # the client asked (writes do): say so, as NetBox's server does
            h.send_header("Connection", "close")
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(data)

    def _forward(self, method: str, path: str, headers: dict[str, str], body: bytes
                 ) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(self._host, self._port, timeout=600)
        try:
            out = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
            out["Host"] = f"{self._host}:{self._port}"
            conn.request(method, path, body=body or None, headers=out)
            response = conn.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            conn.close()


class Barrier:
    """A gate that holds the writes matching `pattern` until `parties` of them wait, then
    lets them go together (two writers' creates reach NetBox at the same moment)."""

    def __init__(self, pattern: str, parties: int = 2, timeout_s: float = 120) -> None:
        self.pattern = re.compile(pattern)
        self._barrier = threading.Barrier(parties, timeout=timeout_s)
        self.released = False

    def __call__(self, number: int, where: str) -> None:
        if self.released or not self.pattern.search(where):
            return
        try:
            self._barrier.wait()
        except threading.BrokenBarrierError:
            pass
        self.released = True


class Hold:
    """A gate that holds the first write matching `pattern` (searched in `#N METHOD
    /path`, N its number) until `release()`; `reached` is set when it arrives: its
    writer is then busy in the middle of its run."""

    def __init__(self, pattern: str) -> None:
        self.pattern = re.compile(pattern)
        self.reached = threading.Event()
        self._go = threading.Event()

    def __call__(self, number: int, where: str) -> None:
        if self.reached.is_set() or not self.pattern.search(f"#{number} {where}"):
            return
        self.reached.set()
        self._go.wait(600)

    def release(self) -> None:
        self._go.set()
