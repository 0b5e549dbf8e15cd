"""WeasyPrint, imported on first use: certificates, the printable activity, the grantor report.

WeasyPrint loads Pango when imported and takes about 35 MiB resident, which the console's
pages and exports, and every worker that never renders a PDF, do without; so no module
imports it at start-up, and each renderer calls :func:`load_weasyprint` first.

WeasyPrint 70 warns at import when HarfBuzz-Subset (Debian: libharfbuzz-subset0) is missing;
the renderers work either way (see lti_tool/certificates/render.py), so the warning is kept
out of the logs here, the one place the first import happens.
"""

from __future__ import annotations

import warnings
from types import ModuleType


def load_weasyprint() -> ModuleType:
    """The ``weasyprint`` module, imported (once per process) without that warning."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="HarfBuzz-Subset will be required", category=DeprecationWarning
        )
        import weasyprint

    return weasyprint
