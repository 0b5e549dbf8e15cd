"""Why a launch was refused, as types. One error handler maps them to pages.

Each error carries the HTTP status, a sentence for the person in the iframe, and
what an LMS administrator should check. Messages never echo token contents.
"""

from __future__ import annotations


class LaunchError(Exception):
    status = 400
    code = "launch_error"
    title = "This launch could not be completed"
    admin_hint = "Check the tool's registration in the LMS and try the launch again."

    def __init__(self, detail: str = "", *, retry: str | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        # A URL that starts the launch again where it can work (e.g. in a new window).
        self.retry = retry


class MalformedRequest(LaunchError):
    code = "malformed_request"
    title = "The LMS sent an incomplete launch request"
    admin_hint = "The login or launch request is missing a required parameter."


class LoginParameterTooLong(MalformedRequest):
    code = "login_parameter_too_long"
    title = "The LMS sent a login request that is too large"
    admin_hint = (
        "A login parameter (login_hint, lti_message_hint, target_link_uri, ...) is longer "
        "than the tool accepts. Real LMS values are far shorter; check the LMS's tool link."
    )


class UnknownRegistration(LaunchError):
    status = 403
    code = "unknown_registration"
    title = "This LMS is not registered with the tool"
    admin_hint = (
        "No active registration matches the issuer and client ID sent by the LMS. "
        "Register the platform (Dynamic Registration, Canvas JSON or `lti-tool platforms add`)."
    )


class RegistrationPending(UnknownRegistration):
    code = "registration_pending"
    title = "This LMS is waiting for the tool operator's approval"
    admin_hint = (
        "Your LMS registered the tool, and the tool's operator has not approved that "
        "registration yet. There is nothing to do in the LMS (do not register again): ask the "
        "tool's operator to approve it in the tool's console (Platforms) or with "
        "`lti-tool platforms approve`. Launches work as soon as it is approved."
    )


class RegistrationRejected(UnknownRegistration):
    code = "registration_rejected"
    title = "The tool's operator declined this LMS's registration"
    admin_hint = (
        "The tool's operator rejected this registration. Contact the operator; if they agree, "
        "they can approve it in the tool's console, or ask you to register again."
    )


class RegistrationDisabled(UnknownRegistration):
    code = "registration_disabled"
    title = "The tool's operator has turned off launches from this LMS"
    admin_hint = (
        "This LMS is registered but disabled in the tool; its records are kept. Ask the "
        "tool's operator to enable it again."
    )


class UnknownDeployment(LaunchError):
    status = 403
    code = "unknown_deployment"
    title = "This deployment of the tool is not registered"
    admin_hint = (
        "The LMS sent a deployment ID the tool does not know. Add it with "
        "`lti-tool platforms add … --deployment-id …` or approve it in the admin console."
    )


class DeploymentPending(UnknownDeployment):
    code = "deployment_pending"
    title = "This deployment is waiting for approval"
    admin_hint = "Approve the pending deployment in the tool's admin console."


class DeploymentMismatch(LaunchError):
    status = 403
    code = "deployment_mismatch"
    title = "The launch does not match its login"
    admin_hint = "The deployment ID in the id_token differs from the one sent at login."


class InvalidSignature(LaunchError):
    status = 401
    code = "invalid_signature"
    title = "The launch could not be verified"
    admin_hint = (
        "The id_token's signature does not verify against the platform's public keys. "
        "Check the platform key set URL registered for this LMS."
    )


class UnknownSigningKey(InvalidSignature):
    code = "unknown_key"
    admin_hint = (
        "The id_token names a key (kid) that the platform's key set does not publish. "
        "Check the platform key set URL registered for this LMS."
    )


class TokenExpired(LaunchError):
    status = 401
    code = "token_expired"
    title = "The launch took too long and expired"
    admin_hint = "The id_token is expired or not yet valid; check both servers' clocks."


class InvalidClaims(LaunchError):
    code = "invalid_claims"
    title = "The LMS sent a launch the tool cannot accept"
    admin_hint = "A required LTI claim is missing or wrong."


class WrongMessageType(InvalidClaims):
    code = "wrong_message_type"
    title = "This kind of LTI message is not supported here"
    admin_hint = "The tool accepts LtiResourceLinkRequest and LtiDeepLinkingRequest launches."


class StateMissing(LaunchError):
    status = 401
    code = "state_missing"
    title = "Your browser lost track of this launch"
    admin_hint = (
        "The launch's state is unknown or its cookie is missing. This happens when a launch "
        "page is reloaded or opened from history. Launch again from the course."
    )


class ReplayedLaunch(LaunchError):
    status = 409
    code = "replayed_launch"
    title = "This launch was already used"
    admin_hint = "The state or nonce of this launch was used before; launch again from the course."


class PlatformUnreachable(LaunchError):
    status = 502
    code = "platform_unreachable"
    title = "The LMS's key server could not be reached"
    admin_hint = "Fetching the platform's key set failed; check its URL and network access."


class LaunchExpired(LaunchError):
    status = 401
    code = "launch_expired"
    title = "Your session has ended"
    admin_hint = "Open the activity again from your course; your answers are saved."


class CsrfFailure(LaunchError):
    status = 400
    code = "csrf"
    title = "This form is out of date"
    admin_hint = "Go back, reload the page and submit again; nothing was saved from this form."


class NotEnrolled(Exception):
    """A launch whose roles are neither learner nor course staff (LTI 1.3 Core §A.2): a
    Canvas observer (Mentor), a guest, no role. Not a LaunchError: the launch itself was
    valid and is recorded; every page under it answers this, and no failure row is kept."""

    status = 403
    title = "This activity is for enrolled learners"
    message = (
        "Your role in this course does not let you take the activity or see learners' "
        "progress (observers, guests and visitors cannot). If you are enrolled to earn "
        "credit, ask your course's instructor or LMS administrator to enrol you as a "
        "student; if you teach the course, ask them to give you an instructor role."
    )
