"""The app's handlers in-process, without a server: each returns what the engine computes."""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from gan_geometry import GeometryError, load_distance, load_generator, metric_tensor
from gan_geometry.app import handlers as h
from gan_geometry.app.settings import Settings
from gan_geometry.app.state import AppState
from gan_geometry.presentation import sentences


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    s = AppState(Settings(results=tmp_path_factory.mktemp("results")))
    yield s
    s.close()
    assert not s.downloads.exists()


def test_importing_the_app_does_nothing_until_it_is_built():
    """No environment variable, temporary folder or model at import: the builder makes them."""
    code = ("import os, tempfile, glob; before = set(glob.glob(tempfile.gettempdir() + '/ggl-app-*')); "
            "import app, gan_geometry.app.layout, gan_geometry.app.handlers; "
            "print('GRADIO_ANALYTICS_ENABLED' in os.environ, set(glob.glob(tempfile.gettempdir() + '/ggl-app-*')) "
            "== before)")
    env = {k: v for k, v in os.environ.items() if k != "GRADIO_ANALYTICS_ENABLED"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.stdout.split() == ["False", "True"], done.stderr


def test_the_gallery_and_the_current_code_are_the_engines_samples(state, face):
    gallery, index, code = h.sample(state, "dcgan-face64", "noise", 3)
    with torch.no_grad():
        expected = face(face.sample(8, seed=3)).numpy()
    assert (index, code) == (0, "") and len(gallery) == 8
    for (tile, _), x in zip(gallery, expected, strict=True):
        assert np.array_equal(tile, h.view(state, x)) and tile.shape == (192, 192, 3)
    image, caption, sound = h.show_code(state, "dcgan-face64", "noise", 3, 5, "", "pasted code")
    assert np.array_equal(image, gallery[5][0]) and caption.startswith("**Current code:** sample 5 of seed 3")
    assert sound is None  # images have no sound
    spaces, *_ = h.choose_generator(state, "omniart-eyes128", 0)
    assert spaces == ["noise", "class", "both"]


def test_compute_shows_the_engines_metric_and_sentence(state, face, lpips_alex):
    plot, summary, table, archive = h.compute(state, "dcgan-face64", "noise", 1, 2, "", "lpips-alex", "exact", 10)
    expected = metric_tensor(face, lpips_alex, face.sample(3, seed=1)[2])
    assert np.allclose([float(v) for _, v in table.rows], expected.eigvals[:20], rtol=1e-3)
    assert sentences.spectrum_sentence(expected.eigvals, 100, 100) in summary and archive.endswith(".zip")


def test_explore_measures_the_distance_it_shows(state, face, mse):
    image, readout, sound = h.explore_axes(state, "dcgan-face64", "noise", 0, 0, "", "mse", False, 2, 1.5, -0.5)
    m = metric_tensor(face, mse, face.sample(1, seed=0)[0])
    z = m.z + 1.5 * m.eigvecs[:, 0] - 0.5 * m.eigvecs[:, 1]
    with torch.no_grad():
        x0, x = face(torch.as_tensor(m.z)[None].float()), face(torch.as_tensor(z)[None].float())
        distance = float(load_distance("mse")(x0, x)[0])
    assert f"D(G(z0), G(z)) = {distance:.4g}" in readout
    with pytest.raises(GeometryError, match="axis 2 must be a finite number; got 'far'"):
        h.explore_axes(state, "dcgan-face64", "noise", 0, 0, "", "mse", False, 2, 1.0, "far")


def test_sweeps_tables_and_reports_by_name(state):
    names, name = h.add_sweep(state, "linear-toy", "default", "mse", 3, 0)
    assert names == [name] == h.sweeps_available(state)
    overlay, table, homogeneity, *_ = h.compare_spectra(state, [name])
    from gan_geometry.analysis.sweeps import load_sweep

    sweep = load_sweep(state.settings.results / name)  # Table 2 counts, recomputed as the authors' script does
    mean = np.sort(np.abs(np.asarray(sweep.eigvals).mean(0)))[::-1]
    explained = np.cumsum(mean) / mean.sum()
    paper = [int((explained < f).sum()) for f in (0.99, 0.999, 0.9999, 0.99999)]
    assert table.rows[0][:3] == [name, "3", "8"] and [int(c) for c in table.rows[0][3:7]] == paper
    with pytest.raises(GeometryError, match="not a sweep name"):
        h.compare_spectra(state, ["../etc"])


@pytest.mark.parametrize(("args", "message"), [
    (("dcgan-face64", "noise", "abc", 0, ""), "seed must be a whole number"),
    (("dcgan-face64", "noise", 0, 8, ""), "sample index must be a whole number in 0..7"),
    (("dcgan-face64", "noise", 0, 0, "1, x"), "the pasted latent code is not a list of numbers"),
    (("stylegan2-ffhq-1024", "z", 0, 0, ""), "this app is capped at 256px"),
])
def test_bad_codes_are_refused_naming_the_field(state, args, message):
    with pytest.raises(GeometryError, match=message):
        h.show_code(state, *args, "pasted code")


def test_labels_kept_by_the_command_line_reach_the_apps_sliders(tmp_path):
    """traverse --label 1=pose --keep-labels DIR: the app serving DIR shows the label on the slider
    of rank 1 and on the montage row."""
    from tests.commands import run

    done = run("traverse", "--distance", "mse", "--ranks", "1", "--steps", "-1", "1", "--label", "1=pose",
               "--keep-labels", str(tmp_path / "results"), "--out", str(tmp_path / "m.png"))
    assert done.returncode == 0, done.stderr
    app = AppState(Settings(results=tmp_path / "results"))
    try:
        text = h.kept_labels(app, "dcgan-face64", "noise", "mse")
        assert text == "1=pose"
        labels = h.slider_labels(app, "dcgan-face64", "noise", 0, 0, "", "mse", text)
        assert labels[0].startswith("rank 1 · λ ") and labels[0].endswith(" · pose") and labels[1].startswith("rank 2")
        assert h.kept_labels(app, "dcgan-face64", "noise", "lpips-alex") == ""  # per distance
    finally:
        app.close()


def test_the_metric_cache_is_bounded_in_bytes(tmp_path):
    """Three dcgan-face64 metrics (100 x 100 float64 eigenvectors and H: ~160 KB each) in a cache of
    400 KB: the least recently used goes, and what stays is reused, not recomputed."""
    from gan_geometry.app.state import metric_bytes

    limits = {"models": 2**30, "distances": 2**30, "metrics": 400_000, "images": 2**20}
    app = AppState(Settings(results=tmp_path, cache_bytes=limits))
    try:
        first = h.metric_for(app, "dcgan-face64", "noise", 0, 0, "", "mse")
        assert 150_000 < metric_bytes(first) < 200_000
        for index in (1, 2):
            h.metric_for(app, "dcgan-face64", "noise", 0, index, "", "mse")
        assert app.metric.bytes() <= 400_000 and len(app.metric.entries) == 2
        assert h.metric_for(app, "dcgan-face64", "noise", 0, 2, "", "mse") is list(app.metric.entries.values())[-1]
        assert h.metric_for(app, "dcgan-face64", "noise", 0, 0, "", "mse") is not first  # it had gone
    finally:
        app.close()


def test_the_model_cache_is_bounded_in_bytes_and_the_app_says_so(tmp_path):
    """A model cache of 1.5 times dcgan-face64's bytes cannot hold it beside the VAE decoder: the
    least recently used goes, the newest is always kept; the page's sentence states every bound."""
    from gan_geometry.app.state import module_bytes

    face = load_generator("dcgan-face64")
    size = module_bytes(face)
    limits = {"models": int(1.5 * size), "distances": 2**30, "metrics": 2**20, "images": 2**20}
    app = AppState(Settings(results=tmp_path, cache_bytes=limits))
    try:
        first = app.generator("dcgan-face64", "noise")
        vae = app.generator("vae-olivetti64", "z")
        assert size + module_bytes(vae) > limits["models"] and list(app.generator.entries) == [
            ("vae-olivetti64", "z")]
        assert app.generator("dcgan-face64", "noise") is not first
        sentence = sentences.cache_sentence(app.settings.cache_bytes)
        assert "of models" in sentence and "of metrics" in sentence and "1.0 MiB of images" in sentence
    finally:
        app.close()


def test_the_pairs_the_app_compiles_run_compiled_and_agree_with_eager(tmp_path, monkeypatch):
    compiled = AppState(Settings(results=tmp_path, compiled=(("linear-toy", "mse"),)))
    eager = AppState(Settings(results=tmp_path))
    try:
        fast = h.metric_for(compiled, "linear-toy", "default", 0, 1, "", "mse")
        slow = h.metric_for(eager, "linear-toy", "default", 0, 1, "", "mse")
        assert fast.provenance["compiled"] and not slow.provenance["compiled"]
        assert np.abs(fast.H - slow.H).max() <= 1e-5 * np.abs(slow.H).max()
        monkeypatch.delenv("GGL_COMPILE", raising=False)
        assert Settings.from_env().compiled == (("dcgan-face64", "lpips-alex"),)  # what the app compiles at start
        monkeypatch.setenv("GGL_COMPILE", "0")
        assert Settings.from_env().compiled == ()
    finally:
        compiled.close()
        eager.close()


def test_a_sound_generator_plays_its_sounds_and_shows_their_spectrograms(state):
    """wavegan-notes in the app: the current sound is the generator's waveform as 16-bit PCM, the
    image its spectrogram; sliders give the edited sound; a montage has a player per row; the
    distances offered are the sound ones."""
    from gan_geometry.core.sound import spectrogram_picture

    G = load_generator("wavegan-notes")
    x = G(G.sample(2, seed=0))[1].numpy()
    image, caption, (rate, samples) = h.show_code(state, "wavegan-notes", "noise", 0, 1, "", "x")
    assert rate == 16000 and samples.dtype == np.int16 and samples.shape == (16384,)
    assert np.abs(samples / 32767 - (2 * x.ravel() - 1)).max() < 1e-4
    plot_area = image[6:6 + 2 * 96:2, 46:46 + 2 * 128:2] / 255  # inside the axes: the spectrogram, 2x
    assert np.abs(plot_area - spectrogram_picture(x).transpose(1, 2, 0))[:, 1:].max() < 0.01  # column 0: ticks
    assert image.shape == (6 + 2 * 96 + 30, 46 + 2 * 128 + 8, 3)
    assert (image[6 + 2 * 96 + 4:, 46:-8] < 128).any() and (image[6:6 + 2 * 96, :40] < 128).any()  # axis labels
    sounds = ["mse", "stft", "stft-power", "stft-db", "logmel"]
    choices, chosen = h.distance_choices("wavegan-notes", "lpips-alex")
    assert [name for _, name in choices] == sounds and chosen == "stft"
    choices, chosen = h.distance_choices("dcgan-face64", "stft")
    assert [name for _, name in choices] == ["mse", "ssim", "lpips-alex", "lpips-vgg", "lpips-squeeze"]
    assert chosen == "lpips-alex" and choices[-1][0].startswith("lpips-squeeze (")  # no weights here: said so
    _, _, (_, edited) = h.explore_axes(state, "wavegan-notes", "noise", 0, 1, "", "stft", True, 2, 0.8, 0)
    assert edited.shape == samples.shape and np.abs(edited.astype(int) - samples).max() > 100
    grid, _, players = h.montage(state, "wavegan-notes", "noise", 0, 1, "", "stft", "1, 2", 1.0, 3, "linear", False)
    import base64
    import io
    import re

    from scipy.io import wavfile

    wavs = re.findall(r'<audio controls preload="auto" src="data:audio/wav;base64,([^"]+)"', players)
    assert len(wavs) == 2 and grid.shape[2] == 3  # a player per row
    rate, row = wavfile.read(io.BytesIO(base64.b64decode(wavs[0])))
    assert rate == 16000 and row.shape == (3 * (16384 + 2400),)  # the row's three steps, 0.15 s apart
    assert h.show_code(state, "dcgan-face64", "noise", 0, 1, "", "x")[2] is None  # images have no sound


def test_the_slice_map_and_the_two_model_comparison_are_the_engines(state):
    """Axes' slice map: the engine's slice_maps at the current code along ranks 1 and 2, said as the
    engine says it; Compare's two-model interpolation of a model with itself: every pair comparable."""
    from gan_geometry.analysis.slices import slice_maps
    from gan_geometry.presentation.sentences import slice_sentence

    m = h.metric_for(state, "linear-toy", "default", 0, 0, "", "mse")
    _, sentence = h.slice_at(state, "linear-toy", "default", 0, 0, "", "mse", 1.0, 3)
    expected = slice_maps(load_generator("linear-toy"), load_distance("mse"), m.z, m.eigvecs[:, :2], 1.0, 3,
                          ("rank 1", "rank 2"))
    assert sentence == slice_sentence(expected)
    with pytest.raises(GeometryError, match="grid points per side must be a whole number in 3..11"):
        h.slice_at(state, "linear-toy", "default", 0, 0, "", "mse", 1.0, 40)
    _, table, said = h.compare_interpolation(state, "linear-toy", "default", "linear-toy", "mse", 2, 0)
    assert [row[3] for row in table.rows] == ["yes", "yes"] and "Appendix D): 1, 2." in said
    assert [row[1] for row in table.rows] == ["0.0 %", "0.0 %"]  # a linear generator: the straight line is shortest
