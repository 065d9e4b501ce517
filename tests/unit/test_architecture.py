"""The import structure the architecture promises, read from the code (ast), not from a diagram."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("services", "shared")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            # Alembic revisions are loaded by Alembic from their folder, not imported as modules.
            if "migrations" in path.relative_to(ROOT).parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def _imports(name: str, path: Path) -> set[str]:
    """Every module name this one imports, at the top, inside functions or under TYPE_CHECKING alike."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


MODULES = _modules()
GRAPH = {name: {dep for dep in _imports(name, path) if dep in MODULES and dep != name} for name, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), i.e. import circles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for dep in sorted(graph[module]):
            if dep not in index:
                visit(dep)
                low[module] = min(low[module], low[dep])
            elif dep in on_stack:
                low[module] = min(low[module], index[dep])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return circles


def test_the_module_list_is_real():
    # A walk that found nothing would make every check below pass.
    assert "shared.platform.service" in MODULES and "services.caseload.app" in MODULES
    assert "shared.platform.definition" in GRAPH["shared.platform.service"]


def test_the_cycle_finder_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_two_modules_import_each_other_directly_or_in_a_loop():
    assert _cycles(GRAPH) == []


def test_shared_libraries_import_nothing_from_the_services():
    offending = {name: sorted(d for d in deps if d.startswith("services"))
                 for name, deps in GRAPH.items() if name.startswith("shared")}
    assert {name: deps for name, deps in offending.items() if deps} == {}


def test_no_service_imports_another():
    offending = {}
    for name, deps in GRAPH.items():
        if name.startswith("services."):
            own = name.split(".")[1]
            others = sorted(d for d in deps if d.startswith("services.") and d.split(".")[1] != own)
            if others:
                offending[name] = others
    assert offending == {}
