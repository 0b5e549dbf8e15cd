"""Screenshots of the outcomes page and of the grantor report's first page, taken on the
cohort `benchmarks/reports.py` generates (run that first), for docs/screenshots/:

    .venv/bin/python benchmarks/report_screenshots.py [--database-url URL] [--out DIR]

The tool is served on loopback against that database, an operator made for the run signs in
through the console's own form in Debian's Chromium, and the grantor PDF is fetched in the
same signed-in browser and its first page rasterised with pypdfium2.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.grades import serve  # noqa: E402
from benchmarks.reports import SLUG, private_postgres, settings_for  # noqa: E402

CHROMIUM = "/usr/bin/chromium"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()

    import dataclasses

    import pypdfium2
    from playwright.sync_api import sync_playwright

    from lti_tool import create_app
    from lti_tool.admin.operators import create_operator

    database_url = args.database_url or private_postgres()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="lti-report-shots-"))
    apps = []

    def build(base_url: str) -> Any:
        apps.append(
            create_app(dataclasses.replace(settings_for(database_url, root), base_url=base_url))
        )
        return apps[0]

    base_url, stop = serve("127.0.0.1", build)
    app = apps[0]

    username, password = f"shots-{secrets.token_hex(4)}", secrets.token_urlsafe(18)
    factory = app.extensions["lti_tool"].session_factory
    with factory.begin() as session:
        create_operator(session, username, password)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base_url}/admin/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit], input[type=submit]")
        page.wait_for_load_state()
        page.goto(f"{base_url}/admin/activities/{SLUG}/outcomes")
        page.screenshot(path=str(out / "outcomes-page.png"), full_page=True)
        pdf = page.context.request.get(f"{base_url}/admin/activities/{SLUG}/grantor-report.pdf")
        body = pdf.body()
        if pdf.status != 200 or not body.startswith(b"%PDF"):
            raise SystemExit(f"grantor report: HTTP {pdf.status} {body[:200]!r}")
        browser.close()
    document = pypdfium2.PdfDocument(body)
    document[0].render(scale=1.5).to_pil().save(out / "grantor-report-page1.png")
    document.close()
    stop()
    print(f"wrote {out / 'outcomes-page.png'} and {out / 'grantor-report-page1.png'}")


if __name__ == "__main__":
    main()
