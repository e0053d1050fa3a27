"""Static figure export: one kaleido browser per process, started on first use, stopped at exit.

kaleido drives Debian's chromium; starting it costs about 1.5 s, so the server is started once
(MathJax off, so nothing is fetched) and later exports take about 0.1 s. No plotly default is
changed.
"""

from __future__ import annotations

import atexit
import threading

import plotly.graph_objects as go

_LOCK = threading.Lock()
_STARTED = False


def figure_image(fig: go.Figure, width: int, image_format: str = "svg") -> bytes:
    """The figure as SVG (or PNG at twice the resolution) bytes, ``width`` pixels wide."""
    import kaleido

    global _STARTED
    with _LOCK:
        if not _STARTED:
            kaleido.start_sync_server(mathjax=False, silence_warnings=True)
            atexit.register(kaleido.stop_sync_server)
            _STARTED = True
        options = {"format": image_format, "width": width} | ({"scale": 2} if image_format == "png" else {})
        return kaleido.calc_fig_sync(fig, opts=options)
