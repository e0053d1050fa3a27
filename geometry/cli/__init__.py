"""Command line: ``python -m geometry <command> --help``.

One module per group of commands, each with its arguments beside its handlers
(``register(commands)``); shared argument types in ``options``.

    python -m geometry metric --generator dcgan-face64 --distance mse --method exact --seed 0 --out DIR
    python -m geometry sweep --generator dcgan-face64 --distance lpips-alex --n 100 --seed 0 --out DIR
    python -m geometry stats DIR
    python -m geometry compare DIR_LPIPS DIR_MSE
    python -m geometry traverse --ranks 0 1 2 5 10 --steps -3 -1.5 0 1.5 3 --out montage.png
    python -m geometry axes --family sefa|pca|file --out DIR
    python -m geometry invert|search --sweep DIR --out OUT;  python -m geometry interpolate --out OUT
    python -m geometry samples --generator dcgan-face64 --n 16 --out grid.png
    python -m geometry layers --list;  python -m geometry layers --n 10 --out DIR
    python -m geometry generators
    python -m geometry fetch-weights
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading

from geometry.cli import applications, axes, layers, metric, models
from geometry.errors import GeometryError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m geometry", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for group in (metric, axes, layers, applications, models):
        group.register(commands)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the command is, so it stops as Ctrl-C stops it."""


def _terminate(signum, frame):
    raise Terminated


@contextlib.contextmanager
def sigterm_as_interrupt():
    """While a command runs, SIGTERM raises ``Terminated`` (a KeyboardInterrupt): finished
    positions stay on disk, Ray tasks are cancelled and a local Ray this process started is shut
    down at exit, exactly as for Ctrl-C. Only the main thread can own signal handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    """Run one command; a user error prints one line and returns 2 (argparse exits with 2 itself).
    Ctrl-C and SIGTERM print one line and return 130 and 143: what was written stays (sweeps and
    layer runs resume from it)."""
    args = build_parser().parse_args(argv)
    try:
        with sigterm_as_interrupt():
            args.run(args)
    except KeyboardInterrupt as stop:
        what = "terminated" if isinstance(stop, Terminated) else "interrupted"
        print(f"{what}: finished positions are kept; run the same command again to resume", file=sys.stderr)
        return 143 if isinstance(stop, Terminated) else 130
    except GeometryError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # unwritable --out, a directory where a file is expected, a full disk
        print(f"error: cannot use {err.filename or 'a file'}: {err.strerror or err}", file=sys.stderr)
        return 2
    return 0
