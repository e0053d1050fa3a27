"""``gan-geometry app``: serve the app on this machine (extra ``[app]``)."""

from __future__ import annotations

import argparse


def register(commands) -> None:
    app = commands.add_parser("app", help="serve the Gradio app on 127.0.0.1 (extra [app])")
    app.add_argument("--port", type=int, default=None, help="port (default: $GRADIO_SERVER_PORT or 7860)")
    app.set_defaults(run=run_app)


def run_app(args: argparse.Namespace) -> None:
    from gan_geometry.app.serve import main

    main(port=args.port)
