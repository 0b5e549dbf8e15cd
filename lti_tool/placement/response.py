"""The signed ``LtiDeepLinkingResponse`` (Deep Linking 2.0 §4.5), built with pylti1p3.

https://www.imsglobal.org/spec/lti-dl/v2p0#deep-linking-response-message — pylti1p3's
``DeepLink`` supplies iss = client_id, aud = the platform issuer, a fresh nonce, iat/exp,
the deployment id, message type, version, the content items and the echoed ``data``, and
signs with the registration's parsed key under its JWKS ``kid``. Two things it gets wrong
are put right here: it sends ``"data": null`` when the request had no data (the claim must
then be absent) and it cannot say ``text`` on a content item.

Each activity becomes one ``ltiResourceLink`` (§3.1) whose custom parameter ``activity``
names it (the launch recorder reads it into ``ResourceLink.activity_slug``) and whose
``lineItem`` (§3.1.1) asks the platform for a gradebook column scored out of 100.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pylti1p3.deep_link import DeepLink, TDeepLinkData
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem
from pylti1p3.registration import Registration as LtiRegistration

from lti_tool import protocol
from lti_tool.catalog import CatalogEntry
from lti_tool.grades.payloads import SCORE_MAXIMUM, json_number
from lti_tool.placement.choice import DeepLinkSettings

# The custom parameter that names the activity a placed link delivers.
ACTIVITY_PARAMETER = "activity"
# Same tag as the line items the grade dispatcher creates itself (grades.payloads), so a
# column made by Deep Linking and one made by AGS read alike in the gradebook.
LINE_ITEM_TAG = "cme-posttest"


class _ActivityLink(DeepLinkResource):  # type: ignore[misc]
    """pylti1p3's resource link item, plus the ``text`` property (§3.1) it leaves out."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def to_dict(self) -> dict[str, object]:
        item: dict[str, object] = super().to_dict()
        if self._text:
            item["text"] = self._text
        return item


def credits_text(entry: CatalogEntry) -> str:
    kinds = sorted({(d.max_credits, d.credit_type) for d in entry.credits})
    offered = "; ".join(f"up to {amount} {kind}" for amount, kind in kinds)
    return f"CME activity: {offered}. Open until {entry.expiration_date.isoformat()}."


def content_item(entry: CatalogEntry, launch_url: str, *, with_line_item: bool) -> DeepLinkResource:
    link = (
        _ActivityLink(credits_text(entry))
        .set_title(entry.title)
        .set_url(launch_url)
        .set_custom_params({ACTIVITY_PARAMETER: entry.slug})
    )
    if with_line_item:
        link.set_lineitem(
            LineItem()
            .set_score_maximum(json_number(SCORE_MAXIMUM))
            .set_label(entry.title)
            .set_resource_id(entry.slug)
            .set_tag(LINE_ITEM_TAG)
        )
    return link


def response_claims(
    registration: LtiRegistration,
    deployment_id: str,
    settings: DeepLinkSettings,
    entries: Sequence[CatalogEntry],
    launch_url: str,
) -> tuple[DeepLink, dict[str, Any]]:
    # DeepLink reads only the return URL and data from these settings.
    request_settings: TDeepLinkData = {
        "deep_link_return_url": settings.return_url,
        "accept_types": ["ltiResourceLink"],
        "accept_presentation_document_targets": ["iframe", "window"],
        "data": settings.data,
    }
    deep_link = DeepLink(registration, deployment_id, request_settings)
    items = [
        content_item(entry, launch_url, with_line_item=settings.sends_line_items)
        for entry in entries
    ]
    claims: dict[str, Any] = deep_link.get_message_jwt(items)
    if settings.data is None:
        # §4.5: data is echoed only when the request carried it; never as null.
        claims.pop(protocol.CLAIM_DL_DATA, None)
    count = len(entries)
    claims[protocol.CLAIM_DL_MSG] = (
        f"Added {count} CME {'activity' if count == 1 else 'activities'}."
    )
    return deep_link, claims


def signed_response(
    registration: LtiRegistration,
    deployment_id: str,
    settings: DeepLinkSettings,
    entries: Sequence[CatalogEntry],
    launch_url: str,
) -> str:
    """The response JWT, RS256 with the tool's current signing key and its ``kid``."""
    deep_link, claims = response_claims(registration, deployment_id, settings, entries, launch_url)
    token: str = deep_link.encode_jwt(claims)
    return token
