"""Fixtures for the registration tests (shared with the console tests, see fixtures.py)."""

from tests.registration.fixtures import (  # noqa: F401  (fixtures)
    console_services,
    console_tool,
    from_address,
    lms,
    make_lms,
    operator,
    signed_in,
)
from tests.registration.rogue import rogue  # noqa: F401, E402  (fixture)
