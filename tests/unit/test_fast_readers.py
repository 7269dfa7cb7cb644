"""Large snapshot files load at C speed (issue 13) with every rule of the exact readers:
the same data, and for every bad file the same error as before.

JSON goes through orjson when the data provably holds every key of the text
(inventory/fastjson.py), YAML is built from libyaml's events without PyYAML's node tree
(inventory/fastyaml.py); anything else goes to the exact readers, which these tests also
call to compare."""

from __future__ import annotations

import gc
import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory.errors import InputError
from inventory.fastjson import loads_checked
from inventory.fastyaml import NotPlain, load_plain
from inventory.files import _Loader, load_snapshot, read_structured
from inventory.model import Device
from inventory.synthetic import generate_snapshot
from playbooks.assessment import capacity_report
from playbooks.context import App
from tests.support.snapshots import written_as_json_and_yaml


@pytest.fixture(scope="module")
def snapshot_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return written_as_json_and_yaml(generate_snapshot(60, 900, seed=3), tmp_path_factory.mktemp("snapshots"))


def _exact_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)


@pytest.mark.parametrize("suffix", ["json", "yaml"])
def test_a_large_file_is_read_without_the_slow_readers(snapshot_files: dict[str, Path], suffix: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The standard library's JSON reader (2.6 s for 200,000 devices) and PyYAML's node tree
    (34 s, 4.1 GB) are not used for a snapshot as `dump_snapshot` writes it."""
    expected = load_snapshot(snapshot_files[suffix])

    def slow(*args: object, **kwargs: object) -> None:
        raise AssertionError("the slow reader was used")

    monkeypatch.setattr(json, "loads", slow)
    monkeypatch.setattr(yaml, "load", slow)
    assert load_snapshot(snapshot_files[suffix]) == expected


def test_json_and_yaml_of_one_snapshot_give_the_same_snapshot(snapshot_files: dict[str, Path]) -> None:
    assert load_snapshot(snapshot_files["json"]) == load_snapshot(snapshot_files["yaml"])


def test_the_collector_does_not_walk_a_snapshot_while_or_after_it_loads(snapshot_files: dict[str, Path]) -> None:
    """Without the pause, a 200,000-device file spent 70 % of its load in the cyclic
    collector (12.4-12.8 s against 3.4-4.4 s); after it, the snapshot is in the oldest
    generation, not walked again by the next young collections."""
    collections: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.collect()
    gc.callbacks.append(count)
    try:
        loaded = [load_snapshot(path) for path in snapshot_files.values()]
        assert collections == []
    finally:
        gc.callbacks.remove(count)
    assert gc.isenabled()
    young = gc.get_objects(generation=0) + gc.get_objects(generation=1)
    assert not any(isinstance(item, Device) for item in young)
    assert all(snapshot.devices for snapshot in loaded)


def test_the_collector_does_not_walk_the_report_after_it_is_built(snapshot_files: dict[str, Path]) -> None:
    """The capacity report of a large site is built while the collector is paused (185,000
    objects at 10,000 racks); left young, the first collection after the pause walked
    them all (0.115 s). It moves to the oldest generation, as the snapshot does."""
    gc.collect()
    done = capacity_report(App({}), str(snapshot_files["json"]), [])
    young = {id(item) for generation in (0, 1) for item in gc.get_objects(generation=generation)}
    racks = done.report["racks"]
    assert racks and id(racks) not in young and not any(id(rack) in young for rack in racks)


# --- JSON: the same errors as the exact reader ----------------------------------------------

DEVICE = '{"devices": [{"name": "web-01", "rack": "R01", "rack": "R02"}]}'


@pytest.mark.parametrize("name, text, message", [
    ("dc.json", DEVICE, "not valid JSON: duplicate key 'rack' (keys must be unique)"),
    ("dc.json", '{\n  "a": 1,\n  "a": 1\n}\n', "not valid JSON: duplicate key 'a' (keys must be unique)"),
    ("dc.json", '{"a": [1, 2}', "not valid JSON at line 1"),
    ("dc.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ("dc.yaml", "sites:\n  - name: a\n    name: b\n",
     "not valid YAML at line 3: duplicate key 'name' (keys must be unique)"),
    ("dc.yaml", "a: &x [1]\nb: *x\n", "line 2: YAML alias *x is not accepted in input files"),
    ("dc.yaml", "a: [1, 2\n", "not valid YAML at line 2"),
])
def test_a_bad_file_gets_the_exact_readers_error(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_structured(path)
    assert str(err.value).startswith(f"{path}: {message}")


def test_json_nan_reaches_validation_as_before(tmp_path: Path) -> None:
    """orjson refuses NaN; the exact reader reads it and the model refuses it by field."""
    path = tmp_path / "dc.json"
    path.write_text('{"sites": [{"name": "s"}], "racks": [{"name": "R1", "site": "s", "weight_kg": NaN}]}',
                    encoding="utf-8")
    with pytest.raises(InputError, match=r"racks\[0\] \(R1\)\.weight_kg"):
        load_snapshot(path)


@pytest.mark.parametrize("text", [
    '{"a": 1}', '{ "a" : [1, 2.5, "x y", null, true] }', '{"a": 1.0e3}', '{"a": "\\u00e9"}',
    '{"a": 99999999999999999999}', "\ufeff{\"a\": 1}", '{"a": 1, "b": {"a": 2}}',
])
def test_fast_json_gives_the_exact_readers_data_or_steps_aside(text: str) -> None:
    raw = text.encode("utf-8")
    fast = loads_checked(raw)
    if fast is not None:
        assert fast == json.loads(text)


def test_a_duplicate_key_never_passes_the_fast_json_path() -> None:
    assert loads_checked(b'{"a": 1, "a": 1}') is None
    assert loads_checked(b'{"a":{"b":1,"b":2}}') is None
    assert loads_checked(b'[{"k": "x"}, {"k": "x", "k": "y"}]') is None


# --- YAML: the same data, or the exact reader --------------------------------------------------

PLAIN_TEXTS = [
    "a: yes\nb: 'yes'\nc: 1_000\nd: 0o17\ne: 017\nf: 1:30\ng: .inf\nh: 2026-01-02\n"
    "i: 2026-01-02 10:00:00+08:00\nj: ~\nk: null\nl: ''\nm:\n",
    "- 1\n- [a, b, {c: d}]\n- {}\n- []\n- 3.5e3\n- -1\n- +2\n- 0x1F\n- Off\n- n\n",
    "'1': a\n1: b\n", "x", "", "---\n...\n", "a: &anchor 1\nb: 2\n",
]


@pytest.mark.parametrize("text", PLAIN_TEXTS)
def test_plain_yaml_gives_the_exact_readers_data(text: str) -> None:
    assert repr(load_plain(text)) == repr(_exact_yaml(text))


@pytest.mark.parametrize("text", [
    "a: 1\na: 2", "a: 1\n'a': 2", "1: a\n01: b", "<<: {a: 1}", "!!str 1", "a: !!int '3'", "a: ! 12",
    "--- 1\n--- 2", "a: [1, 2", "? [a]\n: 1", "a: &x 1\nb: *x", "a: b: c", "[" * 500 + "]" * 500,
])
def test_yaml_beyond_the_plain_subset_goes_to_the_exact_reader(text: str) -> None:
    with pytest.raises(NotPlain):
        load_plain(text)


_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["yes", "No", "on", "~", "null", "1_000", "0o17", "1:30", "0x1F", ".inf", "2026-01-02",
                     "<<", "=", "", " ", "-", "- a", "a: b", "#x", "'q'", "1e3", "R01", "dev-000123"]),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=8), st.dates(min_value=date(1970, 1, 1)),
    st.datetimes(min_value=datetime(1970, 1, 1), timezones=st.just(timezone.utc)),
)
_documents = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.one_of(st.text(st.characters(blacklist_categories=("Cs",)), max_size=6), st.integers(0, 99), st.sampled_from(["yes", "1", "01", "~"])),
        inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(_documents, st.booleans())
def test_any_yaml_document_reads_the_same_or_steps_aside(document: Any, flow: bool) -> None:
    text = yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True, sort_keys=False)
    try:
        fast = load_plain(text)
    except NotPlain:
        return
    assert repr(fast) == repr(_exact_yaml(text))

