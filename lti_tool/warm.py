"""Readying a web process before its first request.

A new process builds each activity from its stored files (YAML, validation, every
section's Markdown: about 0.7 s for the bundled activity), compiles each template the
first time it is used, and loads WeasyPrint and its fonts for its first certificate (about
0.8 s). Left to the first requests, those costs land on a learner's launch and claim, once
per gunicorn worker after every start. Done here, as the process starts, before it accepts
requests.
"""

from __future__ import annotations

import logging
import time

from flask import Flask
from jinja2 import TemplateError
from sqlalchemy.exc import SQLAlchemyError

from lti_tool.catalog import activity_for_version
from lti_tool.catalog.service import current_versions
from lti_tool.certificates.templating import TEMPLATES_DIR as CERTIFICATE_TEMPLATES
from lti_tool.extensions import ToolServices

log = logging.getLogger(__name__)


# Certificates and their mail have a Jinja environment of their own (its own filters).
_OTHER_ENVIRONMENT = CERTIFICATE_TEMPLATES.name + "/"


def web_templates(app: Flask) -> list[str]:
    """The templates the web pages render (through the app's environment)."""
    names = app.jinja_env.list_templates(extensions=["html", "txt", "xml", "svg"])
    return [name for name in names if not name.startswith(_OTHER_ENVIRONMENT)]


def warm_up(app: Flask) -> tuple[int, int]:
    """Build every current activity, compile every template and (``warm_certificates``)
    render a specimen certificate; returns how many activities and templates.

    Never stops the process from starting: what fails here is logged, and the page that
    needs it says what is wrong, as it would have without the warm-up.
    """
    started = time.perf_counter()
    services: ToolServices = app.extensions["lti_tool"]
    activities = 0
    try:
        with services.session_factory() as session:
            for version in current_versions(session):
                try:
                    activity_for_version(version)
                    activities += 1
                except Exception:
                    log.exception("activity version #%s could not be built", version.id)
    except SQLAlchemyError:
        log.exception("no activities built before the first request: database unavailable")
    templates = 0
    for name in web_templates(app):
        try:
            app.jinja_env.get_template(name)
            templates += 1
        except TemplateError:
            log.exception("template %s does not compile", name)
    certificate = services.settings.warm_certificates and _render_specimen()
    log.info(
        "ready in %.2f s: %d activities built, %d templates compiled, %s",
        time.perf_counter() - started,
        activities,
        templates,
        "a specimen certificate rendered" if certificate else "no certificate rendered",
    )
    return activities, templates


def _render_specimen() -> bool:
    from lti_tool.certificates.render import render_certificate_pdf
    from lti_tool.certificates.specimens import physician_credit

    try:
        render_certificate_pdf(physician_credit())
    except Exception:
        log.exception("the specimen certificate did not render; the first claim will say why")
        return False
    return True
