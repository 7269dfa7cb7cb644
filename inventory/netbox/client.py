"""The one NetBox client: authentication, retries, request counting, error mapping.

Everything that talks to NetBox goes through `NetBoxClient.http` (a requests session):
`get_json`, `get_all`, `graphql` and `write`. The session's adapter:

- sets the `Authorization` header's scheme by token form: v2 tokens
  (`nbt_<key>.<token>`) go as `Bearer nbt_<key>.<token>`, legacy 40-hex ones as
  `Token <token>`;
- applies a default timeout (requests has none) to every call;
- retries reads (GET, and POSTs to /graphql/, which this client only uses for queries)
  on HTTP 5xx, timeouts and dropped connections, with exponential backoff and a small
  bound; writes are never retried (a retried POST could create twice);
- counts every attempt in `requests_made` (retries included);
- turns connection failures, timeouts, TLS failures and 401/403 answers into
  `SourceError`, one line naming the problem and what to do, never the token;
- raises typed errors callers decide on without parsing messages: `NetBoxHTTPError`
  (method, path, status, body) for an error answer, and `WriteOutcomeUnknown` when a
  write was sent but its answer never came (dropped connection, timeout, a gateway's
  502/504): NetBox may or may not have done it, so it is never re-sent blindly.

It is a custom adapter rather than urllib3's `Retry` so that retried attempts are
counted too and GraphQL reads get the same policy as GET.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable
from urllib.parse import urlsplit

import pynetbox
import requests
from requests.adapters import HTTPAdapter

from inventory.errors import NetBoxHTTPError, SourceError, WriteOutcomeUnknown
from inventory.netbox.settings import NetBoxSettings, settings_from_env_and_file

__all__ = ["NetBoxClient", "NetBoxSettings", "settings_from_env_and_file", "NetBoxHTTPError",
           "WriteOutcomeUnknown", "MIN_NETBOX_VERSION", "auth_header", "describe_body", "SANDBOX_HINT",
           "RERUN_HINT"]

log = logging.getLogger(__name__)

MIN_NETBOX_VERSION = (4, 2)
SANDBOX_HINT = "Is it running? For the local sandbox: scripts/netbox-sandbox up"
RETRY_STATUSES = frozenset({500, 502, 503, 504})
#: a gateway's answers that say nothing about whether NetBox behind it did the write
GATEWAY_LOST_STATUSES = frozenset({502, 504})
#: reasons of a connection failure that happen before a request is sent
NOT_SENT_REASONS = frozenset({"connection refused", "host name not found", "no route to host",
                              "network unreachable"})
RERUN_HINT = ("nothing was sent again; running the same command again is safe: it re-reads NetBox "
              "first and writes only what is missing")


def auth_header(token: str) -> str:
    """The Authorization header value for a token, by its form (v2 `nbt_…` or legacy)."""
    token = token.strip()
    if token.startswith("nbt_") and "." in token:
        return f"Bearer {token}"
    return f"Token {token}"


def _reason(exc: BaseException) -> str:
    """A short human reason out of requests/urllib3's nested exception text."""
    text = str(exc)
    for pattern, reason in (
        (r"Connection refused", "connection refused"),
        (r"Name or service not known|nodename nor servname|getaddrinfo failed|"
         r"Temporary failure in name resolution|No address associated", "host name not found"),
        (r"No route to host", "no route to host"),
        (r"Network is unreachable", "network unreachable"),
        (r"Connection reset", "connection reset"),
        (r"RemoteDisconnected|Connection aborted", "connection closed by the server"),
        (r"CERTIFICATE_VERIFY_FAILED|certificate verify failed", "TLS certificate not trusted"),
    ):
        if re.search(pattern, text):
            return reason
    # last resort: the innermost message, without the long urllib3 prefixes
    inner = text.rsplit(": ", 1)[-1].strip(" ')\"")
    return inner[:160] or type(exc).__name__


def _detail(response: requests.Response) -> str:
    """NetBox's own explanation from an error body (`detail`, field errors), one line."""
    return " ".join(_detail_text(response).split())


def _body(response: requests.Response) -> Any:
    """NetBox's parsed answer, None when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        return None


def _detail_text(response: requests.Response) -> str:
    body = _body(response)
    if body is None:
        return ""
    if isinstance(body, list):  # bulk operations: one dict of errors per object
        for i, item in enumerate(body):
            if item:
                return f"object {i + 1}: {item}"[:400]
    return describe_body(body)[:400]


def describe_body(body: Any) -> str:
    """NetBox's explanation in an error body: its `detail`, else every field's errors."""
    if isinstance(body, dict):
        if "detail" in body:
            return str(body["detail"])
        return "; ".join(f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}"
                         for k, v in body.items())
    return str(body)


class _ColoAdapter(HTTPAdapter):
    """Default timeout, bounded retries of reads, attempt counting, error mapping."""

    def __init__(self, client: "NetBoxClient") -> None:
        super().__init__(max_retries=0, pool_connections=4, pool_maxsize=16)
        self._client = client
        # Writes go over a new connection each (`Connection: close`), never over a pooled
        # keep-alive one: gunicorn drops idle keep-alive connections after 2 s, and a
        # POST that meets a dropped connection cannot be safely repeated (seen as
        # "connection reset" under load). Reads reuse connections and retry instead.
        self._fresh = HTTPAdapter(max_retries=0, pool_connections=1, pool_maxsize=8)

    def close(self) -> None:
        self._fresh.close()
        super().close()

    @staticmethod
    def _is_read(request: requests.PreparedRequest) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return request.method == "POST" and urlsplit(request.url or "").path.endswith("/graphql/")

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        c = self._client
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = (min(10.0, c.settings.timeout_s), c.settings.timeout_s)
        read = self._is_read(request)
        attempts = c.max_attempts if read else 1
        where = f"{request.method} {urlsplit(request.url or '').path}"
        sender = super().send
        if not read:
            request.headers["Connection"] = "close"
            sender = self._fresh.send
        for attempt in range(1, attempts + 1):
            c._count()
            try:
                response = sender(request, **kwargs)
            except requests.exceptions.SSLError as exc:
                raise SourceError(
                    f"TLS verification failed for NetBox at {c.base_url}: {_reason(exc)}",
                    "install the CA certificate, or pass --insecure for a test instance") from None
            except (requests.exceptions.Timeout, requests.exceptions.ConnectionError) as exc:
                is_timeout = isinstance(exc, requests.exceptions.Timeout)
                # a refused connection is not worth more than one quick retry
                limit = attempts if is_timeout else min(attempts, 2)
                if attempt < limit:
                    log.debug("%s: %s, retry %d", where, type(exc).__name__, attempt)
                    c._sleep(c.backoff_s * (2 ** (attempt - 1)))
                    continue
                reason = _reason(exc)
                sent = not (isinstance(exc, requests.exceptions.ConnectTimeout) or reason in NOT_SENT_REASONS)
                if not read and sent:  # the write left: whether NetBox did it is unknown
                    raise WriteOutcomeUnknown(
                        f"NetBox at {c.base_url} did not answer {where} within {c.settings.timeout_s:g} s"
                        if is_timeout else
                        f"NetBox at {c.base_url} dropped the connection during {where} ({reason})",
                        RERUN_HINT, method=request.method or "", path=urlsplit(request.url or "").path) from None
                if is_timeout:
                    raise SourceError(
                        f"NetBox at {c.base_url} did not answer {where} within "
                        f"{c.settings.timeout_s:g} s ({attempt} tries)",
                        "it may be overloaded or stuck; try again, or raise netbox.timeout_s "
                        "in the config file") from None
                if reason in ("connection reset", "connection closed by the server"):
                    raise SourceError(
                        f"NetBox at {c.base_url} dropped the connection during {where} ({reason})",
                        "it may have restarted or run out of memory; check its log and try again") from None
                raise SourceError(
                    f"NetBox at {c.base_url} is not reachable: {reason}",
                    f"check the URL. {SANDBOX_HINT}") from None
            if response.status_code in (401, 403):
                detail = _detail(response) or response.reason
                facts = {"method": request.method or "", "path": urlsplit(request.url or "").path,
                         "status": response.status_code, "body": _body(response)}
                if re.search(r"token|credentials|authenticat", detail, re.I):
                    raise NetBoxHTTPError(
                        f"NetBox refused the token (HTTP {response.status_code}: {c.redact(detail)})",
                        "check NETBOX_TOKEN (or --token / the config file's netbox.token)", **facts)
                raise NetBoxHTTPError(
                    f"NetBox denied {where} (HTTP {response.status_code}: {c.redact(detail)})",
                    "the token's user lacks the permission; use a token with write access "
                    "or ask a NetBox administrator", **facts)
            if read and response.status_code in RETRY_STATUSES and attempt < attempts:
                log.debug("%s: HTTP %d, retry %d", where, response.status_code, attempt)
                response.close()
                c._sleep(c.backoff_s * (2 ** (attempt - 1)))
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover


class NetBoxClient:
    """A NetBox API client shared by the loader, bootstrap and the writer."""

    #: attempts per read (1 + retries) and the first backoff delay, doubled each retry
    max_attempts: int = 4
    backoff_s: float = 0.5

    def __init__(self, settings: NetBoxSettings) -> None:
        self.settings = settings
        self.base_url = settings.url.rstrip("/")
        if self.base_url.endswith("/api"):
            self.base_url = self.base_url[: -len("/api")]
        self.requests_made = 0
        self._lock = threading.Lock()
        self._sleep: Callable[[float], None] = time.sleep
        self.http = requests.Session()
        self.http.headers.update({
            "Authorization": auth_header(settings.token),
            "Accept": "application/json",
            "User-Agent": "colo-kaltim",
        })
        self.http.verify = settings.verify_tls
        adapter = _ColoAdapter(self)
        self.http.mount("http://", adapter)
        self.http.mount("https://", adapter)
        # pynetbox on the same session (so the adapter's timeout, retries, counting and error
        # mapping apply to it too): NetBox's status through its `status()`. It gets no token:
        # the session's header authenticates, so the secret lives in one place.
        self.api = pynetbox.api(self.base_url, token=None, strict_filters=True)
        self.api.http_session = self.http
        self._version: str | None = None

    def __repr__(self) -> str:
        return f"NetBoxClient({self.base_url!r}, requests_made={self.requests_made})"

    @property
    def version(self) -> str | None:
        """NetBox's version as `check()` found it (None before the first check)."""
        return self._version

    # -- internals -------------------------------------------------------------------
    def _count(self) -> None:
        with self._lock:
            self.requests_made += 1

    def redact(self, text: str) -> str:
        """Text with the token (and its secret part) replaced by ***, for messages."""
        token = self.settings.token
        for secret in {token, token.split(".", 1)[-1]}:
            if len(secret) >= 8:
                text = text.replace(secret, "***")
        return text

    def url(self, path: str) -> str:
        """Absolute URL of an API path: `dcim/racks`, `/api/dcim/racks/` or a full URL."""
        if path.startswith(("http://", "https://")):
            return path
        path = path.strip("/")
        if path.startswith("api/") or path == "api":
            path = path[4:]
        return f"{self.base_url}/api/{path}/" if path else f"{self.base_url}/api/"

    def _json(self, response: requests.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            ctype = response.headers.get("Content-Type", "?").split(";")[0]
            raise SourceError(
                f"{self.base_url} does not look like a NetBox API: {what} answered "
                f"HTTP {response.status_code} with {ctype}, not JSON",
                "check NETBOX_URL: it should be the NetBox base URL, e.g. http://127.0.0.1:8000") from None

    def _raise_for(self, response: requests.Response, what: str, *, write: bool = False) -> None:
        code = response.status_code
        if code < 400:
            return
        detail = self.redact(_detail(response) or response.reason or "")
        request = response.request
        method = (request.method if request is not None else None) or ""
        path = urlsplit((request.url if request is not None else None) or "").path
        facts = {"method": method, "path": path, "status": code, "body": _body(response)}
        if code == 404:
            raise NetBoxHTTPError(f"NetBox has no {what} (HTTP 404)",
                                  "check NETBOX_URL and that this NetBox version has that endpoint", **facts)
        if code >= 500:
            hint = ("writes are not retried; running the same command again is safe: it re-reads NetBox "
                    "first and writes only what is missing (if it persists, see NetBox's log)") if write else \
                "a server error that persisted through retries; see NetBox's log, try again later"
            raise NetBoxHTTPError(f"NetBox failed on {what} (HTTP {code}: {detail[:200]})", hint, **facts)
        raise NetBoxHTTPError(f"NetBox rejected {what} (HTTP {code}: {detail})", **facts)

    # -- reads -----------------------------------------------------------------------
    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET one API resource or page as JSON; errors become SourceError."""
        url = self.url(path)
        what = f"GET {urlsplit(url).path}"
        response = self.http.get(url, params=params)
        self._raise_for(response, what)
        return self._json(response, what)

    def get_all(self, path: str, params: dict[str, Any] | None = None,
                page_size: int = 1000, workers: int = 4) -> list[dict[str, Any]]:
        """Every object of a list endpoint, paginated by limit/offset.

        The first page gives the count (and the page size the server really grants,
        which MAX_PAGE_SIZE may cap); the remaining pages are fetched concurrently.
        """
        base = dict(params or {})
        base.pop("offset", None)
        first = self.get_json(path, {**base, "limit": page_size, "offset": 0})
        if not isinstance(first, dict) or "results" not in first:
            raise SourceError(f"NetBox answered GET {self.url(path)} without a paginated list",
                              "is that a list endpoint?")
        results: list[dict[str, Any]] = list(first["results"])
        count = int(first.get("count") or 0)
        step = len(results)
        if count <= step or step == 0:
            return results
        offsets = list(range(step, count, step))

        def page(offset: int) -> list[dict[str, Any]]:
            return list(self.get_json(path, {**base, "limit": step, "offset": offset})["results"])

        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            for chunk in pool.map(page, offsets):
                results.extend(chunk)
        # objects created or deleted while paging shift offsets: drop duplicates by id
        seen: set[Any] = set()
        unique = []
        for item in results:
            ident = item.get("id") if isinstance(item, dict) else None
            if ident is not None:
                if ident in seen:
                    continue
                seen.add(ident)
            unique.append(item)
        return unique

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run a GraphQL query; returns `data`, raises SourceError on errors."""
        url = f"{self.base_url}/graphql/"
        response = self.http.post(url, json={"query": query, "variables": variables or {}})
        what = "POST /graphql/"
        if response.status_code >= 400 and response.status_code != 400:
            self._raise_for(response, what)
        body = self._json(response, what)
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors:
            first = errors[0].get("message", errors[0]) if isinstance(errors[0], dict) else errors[0]
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise SourceError(f"NetBox GraphQL query failed: {self.redact(str(first))}{more}")
        if response.status_code >= 400:
            self._raise_for(response, what)
        if not isinstance(body, dict) or "data" not in body:
            raise SourceError(f"{self.base_url} does not look like a NetBox API: "
                              "/graphql/ answered without `data`")
        return body["data"] or {}

    def check(self) -> str:
        """GET /api/status/: the NetBox version, if this is a NetBox we support."""
        try:
            body = self.api.status()
        except pynetbox.RequestError as exc:
            response = exc.req
            if response.status_code == 404:
                raise SourceError(f"{self.base_url} does not look like a NetBox API: "
                                  "/api/status/ answered HTTP 404",
                                  "check NETBOX_URL: it should be the NetBox base URL, "
                                  "e.g. http://127.0.0.1:8000") from None
            self._raise_for(response, "GET /api/status/")
            raise  # pragma: no cover - _raise_for raises for every status pynetbox refuses
        except ValueError:  # an answer that is not JSON: a web server, not NetBox's API
            raise SourceError(f"{self.base_url} does not look like a NetBox API: /api/status/ did "
                              "not answer JSON",
                              "check NETBOX_URL: it should be the NetBox base URL, "
                              "e.g. http://127.0.0.1:8000") from None
        version = body.get("netbox-version") if isinstance(body, dict) else None
        if not version:
            raise SourceError(f"{self.base_url} does not look like a NetBox API: "
                              "/api/status/ has no netbox-version",
                              "check NETBOX_URL")
        m = re.match(r"v?(\d+)\.(\d+)", str(version))
        if not m or (int(m.group(1)), int(m.group(2))) < MIN_NETBOX_VERSION:
            need = ".".join(map(str, MIN_NETBOX_VERSION))
            raise SourceError(f"NetBox at {self.base_url} is version {version}; "
                              f"colo needs NetBox {need} or later",
                              "upgrade NetBox, or point NETBOX_URL at a newer instance")
        self._version = str(version)
        return self._version

    def current_user(self) -> dict[str, Any]:
        """The user the token belongs to (GET /api/authentication-check/)."""
        return self.get_json("authentication-check")

    # -- writes (no retries: a repeated POST could create twice) ----------------------
    def write(self, method: str, path: str, payload: Any, what: str | None = None,
              timeout: tuple[float, float] | None = None) -> Any:
        """POST/PATCH/PUT/DELETE JSON. A refusal becomes `NetBoxHTTPError` naming `what`; a
        write whose answer was lost becomes `WriteOutcomeUnknown` (never re-sent here).
        `timeout`: (connect, read) seconds, for a bulk write longer than the usual."""
        url = self.url(path)
        where = f"{method.upper()} {urlsplit(url).path}"
        label = what or where
        try:
            response = self.http.request(method.upper(), url, json=payload, timeout=timeout)
        except WriteOutcomeUnknown as exc:
            raise WriteOutcomeUnknown(f"{exc.args[0]} after the request was sent: whether NetBox did "
                                      f"{label} is unknown", exc.hint, method=exc.method, path=exc.path) from None
        if response.status_code in GATEWAY_LOST_STATUSES:
            raise WriteOutcomeUnknown(
                f"a gateway in front of NetBox at {self.base_url} answered {where} with HTTP "
                f"{response.status_code}: whether NetBox did {label} is unknown", RERUN_HINT,
                method=method.upper(), path=urlsplit(url).path)
        self._raise_for(response, label, write=True)
        if response.status_code == 204 or not response.content:
            return None
        return self._json(response, label)
