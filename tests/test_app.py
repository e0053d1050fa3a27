"""The app, end to end: a real browser clicks through it; gradio_client calls every API."""

import os
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from gan_geometry import load_distance, load_generator, metric_tensor
from gan_geometry.analysis import statistics as st

pytestmark = pytest.mark.slow  # a server, a browser and several clients

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    from gan_geometry.app.local_server import local_app

    log = tmp_path_factory.mktemp("log") / "app.log"
    with local_app({"GGL_RESULTS": str(tmp_path_factory.mktemp("results"))}, log) as url:
        yield url


@pytest.fixture(scope="module")
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)


SEED, INDEX = 3, 2
CODE = ("dcgan-face64", "noise", SEED, INDEX, "")  # generator, space, seed, sample index, pasted code


def engine_code(seed=SEED, index=INDEX):
    """The code the app must use for sample ``index`` of ``seed``: the engine's own sampling."""
    return load_generator("dcgan-face64").sample(8, seed=seed)[index]


def engine_metric(distance="lpips-alex", z=None):
    return metric_tensor(load_generator("dcgan-face64"), load_distance(distance), engine_code() if z is None else z)


def read_image(path_or_bytes) -> np.ndarray:
    import io

    from PIL import Image

    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    return np.asarray(Image.open(source).convert("RGB"), dtype=np.float64)


def engine_view(z) -> np.ndarray:
    """The current-image view the app shows for code z: 64 px upscaled 3x (nearest) to 192 px."""
    import torch

    with torch.no_grad():
        x = load_generator("dcgan-face64")(torch.as_tensor(z)[None].float())[0].numpy()
    from gan_geometry.analysis.traversal import upscale

    return upscale(x, 192).transpose(1, 2, 0).astype(np.float64)


def test_compute_metric_api_returns_the_engines_numbers(client):
    plot, summary, table, archive = client.predict(*CODE, "lpips-alex", "exact", 10, api_name="/compute_metric")
    expected = engine_metric()
    values = np.array([float(row[1]) for row in table["data"]])
    assert np.allclose(values, expected.eigvals[:20], rtol=1e-3)
    dims = st.anisotropy_dims(expected.eigvals)
    assert "All 100 eigenpairs computed" in summary and f"{dims[0]} of 100 dimensions hold 99 %;" in summary
    import zipfile

    from gan_geometry import MetricResult

    folder = os.path.dirname(archive)
    zipfile.ZipFile(archive).extractall(os.path.join(folder, "unzipped"))
    assert np.allclose(MetricResult.load(os.path.join(folder, "unzipped")).eigvals, expected.eigvals)
    lanczos = client.predict(*CODE, "mse", "lanczos-backward", 5, api_name="/compute_metric")[1]
    assert "Top 5 of 100 eigenpairs computed" in lanczos and "of 10 dimensions" not in lanczos


def test_gallery_tiles_are_the_engines_samples(client):
    gallery, index, code = client.predict("dcgan-face64", "noise", SEED, api_name="/sample")
    assert len(gallery) == 8 and index == 0 and code == ""
    expected = [engine_view(engine_code(SEED, i)) for i in range(8)]
    for i, tile in enumerate(gallery):
        shown = read_image(tile["image"])
        errors = [np.abs(shown - e).mean() for e in expected]
        assert int(np.argmin(errors)) == i and errors[i] < 4  # webp: lossy, but tile i is sample i


def test_traverse_references_axes_and_explore_apis(client):
    from PIL import Image

    montage, curves, sound = client.predict(*CODE, "mse", "1, 6, 100", 3, 7, "linear", False, "1=pose",
                                            api_name="/traverse")
    assert not sound  # images have no players
    from gan_geometry.analysis.traversal import eigen_traversal

    m = engine_metric("mse")
    expected = eigen_traversal(load_generator("dcgan-face64"), m.z, m.eigvals, m.eigvecs, [1, 6, 100],
                               np.linspace(-3, 3, 7), axis_labels={1: "pose"}).grid()
    shown = np.asarray(Image.open(montage).convert("RGB"), dtype=np.float64)  # webp: lossy
    assert shown.shape == expected.shape and np.abs(shown - expected).mean() < 4  # 64 px tiles shown at 128
    refs = client.predict(*CODE, "mse", 1, 3, 3, 5, "linear", api_name="/apply_to_references")
    from gan_geometry.analysis.traversal import apply_to_references

    G = load_generator("dcgan-face64")
    expected = apply_to_references(G, G.sample(3, seed=SEED + 1).double().numpy(), m.eigvecs[:, 0],
                                   np.linspace(-3, 3, 5)).grid()  # the engine's references: the next seed's codes
    assert np.abs(np.asarray(Image.open(refs).convert("RGB"), dtype=np.float64) - expected).mean() < 4
    image, plot, summary = client.predict(*CODE, "mse", "sefa", None, 4, 3, 5, api_name="/compare_axes")
    assert "Grassmann distance" in summary and Image.open(image).size[0] > 2 * expected.shape[1]  # two montages

    from gan_geometry.analysis.traversal import explore

    sliders = [1.5, 0, -0.5] + [0] * 7
    image, readout, sound = client.predict(*CODE, "mse", False, 3, *sliders, api_name="/explore")
    point = explore(load_generator("dcgan-face64"), load_distance("mse"), m.z, m.eigvals, m.eigvecs,
                    np.array(sliders[:3]))
    from gan_geometry.presentation.formats import eig

    assert f"D(G(z0), G(z)) = {eig(point.distance)}**" in readout and f"½ δᵀHδ = {eig(point.predicted)}" in readout
    assert "quadratic approximation" in readout
    assert np.abs(read_image(image) - engine_view(point.z)).mean() < 4
    saved = client.predict(*CODE, "mse", False, 3, *sliders, api_name="/download_code")
    assert np.allclose(np.load(saved), point.z)


def test_sweeps_are_reachable_by_name_from_a_fresh_client(app_url):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    first = Client(app_url, verbose=False)
    sweeps, report_choice = first.predict("linear-toy", "default", "mse", 4, 0, [], api_name="/run_sweep")
    name = "linear-toy-default-mse-n4-seed0"
    fresh = Client(app_url, verbose=False)
    assert name in fresh.predict(api_name="/list_sweeps")
    overlay, table, homogeneity, heatmap, hist, iso = fresh.predict([name], api_name="/compare_spectra")
    assert table["data"][0][0] == name and table["data"][0][1] == "4"
    assert homogeneity["headers"][-4:] == ["C^H log", "C^H lin", "log-Euclidean", "cosine"]  # as the CLI and report
    files = fresh.predict([name], api_name="/build_report")
    assert {os.path.splitext(f)[1] for f in files} == {".pdf", ".html"}
    for bad in ("../app", "/etc", os.path.join(os.getcwd(), "results")):
        with pytest.raises(AppError, match="is not a sweep name"):
            fresh.predict([bad], api_name="/build_report")
    with pytest.raises(AppError, match="no sweep named 'nothing-here'"):
        fresh.predict(["nothing-here"], api_name="/compare_spectra")


def test_requests_beyond_the_caps_name_the_cap(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="positions must be a whole number in 2..100; got 500"):
        client.predict("linear-toy", "default", "mse", 500, 0, [], api_name="/run_sweep")
    with pytest.raises(AppError, match="at most 12 ranks per request"):
        client.predict(*CODE, "mse", ", ".join(map(str, range(1, 14))), 3, 5, "linear", False, "",
                       api_name="/traverse")
    with pytest.raises(AppError, match="generator 'linear-toy' has latent spaces default; got 'noise'"):
        client.predict("linear-toy", "noise", "mse", 4, 0, [], api_name="/run_sweep")


@pytest.mark.parametrize(("inputs", "message"), [
    (("dcgan-face64", "noise", "abc", 0, ""), "seed must be a whole number"),
    (("dcgan-face64", "noise", 1e23, 0, ""), "seed must be a whole number in 0..9223372036854775807"),
    (("dcgan-face64", "noise", 0, "two", ""), "sample index must be a whole number in 0..7"),
    (("dcgan-face64", "noise", 0, 8, ""), "sample index must be a whole number in 0..7"),
    (("dcgan-face64", "noise", 0, 0, "1, 2, x"), "the pasted latent code is not a list of numbers"),
])
def test_every_code_field_is_answered(client, inputs, message):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=message):
        client.predict(*inputs, "mse", "exact", 10, api_name="/compute_metric")


def test_text_as_a_step_size_is_answered(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="largest step must be a finite positive number; got 'big'"):
        client.predict(*CODE, "mse", "1, 2", "big", 5, "linear", False, "", api_name="/traverse")
    with pytest.raises(AppError, match="axis 1 must be a finite number"):
        client.predict(*CODE, "mse", False, 2, "far", 0, *[0] * 8, api_name="/explore")


def test_the_api_lists_each_endpoint_once(client):
    endpoints = list(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert len(endpoints) == len(set(endpoints)) and "/sample" in endpoints and "/list_sweeps" in endpoints


def test_four_simultaneous_clients_get_correct_metrics(app_url):
    from gradio_client import Client

    G = load_generator("dcgan-face64")
    expected = {seed: metric_tensor(G, load_distance("mse"), G.sample(1, seed=seed)[0]).eigvals[:20]
                for seed in (11, 12, 13, 14)}

    def one(seed):
        result = Client(app_url, verbose=False).predict("dcgan-face64", "noise", seed, 0, "", "mse", "exact", 10,
                                                        api_name="/compute_metric")
        return seed, np.array([float(row[1]) for row in result[2]["data"]])

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(one, expected))
    for seed, values in results:
        assert np.allclose(values, expected[seed], rtol=1e-3)


def test_pca_axes_and_metrics_run_concurrently_on_the_shared_generator(app_url):
    """PCA reads an intermediate layer; it must not hook the cached generator that a concurrent
    metric request is running through."""
    from gradio_client import Client

    G = load_generator("dcgan-face64")
    expected = {seed: metric_tensor(G, load_distance("mse"), G.sample(1, seed=seed)[0]).eigvals[:20]
                for seed in (21, 22, 23)}

    def metric(seed):
        result = Client(app_url, verbose=False).predict("dcgan-face64", "noise", seed, 0, "", "mse", "exact", 10,
                                                        api_name="/compute_metric")
        return np.array([float(row[1]) for row in result[2]["data"]])

    def pca():
        return Client(app_url, verbose=False).predict(*CODE, "mse", "pca", None, 6, 3, 5, api_name="/compare_axes")

    with ThreadPoolExecutor(4) as pool:
        axes = [pool.submit(pca) for _ in range(2)]
        metrics = {seed: pool.submit(metric, seed) for seed in expected}
        for seed, future in metrics.items():
            assert np.allclose(future.result(), expected[seed], rtol=1e-3)
        for future in axes:
            assert "Grassmann distance" in future.result()[2]


READ_PIXELS = """async (img) => {
    await img.decode();  // resolves once the image the element shows is fully loaded and decoded
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    canvas.getContext("2d").drawImage(img, 0, 0);
    return canvas.toDataURL("image/png");
}"""


def image_at(page, selector: str) -> np.ndarray:
    """The pixels the browser shows in an <img> element, read in the page itself (no second
    fetch that a later update could abort): waits until the element shows a loaded image, then
    decodes it; an element caught between two images is read again."""
    import base64

    element = page.locator(selector).first
    element.wait_for(state="visible", timeout=60_000)
    last = None
    for _ in range(12):
        try:
            element.evaluate("e => e.complete && e.naturalWidth > 0 ? null : new Promise((resolve, reject) => "
                             "{ e.onload = resolve; setTimeout(() => reject(new Error('not loaded')), 4000); })",
                             timeout=5_000)
            return read_image(base64.b64decode(element.evaluate(READ_PIXELS, timeout=5_000).split(",", 1)[1]))
        except Exception as err:
            last = err
            page.wait_for_timeout(300)
    state = element.evaluate("e => [e.src.slice(-80), e.complete, e.naturalWidth]")
    raise AssertionError(f"{selector} never showed a decodable image ({state}): {last}")


ERROR_BADGES = """() => [...document.querySelectorAll("body *")].filter(e => e.children.length === 0
    && e.textContent.trim() === "Error" && !e.closest(".toast-wrap, [data-testid^=toast]")).length"""


def no_error_badges(page) -> None:
    """No output shows Gradio's red "Error" badge (a failed call clears its outputs instead); the
    message itself is a toast, titled "Error", which does not count."""
    assert page.evaluate(ERROR_BADGES) == 0


def close_toasts(page) -> None:
    for button in page.locator("[data-testid=toast-close]").all():
        if button.is_visible():
            button.click()


def test_a_browser_clicks_through_every_tab(app_url, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    shots = tmp_path / "screenshots"
    shots.mkdir()
    expected = [engine_view(engine_code(0, i)) for i in range(8)]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
        page.goto(app_url)
        thumbnails = page.locator("#gallery .thumbnail-item")
        expect(thumbnails).to_have_count(8, timeout=60_000)
        caption = page.locator("#code-caption")
        for i in range(8):  # the chosen image is the clicked tile, and the caption says so
            thumbnails.nth(i).click()
            expect(caption).to_contain_text(f"sample {i} of seed 0", timeout=20_000)
            expect(page.get_by_label("Sample index (click a sample)")).to_have_value(str(i))
            tile, chosen = image_at(page, f"#gallery .thumbnail-item >> nth={i} >> img"), image_at(
                page, "#chosen-image img")
            assert np.abs(chosen - tile).mean() < 4, i
            assert int(np.argmin([np.abs(chosen - e).mean() for e in expected])) == i
        # a pasted code applies on Enter, and no tile is highlighted while it is current
        box = page.locator("#code-box input, #code-box textarea").first
        from gan_geometry.presentation.formats import code

        box.fill(code(engine_code(0, 2).tolist()))
        box.press("Enter")
        expect(caption).to_contain_text("pasted code", timeout=20_000)
        expect(page.locator("#gallery .thumbnail-item.selected")).to_have_count(0)
        assert np.abs(image_at(page, "#chosen-image img") - expected[2]).mean() < 4
        thumbnails.nth(5).click()
        expect(caption).to_contain_text("sample 5 of seed 0", timeout=20_000)
        expect(thumbnails.nth(5)).to_have_class(re.compile("selected"))  # the highlight follows the code
        page.wait_for_timeout(500)
        page.screenshot(path=shots / "pick.png")

        page.get_by_role("tab", name="Metric").click()
        page.get_by_role("button", name="Compute metric").click()
        expect(page.locator("#spectrum .js-plotly-plot")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("All 100 eigenpairs computed")).to_be_visible()
        assert np.abs(image_at(page, "#compute-image img") - expected[5]).mean() < 4
        page.wait_for_timeout(500)
        page.screenshot(path=shots / "compute.png")

        page.get_by_role("tab", name="Axes").click()
        assert np.abs(image_at(page, "#traverse-image img") - expected[5]).mean() < 4
        m = engine_metric(z=engine_code(0, 5))
        from gan_geometry.presentation import formats

        expect(page.locator("#axis-0").get_by_text(formats.axis_label(1, m.eigvals[0]))).to_be_visible(timeout=30_000)
        page.locator("#axis-0 input[type=range]").fill("0.8")
        readout = page.locator("#explore-readout")
        expect(readout).to_contain_text(f"rank 1: {formats.step(0.8)}", timeout=30_000)
        from gan_geometry.analysis.traversal import explore

        point = explore(load_generator("dcgan-face64"), load_distance("lpips-alex"), m.z, m.eigvals, m.eigvecs,
                        np.array([0.8]), scale_by_eigval=True)
        assert f"D(G(z0), G(z)) = {formats.eig(point.distance)}" in readout.inner_text()  # shown is computed
        assert np.abs(image_at(page, "#explore-image img") - engine_view(point.z)).mean() < 4
        page.get_by_role("button", name="Make montage").click()
        expect(page.locator("#montage img")).to_be_visible(timeout=60_000)
        page.wait_for_timeout(1000)
        page.screenshot(path=shots / "traverse.png", full_page=True)

        page.get_by_label("Eigen-ranks (1 = top)").fill("1, 500")
        page.get_by_role("button", name="Make montage").click()
        toast = page.locator("[data-testid=toast-text]").first
        expect(toast).to_contain_text("ranks must lie in 1..100", timeout=30_000)
        expect(page.locator("#montage img")).to_have_count(0)  # the failed call cleared the old montage
        no_error_badges(page)
        page.wait_for_timeout(800)
        page.screenshot(path=shots / "error.png")
        close_toasts(page)
        page.get_by_label("Eigen-ranks (1 = top)").fill("1, 2, 3, 6, 11")

        page.get_by_role("tab", name="Compare").click()
        page.get_by_role("button", name="Run sweep (current generator, space, distance, seed)").click()
        expect(page.locator("#overlay .js-plotly-plot")).to_be_visible(timeout=120_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=shots / "compare.png", full_page=True)

        page.get_by_role("tab", name="Report").click()  # building it: test_the_report_tab_of_a_fresh_page_...
        expect(page.locator("#report-button")).to_be_enabled()  # the new sweep is chosen there too
        page.screenshot(path=shots / "report.png")

        page.get_by_role("tab", name="Pick").click()
        before = image_at(page, "#gallery .thumbnail-item img")
        page.locator("#generator input").click()
        page.get_by_role("option", name="omniart-eyes128").click()
        expect(caption).to_contain_text("omniart-eyes128", timeout=60_000)
        page.wait_for_timeout(1000)
        after = image_at(page, "#gallery .thumbnail-item img")
        assert after.shape != before.shape or np.abs(after - before).mean() > 10  # the gallery changed
        assert after.shape[:2] == (256, 256)  # 128 px eyes, shown at 2x
        for width, name in ((900, "900"), (390, "390")):
            page.set_viewport_size({"width": width, "height": 1000})
            page.wait_for_timeout(1000)
            page.screenshot(path=shots / f"pick-{name}.png", full_page=True)
            for tab in ("Pick", "Metric", "Axes", "Compare", "Report"):  # every tab reachable, not behind a menu
                expect(page.get_by_role("tab", name=tab)).to_be_visible()
        page.get_by_role("tab", name="Axes").click()
        page.wait_for_timeout(1000)
        page.screenshot(path=shots / "traverse-390.png", full_page=True)
        page.set_viewport_size({"width": 900, "height": 1000})
        page.get_by_role("tab", name="Compare").click()
        page.wait_for_timeout(1000)
        page.screenshot(path=shots / "compare-900.png", full_page=True)
        browser.close()
    if os.environ.get("GGL_SCREENSHOTS"):
        import shutil

        shutil.copytree(shots, os.environ["GGL_SCREENSHOTS"], dirs_exist_ok=True)


def test_a_browser_walks_every_generator_and_every_method_and_distance(app_url):
    """Every generator in the menu: the ones that run here show their gallery; the others keep the
    last good generator with a message, the caption still true. On vae-olivetti64, every method
    (with MSE) and every distance (with exact, and topk where the distance needs a fallback): each
    runs (none is refused under the cap) or, where the distance has no weights here, says so; no
    output is left with an "Error" badge."""
    from playwright.sync_api import expect, sync_playwright

    from gan_geometry import METHODS
    from gan_geometry.core.distances import IMAGE_DISTANCES
    from gan_geometry.registry import REGISTRY

    runs = [("mse", method) for method in METHODS] + [(distance, "exact") for distance in IMAGE_DISTANCES
                                                       if distance != "mse"] + [("ssim", "topk")]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(app_url)
        expect(page.locator("#gallery .thumbnail-item")).to_have_count(8, timeout=60_000)
        caption, menu = page.locator("#code-caption"), page.locator("#generator input")
        good = "dcgan-face64"
        for name in REGISTRY:
            menu.click()
            option = page.get_by_role("option").filter(has_text=name).first
            label = option.inner_text().split("\n")[-1]
            option.click()
            if label == name:  # runs here
                expect(caption).to_contain_text(f"({name},", timeout=120_000)
                good = name
            else:  # a reason is shown, the last good generator stays
                expect(page.locator("[data-testid=toast-text]").last).to_contain_text(f"{name} cannot be used here",
                                                                                       timeout=60_000)
                expect(menu).to_have_value(good)
                expect(caption).to_contain_text(f"({good},", timeout=30_000)
                close_toasts(page)
            no_error_badges(page)
        menu.click()
        page.get_by_role("option").filter(has_text="vae-olivetti64").first.click()
        expect(caption).to_contain_text("(vae-olivetti64,", timeout=60_000)
        page.get_by_role("tab", name="Metric").click()
        summary = page.locator("#compute-summary")
        for distance, method in runs:
            page.get_by_role("combobox", name="Distance").click()
            page.get_by_role("option").filter(has_text=re.compile(rf"(^|\s){distance}( \(.*\))?$")).first.click()
            page.get_by_role("combobox", name="Method").click()
            page.get_by_role("option", name=method, exact=True).click()
            page.get_by_role("button", name="Compute metric").click()
            if distance == "lpips-squeeze":  # no offline SqueezeNet weights: said so, outputs cleared
                expect(page.locator("[data-testid=toast-text]").last).to_contain_text("squeeze", timeout=60_000)
                expect(summary).to_have_text("", timeout=30_000)
                close_toasts(page)
            else:  # the summary of this very call: its distance, and the method that ran (fallback said)
                ran = (f"Method: lanczos-backward ({method} needs" if method == "topk" and distance == "ssim"
                       else f"Method: {method}.")
                expect(summary).to_contain_text(f"vae-olivetti64 (z, n = 64), {distance}", timeout=120_000)
                expect(summary).to_contain_text(ran, timeout=120_000)
                assert page.locator("[data-testid=toast-text]").count() == 0, (distance, method)
            no_error_badges(page)
        browser.close()


def test_a_browser_plays_a_sound_and_moves_an_audio_slider(app_url, tmp_path):
    """wavegan-notes in the page: the distances offered become the sound ones, the current sound
    plays to its end, a slider gives an edited sound with the measured STFT distance, and the
    montage has its sound; no image generator shows a player."""
    from playwright.sync_api import expect, sync_playwright

    from gan_geometry.analysis.traversal import explore

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"])
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(app_url)
        expect(page.locator("#gallery .thumbnail-item")).to_have_count(8, timeout=60_000)
        expect(page.locator("#current-sound")).to_be_hidden()
        page.locator("#generator input").click()
        page.get_by_role("option").filter(has_text="wavegan-notes").first.click()
        expect(page.locator("#code-caption")).to_contain_text("(wavegan-notes,", timeout=120_000)
        expect(page.get_by_role("combobox", name="Distance")).to_have_value("stft")
        player = page.locator("#current-sound")
        expect(player).to_be_visible(timeout=30_000)
        expect(player.locator("#duration")).to_have_text("0:01", timeout=30_000)  # 16,384 samples at 16 kHz
        player.locator(".play-pause-button").click()
        expect(player.locator("#time")).to_have_text("0:01", timeout=20_000)  # it played to the end
        page.screenshot(path=tmp_path / "sound-pick.png")

        page.get_by_role("tab", name="Axes").click()
        G, D = load_generator("wavegan-notes"), load_distance("stft")
        z = G.sample(1, seed=0)[0]
        m = metric_tensor(G, D, z)
        from gan_geometry.presentation import formats

        expect(page.locator("#axis-0").get_by_text(formats.axis_label(1, m.eigvals[0]))).to_be_visible(timeout=60_000)
        page.locator("#axis-0 input[type=range]").fill("0.8")
        readout = page.locator("#explore-readout")
        expect(readout).to_contain_text(f"rank 1: {formats.step(0.8)}", timeout=30_000)
        point = explore(G, D, m.z, m.eigvals, m.eigvecs, np.array([0.8]), scale_by_eigval=True)
        assert f"D(G(z0), G(z)) = {formats.eig(point.distance)}" in readout.inner_text()  # as computed
        edited = page.locator("#edited-sound")
        expect(edited.locator("#duration")).to_have_text("0:01", timeout=30_000)
        edited.locator(".play-pause-button").click()
        expect(edited.locator("#time")).to_have_text("0:01", timeout=20_000)
        page.get_by_label("Eigen-ranks (1 = top)").fill("1, 2")
        page.get_by_role("button", name="Make montage").click()
        expect(page.locator("#montage img")).to_be_visible(timeout=60_000)
        rows = page.locator("#montage-sounds audio")
        expect(rows).to_have_count(2, timeout=30_000)  # a player per row
        played = rows.first.evaluate("a => a.play().then(() => new Promise(r => setTimeout(r, 700))).then("
                                     "() => a.currentTime)")
        assert played > 0.3, played
        no_error_badges(page)
        page.screenshot(path=tmp_path / "sound-axes.png", full_page=True)
        browser.close()
    if os.environ.get("GGL_SCREENSHOTS"):
        import shutil

        for name in ("sound-pick.png", "sound-axes.png"):
            shutil.copy(tmp_path / name, os.environ["GGL_SCREENSHOTS"])


EXPLORER_IN_VIEW = """(i) => {
    const slider = document.querySelector(`#axis-${i}`).getBoundingClientRect();
    window.scrollBy(0, slider.bottom - window.innerHeight + 10);  // the slider at the bottom of the window
}"""


def explorer_geometry(page, i: int) -> dict:
    """Where the original, the edited image and slider i are in the window after scrolling slider i
    to its bottom and dragging it (the page's own geometry, in CSS pixels)."""
    page.evaluate(EXPLORER_IN_VIEW, i)
    page.locator(f"#axis-{i} input[type=range]").fill("0.5")
    page.wait_for_timeout(400)
    return {name: page.locator(selector).bounding_box() for name, selector in
            (("original", "#traverse-image"), ("edited", "#explore-image"), ("slider", f"#axis-{i}"))}


@pytest.mark.parametrize("width", [1280, 390])
def test_original_and_edited_stay_in_view_while_every_slider_is_dragged(app_url, width):
    """Each of the five sliders scrolled to the bottom of the window and dragged: both images are
    wholly inside the window and above the slider (not covering it)."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(app_url)
        expect(page.locator("#gallery .thumbnail-item")).to_have_count(8, timeout=60_000)
        page.get_by_role("tab", name="Axes").click()
        expect(page.locator("#axis-4")).to_be_visible(timeout=30_000)
        for i in range(5):
            box = explorer_geometry(page, i)
            for name in ("original", "edited"):
                assert box[name]["y"] >= -1 and box[name]["y"] + box[name]["height"] <= 900, (width, i, name, box)
            if width < 700:  # one column: the sticky images sit above the slider being dragged
                assert box["original"]["y"] + box["original"]["height"] <= box["slider"]["y"] + 1, (i, box)
            assert box["slider"]["y"] + box["slider"]["height"] <= 900 + 1, (i, box)
        expect(page.locator("#explore-readout")).to_contain_text("rank 5: +0.5", timeout=30_000)
        browser.close()


def test_the_report_tab_of_a_fresh_page_preselects_the_newest_sweep_and_builds(app_url, client, tmp_path):
    """With a sweep on the server, a page opened afresh has it chosen in the Report tab and Build
    enabled; its report downloads as a PDF. No "Error" badge anywhere."""
    from playwright.sync_api import expect, sync_playwright

    client.predict("dcgan-face64", "noise", "mse", 3, 7, [], api_name="/run_sweep")
    newest = client.predict(api_name="/list_sweeps")[0]
    assert newest == "dcgan-face64-noise-mse-n3-seed7"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        page.goto(app_url)
        expect(page.locator("#gallery .thumbnail-item")).to_have_count(8, timeout=60_000)
        page.get_by_role("tab", name="Report").click()
        expect(page.locator("#report-sweeps")).to_contain_text(newest, timeout=30_000)
        button = page.locator("#report-button")
        expect(button).to_be_enabled()
        expect(page.locator("#report-hint")).not_to_contain_text("No sweep yet")
        button.click()
        link = page.locator('#report-files a[download$=".pdf"]')
        expect(link).to_be_visible(timeout=120_000)
        assert newest in link.get_attribute("download")
        with page.expect_download() as download:
            link.click()
        saved = tmp_path / "report.pdf"
        download.value.save_as(saved)
        assert saved.read_bytes()[:5] == b"%PDF-"  # the PDF the page offers, downloaded
        no_error_badges(page)
        browser.close()


def test_compare_at_390_px_scrolls_figures_and_tables_sideways_instead_of_squeezing(app_url, client):
    """On a phone the Compare tab's tables keep every column (scrolling sideways) and its figures
    keep their desktop layout (titles and legends not run together), in a block that scrolls."""
    from playwright.sync_api import expect, sync_playwright

    names = client.predict(api_name="/list_sweeps")
    if not names:
        client.predict("dcgan-face64", "noise", "mse", 3, 7, [], api_name="/run_sweep")
        names = client.predict(api_name="/list_sweeps")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 900})
        page.goto(app_url)
        expect(page.locator("#gallery .thumbnail-item")).to_have_count(8, timeout=60_000)
        page.get_by_role("tab", name="Compare").click()
        page.locator("#compare-sweeps input").click()
        page.get_by_role("option").filter(has_text=names[0]).first.click()
        page.keyboard.press("Escape")
        page.get_by_role("button", name="Compare", exact=True).click()
        expect(page.locator("#histograms .js-plotly-plot")).to_be_visible(timeout=60_000)
        header = page.locator("#models-table thead th")
        assert header.count() >= 6  # every column of Table 2 is there
        scroll = page.evaluate("""() => { const t = document.querySelector('#models-table table');
            let e = t.parentElement; while (e && getComputedStyle(e).overflowX !== 'auto') e = e.parentElement;
            return e && [e.scrollWidth, e.clientWidth]; }""")
        assert scroll is not None and scroll[0] >= scroll[1]  # a sideways scroller holds the table
        for plot in ("#overlay", "#heatmap", "#histograms"):
            width = page.locator(f"{plot} .js-plotly-plot").bounding_box()["width"]
            assert width >= 600, (plot, width)  # the figure's own layout, not squeezed into 390 px
        assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # the page itself does not widen
        browser.close()


def test_mechanism_api_shows_the_engines_layer_numbers(client):
    from gan_geometry.analysis.layers import layers_at, summarise_layers

    spectra, amplification, table = client.predict(*CODE, "mse", api_name="/mechanism")
    G = load_generator("dcgan-face64")
    expected = summarise_layers(layers_at(G, load_distance("mse"), engine_code()))
    rows = table["data"]
    from gan_geometry.analysis.layers import list_layers
    from gan_geometry.presentation.tables import readable_layer_names

    names = readable_layer_names(list_layers(G))
    assert [row[0] for row in rows] == [names.get(r["metric"], r["metric"]) for r in expected.rows]
    assert rows[0][0].startswith("block ") and "→ 512×4×4" in rows[0][0]  # a layer a person can read
    from gan_geometry.presentation.formats import eig

    assert float(rows[0][1]) == pytest.approx(expected.rows[0]["top"], rel=1e-3)  # the engine's number, 4 digits
    assert float(rows[-1][2]) == pytest.approx(expected.rows[-1]["top_shuffled"], rel=1e-3)
    assert rows[0][1] == eig(expected.rows[0]["top"])
