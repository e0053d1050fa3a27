"""Progress reporting: long work calls ``progress(fraction, message)`` with fraction in [0, 1].

The app maps it to ``gr.Progress``; the command line to a tqdm bar (``tqdm_progress``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

Progress = Callable[[float, str], None]


def report(progress: Progress | None, fraction: float, message: str) -> None:
    if progress is not None:
        progress(min(max(fraction, 0.0), 1.0), message)


@contextlib.contextmanager
def tqdm_progress(description: str) -> Iterator[Progress]:
    """A ``Progress`` that drives a 0-100 % tqdm bar on stderr."""
    from tqdm import tqdm

    with tqdm(total=100, desc=description, unit="%", bar_format="{l_bar}{bar}| {postfix}") as bar:

        def update(fraction: float, message: str) -> None:
            bar.n = round(100 * fraction)
            bar.set_postfix_str(message, refresh=True)

        yield update


def part(progress: Progress | None, start: float, end: float) -> Progress | None:
    """The part ``start``..``end`` of ``progress``: a step that reports 0..1 of its own work."""
    if progress is None:
        return None
    return lambda fraction, message: report(progress, start + (end - start) * fraction, message)
