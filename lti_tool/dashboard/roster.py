"""Reading the course roster for a launch, with every failure turned into a reason.

The memberships URL is the one the platform signed into the launch (NRPS 2.0 §3.6.1
``context_memberships_url``), or the one last recorded for the resource link; either only
on the registration's own origins (the launch recorded a warning otherwise).
"""

from __future__ import annotations

from lti_tool import protocol
from lti_tool.dashboard.service import RosterResult
from lti_tool.extensions import ToolServices
from lti_tool.grades.nrps import PAGE_SIZE, RosterUnavailable, nrps_client
from lti_tool.launch.context import LaunchContext
from lti_tool.outbound import is_service_url, service_origins

# Members per roster page asked of the platform; read at each call.
ROSTER_PAGE_SIZE = PAGE_SIZE

NO_SERVICE = (
    "The LMS did not offer its course roster to this tool (Names and Role Provisioning "
    "Services is not enabled for it). Ask your LMS administrator to allow it."
)


def memberships_url(launch: LaunchContext) -> str | None:
    claim = launch.claims.get(protocol.CLAIM_NRPS)
    if isinstance(claim, dict) and isinstance(claim.get("context_memberships_url"), str):
        url: str = claim["context_memberships_url"]
        registration = launch.registration
        origins = service_origins(
            registration.issuer, registration.auth_token_url, registration.key_set_url
        )
        if is_service_url(url, origins):
            return url
    link = launch.resource_link
    return link.nrps_url if link is not None else None


def read_roster(launch: LaunchContext, services: ToolServices) -> RosterResult:
    url = memberships_url(launch)
    if not url:
        return RosterResult(error=NO_SERVICE)
    client = nrps_client(
        launch.registration,
        tool_conf=services.tool_conf,
        session_factory=services.session_factory,
        http=services.http,
        timeout_seconds=services.settings.http_timeout_seconds,
    )
    try:
        return RosterResult(roster=client.roster(url, page_size=ROSTER_PAGE_SIZE))
    except RosterUnavailable as unavailable:
        return RosterResult(error=unavailable.reason)
