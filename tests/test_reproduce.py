"""``gan-geometry reproduce``: the paper's published numbers beside the project's, the project's
computed by the paper's definitions, rows that cannot be measured saying how to, and a rerun that
reads back what was computed."""

import re
from html import unescape

import numpy as np
import pytest

from gan_geometry.analysis.sweeps import load_sweep
from gan_geometry.reports import reproduce as reproduction
from tests.commands import run

TINY = reproduction.Scale(positions=3, sound_positions=2, layer_positions=1, timing_codes=1, curve_pairs=1,
                          curve_steps=5, inversion=(1, 1, 5), slice_size=3)


@pytest.mark.slow  # a small reproduction: every experiment once (about half a minute)
def test_reproduce_quick_sets_the_papers_numbers_beside_ours(tmp_path, monkeypatch):
    from gan_geometry import load_generator

    monkeypatch.setattr(reproduction, "QUICK", TINY)
    timed = reproduction.time_methods  # Table 1's timing, every method, on the 8-d toy (16 s on the face GAN)
    toy = load_generator("linear-toy")
    monkeypatch.setattr(reproduction, "time_methods", lambda G, D, codes, row: timed(toy, D, toy.sample(1), row))
    done = run("reproduce", "--quick", "--no-pdf", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "reproduce.html").read_text()
    text = unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", "", html, flags=re.S)))
    assert "17/35/65/97 of 120" in text  # Table 2, DCGAN-fashion, as published
    assert "0.920 ± 0.028" in text  # Table 4, DCGAN's C^H log, as published
    assert "12.5 s / 13.4 s / 6.90 s" in text  # Table 1, DCGAN
    assert "random weights" in text and "not the paper's model" in text
    assert "install-weights fc6 FILE" in text  # a row whose weights are not here says how to measure it
    assert "lpips-alex substitutes it" in text  # the LPIPS reading is stated
    sweep = load_sweep(tmp_path / "sweeps" / "dcgan-face64-noise-lpips-alex")
    mean = np.sort(np.abs(np.asarray(sweep.eigvals).mean(0)))[::-1]  # the authors' cutoff_tab, recomputed
    explained = np.cumsum(mean) / mean.sum()
    counts = "/".join(str(int((explained < f).sum())) for f in (0.99, 0.999, 0.9999, 0.99999))
    assert f"{counts} of 100" in text
    for heading in ("Table 1", "Table 2", "Table 3", "Table 4", "§5", "§6", "WaveGAN", "How the paper is read here"):
        assert heading in text, heading
    before = (tmp_path / "results" / "timing.json").read_text()
    again = run("reproduce", "--quick", "--no-pdf", "--out", str(tmp_path))  # resumes: reads back what is there
    assert again.returncode == 0 and (tmp_path / "results" / "timing.json").read_text() == before
