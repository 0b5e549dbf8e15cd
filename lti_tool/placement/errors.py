"""Why a placement cannot go ahead, as types; ``views`` maps them to pages."""

from __future__ import annotations


class PlacementError(Exception):
    status = 400
    title = "This activity picker cannot be used"
    message = "Open the activity picker again from your course."

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.title)
        self.detail = detail


class InstructorsOnly(PlacementError):
    status = 403
    title = "Only instructors can add activities"
    message = (
        "Adding CME activities to a course is for its instructors and administrators. "
        "If you teach this course, ask your LMS administrator to check your role."
    )


class NotADeepLinkingLaunch(PlacementError):
    title = "This launch cannot add activities"
    message = (
        'The activity picker opens from the LMS\'s "add external tool" or content selection '
        "page. Start there to add an activity to your course."
    )


class LinksNotAccepted(PlacementError):
    title = "This LMS page does not accept activity links"
    message = (
        "The LMS opened the picker from a place that does not accept LTI resource links. "
        "Add the activity from the course's assignment or activity page instead."
    )


class ChoiceError(PlacementError):
    """The instructor's choice cannot be placed; the picker is shown again with the reason."""

    status = 422


class NothingChosen(ChoiceError):
    message = "Choose an activity to add."


class OneActivityOnly(ChoiceError):
    message = "This LMS page accepts one activity at a time; choose just one."


class ActivityNotOffered(ChoiceError):
    message = (
        "An activity you chose is no longer offered (it expired or was withdrawn). "
        "Choose from the list as it is now."
    )
