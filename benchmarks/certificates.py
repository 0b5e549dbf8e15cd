"""How fast and how small are certificates, and how long does a learner wait for one?

Run from the repository root::

    .venv/bin/python benchmarks/certificates.py [--renders 30] [--kind physician_credit] \
        [--claims 100] [--without-harfbuzz-subset]

1. Against plain WeasyPrint on the same HTML, for one kind:
   (a) baseline: ``HTML(string=html).write_pdf(stylesheets=[CSS(filename=...)],
       font_config=FontConfiguration())``, everything created afresh for every render;
   (b) ours: ``CertificateRenderer.render_pdf`` (templates, fonts, stylesheets loaded once).
   Both render the same specimen certificate; ours also renders the Jinja template and the
   QR code and fits the layout (lti_tool/certificates/fit.py) inside the timing and writes a
   tagged PDF/UA-1 file, the baseline only converts the finished HTML. Each approach is
   measured twice (see ``measure``): as it runs in a long-lived process, paying for the
   garbage collections its own allocations cause, and with the heap cleaned before every
   call, so that no collection is counted at all.
2. Per script: a physician's certificate with a name in each script of
   ``specimens.NAMES_BY_SCRIPT`` (Latin to Thai): median and p95 render time, PDF size.
3. With ``--claims N``: N learners claim credit over HTTP against ``lti-tool serve``, one
   claim at a time; p50/p95/p99 from the claim's POST to the PDF in the browser and to the
   mail handed to SMTP (aiosmtpd), see benchmarks/certificate_claims.py.

``--without-harfbuzz-subset`` measures a system without Debian's libharfbuzz-subset0, where
WeasyPrint subsets fonts with fontTools: it clears WeasyPrint's handle on the library, exactly
the state WeasyPrint is in when the library is not installed, and gives our renderer its
pre-subset faces (see ``lti_tool.certificates.render``).

Targets (issue 17): for every script, median render under 60 ms and PDF under 100 KB; without
HarfBuzz-Subset also (b) at most a third of (a) (with it, WeasyPrint's own subsetting is fast
and the ratio is informative only). Exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import functools
import gc
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import weasyprint.pdf.fonts  # noqa: E402
from weasyprint import CSS, HTML  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402

from lti_tool.certificates import specimens  # noqa: E402
from lti_tool.certificates.document import CERTIFICATE_KINDS  # noqa: E402
from lti_tool.certificates.fonts import load_font_faces  # noqa: E402
from lti_tool.certificates.render import CertificateRenderer  # noqa: E402

SIZE_LIMIT_KB = 100
MEDIAN_LIMIT_MS = 60
RATIO_TARGET = 1 / 3


def p95(samples: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(samples)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def measure(
    calls: dict[str, Callable[[], bytes]], renders: int, collect_before_each: bool
) -> dict[str, list[float]]:
    """Seconds per call of each approach, ``renders`` calls each, in blocks A B B A.

    Blocks rather than alternating calls, so one approach's garbage is never collected in
    the other's timing; the A B B A order cancels slow drift in machine load. Garbage is
    collected (untimed) at the start of each block, and before every call when
    ``collect_before_each``.
    """
    names = list(calls)
    samples: dict[str, list[float]] = {name: [] for name in names}
    first_half = renders - renders // 2
    for index, name in enumerate(names + names[::-1]):
        gc.collect()
        for _ in range(first_half if index < len(names) else renders // 2):
            if collect_before_each:
                gc.collect()
            started = time.perf_counter()
            calls[name]()
            samples[name].append(time.perf_counter() - started)
    return samples


def report(title: str, samples: dict[str, list[float]]) -> float:
    """Print one measurement; return the ratio of medians, ours over baseline."""
    print(title)
    for name, label in (("baseline", "(a) baseline"), ("ours", "(b) ours")):
        median, tail = statistics.median(samples[name]), p95(samples[name])
        print(f"  {label:14s} median {median * 1000:6.1f} ms   p95 {tail * 1000:6.1f} ms")
    ratio = statistics.median(samples["ours"]) / statistics.median(samples["baseline"])
    print(f"  ratio (b)/(a)  {ratio:.3f}   target <= {RATIO_TARGET:.3f}")
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description="certificate rendering benchmark")
    parser.add_argument("--renders", "-n", type=int, default=30)
    parser.add_argument("--kind", choices=CERTIFICATE_KINDS, default="physician_credit")
    parser.add_argument("--without-harfbuzz-subset", action="store_true")
    parser.add_argument("--claims", type=int, default=0, help="claims to time over HTTP (0: none)")
    arguments = parser.parse_args()
    if arguments.without_harfbuzz_subset:
        weasyprint.pdf.fonts.harfbuzz_subset = None
    # Plain WeasyPrint warns on every render that it subsets with fontTools; once is enough.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)

    documents = {document.kind: document for document in specimens.all_specimens()}
    document = documents[arguments.kind]

    started = time.perf_counter()
    if arguments.without_harfbuzz_subset:
        renderer = CertificateRenderer(font_faces=load_font_faces())
    else:
        renderer = CertificateRenderer()
    setup_seconds = time.perf_counter() - started
    html = renderer.render_html(document)
    stylesheet = str(renderer.stylesheet_path)

    def baseline() -> bytes:
        pdf = HTML(string=html).write_pdf(
            stylesheets=[CSS(filename=stylesheet)], font_config=FontConfiguration()
        )
        assert pdf is not None
        return pdf

    def ours() -> bytes:
        return renderer.render_pdf(document)

    baseline(), ours()  # warm both paths (imports, first font loads) outside the timing
    calls = {"baseline": baseline, "ours": ours}

    hb_subset = (
        "yes (WeasyPrint subsets in C)"
        if weasyprint.pdf.fonts.harfbuzz_subset
        else "no (WeasyPrint subsets with fontTools; ours embeds pre-subset faces)"
    )
    print(f"certificate kind   {arguments.kind}, {arguments.renders} renders each")
    print(f"HarfBuzz-Subset    {hb_subset}")
    print(f"renderer setup     {setup_seconds * 1000:.1f} ms, once per process")
    ratio = report(
        "as in a long-lived process (each pays its own garbage collection):",
        measure(calls, arguments.renders, collect_before_each=False),
    )
    ratio_without_gc = report(
        "heap cleaned before every call (no garbage collection counted):",
        measure(calls, arguments.renders, collect_before_each=True),
    )
    print("PDF size")
    print(f"  (a) baseline   {len(baseline()) / 1024:5.1f} KB  {arguments.kind}")
    sizes = {kind: len(renderer.render_pdf(doc)) / 1024 for kind, doc in documents.items()}
    for kind, size in sizes.items():
        print(f"  (b) ours       {size:5.1f} KB  {kind}")

    by_script = measure_scripts(renderer, arguments.renders)
    within_targets = max(sizes.values()) < SIZE_LIMIT_KB and all(
        median_ms < MEDIAN_LIMIT_MS and size_kb < SIZE_LIMIT_KB
        for median_ms, _, size_kb in by_script.values()
    )
    if arguments.without_harfbuzz_subset:
        within_targets = within_targets and max(ratio, ratio_without_gc) <= RATIO_TARGET

    if arguments.claims:
        from benchmarks.certificate_claims import measure_claims
        from benchmarks.certificate_claims import report as report_claims

        print(f"claims over HTTP (lti-tool serve, SQLite, SMTP to aiosmtpd), {arguments.claims}")
        report_claims(measure_claims(arguments.claims))

    print(f"load average {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} CPUs")
    print("targets met" if within_targets else "TARGETS MISSED")
    return 0 if within_targets else 1


def measure_scripts(
    renderer: CertificateRenderer, renders: int
) -> dict[str, tuple[float, float, float]]:
    """Median and p95 render time (ms) and PDF size (KB) of a certificate per name script."""
    print(
        f"per script: physician certificate, {renders} renders each; "
        f"targets median < {MEDIAN_LIMIT_MS} ms, PDF < {SIZE_LIMIT_KB} KB"
    )
    found = {}
    for script, name in specimens.NAMES_BY_SCRIPT.items():
        document = replace(specimens.physician_credit(), learner_name=name)
        renderer.render_pdf(document)  # first use of the script's fonts, outside the timing
        samples = measure(
            {"ours": functools.partial(renderer.render_pdf, document)}, renders, False
        )
        median_ms = statistics.median(samples["ours"]) * 1000
        size_kb = len(renderer.render_pdf(document)) / 1024
        found[script] = (median_ms, p95(samples["ours"]) * 1000, size_kb)
        print(
            f"  {script:11s} median {median_ms:5.1f} ms   p95 {found[script][1]:5.1f} ms   "
            f"{size_kb:5.1f} KB   {name}"
        )
    return found


if __name__ == "__main__":
    sys.exit(main())
