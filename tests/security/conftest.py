"""Fixtures for the attack scenarios (console fixtures come from tests/registration)."""

from tests.registration.fixtures import (  # noqa: F401  (fixtures)
    console_services,
    console_tool,
    from_address,
    operator,
)
