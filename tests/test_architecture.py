"""The package's shape, read from its source: no import cycle, and each folder imports only the layers below it."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "fastner"
CORE = ("fastner.text", "fastner.tagger", "fastner.io", "fastner.decode", "fastner.switches", "fastner.precision",
        "fastner.fields", "fastner.devices", "fastner.embeddings", "fastner.models")
OUTER = ("fastner.perf", "fastner.apps", "fastner.serve", "fastner.train", "fastner.onnx", "fastner.interop",
         "fastner.synth", "fastner.cli", "fastner.reports")


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


def import_graph() -> dict[str, set[str]]:
    """Module -> the fastner modules it imports anywhere in its file (top level or inside functions)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            child = next(edges, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_perf_imports_neither_the_apps_nor_the_service() -> None:
    """perf measures the core; the apps' and the service's benchmarks live with them and import perf."""
    bad = {(m, t) for m, targets in import_graph().items() if _within(m, ("fastner.perf",))
           for t in targets if _within(t, ("fastner.apps", "fastner.serve"))}
    assert not bad


def test_the_core_imports_no_outer_folder() -> None:
    """The tagger, its embeddings, text, files and decoders stand alone: nothing outer leaks into them."""
    graph = import_graph()
    assert any(_within(m, ("fastner.tagger",)) for m in graph)
    bad = {(m, t) for m, targets in graph.items() if _within(m, CORE) for t in targets if _within(t, OUTER)}
    assert not bad
