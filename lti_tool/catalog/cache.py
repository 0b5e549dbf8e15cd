"""``ActivityVersion`` row → domain ``Activity``, built once per content hash per process.

Building an ``Activity`` parses YAML, validates it and renders every section's Markdown,
which is too slow to repeat on every page view. A version's files never change (a changed
folder is a new version with a new hash), so the content hash is a complete cache key.
Web servers run views in threads, hence the lock; the build itself runs outside the lock so
one slow build does not hold up pages of other activities.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict

from sqlalchemy import inspect

from lti_tool.course import Activity, activity_from_files
from lti_tool.course.activity import SignOff
from lti_tool.models import ActivityVersion

# A deployment carries a handful of activities, each with a few versions in use at a time.
CACHE_SIZE = 64


class StoredVersionCorrupt(RuntimeError):
    """The files stored for a version no longer hash to the version's content hash."""


class ActivityCache:
    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._activities: OrderedDict[str, Activity] = OrderedDict()

    def get(self, version: ActivityVersion) -> Activity:
        key = version.content_hash
        with self._lock:
            found = self._activities.get(key)
            if found is not None:
                self._activities.move_to_end(key)
                return found
        built = _build(version)
        with self._lock:
            # Another thread may have built the same version meanwhile; keep the first so
            # every caller shares one object.
            kept = self._activities.setdefault(key, built)
            self._activities.move_to_end(key)
            while len(self._activities) > self._size:
                self._activities.popitem(last=False)
            return kept

    def clear(self) -> None:
        with self._lock:
            self._activities.clear()

    def __contains__(self, content_hash: object) -> bool:
        with self._lock:
            return content_hash in self._activities


def _build(version: ActivityVersion) -> Activity:
    files = {path: text.encode("utf-8") for path, text in version.files.items()}
    activity = activity_from_files(files)
    if activity.content_hash != version.content_hash:
        raise StoredVersionCorrupt(
            f"activity version #{version.id} ({version.slug}) hashes to "
            f"{activity.content_hash}, not {version.content_hash}"
        )
    return activity


_cache = ActivityCache()


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
    activity = _cache.get(version)
    state = inspect(version)
    # A row detached before its sign-off was ever loaded (e.g. just stored by a load) counts
    # as unsigned: the safe side is the demonstration notice.
    sign_off = None if "sign_off" in state.unloaded and state.session is None else version.sign_off
    if sign_off is None:
        return activity
    return dataclasses.replace(
        activity, sign_off=SignOff(reviewer=sign_off.reviewer, signed_on=sign_off.signed_on)
    )
