"""Reports: HTML that works offline, a PDF with every section and the engine's numbers."""

import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pytest

from gan_geometry import GeometryError, load_distance
from gan_geometry.analysis import statistics as st
from gan_geometry.analysis.axes import sefa_axes
from gan_geometry.analysis.layers import load_layer_sweep, run_layer_sweep, summarise_layers
from gan_geometry.analysis.sweeps import load_sweep, run_sweep
from gan_geometry.reports.builder import build_report
from gan_geometry.reports.sections.montages import default_montage

SECTIONS = ("Spectra", "Anisotropy", "Illusion of isotropy", "Homogeneity", "Average metric",
            "Eigen-axis montages and distance curves", "Axis families against the eigenframe",
            "Distance comparison", "Mechanism: where the geometry comes from", "Methods and formulas")


class Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sources, self.ids, self.headings, self._in_h2 = [], set(), [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img", "link", "iframe") and (attrs.get("src") or attrs.get("href")):
            self.sources.append(attrs.get("src") or attrs.get("href"))
        if "id" in attrs:
            self.ids.add(attrs["id"])
        self._in_h2 = tag == "h2"

    def handle_data(self, data):
        if self._in_h2:
            self.headings.append(data.strip())


@pytest.fixture(scope="module")
def results(tmp_path_factory, face, mse):
    root = tmp_path_factory.mktemp("results")
    run_sweep(root / "face", face, mse, n=5, seed=0)
    run_sweep(root / "face" / "compare" / "lpips", face, load_distance("lpips-alex"), n=5, seed=0)
    sefa_axes(face, k=6).with_label(0, "pose").save(root / "face" / "axes" / "sefa")
    run_layer_sweep(root / "face" / "layers", face, mse, 2, seed=0, layers=["module.main.2", "module.main.8"])
    build_report(root / "face", html=root / "report.html", pdf=root / "report.pdf")
    return root


def test_html_parses_has_every_section_and_loads_nothing_from_the_network(results):
    parser = Collector()
    text = (results / "report.html").read_text()
    parser.feed(text)
    parser.close()
    for heading in SECTIONS:
        assert any(h.endswith(heading) for h in parser.headings), heading
    assert {"spectra", "homogeneity", "axes", "families", "comparison", "mechanism"} <= parser.ids
    assert all(not s.startswith(("http://", "https://", "//")) for s in parser.sources), parser.sources
    assert "Plotly.newPlot" in text and "cdn.plot.ly" not in "".join(parser.sources)


def pdftotext(path, *options):
    return subprocess.run(["pdftotext", *options, str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_pdf_has_each_heading_and_the_engines_headline_numbers(results):
    """The PDF shows the tables the presentation layer makes of the engine's statistics (their
    formats are tested once, in test_presentation): headline numbers, both Table 2 definitions,
    the homogeneity statistics and the layer numbers."""
    from gan_geometry.presentation import tables

    text = " ".join(pdftotext(results / "report.pdf").split())  # reading order: a table cell's text stays together
    for heading in SECTIONS + ("Contents", "Provenance", "page 2 of"):
        assert heading in text, heading
    sweep = load_sweep(results / "face")
    summary = sweep.summary(n_boot=1000)
    row = tables.model_row(tables.sweep_label(sweep.settings), sweep, summary)
    shown = [(tables.headline_table(row, 1000), 1), (tables.anisotropy_table([row]), 4),
             (tables.homogeneity_table([row]), 1)]  # each with the column its numbers start in
    for table, first in shown:
        for cells in table.rows:
            assert " ".join(cells[first:]).strip() in text, cells
    assert "0: pose" in text and "metric cosine" in text  # the axis label travels into the report
    layers = tables.layer_table(summarise_layers(load_layer_sweep(results / "face" / "layers")))
    assert " ".join(layers.rows[0][1:]) in text  # the engine's layer numbers


def test_every_pdf_page_renders_and_one_holds_the_montage_pixels(results, tmp_path, face):
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(results / "report.pdf"), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    listing = subprocess.run(["pdfinfo", str(results / "report.pdf")], capture_output=True, text=True,
                             check=True).stdout
    assert len(pages) == int(listing.split("Pages:")[1].split()[0]) >= 9
    from PIL import Image

    for page in pages:
        assert Image.open(page).size[0] > 100
    # the embedded montage is the engine's grid, pixel for pixel
    subprocess.run(["pdfimages", "-png", str(results / "report.pdf"), str(tmp_path / "img")], check=True)
    images = [np.asarray(Image.open(p).convert("RGB")) for p in sorted(tmp_path.glob("img*.png"))]
    sweep = load_sweep(results / "face")
    expected = default_montage(face, sweep, st.average_metric(sweep.eigvals, sweep.eigvecs, sweep.H)).grid()
    assert any(im.shape == expected.shape and np.array_equal(im, expected) for im in images)
    assert expected.std() > 20  # faces, not a blank grid
    rendered = [np.asarray(Image.open(p).convert("L")) for p in pages]
    assert max(float(p.std()) for p in rendered) > 30  # the montage page renders as images, not blank


def test_missing_optional_sections_are_left_out(tmp_path, toy, mse):
    run_sweep(tmp_path / "toy", toy, mse, n=4, seed=1)
    data = build_report(tmp_path / "toy", html=tmp_path / "toy.html")
    titles = [s.title for s in data.sections]
    assert "Distance comparison" not in titles and "Axis families against the eigenframe" not in titles
    assert "Distance comparison" not in (tmp_path / "toy.html").read_text()


@pytest.mark.slow  # a subprocess
def test_a_corrupt_results_directory_gives_a_clear_error_and_no_file(tmp_path, toy, mse):
    run_sweep(tmp_path / "toy", toy, mse, n=3, seed=1)
    (tmp_path / "toy" / "eigvecs.npy").write_bytes(b"not numpy")
    with pytest.raises(GeometryError, match="damaged"):
        build_report(tmp_path / "toy", html=tmp_path / "r.html", pdf=tmp_path / "r.pdf")
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "r.pdf").exists()
    done = subprocess.run([sys.executable, "-m", "gan_geometry", "report", str(tmp_path / "nothing"), "--pdf",
                           str(tmp_path / "x.pdf")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "not a sweep directory" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_several_models_are_compared_in_the_report_and_on_the_command_line(tmp_path, face, toy, mse):
    from tests.commands import run

    run_sweep(tmp_path / "face", face, mse, n=3, seed=0)
    run_sweep(tmp_path / "toy", toy, mse, n=3, seed=0)
    data = build_report(tmp_path / "face", html=tmp_path / "r.html", models=[tmp_path / "toy"])
    section = next(s for s in data.sections if s.key == "models")
    rows = section.tables[0].rows  # per model: the paper's counts, then the per-position mean ± std
    assert [row[0] for row in rows[::2]] == ["dcgan-face64 (noise, mse)", "linear-toy (default, mse)"]
    table = st.anisotropy_table(np.asarray(load_sweep(tmp_path / "toy").eigvals))
    assert [int(cell) for cell in rows[2][4:]] == table.paper.tolist()
    mean, std = (float(x) for x in rows[3][4].split(" ± "))
    assert mean == pytest.approx(table.mean[0], abs=0.05) and std == pytest.approx(table.std[0], abs=0.05)
    done = run("compare", str(tmp_path / "face"), str(tmp_path / "toy"))
    assert done.returncode == 0, done.stderr
    assert "Table 2" in done.stdout and "linear-toy (default, mse)" in done.stdout
    assert "Distance comparison" not in done.stdout  # other positions: no Table 3


def test_a_sound_sweeps_report_shows_spectrograms_and_plays_each_montage_row(tmp_path):
    """wavegan-notes (small, random weights): the montage is made of spectrogram pictures and the
    HTML embeds one WAV per row, each the row's sounds in order."""
    import base64
    import io
    import re

    from scipy.io import wavfile

    from gan_geometry import load_generator
    from gan_geometry.core.sound import displayable, pcm16

    options = {"random_weights": True, "model_size": 2}
    G = load_generator("wavegan-notes", **options)
    sweep = run_sweep(tmp_path / "notes", G, load_distance("stft"), n=2, seed=0, generator_options=options)
    html = tmp_path / "r.html"
    data = build_report(tmp_path / "notes", html=html)
    axes = next(s for s in data.sections if s.key == "axes")
    montage = default_montage(G, sweep, sweep.summary(n_boot=10).average)
    assert displayable(montage.images).shape[-3:] == (3, 96, 128)  # the montage's tiles are spectrograms
    assert len(axes.sounds) == len(montage.row_labels) >= 2
    text = html.read_text()
    wavs = re.findall(r'<audio controls preload="none" src="data:audio/wav;base64,([^"]+)"', text)
    assert len(wavs) == len(montage.row_labels)
    rate, samples = wavfile.read(io.BytesIO(base64.b64decode(wavs[0])))
    assert rate == 16000
    at = 0  # each step's sound, in order, whatever the silence between them
    for x in montage.images[0]:
        clip = pcm16(x)
        starts = [i for i in np.flatnonzero(samples[at:] == clip[0]) + at
                  if np.array_equal(samples[i:i + clip.size], clip)]
        assert starts, "a step's sound is missing from the row's WAV"
        at = starts[0] + clip.size
