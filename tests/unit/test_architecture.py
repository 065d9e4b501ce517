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


# --- the layers inside each service -------------------------------------------------------------------

SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "app.py").exists())
MAX_LINES = 500
# What the domain may not touch: it holds the rules, with no I/O of any kind.
IO_LIBRARIES = ("sqlalchemy", "asyncpg", "aiokafka", "faststream", "httpx", "fastapi", "starlette")


def _layer(name: str) -> str | None:
    parts = name.split(".")
    return parts[2] if len(parts) > 2 and parts[0] == "services" else None


def _external_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names


def _connection_uses(path: Path) -> list[int]:
    """Lines that reach a database connection directly: `x.conn`, or `engine.connect()`/`.begin()`."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and node.attr in ("conn", "connect", "begin", "engine"):
            lines.append(node.lineno)
    return lines


def test_the_services_are_found():
    assert SERVICES == ["caseload", "identity", "intake", "outcomes", "triage", "workspace"]


def test_no_module_under_services_is_over_500_lines():
    long = {str(path.relative_to(ROOT)): n for path in (ROOT / "services").rglob("*.py")
            if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_no_sql_or_connection_in_service_layers_or_entrypoints():
    offending = {}
    for name, path in MODULES.items():
        if _layer(name) in ("service_layer", "entrypoints"):
            found = [f"imports {lib}" for lib in sorted(_external_imports(path) & {"sqlalchemy", "asyncpg"})]
            found += [f"line {line}" for line in _connection_uses(path)]
            if found:
                offending[name] = found
    assert offending == {}


def test_the_connection_check_finds_a_connection(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("async def f(uow):\n    await uow.conn.execute('select 1')\n")
    assert _connection_uses(probe) == [2]


def test_the_domain_does_no_io_and_knows_no_other_layer():
    offending = {}
    for name, path in MODULES.items():
        if _layer(name) == "domain":
            found = sorted(_external_imports(path) & set(IO_LIBRARIES))
            found += sorted(d for d in GRAPH[name] if _layer(d) not in (None, "domain"))
            if found:
                offending[name] = found
    assert offending == {}


def test_the_service_layer_knows_no_adapter_or_entrypoint():
    offending = {name: sorted(d for d in GRAPH[name] if _layer(d) in ("adapters", "entrypoints"))
                 for name in MODULES if _layer(name) == "service_layer"}
    assert {name: deps for name, deps in offending.items() if deps} == {}


def test_every_service_is_wired_in_one_bootstrap():
    import importlib

    for service in SERVICES:
        app = importlib.import_module(f"services.{service}.app")
        wiring = importlib.import_module(f"services.{service}.bootstrap").bootstrap
        if service == "workspace":  # a web front end with no database or topics: no ServiceDefinition
            assert app.bootstrap is wiring
            continue
        assert app.DEFINITION.bootstrap is wiring, service


def test_only_bootstraps_choose_the_sql_unit_of_work():
    choosers = sorted(name for name, deps in GRAPH.items()
                      if any(d.endswith(".adapters.unit_of_work") for d in deps)
                      and _layer(name) not in (None, "adapters") and not name.endswith(".bootstrap"))
    assert choosers == []


def test_caseload_changes_are_commands_not_strings():
    from services.caseload.service_layer import commands, handlers

    assert all(isinstance(kind, type) and issubclass(kind, commands.Command) for kind in handlers.HANDLERS)
    parameters = {arg.arg for path in (ROOT / "services" / "caseload" / "service_layer").glob("*.py")
                  for node in ast.walk(ast.parse(path.read_text()))
                  if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) for arg in node.args.args}
    assert "action" not in parameters


def test_route_modules_take_their_dependencies_from_the_wiring_not_from_each_other():
    offending = {name: sorted(d for d in GRAPH[name] if d.endswith(".entrypoints.http"))
                 for name in MODULES if _layer(name) == "entrypoints"}
    assert {name: deps for name, deps in offending.items() if deps} == {}
