"""The engine's commands: ``gan-geometry <command> --help``.

One module per group of commands, each with its arguments beside its handlers
(``register(commands)``); shared argument types in ``options``.

    gan-geometry metric --generator dcgan-face64 --distance mse --method exact --seed 0 --out DIR
    gan-geometry sweep --generator dcgan-face64 --distance lpips-alex --n 100 --seed 0 --out DIR
    gan-geometry stats DIR
    gan-geometry compare DIR_LPIPS DIR_MSE
    gan-geometry traverse --ranks 1 2 3 6 11 --steps -3 -1.5 0 1.5 3 --out montage.png
    gan-geometry axes --family sefa|pca|file --out DIR
    gan-geometry invert|search --sweep DIR --out OUT;  gan-geometry interpolate --out OUT
    gan-geometry samples --generator dcgan-face64 --n 16 --out grid.png
    gan-geometry layers --list;  gan-geometry layers --n 10 --out DIR
    gan-geometry generators
    gan-geometry fetch-weights
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading

from gan_geometry.cli import applications, axes, layers, metric, models
from gan_geometry.errors import GeometryError

ENGINE_GROUPS = (metric, axes, layers, applications, models)


class DefaultsShown(argparse.HelpFormatter):
    """Help that shows an option's default where it has one and its text does not already say it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        unset = action.default is None or action.default is False or action.default == [] \
            or action.default == argparse.SUPPRESS
        if "default" in text or unset or not action.option_strings:
            return text
        return text + " (default: %(default)s)"


class Parser(argparse.ArgumentParser):
    """argparse with one-line refusals: "error: argument --n: must be ...", then a hint naming the
    command's --help, exit code 2 (argparse prints its whole usage block instead). Help shows
    every option's default."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", DefaultsShown)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        self.exit(2, f"error: {message}\n(see '{self.prog} --help')\n")


def build_parser(groups=ENGINE_GROUPS) -> argparse.ArgumentParser:
    """The parser of every command the ``groups`` (modules with ``register(commands)``) define."""
    parser = Parser(prog="gan-geometry", description="GAN Geometry Lab: the Riemannian geometry of a generator's "
                                                     "latent space.")
    commands = parser.add_subparsers(dest="command", required=True)
    for group in groups:
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


def main(argv: list[str] | None = None, groups=ENGINE_GROUPS) -> int:
    """Run one command; a user error prints one line and returns 2 (argparse exits with 2 itself).
    Ctrl-C and SIGTERM print one line and return 130 and 143: what was written stays (sweeps and
    layer runs resume from it)."""
    args = build_parser(groups).parse_args(argv)
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
