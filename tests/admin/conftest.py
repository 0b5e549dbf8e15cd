"""Fixtures for the console tests (defined in tests/registration/fixtures.py)."""

from tests.registration.fixtures import (  # noqa: F401  (fixtures)
    console_services,
    console_tool,
    from_address,
    lms,
    make_lms,
    operator,
    signed_in,
)
