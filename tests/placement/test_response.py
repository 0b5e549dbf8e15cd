"""The LtiDeepLinkingResponse JWT as built for a registration (real keys, no HTTP)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import jwt
import pytest
from sqlalchemy.orm import sessionmaker

from lti_tool import protocol
from lti_tool.catalog import CatalogEntry
from lti_tool.course.schema import CreditDesignation
from lti_tool.keys import KeyStore
from lti_tool.launch.tool_conf import DatabaseToolConf
from lti_tool.models import Registration
from lti_tool.placement.choice import DeepLinkSettings
from lti_tool.placement.response import signed_response

ISSUER = "https://lms.example.edu"
CLIENT_ID = "client-17"
LAUNCH_URL = "https://tool.example.org/lti/launch"


@pytest.fixture(scope="module")
def key_store(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    store = KeyStore(Path(tmp_path_factory.mktemp("keys")), propagation_seconds=600)
    store.ensure_key()
    return store


@pytest.fixture(scope="module")
def registration(key_store: KeyStore) -> Any:
    row = Registration(
        issuer=ISSUER,
        client_id=CLIENT_ID,
        auth_login_url=ISSUER + "/auth",
        auth_token_url=ISSUER + "/token",
        key_set_url=ISSUER + "/jwks",
    )
    return DatabaseToolConf(sessionmaker(), key_store).to_lti_registration(row)


def entry(slug: str, title: str) -> CatalogEntry:
    credits = (
        CreditDesignation(
            profession="physician",
            credit_type="AMA PRA Category 1 Credit™",
            max_credits=Decimal("1.25"),
            designation_statement="Designated for a maximum of 1.25 credits.",
        ),
    )
    return CatalogEntry(slug, title, 1, "0" * 64, credits, date(2026, 1, 1), date(2027, 12, 31))


def settings(**overrides: Any) -> DeepLinkSettings:
    values: dict[str, Any] = {
        "deep_link_return_url": ISSUER + "/return",
        "accept_types": ["ltiResourceLink"],
        "data": "csrf-like-opaque",
    }
    values.update(overrides)
    return DeepLinkSettings.from_claims({protocol.CLAIM_DL_SETTINGS: values})


def decoded(key_store: KeyStore, token: str) -> dict[str, Any]:
    public = key_store.signing_key().private_key.public_key()
    claims: dict[str, Any] = jwt.decode(
        token, public, algorithms=["RS256"], audience=ISSUER, issuer=CLIENT_ID
    )
    return claims


def test_the_response_carries_every_claim_a_platform_checks(
    key_store: KeyStore, registration: Any
) -> None:
    token = signed_response(
        registration, "deploy-1", settings(), [entry("cervical-dystonia", "CD")], LAUNCH_URL
    )
    assert jwt.get_unverified_header(token)["kid"] == key_store.signing_key().kid
    claims = decoded(key_store, token)
    assert claims["aud"] == [ISSUER]
    assert claims["nonce"]
    assert 0 < claims["exp"] - claims["iat"] <= 600
    assert claims[protocol.CLAIM_DEPLOYMENT_ID] == "deploy-1"
    assert claims[protocol.CLAIM_MESSAGE_TYPE] == "LtiDeepLinkingResponse"
    assert claims[protocol.CLAIM_VERSION] == "1.3.0"
    assert claims[protocol.CLAIM_DL_DATA] == "csrf-like-opaque"
    assert claims[protocol.CLAIM_DL_MSG] == "Added 1 CME activity."
    assert claims[protocol.CLAIM_DL_CONTENT_ITEMS] == [
        {
            "type": "ltiResourceLink",
            "title": "CD",
            "text": "CME activity: up to 1.25 AMA PRA Category 1 Credit™. Open until 2027-12-31.",
            "url": LAUNCH_URL,
            "custom": {"activity": "cervical-dystonia"},
            "lineItem": {
                "scoreMaximum": 100,
                "label": "CD",
                "resourceId": "cervical-dystonia",
                "tag": "cme-posttest",
            },
        }
    ]


def test_two_responses_never_share_a_nonce(registration: Any) -> None:
    first, second = (
        jwt.decode(
            signed_response(registration, "d", settings(), [entry("a", "A")], LAUNCH_URL),
            options={"verify_signature": False},
        )["nonce"]
        for _ in range(2)
    )
    assert first != second


def test_a_request_without_data_gets_a_response_without_data(
    key_store: KeyStore, registration: Any
) -> None:
    token = signed_response(registration, "d", settings(data=None), [entry("a", "A")], LAUNCH_URL)
    assert protocol.CLAIM_DL_DATA not in decoded(key_store, token)


def test_no_line_item_is_sent_to_a_platform_that_ignores_them(
    key_store: KeyStore, registration: Any
) -> None:
    token = signed_response(
        registration, "d", settings(accept_lineitem=False), [entry("a", "A")], LAUNCH_URL
    )
    [item] = decoded(key_store, token)[protocol.CLAIM_DL_CONTENT_ITEMS]
    assert "lineItem" not in item
    assert item["custom"] == {"activity": "a"}
