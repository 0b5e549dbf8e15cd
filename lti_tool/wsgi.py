"""WSGI entry point for gunicorn: ``gunicorn 'lti_tool.wsgi:app'``.

Each worker builds its activities and compiles its templates as it starts (``warm``),
before it accepts a request, so no learner's launch pays for it.
"""

from lti_tool import create_app
from lti_tool.warm import warm_up

app = create_app()
warm_up(app)
