"""What the platform asked for and what the instructor chose: plain values, no I/O.

Deep Linking 2.0 §4.4.1 ``deep_linking_settings``: ``accept_types``, ``accept_multiple``,
``accept_lineitem`` and the opaque ``data`` the response must echo
(https://www.imsglobal.org/spec/lti-dl/v2p0#deep-linking-settings).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from lti_tool import protocol
from lti_tool.catalog import CatalogEntry
from lti_tool.placement.errors import (
    ActivityNotOffered,
    LinksNotAccepted,
    NotADeepLinkingLaunch,
    NothingChosen,
    OneActivityOnly,
)


def _flag(value: Any) -> bool | None:
    """A settings flag; some platforms send the strings "true"/"false" (pylti1p3 allows both)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


@dataclass(frozen=True)
class DeepLinkSettings:
    return_url: str
    accept_types: tuple[str, ...]
    accept_multiple: bool
    # None: the platform did not say, and the spec says to assume nothing (send the line item).
    accept_lineitem: bool | None
    data: Any
    title: str

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> DeepLinkSettings:
        settings = claims.get(protocol.CLAIM_DL_SETTINGS)
        if not isinstance(settings, dict):
            raise NotADeepLinkingLaunch("the launch has no deep_linking_settings claim")
        return_url = settings.get("deep_link_return_url")
        if not isinstance(return_url, str) or urlsplit(return_url).scheme not in ("http", "https"):
            # The form posts there; anything but http(s) (javascript:, data:) is refused.
            raise NotADeepLinkingLaunch("deep_link_return_url is not an http(s) URL")
        accept_types = settings.get("accept_types") or []
        return cls(
            return_url=return_url,
            accept_types=tuple(t for t in accept_types if isinstance(t, str)),
            # Absent means one item: a second item could make the platform refuse all of them.
            accept_multiple=_flag(settings.get("accept_multiple")) is True,
            accept_lineitem=_flag(settings.get("accept_lineitem")),
            data=settings.get("data"),
            title=str(settings.get("title") or ""),
        )

    def require_resource_links(self) -> None:
        if protocol.CONTENT_ITEM_RESOURCE_LINK not in self.accept_types:
            raise LinksNotAccepted(f"accept_types is {list(self.accept_types)}")

    @property
    def sends_line_items(self) -> bool:
        return self.accept_lineitem is not False


def choose(
    catalog: Sequence[CatalogEntry], slugs: Sequence[str], *, accept_multiple: bool
) -> list[CatalogEntry]:
    """The catalog entries named by ``slugs`` (form order, duplicates dropped).

    The catalog is read again at submit time, so an activity that expired while the
    picker was open is refused rather than placed.
    """
    wanted = list(dict.fromkeys(slug for slug in slugs if slug))
    if not wanted:
        raise NothingChosen()
    if len(wanted) > 1 and not accept_multiple:
        raise OneActivityOnly(f"{len(wanted)} activities chosen")
    offered = {entry.slug: entry for entry in catalog}
    missing = [slug for slug in wanted if slug not in offered]
    if missing:
        raise ActivityNotOffered(f"not in the open catalog: {missing}")
    return [offered[slug] for slug in wanted]
