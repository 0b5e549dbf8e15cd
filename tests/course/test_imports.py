"""The domain core stays plain Python: no web framework, ORM or LTI library inside it."""

from __future__ import annotations

import ast
from pathlib import Path

import lti_tool.course

FORBIDDEN = {"flask", "sqlalchemy", "pylti1p3", "werkzeug"}


def _imported_roots(source: str) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_course_core_imports_no_framework():
    package = Path(lti_tool.course.__file__).parent
    modules = sorted(package.glob("*.py"))
    assert len(modules) > 5  # the walk really found the package
    offenders = {
        module.name: sorted(_imported_roots(module.read_text(encoding="utf-8")) & FORBIDDEN)
        for module in modules
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_import_walk_detects_a_forbidden_import():
    assert _imported_roots("from flask import Flask\nimport sqlalchemy.orm\n") == {
        "flask",
        "sqlalchemy",
    }
