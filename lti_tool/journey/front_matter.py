"""The overview's front matter, rendered once per activity version.

Statement of need, objectives, who controlled content, faculty, accreditation, disclosures:
an accredited activity shows all of it before content, it is the longest part of the page
a first launch lands on, and it is the activity's own words, the same for every learner.
So it is rendered from the activity alone (no request, launch or learner data reaches the
template) and kept per content hash and sign-off, like the activity itself.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from flask import current_app
from markupsafe import Markup

from lti_tool.course import Activity
from lti_tool.journey.present import PROFESSION_LABELS, credits, duration, long_date

TEMPLATE = "journey/_front_matter.html"
# As many as activities are cached (``lti_tool.catalog.cache``).
KEPT = 64

_rendered: OrderedDict[tuple[str, object], Markup] = OrderedDict()
_lock = threading.Lock()


def front_matter(activity: Activity) -> Markup:
    key = (activity.content_hash, activity.sign_off)
    with _lock:
        found = _rendered.get(key)
        if found is not None:
            _rendered.move_to_end(key)
            return found
    # The app's environment escapes every .html template: what it returns is safe markup.
    html = Markup(  # noqa: S704
        current_app.jinja_env.get_template(TEMPLATE).render(
            activity=activity,
            meta=activity.meta,
            long_date=long_date,
            duration=duration,
            credits=credits,
            profession_label=lambda profession: PROFESSION_LABELS.get(profession, profession),
        )
    )
    with _lock:
        _rendered[key] = html
        while len(_rendered) > KEPT:
            _rendered.popitem(last=False)
    return html
