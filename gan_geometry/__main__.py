"""The front door: ``gan-geometry`` (the console script) and ``python -m gan_geometry``.

Every command: the engine's (``gan_geometry.cli``), ``report`` (``reports.command``) and ``app``
(``app.command``). A command loads what it needs when it runs, so the engine's commands never
import gradio, plotly, jinja2, weasyprint or ray.
"""

import sys

from gan_geometry import cli
from gan_geometry.app import command as app_command
from gan_geometry.reports import command as report_command

GROUPS = (*cli.ENGINE_GROUPS, report_command, app_command)


def main(argv: list[str] | None = None) -> int:
    """Run one command (``cli.main``): 0, or 2 with one ``error:`` line for a user error."""
    return cli.main(argv, GROUPS)


if __name__ == "__main__":  # not when a worker process (multiprocessing's spawn) imports this module
    sys.exit(main())
