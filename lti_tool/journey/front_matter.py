"""The overview's front matter, rendered once per activity version.

Statement of need, objectives, who controlled content, faculty, accreditation, disclosures:
an accredited activity shows all of it before content, it is the longest part of the page
a first launch lands on, and it is the activity's own words, the same for every learner.
So it is rendered from the activity alone (no request, launch or learner data reaches the
template) and kept per content hash and sign-off, like the activity itself.
"""

from __future__ import annotations

from flask import current_app
from markupsafe import Markup

from lti_tool.caching import BoundedCache
from lti_tool.course import Activity
from lti_tool.journey.present import PROFESSION_LABELS, credits, duration, long_date

TEMPLATE = "journey/_front_matter.html"
# As many as activities are cached (``lti_tool.catalog.cache``).
KEPT = 64

_rendered: BoundedCache[tuple[str, object], Markup] = BoundedCache(KEPT)


def front_matter(activity: Activity) -> Markup:
    return _rendered.get((activity.content_hash, activity.sign_off), lambda: _render(activity))


def _render(activity: Activity) -> Markup:
    # The app's environment escapes every .html template: what it returns is safe markup.
    return Markup(  # noqa: S704
        current_app.jinja_env.get_template(TEMPLATE).render(
            activity=activity,
            meta=activity.meta,
            long_date=long_date,
            duration=duration,
            credits=credits,
            profession_label=lambda profession: PROFESSION_LABELS.get(profession, profession),
        )
    )
