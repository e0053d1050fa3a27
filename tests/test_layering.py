"""The import graph: every import (module level or inside a function) goes to the same or a lower
layer, and no module reaches itself through imports."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# the layers, lowest first; a module's layer is that of its longest matching prefix
LAYERS = [
    ("geometry.errors", "geometry.progress", "geometry.version"),
    ("geometry.io",),
    ("geometry.core",),
    ("geometry.models",),
    ("geometry.registry", "geometry.user_weights"),
    ("geometry.analysis", "geometry.applications", "geometry.training"),
    ("geometry.presentation",),
    ("geometry.cli", "geometry.__main__", "geometry"),
    ("reports",),
    ("webapp",),
    ("app",),
]


def layer(module: str) -> int:
    best = max((prefix for group in LAYERS for prefix in group
                if module == prefix or module.startswith(prefix + ".")), key=len)
    return next(i for i, group in enumerate(LAYERS) if best in group)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> dict[str, set[str]]:
    graph = {}
    for folder in ("geometry", "reports", "webapp"):
        for path in (ROOT / folder).rglob("*.py"):
            graph[module_name(path)] = set()
    graph["app"] = set()
    for name in graph:
        path = ROOT / (name.replace(".", "/") + ".py")
        if not path.exists():
            path = ROOT / name.replace(".", "/") / "__init__.py"
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            graph[name] |= {t for t in targets if t in graph and t != name}
    return graph


def test_no_import_goes_up_a_layer():
    upward = [(a, b) for a, targets in imports().items() for b in targets if layer(b) > layer(a)]
    assert not upward, upward


def test_no_import_circle():
    graph = {a: {b for b in targets if b != "geometry"} for a, targets in imports().items()}  # the front door
    state, cycles = {}, []

    def visit(node, path):
        state[node] = "open"
        for nxt in graph[node]:
            if state.get(nxt) == "open":
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for start in graph:
        if start not in state:
            visit(start, [start])
    assert not cycles, cycles
