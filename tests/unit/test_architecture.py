"""The package map of docs/architecture.md, checked on the code: who may import whom, where
transactions end, and that no two modules import each other (in a circle)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HUB = ROOT / "hub"

ENTRY_POINTS = ("hub.api", "hub.portal", "hub.cli")
FEATURES = (
    "hub.audit",
    "hub.consent",
    "hub.exchange",
    "hub.identity",
    "hub.mail",
    "hub.privacy",
    "hub.registry",
    "hub.safeguarding",
    "hub.storage",
    "hub.vocab",
)
# The kernel every package may stand on: no rules, no feature.
KERNEL = (
    "hub.actor",
    "hub.clock",
    "hub.config",
    "hub.context",
    "hub.db",
    "hub.errors",
    "hub.keyset",
    "hub.retry",
    "hub.secretbox",
    "hub.storage",
)

# Imports made inside a function on purpose, each with its reason: the only imports the cycle
# check leaves out (any other import counts wherever it is written).
LAZY_IMPORTS = {
    # ``create_app`` stays importable without Flask's whole stack (``from hub import ...``).
    ("hub", "hub.app"): "the package's entry point builds the app only when asked",
    # The command line builds the app (API, portal, services) only for a command that runs it.
    ("hub.cli", "hub"): "the app is built only when a command needs it",
    # The redaction stack (spaCy, Presidio) and the classifier load on the first record in.
    ("hub.exchange.records.scan", "hub.privacy.redaction"): "spaCy and Presidio load lazily",
    ("hub.exchange.records.scan", "hub.safeguarding.classifier"): "the classifier loads lazily",
    # The shared redactor reads the settings (which spaCy pipeline) when it is first built.
    ("hub.privacy.redaction", "hub.config"): "the redactor's settings are read when it is built",
    # boto3 loads only where S3 is the storage.
    ("hub.storage", "hub.storage.s3"): "boto3 loads only for S3 storage",
}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module
    line: int
    top_level: bool  # at module level (not in a function, not only for type checking)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in HUB.rglob("*.py")}


def _resolve(name: str) -> str | None:
    """The hub module ``name`` is, or lies in (``hub.x.y`` may be a name in module ``hub.x``)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, top_level: bool) -> Iterator[tuple[ast.AST, bool]]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) or (
            isinstance(child, ast.If) and _type_checking(child)
        ):
            yield from _walk(child, False)
        else:
            yield child, top_level
            yield from _walk(child, top_level)


def imports_of(module: str) -> list[Import]:
    path = MODULES[module]
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[Import] = []
    for node, top_level in _walk(tree, True):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" for alias in node.names]
        for name in names:
            if name == "hub" or name.startswith("hub."):
                target = _resolve(name)
                if target and target != module:
                    found.append(Import(module, target, node.lineno, top_level))
    return found


ALL_IMPORTS = [imp for module in sorted(MODULES) for imp in imports_of(module)]


def _within(module: str, packages: tuple[str, ...] | str) -> bool:
    packages = (packages,) if isinstance(packages, str) else packages
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_audit_is_a_floor_that_imports_no_feature_job_or_entry_point():
    wrong = [
        f"{i.source}:{i.line} imports {i.target}"
        for i in ALL_IMPORTS
        if _within(i.source, "hub.audit") and not _within(i.target, ("hub.audit", *KERNEL))
    ]
    assert wrong == []


def test_features_import_no_entry_point_job_or_demo():
    wrong = [
        f"{i.source}:{i.line} imports {i.target}"
        for i in ALL_IMPORTS
        if _within(i.source, FEATURES)
        and _within(
            i.target, (*ENTRY_POINTS, "hub.jobs", "hub.tasks", "hub.demo", "hub.web", "hub.app")
        )
    ]
    assert wrong == []


def test_only_entry_points_queue_background_work():
    """The task engine sits above the jobs: the API, the portal and the commands queue tasks;
    jobs and features never reach up to it."""
    wrong = [
        f"{i.source}:{i.line} imports {i.target}"
        for i in ALL_IMPORTS
        if _within(i.target, "hub.tasks") and not _within(i.source, (*ENTRY_POINTS, "hub.tasks"))
    ]
    assert wrong == []


def test_services_never_import_flask():
    wrong = []
    for module, path in MODULES.items():
        if not _within(module, FEATURES):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            wrong += [f"{module}:{node.lineno}" for n in names if n.split(".")[0] in ("flask",)]
    assert wrong == []


def test_the_exchange_holds_only_sub_packages():
    exchange = HUB / "exchange"
    loose = [p.name for p in exchange.iterdir() if p.is_file() and p.name != "__init__.py"]
    assert loose == []
    packages = [p for p in exchange.iterdir() if p.is_dir() and p.name != "__pycache__"]
    assert packages and all((p / "__init__.py").exists() for p in packages)


def test_views_never_commit():
    """The request commits (``hub.web``): no view or page ends a transaction by itself."""
    wrong = []
    for module, path in MODULES.items():
        if not _within(module, ("hub.api", "hub.portal")):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "commit"
            ):
                wrong.append(f"{module}:{node.lineno}")
    assert wrong == []


def test_the_documented_lazy_imports_are_still_made_inside_functions():
    found = {(i.source, i.target) for i in ALL_IMPORTS if not i.top_level}
    assert sorted(set(LAZY_IMPORTS) - found) == [], "a documented lazy import is gone"


def _only_for_types(imp: Import) -> bool:
    tree = ast.parse(MODULES[imp.source].read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _type_checking(node):
            for child in ast.walk(node):
                if isinstance(child, ast.ImportFrom | ast.Import) and child.lineno == imp.line:
                    return True
    return False


def test_no_two_modules_import_each_other_in_a_circle():
    """Every import made at run time counts, wherever it is written, except the documented lazy
    ones (LAZY_IMPORTS): an import moved into a function to dodge a cycle is still a cycle."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for imp in ALL_IMPORTS:
        if imp.top_level or not (_only_for_types(imp) or (imp.source, imp.target) in LAZY_IMPORTS):
            graph[imp.source].add(imp.target)
    cycles = _cycles(graph)
    assert cycles == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_checks_see_the_code():
    """The import graph is read at all: a check over nothing would pass anything."""
    assert len(MODULES) > 100
    targets = {(i.source, i.target) for i in ALL_IMPORTS}
    assert ("hub.exchange.records.intake", "hub.exchange.records.pipeline") in targets
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
