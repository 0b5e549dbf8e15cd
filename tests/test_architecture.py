"""The shape the codebase keeps: which packages may import which libraries."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "lti_tool"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_pylti1p3_is_used_only_by_the_protocol_packages() -> None:
    allowed = {PACKAGE / "launch", PACKAGE / "grades"}
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "pylti1p3" in _imports(path) and not any(folder in path.parents for folder in allowed)
    ]
    assert offenders == []


def test_the_sandbox_lms_talks_to_the_tool_only_over_http() -> None:
    offenders = []
    for path in (PACKAGE / "sandbox").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            module = node.module or "" if isinstance(node, ast.ImportFrom) else ""
            if module.startswith("lti_tool.") and not module.startswith("lti_tool.sandbox"):
                offenders.append(f"{path.name}: {module}")
    assert offenders == []
