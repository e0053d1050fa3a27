"""The import graph: every import (module level or inside a function) goes to the same or a lower
layer, and no module reaches itself through imports."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "gan_geometry"
# the layers, lowest first; a module's layer is that of its longest matching prefix
LAYERS = [
    ("gan_geometry.errors", "gan_geometry.progress", "gan_geometry.version", "gan_geometry.checks",
     "gan_geometry.paper", "gan_geometry.presentation.formats", "gan_geometry.presentation.fonts"),
    ("gan_geometry.io",),
    ("gan_geometry.core",),
    ("gan_geometry.models",),
    ("gan_geometry.registry", "gan_geometry.plugins", "gan_geometry.user_weights"),
    ("gan_geometry.analysis", "gan_geometry.applications", "gan_geometry.training"),
    ("gan_geometry.presentation", "gan_geometry.trackers"),
    ("gan_geometry.cli", "gan_geometry"),
    ("gan_geometry.reports",),
    ("gan_geometry.app",),
    ("gan_geometry.__main__", "app"),
]


def layer(module: str) -> int:
    best = max((prefix for group in LAYERS for prefix in group
                if module == prefix or module.startswith(prefix + ".")), key=len)
    return next(i for i, group in enumerate(LAYERS) if best in group)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> dict[str, set[str]]:
    graph = {module_name(path): set() for path in (ROOT / PACKAGE).rglob("*.py")}
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
                # "from a import b": module a.b where it is one, else a itself
                targets = [f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in graph else node.module
                           for alias in node.names]
            graph[name] |= {t for t in targets if t in graph and t != name}
    return graph


def test_every_module_has_a_layer():
    assert all(layer(name) >= 0 for name in imports())


def test_no_import_goes_up_a_layer():
    upward = [(a, b) for a, targets in imports().items() for b in targets if layer(b) > layer(a)]
    assert not upward, upward


def test_no_import_circle():
    graph = {a: {b for b in targets if b != PACKAGE} for a, targets in imports().items()}  # the front door
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
