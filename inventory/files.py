"""Snapshots as YAML or JSON files: load with precise errors, dump, and the bundled demo.

Every input file (snapshot, request, configuration) is read through `read_text`, and
YAML through `read_structured` or the same rules (docs/input-validation.md):
- text is UTF-8, UTF-8 with a byte-order mark, or UTF-16 with a byte-order mark;
  anything else is refused naming the file and the byte offset (nothing is guessed);
- YAML aliases (`*name`) are refused: a few lines of nested aliases expand to gigabytes;
- a key given twice in one mapping is refused (YAML says keys are unique; the loaders
  would silently keep the last one).
Every file the tool writes goes through `write_atomic`; every `-o` through
`check_output_path`.
"""

from __future__ import annotations

import codecs
import contextlib
import difflib
import json
import os
import stat
import tempfile
import typing
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml
from pydantic import BaseModel, ValidationError

from inventory.errors import ColoError, InputError
from inventory.fastjson import dumps_indented, loads_checked
from inventory.fastload import snapshot_from_data, snapshot_from_json
from inventory.fastyaml import NotPlain, load_plain
from inventory.heap import building_long_lived
from inventory.model import FILE_CONTEXT, Snapshot
from inventory.progress import Progress, no_progress

DEMO_NAME = "demo"


def demo_path() -> Path:
    """The bundled demo data centre shipped inside the package."""
    return Path(str(resources.files("inventory") / "demo" / "kaltim-dc.yaml"))


# --- reading text ---------------------------------------------------------------------

def read_text(path: Path, what: str = "file") -> str:
    """The text of an input file (`what` names it in the "no such ..." message)."""
    return decode_text(read_bytes(path, what), path)


def read_bytes(path: Path, what: str = "file") -> bytes:
    """The bytes of an input file, or an `InputError` naming it."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such {what}") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a {what}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None


def decode_text(raw: bytes, path: Path | str) -> str:
    """UTF-8 (a BOM is allowed) or UTF-16 with its BOM; anything else is refused with the
    offset of the first byte that does not decode, never guessed (cp1252 and Latin-1 would
    decode to something, silently wrong)."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, start = "utf-16", 0  # the codec reads the BOM for the byte order
    else:
        encoding, start = "utf-8", len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    try:
        text = raw[start:].decode(encoding)
    except UnicodeDecodeError as exc:
        offset = start + exc.start
        label = "UTF-16" if encoding == "utf-16" else "UTF-8"
        raise InputError(f"{path}: not {label} text: byte 0x{raw[offset]:02x} at offset {offset} "
                         "does not decode (save the file as UTF-8)") from None
    nul = text.find("\0")
    if nul >= 0:
        offset = raw.find(b"\0") if encoding == "utf-8" else 2 + 2 * nul
        raise InputError(f"{path}: not a text file: a NUL byte at offset {offset} (a binary file, or "
                         "UTF-16 without a byte-order mark; save the file as UTF-8)")
    return text


# --- YAML and JSON ----------------------------------------------------------------------

def refuse_aliases(text: str, path: Path | str) -> None:
    """Refuse YAML aliases before anything is built from them ("billion laughs": ten lines
    of nested aliases expand to 10^9 items). Only a text with a `*` can hold one."""
    if "*" not in text:
        return
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent):
                raise InputError(
                    f"{path}: line {event.start_mark.line + 1}: YAML alias *{event.anchor} is not "
                    "accepted in input files (aliases can expand without bound): write the value out")
    except yaml.YAMLError:
        return  # the loader reports the syntax error itself


class NoDuplicateKeys:
    """A PyYAML constructor mix-in: a key given twice in one mapping is an error (PyYAML
    keeps the last one silently; ruamel's round trip refuses it too)."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: set[tuple[str, str]] = set()
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    ident = (key_node.tag, key_node.value)
                    if ident in seen:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"duplicate key {key_node.value!r} (keys must be unique)",
                            key_node.start_mark)
                    seen.add(ident)
        return super().construct_mapping(node, deep)  # type: ignore[misc]


# The C loader when libyaml is there: the demo loads in 0.15 s instead of 1.2 s.
class _Loader(NoDuplicateKeys, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    pass


class _DuplicateJsonKey(ValueError):
    pass


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        keys = [k for k, _ in pairs]
        raise _DuplicateJsonKey(next(k for k in keys if keys.count(k) > 1))
    return obj


def read_structured(path: Path, progress: Callable[[int, int], None] | None = None) -> Any:
    """Parse a YAML or JSON file; a syntax error names the file and the line.

    JSON is read by orjson when that provably gives the exact reader's data
    (inventory/fastjson.py), YAML from libyaml's events when it is plain
    (inventory/fastyaml.py); otherwise, and for every error, by the exact reader.
    `progress` hears, for YAML, the characters read out of all."""
    raw = read_bytes(path)
    is_json = path.suffix.lower() == ".json"
    if is_json:
        data = loads_checked(raw)
        if data is not None:
            return data
    text = decode_text(raw, path)
    del raw  # a large file: do not hold it twice
    if not is_json:
        with contextlib.suppress(NotPlain):
            return load_plain(text, progress)
    try:
        if is_json:
            return json.loads(text, object_pairs_hook=_json_object)
        refuse_aliases(text, path)
        return yaml.load(text, Loader=_Loader)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON at line {exc.lineno}: {exc.msg}") from None
    except _DuplicateJsonKey as exc:
        raise InputError(f"{path}: not valid JSON: duplicate key {exc.args[0]!r} (keys must be unique)") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML{yaml_error_where(exc)}") from None
    except RecursionError:
        raise InputError(f"{path}: nested too deeply") from None


def yaml_error_where(exc: Exception) -> str:
    """` at line N: problem` of a PyYAML or ruamel error."""
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc)
    return f"{where}: {problem}"


def validate_file(model: type[BaseModel], data: Any, path: Path | str) -> Any:
    """Validate data against a model; errors name the file, the path inside it and the field."""
    if data is None:
        raise InputError(f"{path}: the file is empty")
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping at the top level, found {type(data).__name__}")
    try:
        return model.model_validate(data, context=FILE_CONTEXT)
    except ValidationError as exc:
        raise InputError(f"{path}: {describe_validation_error(exc, model, data)}") from None


def load_snapshot(path: Path | str, progress: Progress | None = None) -> Snapshot:
    """Load a snapshot from a YAML/JSON file, or the bundled demo for `demo`; `progress`
    hears the steps (reading, checking), and for YAML how far the text is read."""
    if str(path) == DEMO_NAME:
        path = demo_path()
    path = Path(path)
    step = progress or no_progress
    what = f"Loading {path.name}"
    with building_long_lived():  # millions of new objects and no garbage (inventory/heap.py)
        step(f"{what}: reading", 0, 2)
        # devices as rows (inventory/rows.py) where that provably gives the models' data;
        # otherwise, and for every error, the models read the file as they always have
        snapshot = (snapshot_from_json(read_bytes(path), lambda: step(f"{what}: checking", 1, 2))
                    if path.suffix.lower() == ".json" else None)
        if snapshot is None:
            data = read_structured(path, lambda done, total: step(f"{what}: reading", done, 2 * total))
            step(f"{what}: checking", 1, 2)
            snapshot = snapshot_from_data(data) or validate_file(Snapshot, data, path)
        step(what, 2, 2)
        return snapshot


def dump_snapshot(snapshot: Snapshot, path: Path | str) -> None:
    """Write a snapshot as YAML (or JSON by suffix), atomically: no half-written file."""
    path = Path(path)
    data = snapshot.model_dump(mode="json", exclude_defaults=True)
    if path.suffix.lower() == ".json":
        write_atomic(path, dumps_indented(data))
    else:
        write_atomic(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write via a temporary file beside the target and a rename, so readers never see a
    partial file; the temporary file has a unique name and is removed on any failure."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else _new_file_mode()
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:100]}.", suffix=".tmp")
    except OSError as exc:
        raise ColoError(f"{path}: cannot write ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise ColoError(f"{path}: cannot write ({exc.strerror or exc})") from None
        raise


def check_output_path(output: str | Path | None, protected: Iterable[tuple[Path | None, str]] = ()
                      ) -> Path | None:
    """The one check of every `-o`, before the command reads or writes anything.

    Refused: an empty name, a folder, a missing or unwritable folder, a read-only file,
    and anything in `protected`: (path, what it is) pairs where a path is a file (the
    `--source` snapshot, the configuration), a folder (everything inside it) or a pattern
    (`requests/REQ-*.yaml`, existing or not).
    """
    if output is None:
        return None
    if not str(output).strip():
        raise InputError('-o "": the file name is empty; give the file to write')
    path = Path(output).expanduser()
    if path.is_dir():
        raise InputError(f"-o {path}: is a folder; give a file name inside it")
    parent = path.parent
    if not parent.exists():
        raise InputError(f"-o {path}: no such folder {parent} (create it first)")
    if not parent.is_dir():
        raise InputError(f"-o {path}: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"-o {path}: the folder {parent} is not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError(f"-o {path}: the file is read-only")
    target = Path(os.path.realpath(path))
    for guarded, what in protected:
        if guarded is None or not str(guarded):
            continue
        if _covers(Path(guarded), target):
            raise InputError(f"-o {path}: that is {what}; it would be overwritten (write elsewhere)")
    return path


def _covers(guarded: Path, target: Path) -> bool:
    if "*" in guarded.name:
        return Path(os.path.realpath(guarded.parent)) == target.parent and target.match(guarded.name)
    real = Path(os.path.realpath(guarded))
    return target == real or (real.is_dir() and real in target.parents)


def _location(loc: tuple[Any, ...], data: Any) -> str:
    """Render a pydantic error location as `racks[3] (name: R01).u_height`."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            label = f"[{item}]"
            if isinstance(node, list) and 0 <= item < len(node):
                node = node[item]
                if isinstance(node, dict):
                    ident = node.get("key") or node.get("name")
                    if ident:
                        label += f" ({ident})"
            parts.append(label)
        else:
            parts.append(("." if parts else "") + str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return "".join(parts) or "top level"


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model class that owns the last key of `loc` (for did-you-mean)."""
    current: Any = model
    for item in loc[:-1]:
        if isinstance(item, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(str(item))
        if field is None:
            return None
        ann = field.annotation
        # unwrap list[X], X | None
        for _ in range(3):
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            if args and not (isinstance(ann, type) and issubclass(ann, BaseModel)):
                ann = args[0]
        current = ann
    if isinstance(current, type) and issubclass(current, BaseModel):
        return current
    return None


def describe_validation_error(exc: ValidationError, model: type[BaseModel], data: Any) -> str:
    """One line per problem: where, what, and a suggestion for misspelt keys."""
    lines: list[str] = []
    for err in exc.errors()[:10]:
        loc = tuple(err["loc"])
        where = _location(loc, data)
        if err["type"] == "extra_forbidden":
            owner = _model_at(model, loc)
            hint = ""
            if owner is not None:
                close = difflib.get_close_matches(str(loc[-1]), list(owner.model_fields), n=1)
                if close:
                    hint = f" (did you mean {close[0]!r}?)"
            lines.append(f"{where}: unknown key{hint}")
        elif err["type"] == "missing":
            lines.append(f"{where}: required field is missing")
        else:
            msg = err["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, "):]
            lines.append(f"{where}: {msg}" if loc else msg)
    more = len(exc.errors()) - 10
    if more > 0:
        lines.append(f"... and {more} more problems")
    return "; ".join(lines)
