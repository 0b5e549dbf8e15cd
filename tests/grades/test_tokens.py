"""Access tokens are cached in the database and shared by every dispatcher until they expire."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from lti_tool import protocol
from lti_tool.db import transaction, utcnow
from lti_tool.grades.tokens import TokenCache, TokenKey, usable_until
from lti_tool.grades.worker import drain
from lti_tool.models.grades import PlatformAccessToken

from .support import Lms, unique


def test_one_token_serves_several_dispatcher_instances(lms: Lms) -> None:
    first, second = lms.learner("canvas", "learner01"), lms.learner("canvas", "learner02")
    lms.submit_posttest(first, correct=7)
    drain(lms.dispatcher(), timeout=10)
    lms.submit_posttest(second, correct=8)
    another = lms.dispatcher()  # a new object, as in another worker process
    drain(another, timeout=10)

    assert len(lms.scores("canvas")) == 2
    assert len(lms.calls("/oauth2/token")) == 1


def test_an_expired_token_is_fetched_again(lms: Lms) -> None:
    learner = lms.learner("moodle", "learner03")
    lms.submit_posttest(learner, correct=7)
    drain(lms.dispatcher(), timeout=10)
    with transaction(lms.services.session_factory) as session:
        session.execute(
            update(PlatformAccessToken)
            .where(
                PlatformAccessToken.client_id
                == lms.driver("moodle").platform_registration()["client_id"]
            )
            .values(expires_at=utcnow() - dt.timedelta(seconds=1))
        )
    lms.submit_posttest(learner, correct=9)
    drain(lms.dispatcher(), timeout=10)

    assert [s["score_given"] for s in lms.scores("moodle", "learner03")] == ["70", "90"]
    assert len(lms.calls("/token.php")) == 2


def test_tokens_are_kept_per_issuer_client_token_url_and_scope_set(tool_services: object) -> None:
    cache = TokenCache(tool_services.session_factory)  # type: ignore[attr-defined]
    issuer = f"https://{unique()}.example"
    score_only = TokenKey.of(issuer, "client-1", f"{issuer}/token", [protocol.SCOPE_SCORE])
    both = TokenKey.of(
        issuer, "client-1", f"{issuer}/token", [protocol.SCOPE_SCORE, protocol.SCOPE_LINEITEM]
    )
    both_reordered = TokenKey.of(
        issuer, "client-1", f"{issuer}/token", [protocol.SCOPE_LINEITEM, protocol.SCOPE_SCORE]
    )
    other_client = TokenKey.of(issuer, "client-2", f"{issuer}/token", [protocol.SCOPE_SCORE])

    cache.put(score_only, "token-a", 3600)
    cache.put(both, "token-b", 3600)
    assert cache.get(score_only) == "token-a"
    assert cache.get(both_reordered) == "token-b"
    assert cache.get(other_client) is None

    cache.put(score_only, "token-c", 3600)  # a second fetch replaces the first
    assert cache.get(score_only) == "token-c"
    cache.forget(score_only, "token-a")  # a stale refusal does not drop the newer token
    assert cache.get(score_only) == "token-c"
    cache.forget(score_only, "token-c")
    assert cache.get(score_only) is None


def test_a_token_is_not_handed_out_in_its_last_minute() -> None:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert usable_until(now, 3600) == now + dt.timedelta(seconds=3540)
    assert usable_until(now, 60) == now + dt.timedelta(seconds=30)
    assert usable_until(now, None) == now + dt.timedelta(seconds=3540)
