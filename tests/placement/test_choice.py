"""The deep linking settings the platform sent, and the instructor's choice (no HTTP)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from lti_tool import protocol
from lti_tool.catalog import CatalogEntry
from lti_tool.course.schema import CreditDesignation
from lti_tool.placement.choice import DeepLinkSettings, choose
from lti_tool.placement.errors import (
    ActivityNotOffered,
    LinksNotAccepted,
    NotADeepLinkingLaunch,
    NothingChosen,
    OneActivityOnly,
)


def settings_claims(**settings: Any) -> dict[str, Any]:
    base = {
        "deep_link_return_url": "https://lms.example/deep_linking_response",
        "accept_types": ["ltiResourceLink"],
        "data": "opaque-123",
    }
    base.update(settings)
    return {protocol.CLAIM_DL_SETTINGS: base}


def entry(slug: str) -> CatalogEntry:
    designation = CreditDesignation(
        profession="physician",
        credit_type="AMA PRA Category 1 Credit™",
        max_credits=Decimal("1.25"),
        designation_statement="Designated for a maximum of 1.25 credits.",
    )
    return CatalogEntry(
        slug=slug,
        title=f"Activity {slug}",
        version_id=1,
        content_hash="0" * 64,
        credits=(designation,),
        release_date=date(2026, 1, 1),
        expiration_date=date(2027, 12, 31),
    )


CATALOG = [entry("alpha"), entry("beta")]


@pytest.mark.parametrize(
    ("sent", "expected"),
    [(True, True), (False, False), ("true", True), ("false", False), (None, False)],
)
def test_accept_multiple_reads_booleans_and_strings_and_defaults_to_one(
    sent: Any, expected: bool
) -> None:
    claims = settings_claims(accept_multiple=sent) if sent is not None else settings_claims()
    assert DeepLinkSettings.from_claims(claims).accept_multiple is expected


def test_line_items_are_sent_unless_the_platform_says_it_ignores_them() -> None:
    assert DeepLinkSettings.from_claims(settings_claims()).sends_line_items
    assert DeepLinkSettings.from_claims(settings_claims(accept_lineitem=True)).sends_line_items
    assert not DeepLinkSettings.from_claims(settings_claims(accept_lineitem=False)).sends_line_items


def test_data_is_kept_exactly_as_sent() -> None:
    claims = settings_claims(data={"nested": ["value", 1]})
    assert DeepLinkSettings.from_claims(claims).data == {"nested": ["value", 1]}


def test_a_launch_without_deep_linking_settings_is_refused() -> None:
    with pytest.raises(NotADeepLinkingLaunch):
        DeepLinkSettings.from_claims({})


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "", 42])
def test_a_return_url_that_is_not_http_is_refused(url: Any) -> None:
    with pytest.raises(NotADeepLinkingLaunch):
        DeepLinkSettings.from_claims(settings_claims(deep_link_return_url=url))


def test_a_platform_that_does_not_accept_resource_links_is_told_so() -> None:
    settings = DeepLinkSettings.from_claims(settings_claims(accept_types=["link", "file"]))
    with pytest.raises(LinksNotAccepted):
        settings.require_resource_links()


def test_choosing_nothing_is_refused() -> None:
    with pytest.raises(NothingChosen):
        choose(CATALOG, ["", ""], accept_multiple=True)


def test_two_activities_are_refused_when_the_platform_accepts_one() -> None:
    with pytest.raises(OneActivityOnly):
        choose(CATALOG, ["alpha", "beta"], accept_multiple=False)


def test_two_activities_are_placed_in_form_order_when_several_are_accepted() -> None:
    chosen = choose(CATALOG, ["beta", "alpha", "beta"], accept_multiple=True)
    assert [e.slug for e in chosen] == ["beta", "alpha"]


def test_an_activity_not_in_the_open_catalog_is_refused() -> None:
    with pytest.raises(ActivityNotOffered):
        choose(CATALOG, ["expired-one"], accept_multiple=False)
