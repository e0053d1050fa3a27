import subprocess
import sys

import numpy as np

from geometry import MetricResult


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "geometry", *args], capture_output=True, text=True, timeout=300)


def test_metric_command_writes_result_and_prints_summary(tmp_path):
    done = run_cli("metric", "--generator", "linear-toy", "--distance", "mse", "--method", "exact",
                   "--seed", "3", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    result = MetricResult.load(tmp_path)
    assert result.latent_dim == 8 and result.provenance["seed"] == 3
    assert "n = 8" in done.stdout and "anisotropy" in done.stdout
    assert f"{result.eigvals[0]:.4g}" in done.stdout


def test_metric_command_on_the_face_gan_with_lanczos(tmp_path):
    done = run_cli("metric", "--distance", "mse", "--method", "lanczos-backward", "--k", "5", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    result = MetricResult.load(tmp_path)
    assert result.n_computed == 5 and np.all(result.eigvals[:5] > 0)


def test_help_documents_every_flag():
    done = run_cli("metric", "--help")
    for flag in ("--generator", "--space", "--distance", "--method", "--k", "--seed", "--chunk", "--eps",
                 "--device", "--out"):
        assert flag in done.stdout


def test_user_errors_exit_cleanly_without_traceback():
    done = run_cli("metric", "--generator", "linear-toy", "--distance", "mse", "--method", "bp", "--k", "99")
    assert done.returncode == 2
    assert "error: k applies to the Lanczos methods only" in done.stderr and "Traceback" not in done.stderr


def test_generators_command_lists_the_registry():
    done = run_cli("generators")
    assert done.returncode == 0
    for name in ("dcgan-face64", "omniart-eyes128", "biggan-deep-256", "linear-toy"):
        assert name in done.stdout
    assert "omniart-eyes128   class      8  128" in done.stdout and "on first use" in done.stdout


def test_traverse_command_writes_a_montage_and_prints_distance_curves(tmp_path):
    out = tmp_path / "montage.png"
    done = run_cli("traverse", "--distance", "mse", "--ranks", "0", "5", "--steps", "-2", "0", "2",
                   "--label", "0=pose", "--out", str(out))
    assert done.returncode == 0, done.stderr
    from PIL import Image

    assert Image.open(out).size == (120 + 3 * 130 + 2, 22 + 2 * 130 + 2)
    assert "measured / quadratic prediction" in done.stdout


def test_axes_command_saves_axes_comparison_and_montage(tmp_path):
    done = run_cli("axes", "--family", "sefa", "--k", "4", "--distance", "mse", "--label", "1=light",
                   "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    for name in ("axes.npz", "axes.json", "comparison.json", "montage.png", "purified/axes.npz"):
        assert (tmp_path / name).exists(), name
    assert "Grassmann distance to the top-4 eigenspace" in done.stdout
    bad = run_cli("axes", "--family", "file", "--file", str(tmp_path / "nothing.npy"), "--out", str(tmp_path / "x"))
    assert bad.returncode == 2 and "does not exist" in bad.stderr


def test_application_commands_write_results_the_report_renders(tmp_path):
    sweep = tmp_path / "toy"
    common = ["--generator", "linear-toy", "--distance", "mse"]
    assert run_cli("sweep", *common, "--n", "4", "--out", str(sweep)).returncode == 0
    apps = sweep / "applications"
    invert = run_cli("invert", *common, "--sweep", str(sweep), "--steps", "20", "--starts", "2",
                     "--out", str(apps / "i"))
    assert invert.returncode == 0, invert.stderr
    assert "Table 5" in invert.stdout and "eigen-scaled" in invert.stdout
    search = run_cli("search", *common, "--sweep", str(sweep), "--budget", "60", "--bases", "plain", "eigen",
                     "--k", "4", "--out", str(apps / "s"))
    assert search.returncode == 0, search.stderr
    assert "eigen-top4" in search.stdout
    interpolate = run_cli("interpolate", *common, "--pairs", "2", "--steps", "10", "--segments", "8",
                          "--out", str(apps / "p"))
    assert interpolate.returncode == 0, interpolate.stderr
    no_sweep = run_cli("invert", *common, "--out", str(tmp_path / "x"))
    assert no_sweep.returncode == 2 and "need --sweep" in no_sweep.stderr
    from reports.builder import collect

    titles = [s.title for s in collect(sweep).sections]
    for title in ("Inversion: plain against eigenbasis Adam", "Gradient-free search: CMA-ES",
                  "Interpolation: shorter curves than straight lines"):
        assert title in titles
