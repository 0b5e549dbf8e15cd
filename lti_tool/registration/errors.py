"""Why a Dynamic Registration stopped, as types; the registration pages render them.

Each error carries a status, a title and a plain sentence for the LMS administrator who
is looking at the tool's page inside their LMS. Every one is raised before anything is
stored, or rolls the request back, so no half-registered platform is left behind.
"""

from __future__ import annotations


class RegistrationError(Exception):
    status = 400
    title = "The registration could not be completed"
    # What the LMS administrator can do about it.
    advice = "Start the registration again from your LMS. Nothing was registered."

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MissingRegistrationParameters(RegistrationError):
    title = "Open this page from your LMS"
    advice = (
        "This address is the tool's Dynamic Registration URL. Paste it into your LMS where it "
        "asks for a tool registration URL; the LMS opens it with the details it needs."
    )


class ConfigurationUnreachable(RegistrationError):
    status = 502
    title = "The tool could not reach your LMS"
    advice = (
        "Check that the LMS is reachable from the internet at the address it gave, then start "
        "the registration again. Nothing was registered."
    )


class ConfigurationRedirected(ConfigurationUnreachable):
    title = "Your LMS's configuration address leads to another site"
    advice = (
        "The tool fetches an LMS's configuration only from the site it was given, because a "
        "configuration served by another site could claim to be your LMS. Start the "
        "registration from your LMS's own tool registration screen, which passes the LMS's "
        "configuration address. Nothing was registered."
    )


class ConfigurationInvalid(RegistrationError):
    status = 502
    title = "Your LMS's configuration is not usable for LTI 1.3"


class IssuerMismatch(RegistrationError):
    title = "Your LMS's configuration does not match its address"
    advice = (
        "An LMS must publish its OpenID configuration on its own address. Check the LMS's "
        "configured web address (for Moodle, $CFG->wwwroot) and start again. Nothing was "
        "registered."
    )


class RegistrationTokenRefused(RegistrationError):
    status = 401
    title = "Your LMS refused the registration token"
    advice = (
        "Registration tokens can be used once and expire after a while. Start the "
        "registration again from the LMS to get a new one. Nothing was registered."
    )


class RegistrationRefused(RegistrationError):
    status = 502
    title = "Your LMS refused the tool's registration"


class DuplicateRegistration(RegistrationError):
    # Only when two registrations of one new client ID race; a re-registration of a known
    # client ID updates it (``dynamic.update_registration``).
    status = 409
    title = "This LMS is already registered"
    advice = (
        "Another registration of the same client ID finished first; the tool kept it. "
        "Nothing else was changed."
    )


class StaleRegistrationForm(RegistrationError):
    title = "This registration page is out of date"


class InvitationInvalid(RegistrationError):
    status = 403
    title = "This invitation link cannot be used"
    advice = (
        "Invitation links from the tool's operator work once and expire. Ask the operator "
        "for a new one, then start the registration again with it. Nothing was registered."
    )
