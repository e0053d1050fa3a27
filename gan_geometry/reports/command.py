"""``gan-geometry report DIR --html report.html --pdf report.pdf``: a report of saved results."""

from __future__ import annotations

import argparse


def register(commands) -> None:
    build = commands.add_parser("report", help="results directory -> HTML and/or PDF report (extra [report])")
    build.add_argument("dir", help="a completed sweep directory (may hold axes/, compare/, montages/, layers/, "
                                   "applications/)")
    build.add_argument("--html", default=None, help="HTML file to write (interactive, offline)")
    build.add_argument("--pdf", default=None, help="PDF file to write")
    build.add_argument("--models", nargs="+", default=[], metavar="DIR",
                       help="sweeps of other generators to compare with (paper Fig. 2, Tables 2 and 4)")
    build.set_defaults(run=run_report)


def run_report(args: argparse.Namespace) -> None:
    from gan_geometry.progress import tqdm_progress
    from gan_geometry.reports.builder import build_report

    with tqdm_progress("report") as progress:
        build_report(args.dir, html=args.html, pdf=args.pdf, models=args.models, progress=progress)
    print(" ".join(f"wrote {p}" for p in (args.html, args.pdf) if p))
