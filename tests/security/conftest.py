"""Fixtures for the attack scenarios (console and LMS fixtures come from tests/registration)."""

from tests.registration.fixtures import (  # noqa: F401  (fixtures)
    console_services,
    console_tool,
    from_address,
    lms,
    make_lms,
    operator,
    signed_in,
)
from tests.security.attacker import attacker  # noqa: F401  (fixture)
