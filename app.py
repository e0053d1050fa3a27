"""GAN Geometry Lab: the Gradio app's entry point (Hugging Face Spaces runs this file unchanged).

The app lives in the ``webapp`` package beside this file: ``settings`` (limits and folders),
``state`` (cached models and metrics, downloads), ``handlers`` (what each control does, plain
functions over the engine) and ``layout`` (the page). This file builds the interface and
launches it: locally ``make demo`` serves it on http://127.0.0.1:7860; on Spaces, Spaces sets
the host and port.
"""

from __future__ import annotations

import atexit
import os


def main() -> None:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline: no version check or telemetry
    from webapp.handlers import metric_for
    from webapp.layout import CSS, build
    from webapp.settings import Settings
    from webapp.state import AppState

    state = AppState(Settings.from_env())
    atexit.register(state.close)
    demo = build(state)
    metric_for(state, "dcgan-face64", "noise", 0, 0, "", "lpips-alex")  # warm the models, compile the default view
    port = None if state.settings.on_spaces else int(os.environ.get("GRADIO_SERVER_PORT", 7860))
    if not state.settings.on_spaces:
        print(f"GAN Geometry Lab: open http://127.0.0.1:{port}", flush=True)
    demo.queue(default_concurrency_limit=4).launch(
        server_name=None if state.settings.on_spaces else "127.0.0.1", server_port=port, ssr_mode=False,
        max_file_size="20mb", css=CSS,
    )


if __name__ == "__main__":
    main()
