"""``python -m reports build DIR --html report.html --pdf report.pdf``"""

import argparse
import sys

from geometry.errors import GeometryError
from geometry.progress import tqdm_progress
from reports.builder import build_report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports", description="Build analysis reports.")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="results directory -> HTML and/or PDF report")
    build.add_argument("dir", help="a completed sweep directory (may hold axes/, compare/, montages/)")
    build.add_argument("--html", default=None, help="HTML file to write (interactive, offline)")
    build.add_argument("--pdf", default=None, help="PDF file to write")
    build.add_argument("--models", nargs="+", default=[], metavar="DIR",
                       help="sweeps of other generators to compare with (paper Fig. 2, Tables 2 and 4)")
    args = parser.parse_args(argv)
    try:
        with tqdm_progress("report") as progress:
            build_report(args.dir, html=args.html, pdf=args.pdf, models=args.models, progress=progress)
    except GeometryError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"error: cannot use {err.filename or 'a file'}: {err.strerror or err}", file=sys.stderr)
        return 2
    print(" ".join(f"wrote {p}" for p in (args.html, args.pdf) if p))
    return 0


if __name__ == "__main__":
    sys.exit(main())
