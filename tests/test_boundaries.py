"""The domain stays pure: standard library only, so its rules can be tested and reused anywhere."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parent.parent / "scheduler" / "domain"


def imported_top_level_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_the_domain_imports_only_the_standard_library_and_itself():
    files = sorted(DOMAIN.glob("*.py"))
    assert len(files) >= 8
    for path in files:
        foreign = imported_top_level_modules(path) - set(sys.stdlib_module_names) - {"scheduler", "__future__"}
        assert not foreign, f"{path.name} imports {foreign}"
        assert "flask" not in path.read_text() and "sqlalchemy" not in path.read_text()
