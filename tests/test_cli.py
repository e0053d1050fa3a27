import shutil
import subprocess
import sys

import numpy as np
import pytest

from gan_geometry import MetricResult
from tests.commands import run


def run_cli(*args):
    """A command in a real ``gan-geometry`` subprocess (the entry point itself)."""
    return subprocess.run([sys.executable, "-m", "gan_geometry", *args], capture_output=True, text=True, timeout=300)


def test_metric_command_writes_result_and_prints_summary(tmp_path):
    done = run("metric", "--generator", "linear-toy", "--distance", "mse", "--method", "exact",
                   "--seed", "3", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    result = MetricResult.load(tmp_path)
    assert result.latent_dim == 8 and result.provenance["seed"] == 3
    from gan_geometry.analysis.statistics import anisotropy_dims

    dims = anisotropy_dims(result.eigvals)
    assert "n = 8" in done.stdout and f"{result.eigvals[0]:.4g}" in done.stdout
    assert f"{dims[0]} of 8 dimensions hold 99 %; {dims[1]} of 8 dimensions hold 99.9 %" in done.stdout


def test_metric_command_on_the_face_gan_with_lanczos(tmp_path):
    done = run("metric", "--distance", "mse", "--method", "lanczos-backward", "--k", "5", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    result = MetricResult.load(tmp_path)
    assert result.n_computed == 5 and np.all(result.eigvals[:5] > 0)


def test_help_documents_every_flag():
    done = run("metric", "--help")
    for flag in ("--generator", "--space", "--distance", "--method", "--k", "--seed", "--chunk", "--eps",
                 "--device", "--out"):
        assert flag in done.stdout


@pytest.mark.slow  # a subprocess
def test_user_errors_exit_cleanly_without_traceback():
    done = run_cli("metric", "--generator", "linear-toy", "--distance", "mse", "--method", "bp", "--k", "99")
    assert done.returncode == 2
    assert "error: k applies to the top-k methods" in done.stderr and "Traceback" not in done.stderr


def test_generators_command_lists_the_registry():
    done = run("generators")
    assert done.returncode == 0
    from gan_geometry.registry import REGISTRY

    rows = {tuple(line.split()[:4]) for line in done.stdout.splitlines()[1:]}
    expected = {(e.name, space, str(dim), str(e.resolution))
                for e in REGISTRY.values() for space, dim in e.spaces.items()}
    assert rows == expected  # one row per generator and space, with its dimension and resolution
    assert ("bigbigan", "noise", "120", "128") in rows and ("stylegan2-ffhq-1024", "w+", "9216", "1024") in rows
    columns = {line.index(" on first use ") for line in done.stdout.splitlines() if " on first use " in line}
    assert len(columns) == 1  # the weights column lines up however long a name or licence


def test_generators_command_says_whether_each_weights_file_is_here(tmp_path, monkeypatch):
    def status(stdout: str, name: str) -> str:
        line = next(line for line in stdout.splitlines() if line.startswith(name + " "))
        return "offline" if " offline " in line else "on first use" if " on first use " in line else line

    monkeypatch.setenv("GGL_CACHE", str(tmp_path))
    before = run("generators").stdout
    assert status(before, "bigbigan") == status(before, "pggan-celebahq256") == "on first use"
    assert status(before, "dcgan-face64") == "offline"  # shipped in an installed wheel
    (tmp_path / "remote").mkdir()
    (tmp_path / "remote" / "BigBiGAN_x1.pth").write_bytes(b"placed by hand")
    after = run("generators").stdout
    assert status(after, "bigbigan") == "offline" and status(after, "pggan-celebahq256") == "on first use"


def test_traverse_command_writes_a_montage_and_prints_distance_curves(tmp_path):
    out = tmp_path / "montage.png"
    done = run("traverse", "--distance", "mse", "--ranks", "1", "6", "--steps", "-2", "0", "2",
               "--label", "1=pose", "--scale-by-eigval", "--out", str(out))
    assert done.returncode == 0, done.stderr
    from PIL import Image

    from gan_geometry import load_distance, load_generator, metric_tensor
    from gan_geometry.analysis.traversal import distance_curves
    from gan_geometry.presentation.tables import distance_curve_table, text_table

    G, D = load_generator("dcgan-face64"), load_distance("mse")
    m = metric_tensor(G, D, G.sample(1, seed=0)[0])
    from gan_geometry.analysis.traversal import eigen_traversal

    expected = eigen_traversal(G, m.z, m.eigvals, m.eigvecs, [1, 6], [-2.0, 0.0, 2.0], scale_by_eigval=True,
                               axis_labels={1: "pose"}).grid()
    assert np.array_equal(np.asarray(Image.open(out).convert("RGB")), expected)  # the engine's montage, byte for byte
    curves = distance_curves(G, D, m.z, m.eigvals, m.eigvecs, [1, 6], [-2.0, 0.0, 2.0], scale_by_eigval=True)
    assert text_table(distance_curve_table(curves, "mse")) in done.stdout  # the table follows the scaling
    assert "-2/√λ" in done.stdout


def test_axes_command_saves_axes_comparison_and_montage(tmp_path):
    done = run("axes", "--family", "sefa", "--k", "4", "--distance", "mse", "--label", "1=light",
                   "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    for name in ("axes.npz", "axes.json", "comparison.json", "montage.png", "purified/axes.npz"):
        assert (tmp_path / name).exists(), name
    import json

    saved = json.loads((tmp_path / "comparison.json").read_text())
    assert f"Grassmann distance of their span to the top-4 eigenspace {saved['grassmann']:.3f}" in done.stdout
    bad = run("axes", "--family", "file", "--file", str(tmp_path / "nothing.npy"), "--out", str(tmp_path / "x"))
    assert bad.returncode == 2 and "does not exist" in bad.stderr


def test_application_commands_write_results_the_report_renders(tmp_path):
    sweep = tmp_path / "toy"
    common = ["--generator", "linear-toy", "--distance", "mse"]
    assert run("sweep", *common, "--n", "4", "--out", str(sweep)).returncode == 0
    apps = sweep / "applications"
    invert = run("invert", *common, "--sweep", str(sweep), "--steps", "20", "--starts", "2",
                     "--out", str(apps / "i"))
    assert invert.returncode == 0, invert.stderr
    assert "Table 5" in invert.stdout and "eigen-scaled" in invert.stdout
    search = run("search", *common, "--sweep", str(sweep), "--budget", "60", "--bases", "plain", "eigen",
                     "--k", "4", "--out", str(apps / "s"))
    assert search.returncode == 0, search.stderr
    assert "eigen-top4" in search.stdout
    interpolate = run("interpolate", *common, "--pairs", "2", "--steps", "10", "--segments", "8",
                          "--out", str(apps / "p"))
    assert interpolate.returncode == 0, interpolate.stderr
    no_sweep = run("invert", *common, "--out", str(tmp_path / "x"))
    assert no_sweep.returncode == 2 and "need --sweep" in no_sweep.stderr
    from gan_geometry.reports.builder import collect

    titles = [s.title for s in collect(sweep).sections]
    for title in ("Inversion: plain against eigenbasis Adam", "Gradient-free search: CMA-ES",
                  "Interpolation: shorter curves than straight lines"):
        assert title in titles


# ---- every bad input: one message naming the problem, exit code 2, no traceback ---------------
@pytest.fixture(scope="module")
def sweep_dirs(tmp_path_factory):
    """A good linear-toy sweep, and damaged copies of it."""
    from gan_geometry import load_distance, load_generator
    from gan_geometry.analysis.sweeps import run_sweep

    root = tmp_path_factory.mktemp("sweeps")
    run_sweep(root / "good", load_generator("linear-toy"), load_distance("mse"), n=3, seed=0)
    for name in ("list-json", "no-eigvals"):
        shutil.copytree(root / "good", root / name)
    (root / "list-json" / "sweep.json").write_text("[1, 2, 3]")
    (root / "no-eigvals" / "eigvals.npy").unlink()
    np.save(root / "strings.npy", np.array([["a"] * 8]))
    (root / "a-file").write_text("not a folder")
    return root


def cli_exit(argv: list[str]) -> tuple[int, str]:
    """(exit code, stderr) of a geometry or reports command."""
    done = run(*argv)
    return done.returncode, done.stderr


BAD_INPUTS = {
    "seed overflow": (["metric", "--seed", "1e23"], "--seed: must be a whole number"),
    "eps zero": (["metric", "--method", "lanczos-forward", "--eps", "0"], "--eps: must be a finite positive"),
    "eps nan": (["metric", "--method", "lanczos-forward", "--eps", "nan"], "--eps: must be a finite positive"),
    "sweep n huge": (["sweep", "--n", "1e12", "--out", "{root}/huge"], "--n: must be a whole number in 1..1000000"),
    "nrow zero": (["samples", "--nrow", "0", "--out", "{root}/s.png"], "--nrow: must be a whole number"),
    "out without extension": (["samples", "--out", "{root}/grid"], "needs an image extension"),
    "out unwritable": (["samples", "--out", "{root}/a-file/grid.png"], "is not a writable folder"),
    "n-boot zero": (["stats", "{root}/good", "--n-boot", "0"], "--n-boot: must be a whole number"),
    "n-boot negative": (["stats", "{root}/good", "--n-boot", "-5"], "--n-boot: must be a whole number"),
    "device banana": (["metric", "--device", "banana"], "'banana' is not a torch device"),
    "device cuda absent": (["metric", "--device", "cuda"], "CUDA is not available"),
    "axes of strings": (["axes", "--generator", "linear-toy", "--distance", "mse", "--family", "file", "--file",
                         "{root}/strings.npy", "--out", "{root}/axes"], "holds <U1 values; axes must be numbers"),
    "report onto a directory": (["report", "{root}/good", "--pdf", "{root}"], "is a directory"),
    "report unwritable": (["report", "{root}/good", "--html", "{root}/a-file/r.html"],
                          "is not a writable folder"),
    "sweep.json a list": (["stats", "{root}/list-json"], "is not a sweep's settings (a JSON object)"),
    "complete sweep without eigvals": (["stats", "{root}/no-eigvals"], "lacks eigvals.npy"),
    "steps nan inf": (["traverse", "--steps", "nan", "inf", "--out", "{root}/t.png"], "--steps: must be a finite"),
    "negative gpus per task": (["sweep", "--gpus-per-task", "-1", "--out", "{root}/g"],
                               "--gpus-per-task: must be a number of at least 0"),
    "step 1e308": (["traverse", "--distance", "mse", "--ranks", "1", "--steps", "1e308", "--out", "{root}/t.png"],
                   "use smaller steps"),
    "search sigma 1e300": (["search", "--generator", "linear-toy", "--distance", "mse", "--sweep", "{root}/good",
                            "--sigma", "1e300", "--budget", "20", "--out", "{root}/search"],
                           "sigma0 (the search's initial step, in latent units) must be in (0, 1000]"),
    "interpolate step 1e300": (["interpolate", "--generator", "linear-toy", "--distance", "mse", "--step", "1e300",
                                "--pairs", "1", "--out", "{root}/interp"], "--step: must be a number of at most 100"),
    "report into /proc": (["report", "{root}/good", "--pdf", "/proc/x.pdf"],
                          "/proc/x.pdf cannot be written: /proc is not a writable folder"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_gets_one_message_and_exit_code_2(case, sweep_dirs):
    argv, message = BAD_INPUTS[case]
    if case == "device cuda absent":
        import torch

        if torch.cuda.is_available():
            pytest.skip("this machine has CUDA")
    code, err = cli_exit([a.format(root=sweep_dirs) for a in argv])
    assert code == 2 and message in err and "Traceback" not in err, err
    assert not any((sweep_dirs / name).exists() for name in ("search", "interp"))  # nothing written


def test_chunk_beyond_the_latent_dimension_is_capped(tmp_path):
    code, err = cli_exit(["metric", "--generator", "linear-toy", "--distance", "mse", "--chunk", "1e9",
                          "--out", str(tmp_path)])
    assert code == 0, err
    assert MetricResult.load(tmp_path).provenance["chunk"] == 8


def test_a_shard_without_H_is_recomputed_on_resume(sweep_dirs):
    from gan_geometry import load_distance, load_generator
    from gan_geometry.analysis.sweeps import run_sweep
    from gan_geometry.analysis.sweeps.shards import shard_path
    from gan_geometry.io.storage import load_arrays, save_arrays

    folder = sweep_dirs / "shard-no-H"
    shutil.copytree(sweep_dirs / "good", folder)
    arrays = load_arrays(shard_path(folder, 1))
    del arrays["H"]
    save_arrays(shard_path(folder, 1), arrays)
    sweep = run_sweep(folder, load_generator("linear-toy"), load_distance("mse"), n=3, seed=0)
    good = run_sweep(sweep_dirs / "good", load_generator("linear-toy"), load_distance("mse"), n=3, seed=0)
    assert "H" in load_arrays(shard_path(folder, 1)) and np.array_equal(sweep.H, good.H)


def test_a_users_own_code_drives_metric_traverse_and_axes(tmp_path):
    """--code FILE.npy: the metric at that code (the engine's), the montage from it, the axes
    compared at it; --force replaces a montage the tool itself wrote."""
    from PIL import Image

    from gan_geometry import load_distance, load_generator, metric_tensor
    from gan_geometry.analysis.traversal import eigen_traversal

    G, D = load_generator("linear-toy"), load_distance("mse")
    z = np.linspace(-1, 1, 8)
    np.save(tmp_path / "z.npy", z[None])  # (1, n) is a code too
    done = run("metric", "--generator", "linear-toy", "--distance", "mse", "--code", str(tmp_path / "z.npy"),
               "--out", str(tmp_path / "m"))
    assert done.returncode == 0, done.stderr
    expected = metric_tensor(G, D, z)
    saved = MetricResult.load(tmp_path / "m")
    assert np.allclose(saved.z, z, atol=1e-7) and np.allclose(saved.eigvals, expected.eigvals, rtol=1e-6)
    montage = tmp_path / "montage.png"
    for extra in ([], ["--force"]):  # the second run replaces the first only because it is asked to
        done = run("traverse", "--generator", "linear-toy", "--distance", "mse", "--ranks", "1", "2", "--code",
                   str(tmp_path / "z.npy"), "--out", str(montage), *extra)
        assert done.returncode == 0, done.stderr
    grid = eigen_traversal(G, expected.z, expected.eigvals, expected.eigvecs, [1, 2], [-3, -1.5, 0, 1.5, 3]).grid()
    assert np.array_equal(np.asarray(Image.open(montage).convert("RGB")), grid)
    done = run("axes", "--generator", "linear-toy", "--distance", "mse", "--family", "sefa", "--k", "3", "--code",
               str(tmp_path / "z.npy"), "--out", str(tmp_path / "axes"))
    assert done.returncode == 0, done.stderr


def test_check_weights_takes_a_wavegan_checkpoint_of_the_port(tmp_path):
    """wavegan-notes loads a user's checkpoint with weights_path= (as the README says): check-weights
    reads it and reports the family; install-weights says the shipped weights need no install."""
    import torch

    from gan_geometry import load_generator

    G = load_generator("wavegan-notes", random_weights=True)
    torch.save(G.module.state_dict(), tmp_path / "gan.pt")
    done = run("check-weights", "wavegan-notes", str(tmp_path / "gan.pt"))
    assert done.returncode == 0, done.stderr
    assert "WaveGAN" in done.stdout and "ok: loads as wavegan-notes" in done.stdout
    done = run("install-weights", "wavegan-notes", str(tmp_path / "gan.pt"))
    assert done.returncode == 2 and "ships its weights in the package" in done.stderr
