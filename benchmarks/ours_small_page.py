"""Our tool landing on a small page like the PEER's, for ``launch.py --our-page small``.

Everything of our launch runs as in production: the login, the id_token's validation, the
state used up once for every host, the launch and its rows recorded, the choice of the
landing page, that page rendered in place. Only the page differs: instead of the
activity's overview (its title, the statement of need and the disclosures a learner must
see before the content: about 28 KB) it is the PEER tool's small page, filled from the
launch. Against the PEER this shows what our launch costs without its first page; against
``--our-page activity``, what that page costs. Never served to learners.

    gunicorn 'benchmarks.ours_small_page:small_page_app()'   (from the repository's root)
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, render_template

from benchmarks.peer_tool import PAGE
from lti_tool.launch.pages import current_launch

MARKER = "OUR tool: launch validated"
# Where a learner's launch lands (journey.navigation): the activity's overview.
LANDING_ENDPOINT = "journey.overview"


def land_on_small_page(app: Flask) -> Callable[[], None]:
    """Make ``app``'s launches land on the small page; returns what puts the overview back."""
    # Compiled once, as the PEER compiles it.
    page = app.jinja_env.from_string(PAGE)

    def small_first_page() -> str:
        # Only what the launch handed over to its page is read: no query.
        launch = current_launch().launch
        link, context = launch.resource_link, launch.context
        return render_template(
            page,
            marker=MARKER,
            name=launch.user.name or "",
            link_title=link.title if link else "",
            link_id=link.id if link else "",
            context_title=context.title if context else "",
            launch_id=launch.id,
        )

    overview = app.view_functions[LANDING_ENDPOINT]
    app.view_functions[LANDING_ENDPOINT] = small_first_page
    return lambda: app.view_functions.__setitem__(LANDING_ENDPOINT, overview)


def small_page_app() -> Flask:
    """Our production WSGI app (``lti_tool.wsgi``), landing on the small page."""
    from lti_tool.wsgi import app

    land_on_small_page(app)
    return app
