"""Imports run one way: http → schema → resolvers → domain/loaders → db.

Read from the source (every import, those inside functions too, except under
TYPE_CHECKING), so that a cycle hidden in a function body counts as one.
"""

from __future__ import annotations

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src"

# Each layer and the layers it must never import.
LOWER_LAYERS_ONLY = {
    "db": {"domain", "loaders", "resolvers", "schema", "http", "fastpath"},
    "domain": {"resolvers", "schema", "http", "fastpath"},
    "loaders": {"resolvers", "schema", "http", "fastpath"},
    "resolvers": {"http"},
    "schema": {"http"},
}
# The root types hand over to resolvers; a resolver importing one would close a cycle.
ROOT_MODULES = ("_mutations", "custgraph.schema.query", "custgraph.schema.area_queries")
# Left from before the restructuring of issue #18: this list may only shrink. (The
# contract's error codes and global ids, which every layer uses, are modules of their own
# below all layers: custgraph/api_errors.py and custgraph/global_id.py.)
KNOWN_LAYER_BREACHES: set[tuple[str, str]] = set()


def _modules() -> dict[str, Path]:
    found = {}
    for path in SOURCE.rglob("*.py"):
        name = ".".join(path.relative_to(SOURCE).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    return {name for name in found if name in modules}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, modules) - {name} for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[frozenset[str]] = set()

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.add(frozenset(component))

    for node in graph:
        if node not in index:
            connect(node)
    return found


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else ""


def test_no_import_cycle() -> None:
    assert _cycles(_graph()) == set()


def test_no_layer_imports_a_layer_above_it() -> None:
    breaches = set()
    for module, targets in _graph().items():
        forbidden = LOWER_LAYERS_ONLY.get(_layer(module), set())
        for target in targets:
            if _layer(target) in forbidden:
                breaches.add((module, target))
    assert breaches - KNOWN_LAYER_BREACHES == set()
    assert KNOWN_LAYER_BREACHES - breaches == set(), "a breach is gone: take it off the list"


def test_resolvers_never_import_the_root_types() -> None:
    graph = _graph()
    found = {
        (module, target)
        for module, targets in graph.items()
        if _layer(module) == "resolvers"
        for target in targets
        if target.endswith(ROOT_MODULES[0]) or target in ROOT_MODULES[1:]
    }
    assert found == set()


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == {frozenset("abc")}
