"""Names and Role Provisioning Services 2.0 client: a course's roster from the platform.

https://www.imsglobal.org/spec/lti-nrps/v2p0 — §2.2 the membership container
(``application/vnd.ims.lti-nrps.v2.membershipcontainer+json``), §2.4 ``limit`` and paging by
an RFC 8288 ``Link: <…>; rel="next"`` header. The access token (scope
``contextmembership.readonly``) comes from the shared token cache through the AGS adapter's
:class:`~lti_tool.grades.ags.PlatformConnector`, which also applies timeouts.

Next-page URLs are followed exactly as the platform wrote them. pylti1p3 2.0.0 lowercases
the whole Link header before reading it, which turns Moodle's
``…/services.php/CourseSection/2/bindings/1/memberships?…`` into a 404 and garbles Canvas's
signed page tokens; ``payloads.next_page_url`` keeps the URL's case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from sqlalchemy.orm import Session, sessionmaker

from lti_tool import protocol
from lti_tool.grades import payloads
from lti_tool.grades.ags import AgsError, PlatformConnector
from lti_tool.grades.tokens import TokenCache
from lti_tool.launch.tool_conf import DatabaseToolConf
from lti_tool.models import Registration

# Members asked for per page. Canvas caps a page at 50 members whatever is asked; real
# Moodle sends everyone in one page unless a limit is given.
PAGE_SIZE = 50
# Pages followed before giving up: a bound against a platform that links pages forever.
MAX_PAGES = 200


class RosterUnavailable(Exception):
    """The roster could not be read; ``reason`` says why in words an instructor can act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Member:
    """One NRPS member (§2.2). ``user_id`` is the person's LTI ``sub`` on this platform."""

    user_id: str
    roles: tuple[str, ...]
    status: str
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""

    @property
    def role(self) -> str:
        """learner, instructor or administrator, read as the launch reads roles."""
        return protocol.classify_roles(self.roles)

    @property
    def display_name(self) -> str:
        full = " ".join(part for part in (self.given_name, self.family_name) if part)
        return self.name or full

    @property
    def is_active(self) -> bool:
        return self.status == protocol.MEMBER_STATUS_ACTIVE


@dataclass(frozen=True)
class Roster:
    members: tuple[Member, ...]
    pages: int

    @property
    def learners(self) -> tuple[Member, ...]:
        return tuple(
            member
            for member in self.members
            if member.role == protocol.LEARNER and member.status != protocol.MEMBER_STATUS_DELETED
        )


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def parse_member(raw: Any) -> Member | None:
    """A member of the container, or None for an entry without a user id."""
    if not isinstance(raw, dict) or not _text(raw.get("user_id")):
        return None
    roles = raw.get("roles")
    return Member(
        user_id=_text(raw["user_id"]),
        roles=tuple(role for role in roles if isinstance(role, str))
        if isinstance(roles, list)
        else (),
        status=_text(raw.get("status")) or protocol.MEMBER_STATUS_ACTIVE,
        name=_text(raw.get("name")),
        given_name=_text(raw.get("given_name")),
        family_name=_text(raw.get("family_name")),
        email=_text(raw.get("email")),
    )


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class NrpsClient:
    def __init__(self, connector: PlatformConnector, *, max_pages: int = MAX_PAGES) -> None:
        self.connector = connector
        self.max_pages = max_pages

    def roster(self, memberships_url: str, *, page_size: int | None = PAGE_SIZE) -> Roster:
        """Every member, page after page. Raises :class:`RosterUnavailable`."""
        url: str | None = memberships_url
        if page_size:
            url = payloads.with_query(memberships_url, {"limit": str(page_size)})
        members: dict[str, Member] = {}
        seen: set[str] = set()
        pages = 0
        while url:
            if pages >= self.max_pages:
                raise RosterUnavailable(
                    f"the LMS roster has more than {self.max_pages} pages; it was not read in full"
                )
            if url in seen:
                raise RosterUnavailable("the LMS linked a roster page to itself")
            if _origin(url) != _origin(memberships_url):
                # The bearer token goes only to the host the signed launch named.
                raise RosterUnavailable(
                    f"the LMS linked the next roster page to another host ({url})"
                )
            seen.add(url)
            body, url = self._page(url)
            pages += 1
            for raw in body.get("members") or []:
                member = parse_member(raw)
                if member is not None:
                    # A member moved between pages while paging appears once, latest wins.
                    members[member.user_id] = member
        return Roster(members=tuple(members.values()), pages=pages)

    def _page(self, url: str) -> tuple[dict[str, Any], str | None]:
        try:
            answer = self.connector.make_service_request(
                [protocol.SCOPE_NRPS], url, accept=protocol.MEDIA_MEMBERSHIP_CONTAINER
            )
        except AgsError as error:
            raise RosterUnavailable(f"the LMS did not give the roster: {error.reason}") from error
        body = answer["body"]
        if not isinstance(body, dict) or not isinstance(body.get("members", []), list):
            raise RosterUnavailable("the LMS answered something other than a membership container")
        return body, answer["next_page_url"]


def nrps_client(
    registration: Registration,
    *,
    tool_conf: DatabaseToolConf,
    session_factory: sessionmaker[Session],
    http: requests.Session,
    timeout_seconds: float,
) -> NrpsClient:
    """The client for one registration, signing with the tool's current key."""
    connector = PlatformConnector(
        tool_conf.to_lti_registration(registration),
        product_family=registration.product_family,
        http=http,
        tokens=TokenCache(session_factory),
        timeout_seconds=timeout_seconds,
    )
    return NrpsClient(connector)
