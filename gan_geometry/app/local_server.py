"""The app (``gan-geometry app``) in a subprocess on a free loopback port, for the browser tests and
the latency benchmark: start it, wait until it answers, stop it."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def local_app(env: dict | None = None, log: Path | None = None, timeout: float = 180) -> Iterator[str]:
    """Serve the app (``env`` added to this environment) and yield its URL; its output goes to
    ``log`` (else nowhere). Raises ``RuntimeError`` with the log when it does not start."""
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False", **(env or {})}
    with open(log or os.devnull, "w") as out:
        server = subprocess.Popen([sys.executable, "-m", "gan_geometry", "app"], env=env, stdout=out,
                                  stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + timeout
        while True:
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"the app did not start: {log.read_text() if log else ''}") from None
                time.sleep(1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
