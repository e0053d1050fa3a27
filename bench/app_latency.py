"""End-to-end latency of the app's main actions through the server, with gradio_client.

    python -m bench.app_latency [--url http://127.0.0.1:7860/] [--repeats 5]

Without ``--url`` it starts ``app.py`` on a free loopback port. Measures "compute metric"
(exact, lpips-alex, dcgan-face64) at codes not computed before (uncached) and again (cached),
and a 5 x 7 montage; prints median and max against the targets (2 s and 3 s).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import urllib.request

from tests.test_app import free_port


def start_app() -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"}
    server = subprocess.Popen([sys.executable, "app.py"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(180):
        try:
            urllib.request.urlopen(url, timeout=2)
            return server, url
        except OSError:
            time.sleep(1)
    server.kill()
    raise SystemExit("the app did not start")


def timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=None)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    server, url = (None, args.url) if args.url else start_app()
    from gradio_client import Client

    client = Client(url, verbose=False)
    try:
        def metric(seed):
            return client.predict("dcgan-face64", "noise", seed, 0, "", "lpips-alex", "exact", 10,
                                  api_name="/compute_metric")

        def montage(seed):
            return client.predict("dcgan-face64", "noise", seed, 0, "", "lpips-alex", "0, 1, 2, 5, 10", 3, 7,
                                  "linear", False, api_name="/traverse")

        seeds = range(1000, 1000 + args.repeats)
        rows = {
            "compute metric, new code": [timed(lambda s=s: metric(s)) for s in seeds],
            "compute metric, cached": [timed(lambda s=s: metric(s)) for s in seeds],
            "5 x 7 montage (metric cached)": [timed(lambda s=s: montage(s)) for s in seeds],
            "5 x 7 montage, new code": [timed(lambda s=s: montage(s + 500)) for s in seeds],
        }
        targets = {"compute metric, new code": 2.0, "compute metric, cached": 2.0,
                   "5 x 7 montage (metric cached)": 3.0, "5 x 7 montage, new code": 3.0}
        print(f"{'action':32}{'median s':>10}{'max s':>8}{'target s':>10}")
        for name, times in rows.items():
            print(f"{name:32}{statistics.median(times):10.2f}{max(times):8.2f}{targets[name]:10.1f}")
    finally:
        if server is not None:
            server.terminate()


if __name__ == "__main__":
    main()
