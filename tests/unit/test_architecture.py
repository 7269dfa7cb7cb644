"""The layers, read from the source (docs/architecture.md): no import cycle, no upward
import (inventory -> capacity -> reports -> playbooks -> colo_cli), click only in the
command line, pynetbox and requests only in inventory.netbox, no import hidden inside a
function (a heavy optional dependency may be, marked `# optional: why`), and the
environment read only where the composition root is made.

The graph is scripts/import_graph.py's (run it to print the graph and these findings).
Each module is a case of its own, so a failure names the module and the line."""

from __future__ import annotations

import ast
import importlib.util
import io
import re
import sys
import tokenize
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("import_graph", ROOT / "scripts" / "import_graph.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


graph = _load_script()
MODULES = graph.build_graph(ROOT)
NAMES = sorted(MODULES)

#: Where `os.environ` may be read, and why (everything else is handed what it needs).
ENVIRONMENT_READERS = {
    "colo_cli/common.py": "hands this process's environment to the composition root (playbooks/context.py)",
    "playbooks/config.py": "the SMTP password, read at the moment of sending so that no object holds it",
    "inventory/netbox/settings.py": "settings_from_env_and_file: NetBox settings for a caller with no "
                                    "composition root (scripts, tests)",
    "reports/render.py": "reads no setting: pins SOURCE_DATE_EPOCH while WeasyPrint writes a PDF, because "
                         "fontTools stamps font subsets with the clock (same document, same bytes)",
}


def test_the_graph_covers_every_package() -> None:
    assert {m.package for m in MODULES.values()} == set(graph.PACKAGES)
    assert "playbooks.context" in MODULES and "colo_cli.main" in MODULES
    # an import the script resolves: a module naming a symbol of another module
    assert "playbooks.context" in MODULES["colo_cli.common"].project_imports(MODULES)


@pytest.mark.parametrize("package", graph.PACKAGES)
def test_no_import_cycle(package: str) -> None:
    """No cycle through the package's modules (an import only for type hints, under
    `if TYPE_CHECKING:`, is no edge)."""
    mine = [c for c in graph.cycles(MODULES) if any(m.split(".")[0] == package for m in c)]
    assert mine == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in mine)


@pytest.mark.parametrize("name", NAMES)
def test_module_imports_only_its_layer_and_below(name: str) -> None:
    module = MODULES[name]
    upward = [f"{i.target} (line {i.line})" for i in module.imports
              if i.target in MODULES and graph.RANK[MODULES[i.target].package] > graph.RANK[module.package]]
    assert upward == [], f"{module.rel} imports a layer above its own: {', '.join(upward)}"


@pytest.mark.parametrize("name", NAMES)
def test_third_party_client_libraries_stay_in_their_home(name: str) -> None:
    module = MODULES[name]
    misplaced = [f"{i.target} (line {i.line})" for i in module.imports
                 if i.target in graph.THIRD_PARTY_HOME
                 and not any(name == home or name.startswith(home + ".") for home in graph.THIRD_PARTY_HOME[i.target])]
    assert misplaced == [], f"{module.rel}: {', '.join(misplaced)}"


@pytest.mark.parametrize("name", NAMES)
def test_no_import_inside_a_function(name: str) -> None:
    module = MODULES[name]
    hidden = [f"{i.target} (line {i.line})" for i in module.imports
              if i.in_function and not i.optional and not i.type_only]
    assert hidden == [], (f"{module.rel} imports inside a function: {', '.join(hidden)}; "
                          f"move it to the top, or mark a heavy optional dependency `{graph.OPTIONAL_MARK} why`")


def _reads_environment(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv")
            and isinstance(node.value, ast.Name) and node.value.id == "os"]


@pytest.mark.parametrize("name", NAMES)
def test_the_environment_is_read_only_where_the_composition_root_is_made(name: str) -> None:
    relative = MODULES[name].rel
    lines = _reads_environment(MODULES[name].path)
    assert not lines or relative in ENVIRONMENT_READERS, (
        f"{relative} reads os.environ (line {', '.join(map(str, lines))}): take the setting from the "
        "App (playbooks/context.py) instead")


def test_the_rules_catch_what_they_are_for(tmp_path: Path) -> None:
    # a tiny project breaking each rule once: the checks must name every break
    for package in graph.PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "inventory" / "a.py").write_text("import inventory.b\nfrom capacity.c import x\n")
    (tmp_path / "inventory" / "b.py").write_text("import inventory.a\n")
    (tmp_path / "capacity" / "c.py").write_text(
        "import click\nimport pynetbox\nx = 1\n\ndef f():\n    import json\n\n"
        "def g():\n    import pandas  # optional: heavy, only for xlsx\n")
    found = graph.violations(graph.build_graph(tmp_path))
    text = "\n".join(found)
    assert "cycle: inventory.a <-> inventory.b" in text
    assert "upward import: inventory/a.py:2 inventory.a imports capacity.c" in text
    assert "click outside colo_cli: capacity/c.py:1" in text
    assert "pynetbox outside inventory.netbox: capacity/c.py:2" in text
    assert "import inside a function: capacity/c.py:6 json" in text
    assert "pandas" not in text
    assert len(found) == 5


CITED = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*[\w-]+\.(?:py|md))\b|\bDESIGN\b")


def _docstrings_and_comments(path: Path) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")
    found = [(tok.start[0], tok.string) for tok in tokenize.generate_tokens(io.StringIO(text).readline)
             if tok.type == tokenize.COMMENT]
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                found.append((node.body[0].lineno, doc))
    return found


@pytest.mark.parametrize("name", [n for n in NAMES if n.split(".")[0] in ("playbooks", "colo_cli")])
def test_docstrings_cite_only_files_in_the_repository(name: str) -> None:
    """A newcomer can open what a docstring or comment cites (design notes outside the
    repository were brought into docs/)."""
    module = MODULES[name]
    missing = []
    for line, text in _docstrings_and_comments(module.path):
        for match in CITED.finditer(text):
            cited = match.group(1)
            if cited is None or not (ROOT / cited).exists():
                missing.append(f"line {line + text[:match.start()].count(chr(10))}: {match.group(0)}")
    assert missing == [], f"{module.rel} cites what the repository does not have: {'; '.join(missing)}"


ARCHITECTURE_DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", [n for n in NAMES if not n.endswith("__init__") and "." in n])
def test_every_module_is_described_in_the_architecture_page(name: str) -> None:
    """A newcomer finds every module, and so every rule, from docs/architecture.md: each
    module's file name appears there (in its package's section)."""
    module = MODULES[name]
    if module.path.name == "__init__.py":
        return
    assert f"{module.path.name}`" in ARCHITECTURE_DOC, (
        f"{module.rel} is not described in docs/architecture.md: add what it owns and what it imports")
