"""The activity catalog: activity folders loaded into versioned database rows.

An activity folder (docs/activity-format.md) is stored whole in an ``ActivityVersion`` row,
so a learner's participation and attempts keep the exact version they were taken on after
the folder changes on disk. ``activity_for_version`` turns a row back into the domain's
``Activity``; ``open_catalog`` lists what an instructor may place in a course today.
"""

from lti_tool.catalog.cache import activity_for_version
from lti_tool.catalog.service import (
    ActivitiesRefused,
    CatalogEntry,
    Change,
    LoadedVersion,
    activity_folders,
    current_version,
    load_activities,
    load_folders,
    open_catalog,
    reopen_version,
    retire_version,
    validate_folder,
    who_ran,
)

__all__ = [
    "ActivitiesRefused",
    "CatalogEntry",
    "Change",
    "LoadedVersion",
    "activity_folders",
    "activity_for_version",
    "current_version",
    "load_activities",
    "load_folders",
    "open_catalog",
    "reopen_version",
    "retire_version",
    "validate_folder",
    "who_ran",
]
