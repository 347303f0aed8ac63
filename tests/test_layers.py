"""The package's floors, bottom up (DESIGN.md): a lower floor never imports a higher one, and no two modules
import each other, directly or in a ring. Imports inside functions count: they are edges all the same."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "dataforge"

# floor of each top-level part of the package; modules on one floor may import each other (without cycles)
FLOORS = [
    {"__init__", "records", "text", "errors", "io", "paths", "progress"},
    {"formats"},
    {"validate", "judge", "parse", "blocks", "schemas"},
    {"quality", "convert", "run"},
    {"clean", "augment", "train"},
    {"evaluate", "export"},
    {"engine"},
    {"runs", "cli", "service", "__main__"},
]
FLOOR = {part: n for n, parts in enumerate(FLOORS) for part in parts}


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts)
        out[name.removesuffix(".__init__")] = path
    return out


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """dataforge modules that `name` imports anywhere in its file."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            # `from pkg import submodule` imports the submodule; `from pkg import name` imports pkg itself
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t.startswith("dataforge") and t != name and t != "dataforge":
                found.add(t)
    return found


def part(module: str) -> str:
    return module.split(".")[1] if "." in module else "__init__"


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports(name, path, set(mods)) for name, path in mods.items()}


def test_every_part_has_a_floor():
    assert {part(m) for m in modules()} <= set(FLOOR), "add the new part of the package to FLOORS"


def test_no_lower_floor_imports_a_higher_one():
    upward = [f"{a} (floor {FLOOR[part(a)]}) imports {b} (floor {FLOOR[part(b)]})"
              for a, targets in graph().items() for b in targets if FLOOR[part(b)] > FLOOR[part(a)]]
    assert not upward, "\n".join(upward)


def test_no_import_cycles():
    g = graph()
    cycles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(g.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = "done"

    for node in sorted(g):
        if node not in state:
            visit(node, [node])
    assert not cycles, "\n".join(cycles)
