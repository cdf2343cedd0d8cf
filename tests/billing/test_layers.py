"""The import rules of docs/architecture.md: accounts imports no other app of the
project, crm imports neither portal nor billing, billing does not import portal."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

FORBIDDEN = {
    "accounts": {"portal", "billing", "crm"},
    "crm": {"portal", "billing"},
    "billing": {"portal"},
}


def imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_imports_flow_one_way(app):
    offenders = {
        str(path.relative_to(settings.BASE_DIR)): sorted(
            imported_apps(path) & FORBIDDEN[app]
        )
        for path in (Path(settings.BASE_DIR) / app).rglob("*.py")
        if "migrations" not in path.parts
    }
    assert {path: names for path, names in offenders.items() if names} == {}
