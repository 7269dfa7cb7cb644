"""Request files: one YAML file per agency request, readable and reviewable in git.

The model (pydantic) validates what the request letter and the Form Pengajuan carry;
`RequestFile` loads a file round-trip with ruamel.yaml, so when the tool records a
transition a person's comments, key order and quoting survive. Every error names the
file and the field (`requests/REQ-2026-0001.yaml: person_in_charge.nip: ...`).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterator, Literal

import yaml as pyyaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from capacity.limits import (
    HOSTING_DISK_GB_MAX, HOSTING_MEMORY_GB_MAX, HOSTING_VCPUS_MAX, SERVER_BANDWIDTH_MBPS_MAX,
    SERVER_DRAW_W_MAX, SERVER_PSU_COUNT_MAX,
)
from inventory.errors import InputError
from inventory.names import slugify
from inventory.files import (
    NoDuplicateKeys, describe_validation_error, read_text, refuse_aliases, write_atomic,
)
from playbooks.validators import validate_domain, validate_email, validate_nip, validate_phone

REQUEST_ID = re.compile(r"^REQ-(\d{4})-(\d{4,})$")

State = Literal[
    "submitted", "dispositioned", "capacity_checked", "form_submitted", "approved",
    "notified", "delivered", "installed", "completed", "rejected", "cancelled",
    "withdrawal_requested", "withdrawal_approved", "withdrawn",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def _text(v: Any) -> Any:
    return v.strip() if isinstance(v, str) else v


#: Tenant slugs made from a unit name are cut at 50 characters: tenants registered in
#: NetBox from earlier request files carry slugs cut there.
TENANT_SLUG_MAX = 50


class Agency(_Strict):
    unit_name: str = Field(min_length=1, description="Nama Unit: the agency (OPD).")
    address: str = Field(min_length=1, description="Alamat Unit.")
    tenant: str | None = Field(None, description="NetBox tenant slug (default: from the unit name).")

    @field_validator("tenant")
    @classmethod
    def _slug(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", v):
            raise ValueError(f"tenant {v!r} must be a slug: lower-case letters, digits, - and _")
        return v

    def tenant_slug(self) -> str:
        return self.tenant or slugify(self.unit_name, TENANT_SLUG_MAX, "agency")


class Person(_Strict):
    name: str = Field(min_length=1)
    nip: str
    phone: str
    email: str
    position: str | None = None

    @field_validator("nip", mode="before")
    @classmethod
    def _nip(cls, v: Any) -> str:
        return validate_nip(str(v))

    @field_validator("phone", mode="before")
    @classmethod
    def _phone(cls, v: Any) -> str:
        if isinstance(v, int):
            # YAML read `0812...` as a number and dropped the 0; only `62...` survives
            text = str(v)
            if not text.startswith("62"):
                raise ValueError(f"phone number {v} lost its leading 0 or +: write it in quotes")
            v = text
        return validate_phone(str(v))

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        return validate_email(v)


def _half_units(v: float) -> float:
    if (v * 2) != int(v * 2):
        raise ValueError("must be a multiple of 0.5")
    return v


class Server(_Strict):
    name: str = Field(min_length=1, description="Server name (becomes the NetBox device name).")
    make: str = Field(min_length=1, description="Manufacturer.")
    model: str = Field(min_length=1, description="Model (the NetBox device type).")
    serial: str | None = Field(None, description="S/N; known at delivery (step 7/8) at the latest.")
    processor: str | None = None
    ram: str | None = None
    motherboard: str | None = None
    storage: str | None = None
    psu: str | None = None
    u_height: float = Field(gt=0, le=20, description="Height in rack units (half units allowed).")
    full_depth: bool = True
    psu_count: int = Field(2, ge=1, le=SERVER_PSU_COUNT_MAX)
    allocated_draw_w: int | None = Field(None, gt=0, le=SERVER_DRAW_W_MAX, description="Typical draw in watts.")
    maximum_draw_w: int = Field(gt=0, le=SERVER_DRAW_W_MAX, description="Maximum draw in watts (nameplate).")
    bandwidth_mbps: float = Field(gt=0, le=SERVER_BANDWIDTH_MBPS_MAX)

    @field_validator("u_height")
    @classmethod
    def _u(cls, v: float) -> float:
        return _half_units(v)

    @field_validator("name", "make", "model", "serial", mode="before")
    @classmethod
    def _strip(cls, v: Any) -> Any:
        return _text(str(v)) if isinstance(v, (int, float)) else _text(v)

    @model_validator(mode="after")
    def _draws(self) -> "Server":
        if self.allocated_draw_w is not None and self.allocated_draw_w > self.maximum_draw_w:
            raise ValueError(
                f"allocated_draw_w ({self.allocated_draw_w}) exceeds maximum_draw_w ({self.maximum_draw_w})"
            )
        if self.serial == "":
            self.serial = None
        return self

    def draw_w(self) -> int:
        """What counts against a feed: allocated draw, else maximum (DESIGN §3)."""
        return self.allocated_draw_w if self.allocated_draw_w is not None else self.maximum_draw_w


class Hosting(_Strict):
    vcpus: int = Field(gt=0, le=HOSTING_VCPUS_MAX)
    memory_gb: float = Field(gt=0, le=HOSTING_MEMORY_GB_MAX)
    disk_gb: float = Field(gt=0, le=HOSTING_DISK_GB_MAX)
    bandwidth_mbps: float = Field(0, ge=0, le=SERVER_BANDWIDTH_MBPS_MAX)
    cluster: str | None = Field(None, description="Cluster to host on (default: the check's choice).")
    vm_name: str | None = Field(None, min_length=1, max_length=64,
                                description="Name of the virtual machine in NetBox (default: the domain).")


class Transition(_Strict):
    step: int | None = Field(None, ge=1, le=9, description="SOP step number (none off the main path).")
    state: State
    by: str = Field(min_length=1)
    at: datetime
    document: str | None = None
    checksum: str | None = None
    note: str | None = None

    @field_validator("at")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("time needs a UTC offset, e.g. 2026-11-30 09:15:00+08:00")
        return v


class ServerPlacement(_Strict):
    server: str
    rack: str
    rack_name: str | None = None
    position: float = Field(ge=0.5)
    face: Literal["front", "rear"] = "front"
    units: str | None = Field(None, description="e.g. U10-U11, for people; position is authoritative.")
    feeds: list[str] = Field(default_factory=list)


class Placement(_Strict):
    site: str | None = None
    servers: list[ServerPlacement] = Field(default_factory=list)
    cluster: str | None = None


class CapacityCheck(_Strict):
    checked_at: datetime
    source: str
    fits: bool
    reasons: list[str] = Field(default_factory=list)
    report: str | None = Field(None, description="The full fit report (JSON) beside the request.")


class Reservation(_Strict):
    """What approval wrote: the rack reservations holding the placement's units."""

    created_at: datetime
    netbox_ids: list[int] = Field(default_factory=list)
    released_at: datetime | None = None
    released_because: str | None = None


class Verification(_Strict):
    """Step 8: what arrived against what was requested."""

    differences: list[str] = Field(default_factory=list)
    override_reason: str | None = None
    verified_by: str | None = None


class Withdrawal(_Strict):
    servers: list[str] = Field(default_factory=list, description="Names of the servers withdrawn.")
    reasons: str = Field(min_length=1)
    noc: str | None = None


class Request(_Strict):
    id: str
    state: State = "submitted"
    created_at: datetime | None = None
    agency: Agency
    person_in_charge: Person
    domain: str
    domain_activation_date: date
    permanent: bool = True
    valid_until: date | None = Field(None, description="End of a temporary co-location.")
    servers: list[Server] = Field(default_factory=list)
    hosting: Hosting | None = None
    notes: str | None = None
    history: list[Transition] = Field(default_factory=list)
    capacity_check: CapacityCheck | None = None
    placement: Placement | None = None
    reservation: Reservation | None = None
    verification: Verification | None = None
    withdrawal: Withdrawal | None = None
    last_reviewed: date | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not REQUEST_ID.match(v):
            raise ValueError(f"request id {v!r} must look like REQ-2026-0001")
        canonical = normalise_id(v)
        if v != canonical:  # REQ-2026-00001 and REQ-2026-0001 would be one request in two files
            raise ValueError(f"request id {v!r} must be written {canonical}")
        return v

    @field_validator("domain")
    @classmethod
    def _domain(cls, v: str) -> str:
        return validate_domain(v)

    @model_validator(mode="after")
    def _consistent(self) -> "Request":
        if not self.servers and self.hosting is None:
            raise ValueError("a request needs at least one server or hosting needs")
        if not self.permanent:
            if self.valid_until is None:
                raise ValueError("a temporary co-location (permanent: false) needs valid_until")
            if self.valid_until <= self.domain_activation_date:
                raise ValueError("valid_until must be after domain_activation_date")
        elif self.valid_until is not None:
            raise ValueError("valid_until is only for temporary co-locations (permanent: false)")
        names = [s.name for s in self.servers]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"server names repeat: {', '.join(dupes)}")
        serials = [s.serial for s in self.servers if s.serial]
        dupes = sorted({n for n in serials if serials.count(n) > 1})
        if dupes:
            raise ValueError(f"serial numbers repeat: {', '.join(dupes)}")
        if self.history and self.history[-1].state != self.state:
            raise ValueError(
                f"state is {self.state!r} but the last history entry says {self.history[-1].state!r}"
            )
        for earlier, later in zip(self.history, self.history[1:]):
            if later.at < earlier.at:
                raise ValueError(f"history is out of time order at {later.state!r} ({later.at.isoformat()})")
        return self

    # --- convenience --------------------------------------------------------
    def last(self) -> Transition | None:
        return self.history[-1] if self.history else None

    def transition(self, state: str) -> Transition | None:
        """The latest transition into `state`."""
        for t in reversed(self.history):
            if t.state == state:
                return t
        return None

    def total_draw_w(self) -> int:
        return sum(s.draw_w() for s in self.servers)

    def bandwidth_mbps(self) -> float:
        return sum(s.bandwidth_mbps for s in self.servers) + (self.hosting.bandwidth_mbps if self.hosting else 0)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


# --- YAML round trip ------------------------------------------------------------

class _Constructor(RoundTripConstructor):
    """ruamel's round-trip constructor, but an impossible date (2026-13-01) is a YAML
    error with a line number instead of a bare ValueError."""

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError as exc:
            raise ConstructorError(None, None, f"{node.value!r} is not a valid date/time ({exc})",
                                   node.start_mark) from None


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_timestamp)


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.Constructor = _Constructor
    y.preserve_quotes = True
    y.width = 100
    y.indent(mapping=2, sequence=4, offset=2)
    # never write anchors/aliases (&id001): a person reads these files
    y.representer.ignore_aliases = lambda *args: True
    return y


def _plain(node: Any) -> Any:
    """ruamel's commented containers as plain dicts/lists (pydantic wants plain data)."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, datetime):
        return datetime.fromisoformat(node.isoformat())  # ruamel's TimeStamp -> datetime
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


def to_yaml_data(value: Any) -> Any:
    """Plain Python (from pydantic `model_dump`) as ruamel containers for insertion."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="python", exclude_none=True)
    if isinstance(value, dict):
        m = CommentedMap()
        for k, v in value.items():
            if v is None:
                continue
            m[k] = to_yaml_data(v)
        return m
    if isinstance(value, (list, tuple)):
        return CommentedSeq([to_yaml_data(v) for v in value])
    if isinstance(value, Path):
        return value.as_posix()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def dump_yaml(doc: Any) -> str:
    buf = io.StringIO()
    _yaml().dump(doc, buf)
    return buf.getvalue()


def parse_yaml(text: str, path: Path | str) -> Any:
    """The round-trip tree of a request file's text; aliases and repeated keys refused."""
    refuse_aliases(text, path)
    try:
        return _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = (exc.problem or "").split(" in \"<")[0]  # ruamel repeats the position
        raise InputError(f"{path}: not valid YAML{where}: {problem}") from None
    except YAMLError as exc:
        raise InputError(f"{path}: not valid YAML: {exc}") from None
    except RecursionError:
        raise InputError(f"{path}: nested too deeply") from None


# --- fast read-only loading ---------------------------------------------------------------
# ruamel's round trip costs ~50 ms a file; listing, SLA reports and every capacity report
# (committed capacity) read all requests, so reads use libyaml with YAML 1.2's core
# schema for booleans, integers and nulls (as ruamel reads them). Any problem falls back
# to the round-trip loader, whose messages are the authoritative ones.

_BOOL, _INT, _NULL = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:null"


class _FastLoader(NoDuplicateKeys, getattr(pyyaml, "CSafeLoader", pyyaml.SafeLoader)):  # type: ignore[misc]
    pass


_FastLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag not in (_BOOL, _INT, _NULL)]
    for k, v in pyyaml.SafeLoader.yaml_implicit_resolvers.items()
}
_FastLoader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_FastLoader.add_implicit_resolver(_INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
                                  list("-+0123456789"))
_FastLoader.add_implicit_resolver(_NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])


def _core_int(loader: Any, node: Any) -> int:
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


_FastLoader.add_constructor(_INT, _core_int)


def read_request(path: Path | str) -> Request:
    """A request for reading only (fast); errors are those of `RequestFile.load`."""
    path = Path(path)
    text = read_text(path, "request file")
    refuse_aliases(text, path)
    try:
        data = pyyaml.load(text, Loader=_FastLoader)
        if isinstance(data, dict):
            return Request.model_validate(data)
    except Exception:  # noqa: BLE001 - the round-trip loader explains the problem
        pass
    return RequestFile.parse(path, text).request


def check_file_name(path: Path, request: Request) -> None:
    """A file named like a request holds that request: two files never hold one id."""
    if REQUEST_ID.match(path.stem) and request.id != path.stem:
        raise InputError(f"{path}: id is {request.id!r}, expected {path.stem!r} (the file name); "
                         "one request, one file")


DRAFT_KEYS_ASSIGNED = ("id", "state", "history", "created_at")


def check_draft_keys(doc: Any, path: Path | str) -> None:
    """A draft (`colo request template`) has no id, state or history: the tool assigns them."""
    for key in DRAFT_KEYS_ASSIGNED:
        if key in doc:
            raise InputError(f"{path}: {key}: a draft must not have it (the tool assigns it)")


def validate_request_or_draft(doc: Any, path: Path | str) -> Request:
    """A request file, or a draft validated as `colo request new --from` will validate it."""
    if isinstance(doc, dict) and "id" not in doc:
        check_draft_keys(doc, path)
        doc = {"id": "REQ-0000-0000", **doc}  # any id: the draft has none yet
    return validate_request(doc, path)


def validate_request(data: Any, path: Path | str) -> Request:
    if data is None:
        raise InputError(f"{path}: the file is empty")
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping at the top level, found {type(data).__name__}")
    plain = _plain(data)
    try:
        return Request.model_validate(plain)
    except ValidationError as exc:
        raise InputError(f"{path}: {describe_validation_error(exc, Request, plain)}") from None


@dataclass
class RequestFile:
    """A request file held round-trip: `doc` is the editable YAML tree, `request` its model."""

    path: Path
    doc: CommentedMap
    request: Request

    @classmethod
    def load(cls, path: Path | str) -> "RequestFile":
        path = Path(path)
        return cls.parse(path, read_text(path, "request file"))

    @classmethod
    def parse(cls, path: Path, text: str) -> "RequestFile":
        doc = parse_yaml(text, path)
        return cls(path, doc, validate_request(doc, path))

    # --- edits keep everything a person wrote -------------------------------
    def set(self, key: str, value: Any) -> None:
        """Set a top-level key (added at the end if new); None removes it."""
        if value is None:
            self.doc.pop(key, None)
        else:
            self.doc[key] = to_yaml_data(value)

    def set_in(self, keys: list[str | int], value: Any) -> None:
        node: Any = self.doc
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = to_yaml_data(value)

    def append_history(self, transition: Transition) -> None:
        history = self.doc.get("history")
        if not isinstance(history, list):
            history = CommentedSeq()
            self.doc["history"] = history
        history.append(to_yaml_data(transition))
        self.doc["state"] = transition.state

    def revalidate(self) -> Request:
        self.request = validate_request(self.doc, self.path)
        return self.request

    def text(self) -> str:
        return dump_yaml(self.doc)

    def save(self) -> None:
        """Validate the edited tree, then write it atomically (never a half-written file)."""
        self.revalidate()
        write_atomic(self.path, self.text())


class RequestStore:
    """The requests folder: `REQ-YYYY-NNNN.yaml` files, plus `documents/` beside them."""

    def __init__(self, root: Path | str, documents_dir: str = "documents") -> None:
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise InputError(f"{self.root}: the requests folder is a file, not a folder "
                             "(--requests-dir, $COLO_REQUESTS_DIR or workflow.requests_dir)")
        self.documents_root = self.root / documents_dir

    def path_for(self, request_id: str) -> Path:
        return self.root / f"{request_id}.yaml"

    def documents_for(self, request_id: str) -> Path:
        return self.documents_root / request_id

    def ids(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.stem for p in self.root.glob("REQ-*.yaml") if REQUEST_ID.match(p.stem))

    def open(self, request_id: str) -> RequestFile:
        request_id = normalise_id(request_id)
        path = self.path_for(request_id)
        if not path.exists():
            known = self.ids()
            hint = f"; known: {', '.join(known[-5:])}" if known else ""
            raise InputError(f"no request {request_id} in {self.root}{hint}")
        rf = RequestFile.load(path)
        check_file_name(path, rf.request)
        return rf

    def read(self, request_id: str) -> Request:
        """A request for reading only (fast)."""
        request_id = normalise_id(request_id)
        path = self.path_for(request_id)
        if not path.exists():
            return self.open(request_id).request  # the helpful "no request" error
        req = read_request(path)
        check_file_name(path, req)
        return req

    def iter_files(self) -> Iterator[tuple[Path, Request | InputError]]:
        """Every request, read only, or the error that stopped it (one bad file must not
        hide the others)."""
        for request_id in self.ids():
            path = self.path_for(request_id)
            try:
                req = read_request(path)
                check_file_name(path, req)
                yield path, req
            except InputError as exc:
                yield path, exc

    def read_all(self) -> list[Request]:
        """Every request, read only; an unreadable file stops it (a count of committed
        capacity, a review or a search that skipped one would be silently wrong)."""
        requests: list[Request] = []
        for _, loaded in self.iter_files():
            if isinstance(loaded, InputError):
                raise loaded
            requests.append(loaded)
        return requests

    def next_id(self, year: int) -> str:
        numbers = [int(m.group(2)) for i in self.ids() if (m := REQUEST_ID.match(i)) and int(m.group(1)) == year]
        return f"REQ-{year}-{(max(numbers) + 1 if numbers else 1):04d}"

    def create(self, year: int, render: Any) -> tuple[str, Path]:
        """Reserve the next free id with an exclusive create (two clerks never share one),
        then write `render(request_id)`'s text into it."""
        self.root.mkdir(parents=True, exist_ok=True)
        for _ in range(1000):
            request_id = self.next_id(year)
            path = self.path_for(request_id)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                continue
            try:
                text = render(request_id)
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(text)
            except BaseException:
                path.unlink(missing_ok=True)
                raise
            return request_id, path
        raise InputError(f"{self.root}: could not allocate a request id")  # pragma: no cover


def normalise_id(text: str) -> str:
    """Accept `REQ-2026-0001`, `req-2026-1` or `2026-0001`."""
    raw = text.strip().upper()
    if not raw.startswith("REQ-"):
        raw = "REQ-" + raw
    m = re.fullmatch(r"REQ-(\d{4})-(\d+)", raw)
    if not m:
        raise InputError(f"{text!r} is not a request id (like REQ-2026-0001)")
    return f"REQ-{m.group(1)}-{int(m.group(2)):04d}"
