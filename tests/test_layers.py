"""The layer rules of docs/architecture.md, read from the source: every `import` of every module
(at its top, inside a function or under TYPE_CHECKING alike) is parsed with `ast`, nothing is
imported. A rule broken here is a dependency the next change has to carry along or untangle."""
from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# syncapp's parts (its packages and top-level modules), by layer, the entry points first. A part
# imports only from the layers below its own, never from another part of its layer.
LAYERS = [
    {"api", "webhooks", "admin", "management", "tasks", "apps"},  # entry points
    {"sync", "console"},  # use cases
    {"jobs"},  # job engine
    {"models", "connectors"},  # state
    {"domain"},  # vocabulary
]
# Django looks for template tags at the app's root; these are the console's, part of admin/.
SAME_PART = {"templatetags": "admin"}
# Small modules any layer may use; they import none of the layers, only one another (without a
# cycle: see test_no_module_imports_one_that_imports_it_back).
SHARED = {"exceptions", "conf", "json_errors", "metrics", "checks", "roles", "middleware", "schedules"}
RANK = {part: rank for rank, parts in enumerate(LAYERS) for part in parts}


@dataclass(frozen=True)
class Edge:
    source: str  # module, e.g. syncapp.api.schema
    target: str  # the module (or package) it imports
    where: str  # file:line

    def __str__(self):
        return f"{self.where}: {self.source} -> {self.target}"


def modules(root: Path = ROOT) -> dict[str, Path]:
    found = {}
    for top in ("syncapp", "sandbox", "hub"):
        for path in sorted((root / top).rglob("*.py")):
            if "migrations" in path.parts:  # frozen history, not code that runs the hub
                continue
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports(root: Path = ROOT) -> list[Edge]:
    """Every import of every module; `from package import name` counts as importing the module
    `package.name` when there is one, else `package`."""
    known = modules(root)
    edges = []
    for module, path in known.items():
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            where = f"{path.relative_to(root)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Import):
                edges += [Edge(module, alias.name, where) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    edges.append(Edge(module, full if full in known else base, where))
    return edges


def part(module: str) -> str:
    """syncapp.api.schema → api; syncapp.tasks → tasks."""
    name = module.split(".")[1] if module.count(".") else ""
    return SAME_PART.get(name, name)


def syncapp_edges(edges: list[Edge]) -> list[Edge]:
    return [e for e in edges if e.source.startswith("syncapp.") and e.target.startswith("syncapp.")
            and part(e.source) != part(e.target)]


def layer_violations(edges: list[Edge]) -> list[str]:
    found = []
    for edge in syncapp_edges(edges):
        source, target = part(edge.source), part(edge.target)
        if target in SHARED:
            continue
        if source in SHARED:
            found.append(f"{edge} (a shared module imports none of the layers)")
        elif source not in RANK or target not in RANK:
            found.append(f"{edge} (place {source if source not in RANK else target!r} in a layer of LAYERS)")
        elif RANK[source] >= RANK[target]:
            found.append(f"{edge} ({source} may not import {target}: "
                         f"{'the same layer' if RANK[source] == RANK[target] else 'a layer above'})")
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan, iterative)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = len(index)
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(graph.get(succ, ())))))
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            else:
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


def package_cycles(edges: list[Edge]) -> list[str]:
    graph, via = defaultdict(set), defaultdict(list)
    for edge in syncapp_edges(edges):
        graph[part(edge.source)].add(part(edge.target))
        via[part(edge.source), part(edge.target)].append(str(edge))
    return [" <-> ".join(c) + ": " + "; ".join(e for a in c for b in c for e in via[a, b][:1])
            for c in cycles(graph)]


def module_cycles(edges: list[Edge], root: Path = ROOT) -> list[str]:
    known, graph = modules(root), defaultdict(set)
    for edge in edges:
        if edge.target in known and edge.target != edge.source:
            graph[edge.source].add(edge.target)
    return [" <-> ".join(c) for c in cycles(graph)]


def crossings(edges: list[Edge]) -> list[str]:
    """The hub and the sandbox (another company's systems) never import each other."""
    return [str(e) for e in edges
            if {e.source.split(".")[0], e.target.split(".")[0]} == {"syncapp", "sandbox"}]


def outside_imports(edges: list[Edge], package: str, forbidden: tuple[str, ...]) -> list[str]:
    return [str(e) for e in edges if e.source.startswith(package) and e.target.startswith(forbidden)]


EDGES = imports()


def test_imports_point_down_only():
    assert not layer_violations(EDGES), "\n".join(layer_violations(EDGES))


def test_no_cycle_between_syncapps_packages():
    assert not package_cycles(EDGES), "\n".join(package_cycles(EDGES))


def test_no_module_imports_one_that_imports_it_back():
    assert not module_cycles(EDGES), "\n".join(module_cycles(EDGES))


def test_the_sandbox_and_the_hub_never_import_each_other():
    assert not crossings(EDGES), "\n".join(crossings(EDGES))


def test_the_domain_is_plain_python():
    found = outside_imports(EDGES, "syncapp.domain", ("django", "rest_framework", "requests", "simple_salesforce"))
    assert not found, "\n".join(found)


def test_connectors_never_touch_the_orm():
    found = outside_imports(EDGES, "syncapp.connectors", ("django.db", "syncapp.models"))
    assert not found, "\n".join(found)


def test_only_the_salesforce_connector_imports_simple_salesforce():
    found = [str(e) for e in EDGES if e.target.startswith("simple_salesforce")
             and not e.source.startswith("syncapp.connectors.salesforce")]
    assert not found, "\n".join(found)


def test_the_rules_see_a_violation():
    """The reading itself: an upward import, a cycle and a crossing are each found."""
    edges = [Edge("syncapp.models.links", "syncapp.sync.checkout", "x:1"),
             Edge("syncapp.sync.checkout", "syncapp.models", "x:2"),
             Edge("sandbox.zuora.views", "syncapp.exceptions", "x:3")]
    assert layer_violations(edges) == ["x:1: syncapp.models.links -> syncapp.sync.checkout "
                                       "(models may not import sync: a layer above)"]
    assert package_cycles(edges) and crossings(edges) == ["x:3: sandbox.zuora.views -> syncapp.exceptions"]
