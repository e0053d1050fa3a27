"""Whether the network is there: the one check behind downloads, the Hub and W&B."""

from __future__ import annotations

import socket


def answers(host: str, port: int = 443, timeout: float = 1.5) -> bool:
    """Whether ``host`` accepts a connection on ``port`` within ``timeout`` seconds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
