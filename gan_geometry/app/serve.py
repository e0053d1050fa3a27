"""Build the app over one server's state and launch it: locally on http://127.0.0.1:7860 (``make
demo``, ``gan-geometry app``), on Hugging Face Spaces wherever Spaces says (``app.py``)."""

from __future__ import annotations

import atexit
import os


def main(port: int | None = None) -> None:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline: no version check or telemetry
    from gan_geometry.app.handlers import metric_for
    from gan_geometry.app.layout import CSS, build
    from gan_geometry.app.settings import Settings
    from gan_geometry.app.state import AppState

    state = AppState(Settings.from_env())
    atexit.register(state.close)
    demo = build(state)
    state.warm(metric_for(state, "dcgan-face64", "noise", 0, 0, "", "lpips-alex"))  # the default view, compiled
    on_spaces = state.settings.on_spaces
    port = None if on_spaces else port or int(os.environ.get("GRADIO_SERVER_PORT", 7860))
    if not on_spaces:
        print(f"GAN Geometry Lab: open http://127.0.0.1:{port}", flush=True)
    demo.queue(default_concurrency_limit=4).launch(
        server_name=None if on_spaces else "127.0.0.1", server_port=port, ssr_mode=False,
        max_file_size="20mb", css=CSS,
    )
