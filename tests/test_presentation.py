"""The presentation layer's edge cases, tested once: a one-position sweep, a top-k sweep, a
degenerate metric, numbers that are not finite, sound, and one precision per quantity wherever a
number is shown (the surfaces only render these objects; their own tests check that they do)."""

import re

import numpy as np
import pytest

from gan_geometry import load_distance, load_generator, metric_tensor
from gan_geometry.analysis.sweeps import run_sweep
from gan_geometry.presentation import formats, records, sentences, tables
from gan_geometry.presentation.formats import NEEDS_TWO
from tests.commands import run


def row_of(sweep):
    return tables.model_row(tables.sweep_label(sweep.settings), sweep, sweep.summary(n_boot=50))


@pytest.fixture(scope="module")
def one_position(tmp_path_factory, toy, mse):
    return run_sweep(tmp_path_factory.mktemp("one") / "sweep", toy, mse, n=1, seed=0)


def test_a_one_position_sweep_says_what_it_cannot_give_everywhere(one_position, tmp_path):
    """Statistics between positions need two: every table, the report and the command line say
    so in the same words, and no "nan" is shown anywhere."""
    row = row_of(one_position)
    assert tables.homogeneity_cells(row) == [NEEDS_TWO] * 4
    headline = tables.headline_table(row, 50)
    assert [r[1] for r in headline.rows if r[0].startswith(("C^H", "log-Euclidean", "metric cosine", "top-"))] == \
        [NEEDS_TWO] * 7  # the bootstrap C^H rows, the homogeneity rows and the overlap
    stats = run("stats", str(one_position.directory), "--n-boot", "20")
    assert stats.returncode == 0 and NEEDS_TWO in stats.stdout and "nan" not in stats.stdout.lower()
    from gan_geometry.reports.builder import build_report

    data = build_report(one_position.directory, html=tmp_path / "r.html")
    text = re.sub(r"<script.*?</script>", "", (tmp_path / "r.html").read_text(), flags=re.S)
    assert NEEDS_TWO in text and not re.search(r"\bnan\b", text, flags=re.I)
    homogeneity = next(s for s in data.sections if s.key == "homogeneity")
    assert not homogeneity.figures and NEEDS_TWO in homogeneity.text  # no empty heatmap, the reason instead
    assert records.summary_record(one_position, one_position.summary(n_boot=20))["homogeneity"]["C^H log"] is None


def test_a_top_k_sweep_reads_as_a_partial_spectrum(tmp_path, toy, mse):
    sweep = run_sweep(tmp_path / "topk", toy, mse, n=3, seed=0, method="topk", k=3)
    row = row_of(sweep)
    assert row.summary.anisotropy.n == 3 and all(c != formats.NOT_FINITE for c in tables.homogeneity_cells(row))
    sentence = sentences.spectrum_sentence(sweep.eigvals[0], 3, 8)
    assert sentence.startswith("Top 3 of 8 eigenpairs computed") and "eigenvalue 0" in sentence


def test_a_degenerate_metric_is_said_to_be_one_never_summarised_as_rank_one():
    assert sentences.spectrum_sentence(np.zeros(10), 10, 10).startswith("Every eigenvalue is 0")
    assert "not finite" in sentences.spectrum_sentence(np.array([1.0, np.nan]), 2, 2)
    ordinary = sentences.spectrum_sentence(np.array([4.0, 1.0]), 2, 2)
    assert "Effective rank" in ordinary and "Every eigenvalue" not in ordinary


def test_numbers_that_are_not_finite_are_named_not_printed_as_nan():
    for value in (np.nan, np.inf, -np.inf, None):
        assert formats.eig(value) == formats.corr(value) == formats.seconds(value) == formats.NOT_FINITE
    assert formats.mean_std((np.nan, 0.1)) == f"{formats.NOT_FINITE} ± 0.100"


def test_one_precision_per_quantity_wherever_it_is_shown(tmp_path, face, mse):
    """C^H has three decimals in the model table, the homogeneity table, the report's headline and
    its caption; an eigenvalue four significant digits in the eigenvalue table, on the sliders and
    on the montage rows (the same label)."""
    sweep = run_sweep(tmp_path / "face", face, mse, n=3, seed=0)
    row = row_of(sweep)
    C = row.summary.consistency
    shown = formats.corr(C.log_mean)
    assert re.fullmatch(r"-?\d\.\d{3}", shown)
    assert tables.model_table([row]).rows[0][3] == str(int(row.summary.anisotropy.paper[0]))
    assert tables.homogeneity_table([row]).rows[0][1].startswith(shown)
    assert tables.headline_table(row, 50).rows[-5][1].startswith(shown)
    assert f"Mean {shown} on the log scale" in sentences.homogeneity_caption(C, 3)

    from gan_geometry.analysis.traversal import eigen_traversal
    from gan_geometry.app import handlers as h
    from gan_geometry.app.settings import Settings
    from gan_geometry.app.state import AppState

    state = AppState(Settings(results=tmp_path / "app"))
    try:
        sliders = h.slider_labels(state, "dcgan-face64", "noise", 0, 0, "", "mse", "1=pose")
        m = h.metric_for(state, "dcgan-face64", "noise", 0, 0, "", "mse")
    finally:
        state.close()
    montage = eigen_traversal(face, m.z, m.eigvals, m.eigvecs, [1, 2], np.array([-1.0, 1.0]), axis_labels={1: "pose"})
    assert montage.row_labels == sliders[:2]
    assert tables.eigenvalue_table(m.eigvals, 100).rows[0][1] == sliders[0].split("λ ")[1].split(" ·")[0]


def test_a_sound_generators_words_and_labels(tmp_path):
    """For sounds: the explorer's readout speaks of the output (not an image), montage rows carry
    the same axis labels, and a sweep's tables are those of any generator."""
    options = {"random_weights": True, "model_size": 2}
    G, D = load_generator("wavegan-notes", **options), load_distance("stft")
    m = metric_tensor(G, D, G.sample(1, seed=0)[0])
    sentence = sentences.spectrum_sentence(m.eigvals, m.n_computed, m.latent_dim)
    assert sentence.startswith("All 100 eigenpairs computed")
    from gan_geometry.analysis.traversal import Exploration

    readout = sentences.explore_readout(Exploration(m.z, np.zeros((1, 1, 8)), 0.5, 0.25), "stft", True, [1.0, 0.0])
    assert "image" not in readout and "rank 1: +1" in readout and "0.5" in readout
