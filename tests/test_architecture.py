"""The shape the codebase keeps: which packages may import which libraries."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

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
    # Launch (OIDC, id_token), grades (AGS, NRPS), placement (the Deep Linking response).
    allowed = {PACKAGE / "launch", PACKAGE / "grades", PACKAGE / "placement"}
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


def _tool_imports(path: Path) -> set[str]:
    """The lti_tool modules ``path`` imports, anywhere in it (inside functions too)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name.startswith("lti_tool.")}


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        # The journey announces what happened (lti_tool.events); grades and credit listen.
        ("journey", ("grades", "credit")),
        # A launch is validated and recorded; what to send or place is decided elsewhere.
        ("launch", ("grades", "placement")),
    ],
)
def test_packages_learn_what_happened_from_events_not_from_each_others_internals(
    package: str, forbidden: tuple[str, ...]
) -> None:
    offenders = sorted(
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in (PACKAGE / package).rglob("*.py")
        for name in _tool_imports(path)
        if any(
            name == f"lti_tool.{other}" or name.startswith(f"lti_tool.{other}.")
            for other in forbidden
        )
    )
    assert offenders == []


def _pylti1p3_private_names() -> set[str]:
    """Every private attribute and method pylti1p3 defines (``self._x = …``, ``def _x``)."""
    import pylti1p3

    names: set[str] = set()
    for path in Path(pylti1p3.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                name = node.name
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                name = node.attr if node.value.id in {"self", "cls"} else ""
            else:
                continue
            if name.startswith("_") and not name.startswith("__"):
                names.add(name)
    return names


def test_nothing_touches_pylti1p3_private_attributes() -> None:
    """pylti1p3 is pinned; its private attributes may change in any release. Our code uses its
    public API only, so no attribute of ours may even share a name with one of its private
    ones (``self._registration`` in a subclass would be the same attribute)."""
    private = _pylti1p3_private_names()
    assert {"_jwt", "_registration", "_validated"} <= private  # the scan finds them
    offenders = sorted(
        f"{path.relative_to(PACKAGE)}:{node.lineno} .{node.attr}"
        for path in PACKAGE.rglob("*.py")
        if "pylti1p3" in path.read_text()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and node.attr in private
    )
    assert offenders == []
