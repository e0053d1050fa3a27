"""The app, end to end: a real browser clicks through it; gradio_client calls every API."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from geometry import load_distance, load_generator, metric_tensor

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GGL_RESULTS": str(tmp_path_factory.mktemp("results")),
           "GRADIO_ANALYTICS_ENABLED": "False"}
    log = tmp_path_factory.mktemp("log") / "app.log"
    with open(log, "w") as out:
        server = subprocess.Popen([sys.executable, "app.py"], env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            assert server.poll() is None, log.read_text()
            time.sleep(1)
    else:
        server.kill()
        pytest.fail(f"app did not start: {log.read_text()}")
    yield url
    server.terminate()
    server.wait(timeout=30)


@pytest.fixture(scope="module")
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)


CODE = ("dcgan-face64", "noise", 3, 2, "")  # generator, space, seed, sample index, pasted code


def engine_metric(distance="lpips-alex"):
    G = load_generator("dcgan-face64")
    return metric_tensor(G, load_distance(distance), G.sample(3, seed=3)[2])


def test_compute_metric_api_returns_the_engines_numbers(client):
    plot, summary, table, archive = client.predict(*CODE, "lpips-alex", "exact", 10, api_name="/compute_metric")
    expected = engine_metric()
    values = np.array([row[1] for row in table["data"]])
    assert np.allclose(values, expected.eigvals[:20], rtol=1e-6)
    assert "Dimensions holding" in summary and "n = 100" in summary
    import zipfile

    from geometry import MetricResult

    folder = os.path.dirname(archive)
    zipfile.ZipFile(archive).extractall(os.path.join(folder, "unzipped"))
    assert np.allclose(MetricResult.load(os.path.join(folder, "unzipped")).eigvals, expected.eigvals)


def test_sample_traverse_references_and_axes_apis(client):
    gallery, index, code = client.predict("dcgan-face64", "noise", 3, api_name="/sample")
    assert len(gallery) == 8 and index == 0
    montage, curves = client.predict(*CODE, "mse", "0, 5, 99", 3, 7, "linear", False, api_name="/traverse")
    from PIL import Image

    assert Image.open(montage).size == (96 + 7 * 66 + 2, 16 + 3 * 66 + 2)
    refs = client.predict(*CODE, "mse", 0, 3, 3, 5, "linear", api_name="/apply_to_references")
    assert Image.open(refs).size == (96 + 5 * 66 + 2, 16 + 3 * 66 + 2)
    image, plot, summary = client.predict(*CODE, "mse", "sefa", None, 4, 3, 5, api_name="/compare_axes")
    assert "Grassmann distance" in summary and Image.open(image).size[0] > 2 * (96 + 5 * 66)


def test_sweep_compare_and_report_apis(client):
    from gradio_client.exceptions import AppError

    sweeps, report_choice = client.predict("linear-toy", "default", "mse", 4, 0, api_name="/run_sweep")
    chosen = report_choice if isinstance(report_choice, str) else report_choice["value"]
    overlay, table, heatmap, hist, iso = client.predict([chosen], api_name="/compare_spectra")
    assert table["data"][0][0].startswith("linear-toy") and table["data"][0][1] == 4
    files = client.predict(chosen, api_name="/build_report")
    assert {os.path.splitext(f)[1] for f in files} == {".pdf", ".html"}
    with pytest.raises(AppError, match="maximum value 100"):  # the positions slider names its cap
        client.predict("linear-toy", "default", "mse", 500, 0, api_name="/run_sweep")
    with pytest.raises(AppError, match="at most 12 ranks per request"):
        client.predict(*CODE, "mse", ", ".join(map(str, range(13))), 3, 5, "linear", False, api_name="/traverse")
    with pytest.raises(AppError, match="generator 'linear-toy' has latent spaces default; got 'noise'"):
        client.predict("linear-toy", "noise", "mse", 4, 0, api_name="/run_sweep")


def test_four_simultaneous_clients_get_correct_metrics(app_url):
    from gradio_client import Client

    expected = {seed: metric_tensor(load_generator("dcgan-face64"), load_distance("mse"),
                                    load_generator("dcgan-face64").sample(1, seed=seed)[0]).eigvals[:20]
                for seed in (11, 12, 13, 14)}

    def one(seed):
        result = Client(app_url, verbose=False).predict("dcgan-face64", "noise", seed, 0, "", "mse", "exact", 10,
                                                        api_name="/compute_metric")
        return seed, np.array([row[1] for row in result[2]["data"]])

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(one, expected))
    for seed, values in results:
        assert np.allclose(values, expected[seed], rtol=1e-6)


def test_a_browser_clicks_through_every_tab(app_url, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    shots = tmp_path / "screenshots"
    shots.mkdir()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
        page.goto(app_url)
        thumbnails = page.locator(".thumbnail-item")
        expect(thumbnails).to_have_count(8, timeout=60_000)
        thumbnails.nth(2).click()
        expect(page.get_by_label("Sample index (click a sample)")).to_have_value("2", timeout=20_000)
        page.screenshot(path=shots / "pick.png")

        page.get_by_role("tab", name="Compute metric").click()
        page.get_by_role("button", name="Compute metric").click()
        expect(page.locator("#spectrum .js-plotly-plot")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("Dimensions holding")).to_be_visible()
        page.screenshot(path=shots / "compute.png")

        page.get_by_role("tab", name="Traverse axes").click()
        page.get_by_role("button", name="Make montage").click()
        expect(page.locator("#montage img")).to_be_visible(timeout=60_000)
        page.wait_for_timeout(1000)
        page.screenshot(path=shots / "traverse.png")

        ranks = page.get_by_label("Eigen-ranks (0 = top)")
        ranks.fill("0, 500")
        page.get_by_role("button", name="Make montage").click()
        toast = page.locator("[data-testid=toast-text]").first
        expect(toast).to_contain_text("ranks must lie in 0..99", timeout=30_000)
        page.wait_for_timeout(1000)
        page.screenshot(path=shots / "error.png")

        page.get_by_role("tab", name="Compare spectra").click()
        page.get_by_role("button", name="Run sweep (current generator, space, distance, seed)").click()
        expect(page.locator("#overlay .js-plotly-plot")).to_be_visible(timeout=120_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=shots / "compare.png")

        page.get_by_role("tab", name="Report").click()
        page.get_by_role("button", name="Build report (PDF + HTML)").click()
        link = page.locator('#report-files a[download$=".pdf"]')
        expect(link).to_be_visible(timeout=120_000)
        with page.expect_download() as download:
            link.click()
        saved = tmp_path / "report.pdf"
        download.value.save_as(saved)
        assert saved.read_bytes()[:5] == b"%PDF-"
        page.screenshot(path=shots / "report.png")
        browser.close()
    assert len(list(shots.glob("*.png"))) == 6
    if os.environ.get("GGL_SCREENSHOTS"):
        import shutil

        shutil.copytree(shots, os.environ["GGL_SCREENSHOTS"], dirs_exist_ok=True)
