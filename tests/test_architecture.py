"""The layering rules of docs/architecture.md, checked on the import graph of app/.

- app/fourcalls is the 4calls API client only: it imports no models, no
  database and no other area.
- Job functions are handed to `enqueue` by dotted path, so no module imports
  another area's jobs.py (the recurring-job list in app/recurring.py holds paths).
- No import cycle spans more than one area (module-level imports; a cycle
  inside one area is that area's business).
"""
from __future__ import annotations

import ast
import pathlib
from collections import defaultdict

ROOT = pathlib.Path(__file__).resolve().parents[1]
# The development demo wires areas together like a composition root: it runs one
# sync job in line so `make run` opens on a dashboard with history.
JOBS_IMPORT_ALLOWED = {"app.demo_sandbox"}


def _modules() -> dict[str, pathlib.Path]:
    modules = {}
    for path in (ROOT / "app").rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _import_graph():
    modules = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    top_level, anywhere = defaultdict(set), defaultdict(set)
    for module, path in modules.items():
        def visit(node, in_function: bool):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                    continue
                nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    if isinstance(child, ast.Import):
                        names = [alias.name for alias in child.names]
                    elif child.module and child.level == 0:
                        names = [child.module] + [f"{child.module}.{alias.name}" for alias in child.names]
                    else:
                        names = []
                    for name in names:
                        target = resolve(name) if name.startswith("app") else None
                        if target and target != module:
                            anywhere[module].add(target)
                            if not in_function:
                                top_level[module].add(target)
                visit(child, nested)

        visit(ast.parse(path.read_text()), False)
    return modules, top_level, anywhere


def _area(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "app"


def _strongly_connected(graph, nodes):
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
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

    for v in nodes:
        if v not in index:
            strong(v)
    return found


def test_fourcalls_package_is_the_api_client_only():
    modules, _, anywhere = _import_graph()
    offenders = {module: sorted(t for t in anywhere[module] if not t.startswith("app.fourcalls"))
                 for module in modules if module.startswith("app.fourcalls")}
    assert {m: t for m, t in offenders.items() if t} == {}


def test_no_module_imports_another_areas_jobs():
    modules, _, anywhere = _import_graph()
    offenders = sorted(
        (module, target) for module in modules for target in anywhere[module]
        if target.rsplit(".", 1)[-1] == "jobs" and target not in ("app.jobs", "app.models.jobs")
        and _area(target) != _area(module) and module not in JOBS_IMPORT_ALLOWED
    )
    assert offenders == []


def test_no_import_cycle_spans_more_than_one_area():
    modules, top_level, _ = _import_graph()
    cycles = [component for component in _strongly_connected(top_level, list(modules))
              if len({_area(m) for m in component}) > 1]
    assert cycles == []
