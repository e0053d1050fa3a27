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
    """A ``Progress`` that drives a 0-100 % tqdm bar on stderr, drawn from the first report on (work
    refused before it starts prints its one error line and no empty bar)."""
    from tqdm import tqdm

    bars = []

    def update(fraction: float, message: str) -> None:
        if not bars:
            bars.append(tqdm(total=100, desc=description, unit="%", bar_format="{l_bar}{bar}| {postfix}"))
        bars[0].n = round(100 * fraction)
        bars[0].set_postfix_str(message, refresh=True)

    try:
        yield update
    finally:
        for bar in bars:
            bar.close()


def part(progress: Progress | None, start: float, end: float) -> Progress | None:
    """The part ``start``..``end`` of ``progress``: a step that reports 0..1 of its own work."""
    if progress is None:
        return None
    return lambda fraction, message: report(progress, start + (end - start) * fraction, message)
