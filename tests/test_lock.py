"""requirements.lock pins every dependency of pyproject.toml, each file by its hash, at a
version pyproject allows: installs are reproducible and never drift from what is declared."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def _locked() -> dict[str, tuple[str, int]]:
    """Name -> (pinned version, number of hashes)."""
    text = (ROOT / "requirements.lock").read_text()
    found = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = re.match(r"([A-Za-z0-9._-]+)==([^ \\\n]+)", block)
        if match:
            found[canonicalize_name(match.group(1))] = (
                match.group(2),
                block.count("--hash=sha256:"),
            )
    return found


def test_every_declared_dependency_is_locked_by_hash_at_an_allowed_version() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = [Requirement(text) for text in project["dependencies"]]
    declared += [Requirement(text) for text in project["optional-dependencies"]["dev"]]
    locked = _locked()

    problems = []
    for requirement in declared:
        name = canonicalize_name(requirement.name)
        if name not in locked:
            problems.append(f"{name}: not in requirements.lock")
            continue
        version, hashes = locked[name]
        if not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{name}=={version} is outside {requirement.specifier}")
        if hashes == 0:
            problems.append(f"{name}: no hash")
    assert problems == []
    assert all(hashes > 0 for _, hashes in locked.values())  # transitive ones too
    assert len(locked) > len(declared)  # the transitive dependencies are pinned as well
