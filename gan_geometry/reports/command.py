"""``gan-geometry report DIR --html report.html --pdf report.pdf`` (a report of saved results) and
``gan-geometry reproduce --out DIR`` (the paper's tables beside this project's)."""

from __future__ import annotations

import argparse


def register(commands) -> None:
    build = commands.add_parser("report", help="results directory -> HTML and/or PDF report (extra [report])")
    build.add_argument("dir", help="a completed sweep directory (may hold axes/, compare/, montages/, layers/, "
                                   "applications/)")
    build.add_argument("--html", default=None, help="HTML file to write (interactive, offline)")
    build.add_argument("--pdf", default=None, help="PDF file to write")
    build.add_argument("--force", action="store_true", help="replace --html / --pdf if they exist")
    build.add_argument("--models", nargs="+", default=[], metavar="DIR",
                       help="sweeps of other generators to compare with (paper Fig. 2, Tables 2 and 4)")
    build.set_defaults(run=run_report)

    again = commands.add_parser("reproduce", help="the paper's tables and figures that the models here give, beside "
                                                  "its published numbers (HTML and PDF; resumable)")
    again.add_argument("--out", required=True, help="folder for the results and reproduce.html / reproduce.pdf")
    again.add_argument("--quick", action="store_true", help="fewer positions: a first look in minutes")
    again.add_argument("--no-pdf", dest="pdf", action="store_false", help="write the HTML only")
    again.set_defaults(run=run_reproduce)


def run_report(args: argparse.Namespace) -> None:
    from gan_geometry.io.storage import new_file
    from gan_geometry.progress import tqdm_progress
    from gan_geometry.reports.builder import build_report

    for path, what in ((args.html, "the HTML file"), (args.pdf, "the PDF file")):
        if path is not None:
            new_file(path, what, args.force)
    with tqdm_progress("report") as progress:
        build_report(args.dir, html=args.html, pdf=args.pdf, models=args.models, progress=progress)
    print(" ".join(f"wrote {p}" for p in (args.html, args.pdf) if p))


def run_reproduce(args: argparse.Namespace) -> None:
    from gan_geometry.progress import tqdm_progress
    from gan_geometry.reports.reproduce import reproduce

    with tqdm_progress("reproduce") as progress:
        reproduce(args.out, quick=args.quick, pdf=args.pdf, progress=progress)
    print(f"wrote {args.out}/reproduce.html" + (f" and {args.out}/reproduce.pdf" if args.pdf else ""))
