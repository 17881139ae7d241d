"""The house without cycles: areas form layers, and an area imports only those below it.

Lower areas learn what only higher ones know by asking through signals (app.signals); the
composition roots (app/__init__.py's create_app, app/cli.py) are the only places that see
every area, and the only places where an import may sit inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

from app.config import REPO_ROOT

APP = REPO_ROOT / "app"

# Bottom first. An area may import app-level modules (app/*.py), its own modules, and the
# areas of lower tiers; areas of one tier do not import each other.
TIERS: tuple[tuple[str, ...], ...] = (
    ("auth",),
    ("api", "core", "jobs"),
    ("curricula", "mail"),
    ("orgs",),
    ("scheduling",),
    ("people",),
    ("checkin",),
    ("surveys",),  # the survey after class: sheets of a session, answers, their figures
    ("calendars", "sheets", "certificates"),  # certificates: completions from skills reached
    ("staffing",),  # requests, offers, availability: the invitations are calendars'
    ("reports",),
    ("partners",),  # an organization's page shows its people's 活動記録 (app.reports.teaching)
    ("public",),
    ("maintenance",),  # backups and retention: sees people, core, sheets and the rest
)
LEVEL = {area: level for level, tier in enumerate(TIERS) for area in tier}
ROOTS = {"app", "app.cli"}  # composition roots: they wire every area together


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _area(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) > 1 and (APP / parts[1]).is_dir():
        return parts[1]
    return None  # app-level: below every area


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imports(tree: ast.Module) -> list[tuple[ast.stmt, str, bool]]:
    """(statement, module imported, inside a function) for every import of app code, except
    those under `if TYPE_CHECKING:` (names for the type checker only: a model's relationship
    to a higher area's model, never run)."""
    found: list[tuple[ast.stmt, str, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue
            inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                found.extend((child, alias.name, inside) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and not child.level:
                found.append((child, child.module, inside))
                found.extend(
                    (child, f"{child.module}.{alias.name}", inside) for alias in child.names
                )
            visit(child, inside)

    visit(tree, False)
    return found


def _app_modules():
    for path in sorted(APP.rglob("*.py")):
        yield _module_name(path), ast.parse(path.read_text(encoding="utf-8"))


def test_every_area_has_a_layer():
    areas = {p.name for p in APP.iterdir() if (p / "__init__.py").is_file()}
    assert areas == set(LEVEL)


def test_no_area_imports_one_above_it():
    upward: dict[str, set[str]] = {}
    for module, tree in _app_modules():
        area = _area(module)
        if module in ROOTS or area is None:
            continue
        for _node, imported, _inside in _imports(tree):
            target = _area(imported) if imported.startswith("app.") else None
            if target is not None and target != area and LEVEL[target] >= LEVEL[area]:
                upward.setdefault(module, set()).add(target)
    app_level = {
        module: {_area(imported) for _n, imported, _i in _imports(tree) if _area(imported)}
        for module, tree in _app_modules()
        if _area(module) is None and module not in ROOTS
    }
    assert {m: a for m, a in app_level.items() if a} == {}, "app-level modules import areas"
    assert upward == {}


def test_imports_sit_at_the_top_outside_the_composition_roots():
    inside = sorted(
        f"{module}:{node.lineno}"
        for module, tree in _app_modules()
        if module not in ROOTS
        for node, _imported, in_function in _imports(tree)
        if in_function
    )
    assert inside == []
