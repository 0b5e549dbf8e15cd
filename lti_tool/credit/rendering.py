"""The WeasyPrint-backed parts of ``lti_tool.certificates`` (renderer and mail), loaded once.

WeasyPrint 70 warns at import when HarfBuzz-Subset (Debian: libharfbuzz-subset0) is missing;
the renderer works either way (see lti_tool/certificates/render.py), so the warning is kept
out of the logs here, where the import happens for this package, at start-up.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message="HarfBuzz-Subset will be required", category=DeprecationWarning
    )
    from lti_tool.certificates import mail as certificate_mail
    from lti_tool.certificates.render import render_certificate_pdf

__all__ = ["certificate_mail", "render_certificate_pdf"]
