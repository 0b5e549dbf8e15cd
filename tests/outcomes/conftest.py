"""Fixtures for the outcomes tests: the console's (tests/registration/fixtures.py)."""

from tests.registration.fixtures import (  # noqa: F401  (fixtures)
    console_services,
    console_tool,
    from_address,
    operator,
    signed_in,
)
