"""End-to-end latency of the app's main actions through the server, with gradio_client.

    python -m bench.app_latency [--url http://127.0.0.1:7860/] [--repeats 5]

Without ``--url`` it starts ``app.py`` on a free loopback port. Measures "compute metric"
(exact, lpips-alex, dcgan-face64) at codes not computed before (uncached) and again (cached),
a 5 x 7 montage, and one live-exploration slider update (``/explore``: the image and distance
readout after moving the top axes; metric cached, as while a user drags a slider); prints median
and max of whole client calls against the targets (2 s, 3 s, 0.2 s).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from gan_geometry.app.local_server import local_app


def timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=None)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if args.url:
        measure(args.url, args.repeats)
    else:
        with local_app() as url:
            measure(url, args.repeats)


def measure(url: str, repeats: int) -> None:
    """Print median and max seconds of each action through the server at ``url``."""
    from gradio_client import Client

    client = Client(url, verbose=False)

    def metric(seed):
        return client.predict("dcgan-face64", "noise", seed, 0, "", "lpips-alex", "exact", 10,
                              api_name="/compute_metric")

    def montage(seed):
        return client.predict("dcgan-face64", "noise", seed, 0, "", "lpips-alex", "1, 2, 3, 6, 11", 3, 7,
                              "linear", False, "", api_name="/traverse")

    def slider(seed, value, on=client):
        return on.predict("dcgan-face64", "noise", seed, 0, "", "lpips-alex", True, 5, value, -value / 2,
                          0, 0, 0, 0, 0, 0, 0, 0, api_name="/explore")

    def browser_slider(seed, value):
        """What a page does when a slider moves: POST the inputs, then GET the edited image. (The
        Python client's own work, several times the server's, would be measured otherwise.)"""
        import requests

        data = ["dcgan-face64", "noise", seed, 0, "", "lpips-alex", True, 5, value, -value / 2, 0, 0, 0, 0, 0, 0, 0, 0]
        answer = requests.post(url + "gradio_api/run/explore", json={"data": data}, timeout=60)
        answer.raise_for_status()
        requests.get(answer.json()["data"][0]["url"], timeout=60).raise_for_status()

    def crowd(clients: int) -> list[float]:
        """Slider updates from ``clients`` pages at once, each dragging its own code."""
        from concurrent.futures import ThreadPoolExecutor

        for i in range(clients):
            browser_slider(3000 + i, 0.0)  # each page's metric, as computed when it opens the tab

        def drag(i):
            return [timed(lambda v=v: browser_slider(3000 + i, v)) for v in np.linspace(-1, 1, 4 * repeats)]

        with ThreadPoolExecutor(clients) as pool:
            return [t for times in pool.map(drag, range(clients)) for t in times]

    seeds, explored = range(1000, 1000 + repeats), range(2000, 2000 + repeats)
    for s in explored:
        slider(s, 0.0)  # the metric of each code, as computed when the user opens the tab
    rows = {
        "slider update (explore)": [timed(lambda s=s, v=v: slider(s, v)) for s in explored
                                    for v in np.linspace(-1, 1, 8)],
        "slider update, one page (HTTP)": crowd(1),
        "slider update, 8 pages at once": crowd(8),
        "compute metric, new code": [timed(lambda s=s: metric(s)) for s in seeds],
        "compute metric, cached": [timed(lambda s=s: metric(s)) for s in seeds],
        "5 x 7 montage (metric cached)": [timed(lambda s=s: montage(s)) for s in seeds],
        "5 x 7 montage, new code": [timed(lambda s=s: montage(s + 500)) for s in seeds],
    }
    targets = {"slider update (explore)": 0.2, "slider update, one page (HTTP)": 0.25,
               "slider update, 8 pages at once": 0.25,
               "compute metric, new code": 2.0, "compute metric, cached": 2.0,
               "5 x 7 montage (metric cached)": 3.0, "5 x 7 montage, new code": 3.0}
    print(f"{'action':32}{'calls':>6}{'median s':>10}{'max s':>8}{'target s':>10}  met")
    for name, times in rows.items():
        median = statistics.median(times)
        print(f"{name:32}{len(times):6}{median:10.3f}{max(times):8.3f}{targets[name]:10.2f}  "
              f"{'yes' if median <= targets[name] else 'NO'}")

if __name__ == "__main__":
    main()
