"""An activity folder as a snapshot of bytes, and the content hash that names its version.

Reading the folder once into ``{relative path: bytes}`` means the hash describes exactly the
bytes that were parsed, and a snapshot stored elsewhere (e.g. in the database) rebuilds the
same version. The hash is sha256 over a canonical, length-prefixed listing of every file, so
renaming a file, moving bytes between files or adding a file all give a new version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from lti_tool.course.errors import ActivityInvalid, ValidationIssue

# Bumped if the canonical listing below ever changes, so old and new hashes cannot collide.
_HASH_FORMAT = b"lti-tool activity snapshot v1\n"


def _is_hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def read_activity_files(path: str | Path) -> dict[str, bytes]:
    """Every regular, non-hidden file under ``path`` as ``{posix relative path: bytes}``.

    Hidden files and folders (``.DS_Store``, ``.git``, editor swap files) are left out so they
    cannot change the version. Raises ``ActivityInvalid`` if ``path`` is not a folder.
    """
    root = Path(path)
    if not root.is_dir():
        raise ActivityInvalid([ValidationIssue(str(root), None, None, "no activity folder here")])
    files: dict[str, bytes] = {}
    unreadable: list[ValidationIssue] = []
    for file in sorted(root.rglob("*")):
        relative = file.relative_to(root)
        if file.is_file() and not _is_hidden(relative):
            try:
                files[relative.as_posix()] = file.read_bytes()
            except OSError as exc:
                unreadable.append(
                    ValidationIssue(relative.as_posix(), None, None, f"cannot read: {exc.strerror}")
                )
    if unreadable:
        raise ActivityInvalid(unreadable)
    return files


def content_hash(files: Mapping[str, bytes]) -> str:
    """sha256 over a canonical listing: sorted paths, each with its length-prefixed bytes."""
    digest = hashlib.sha256(_HASH_FORMAT)
    for name in sorted(files):
        encoded = name.encode("utf-8")
        body = files[name]
        digest.update(b"%d:%s\n%d:" % (len(encoded), encoded, len(body)))
        digest.update(body)
        digest.update(b"\n")
    return digest.hexdigest()
