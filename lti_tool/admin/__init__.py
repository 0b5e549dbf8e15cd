"""The operator console at ``/admin``: platforms, deployments, launches, grades and keys.

First-party pages for the people who run the tool, signed in with a username and
password (``lti-tool admin create``); see :mod:`security` for sessions and CSRF and
:mod:`operators` for passwords and sign-in throttling. Views stay thin: they call
:mod:`lti_tool.registration.platforms`, :mod:`lti_tool.registration`, :mod:`lti_tool.grades.outbox`
and the key store.

Wiring: ``app.register_blueprint(lti_tool.admin.bp)`` and
``main.add_command(lti_tool.admin.commands.admin)``.
"""

from lti_tool.admin import (  # noqa: F401  (routes)
    activity_views,
    invitation_views,
    operations_views,
    pars_views,
    platform_views,
    views,
)
from lti_tool.admin.blueprint import bp

__all__ = ["bp"]
