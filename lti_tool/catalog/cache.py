"""``ActivityVersion`` row → domain ``Activity``, built once per content hash per process.

Building an ``Activity`` parses YAML, validates it and renders every section's Markdown,
which is too slow to repeat on every page view. A version's files never change (a changed
folder is a new version with a new hash), so the content hash is a complete cache key
(``lti_tool.caching``: bounded, thread-safe, built outside its lock).
"""

from __future__ import annotations

import dataclasses

from sqlalchemy import inspect

from lti_tool.caching import BoundedCache
from lti_tool.course import Activity, activity_from_files
from lti_tool.course.activity import SignOff
from lti_tool.models import ActivityVersion

# A deployment carries a handful of activities, each with a few versions in use at a time.
CACHE_SIZE = 64


class StoredVersionCorrupt(RuntimeError):
    """The files stored for a version no longer hash to the version's content hash."""


def _build(version: ActivityVersion) -> Activity:
    files = {path: text.encode("utf-8") for path, text in version.files.items()}
    activity = activity_from_files(files)
    if activity.content_hash != version.content_hash:
        raise StoredVersionCorrupt(
            f"activity version #{version.id} ({version.slug}) hashes to "
            f"{activity.content_hash}, not {version.content_hash}"
        )
    return activity


_cache: BoundedCache[str, Activity] = BoundedCache(CACHE_SIZE)


def is_built(content_hash: str) -> bool:
    """Whether this process already holds the activity with this content hash."""
    return content_hash in _cache


def forget_built() -> None:
    """Drop every built activity (the next page of each rebuilds it)."""
    _cache.clear()


def activity_for_version(version: ActivityVersion) -> Activity:
    """The domain ``Activity`` stored in ``version`` (shared, immutable, cached), with the
    version's sign-off when a reviewer has approved it (read each time: it can be added
    after the version was cached)."""
    activity = _cache.get(version.content_hash, lambda: _build(version))
    state = inspect(version)
    # A row detached before its sign-off was ever loaded (e.g. just stored by a load) counts
    # as unsigned: the safe side is the demonstration notice.
    sign_off = None if "sign_off" in state.unloaded and state.session is None else version.sign_off
    if sign_off is None:
        return activity
    return dataclasses.replace(
        activity, sign_off=SignOff(reviewer=sign_off.reviewer, signed_on=sign_off.signed_on)
    )
