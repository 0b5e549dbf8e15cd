"""Heavy libraries load when first used, not when a worker starts: WeasyPrint (Pango, about
35 MiB resident) only for a PDF, so the console's pages and exports stay small."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT_ROOT

CHECK = """
import sys
from pathlib import Path
from lti_tool import create_app
from tests.conftest import tool_settings_for
root = Path(sys.argv[1])
create_app(tool_settings_for("http://127.0.0.1:5000", f"sqlite:///{root / 'db.sqlite3'}", root))
heavy = sorted({name.split(".")[0] for name in sys.modules} & {"weasyprint", "matplotlib"})
print(",".join(heavy))
"""


def test_a_started_app_has_not_imported_weasyprint_or_matplotlib(tmp_path: Path) -> None:
    found = subprocess.run(
        [sys.executable, "-c", CHECK, str(tmp_path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )

    assert found.stdout.strip() == ""
