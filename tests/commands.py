"""Run a ``gan-geometry`` command in this process (no interpreter start-up per command): exit code,
stdout and stderr, as a subprocess would give them."""

import contextlib
import io
from dataclasses import dataclass


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


def run(*args: str) -> Done:
    from gan_geometry.__main__ import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse's usage errors
            code = exit_.code
    return Done(code, out.getvalue(), err.getvalue())
