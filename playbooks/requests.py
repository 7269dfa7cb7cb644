"""Request files: one YAML file per agency request, readable and reviewable in git.

`RequestFile` loads a file round-trip with ruamel.yaml, so when the tool records a
transition a person's comments, key order and quoting survive; `read_request` reads one
fast, for reading only; `RequestStore` is the folder. Every error names the file and
the field (`requests/REQ-2026-0001.yaml: person_in_charge.nip: ...`); the model that
validates them is playbooks/request_model.py.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

import yaml as pyyaml
from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from inventory.errors import InputError
from inventory.files import (
    NoDuplicateKeys, describe_validation_error, read_text, refuse_aliases, write_atomic,
)
from playbooks.request_model import REQUEST_ID, Request, Transition, normalise_id


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


