#!/usr/bin/env python3
"""Print the import graph of colo's packages, read from the source (no import is run).

    scripts/import_graph.py            # one line per module: what it imports
    scripts/import_graph.py --check    # also the rule violations; exit 1 if any

The rules (docs/architecture.md) are checked by tests/unit/test_architecture.py with
the same code: no cycle; no upward import (inventory -> capacity -> reports ->
playbooks -> colo_cli); click only in colo_cli; pynetbox and requests only in
inventory.netbox; no import inside a function unless marked as an optional heavy
dependency (`# optional: ...` on the import line).
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("inventory", "capacity", "reports", "playbooks", "colo_cli")
#: A package may import only those below it (its own package included).
RANK = {name: i for i, name in enumerate(PACKAGES)}
#: reports renders plain data: it may not import playbooks or colo_cli, but it may read
#: capacity's result types and inventory's files helpers (both below it in RANK).
THIRD_PARTY_HOME = {"click": ("colo_cli",), "pynetbox": ("inventory.netbox",), "requests": ("inventory.netbox",)}
OPTIONAL_MARK = "# optional:"


@dataclass
class Import:
    target: str  # a project module (dotted), or a third-party top-level name
    line: int
    in_function: bool
    optional: bool  # marked `# optional: ...` (a heavy dependency loaded only when needed)
    type_only: bool  # under `if TYPE_CHECKING:`


@dataclass
class Module:
    name: str
    path: Path
    rel: str  # the path relative to the project, for messages
    imports: list[Import] = field(default_factory=list)

    @property
    def package(self) -> str:
        return self.name.split(".")[0]

    def project_imports(self, modules: dict[str, "Module"]) -> set[str]:
        return {i.target for i in self.imports if i.target in modules and i.target != self.name}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(name: str, modules: set[str]) -> str:
    """`a.b.c` as the longest project module it names (`from a.b import c` may name a module or a symbol)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return name.split(".")[0]


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.Module, lines: list[str], names: set[str]) -> list[Import]:
    out: list[Import] = []

    def visit(node: ast.AST, in_function: bool, type_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                visit(child, True, type_only)
                continue
            if isinstance(child, ast.If) and _is_type_checking(child):
                visit(child, in_function, True)
                continue
            targets: list[str] = []
            if isinstance(child, ast.Import):
                targets = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom):
                targets = [f"{child.module}.{a.name}" for a in child.names]  # a module, or a name in one
            if targets:
                marked = OPTIONAL_MARK in lines[child.lineno - 1]
                for target in dict.fromkeys(_resolve(t, names) for t in targets):  # once per module named
                    out.append(Import(target, child.lineno, in_function, marked, type_only))
            visit(child, in_function, type_only)

    visit(tree, False, False)
    return out


def build_graph(root: Path = ROOT) -> dict[str, Module]:
    """Every module of the project's packages with the imports its source names."""
    paths = sorted(p for pkg in PACKAGES for p in (root / pkg).rglob("*.py"))
    modules = {module_name(p, root): Module(module_name(p, root), p, p.relative_to(root).as_posix())
               for p in paths}
    names = set(modules)
    for mod in modules.values():
        text = mod.path.read_text(encoding="utf-8")
        mod.imports = _imports(ast.parse(text, str(mod.path)), text.splitlines(), names)
    return modules


def cycles(modules: dict[str, Module]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted.
    Imports under `if TYPE_CHECKING:` are not edges: they never run."""
    edges = {name: sorted({i.target for i in m.imports if i.target in modules and i.target != name
                           and not i.type_only}) for name, m in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(edges) + 100))
    for v in sorted(edges):
        if v not in index:
            strong(v)
    return sorted(found)


def violations(modules: dict[str, Module]) -> list[str]:
    """Every broken rule, one line each, naming the file and line."""
    out = [f"cycle: {' <-> '.join(c)}" for c in cycles(modules)]
    for mod in modules.values():
        for imp in mod.imports:
            where = f"{mod.rel}:{imp.line}"
            if imp.target in modules:
                theirs = modules[imp.target].package
                if RANK[theirs] > RANK[mod.package]:
                    out.append(f"upward import: {where} {mod.name} imports {imp.target}")
            else:
                homes = THIRD_PARTY_HOME.get(imp.target)
                if homes and not any(mod.name == h or mod.name.startswith(h + ".") for h in homes):
                    out.append(f"{imp.target} outside {', '.join(homes)}: {where}")
            if imp.in_function and not imp.optional and not imp.type_only:
                out.append(f"import inside a function: {where} {imp.target} "
                           f"(move it to the top, or mark a heavy optional dependency `{OPTIONAL_MARK} why`)")
    return out


def main(argv: list[str]) -> int:
    modules = build_graph()
    for name, mod in sorted(modules.items()):
        deps = sorted(mod.project_imports(modules))
        print(f"{name} -> {', '.join(deps) if deps else '(nothing of the project)'}")
    if "--check" not in argv:
        return 0
    problems = violations(modules)
    print()
    print("\n".join(problems) if problems else "no cycles, no upward imports, no hidden imports")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
