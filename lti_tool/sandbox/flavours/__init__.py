"""The two LMSs the sandbox imitates, Canvas and Moodle: everything that differs between them.

Each flavour is a separate LTI 1.3 platform mounted under ``/canvas`` or ``/moodle``. URL
shapes, identifiers, roles and claims follow what the real products send (one module per LMS).
"""

from __future__ import annotations

from lti_tool.sandbox.flavours.base import Flavour, insert_path_segment
from lti_tool.sandbox.flavours.canvas import CanvasFlavour
from lti_tool.sandbox.flavours.moodle import MoodleFlavour

__all__ = [
    "FLAVOURS",
    "CanvasFlavour",
    "Flavour",
    "MoodleFlavour",
    "flavour_named",
    "insert_path_segment",
]

FLAVOURS: dict[str, Flavour] = {"canvas": CanvasFlavour(), "moodle": MoodleFlavour()}


def flavour_named(name: str) -> Flavour:
    try:
        return FLAVOURS[name]
    except KeyError:
        raise ValueError(f"unknown flavour {name!r}; choose one of {sorted(FLAVOURS)}") from None
