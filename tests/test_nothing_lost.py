"""Nothing lost, nothing silent: every way a command, the API, the report builder or the app could
overwrite a user's results or pass NaN on ends in one line (exit 2) or a clean message, with
every file that existed before left byte-identical.

The results a user made (fixture ``made``): a complete sweep, a one-position sweep, a layer sweep,
a metric, an axis set, inversion runs, and damaged copies of the sweep (NaN eigenvalues, an inf
in H, settings with wrong types, ranges and names)."""

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from gan_geometry import GeometryError, load_distance, load_generator
from tests.commands import run

TOY = ["--generator", "linear-toy", "--distance", "mse"]


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` with the SHA-256 of its bytes."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    root = tmp_path_factory.mktemp("made")
    for argv in (["sweep", *TOY, "--n", "3", "--seed", "0", "--out", f"{root}/sweep"],
                 ["sweep", *TOY, "--n", "1", "--seed", "0", "--out", f"{root}/one"],
                 ["layers", *TOY, "--n", "2", "--out", f"{root}/layers"],
                 ["metric", *TOY, "--seed", "3", "--out", f"{root}/metric"],
                 ["axes", *TOY, "--family", "sefa", "--k", "3", "--out", f"{root}/axes"],
                 ["invert", *TOY, "--sweep", f"{root}/sweep", "--steps", "5", "--starts", "2", "--out",
                  f"{root}/inversion"]):
        done = run(*argv)
        assert done.returncode == 0, done.stderr
    damage = {"nan-eigvals": ("eigvals.npy", (1, 0), np.nan), "inf-H": ("H.npy", (2, 0, 0), np.inf)}
    for name, (stack, index, value) in damage.items():
        shutil.copytree(root / "sweep", root / name)
        array = np.load(root / name / stack)
        array[index] = value
        np.save(root / name / stack, array)
    for name, key, value in (("latent-abc", "latent_dim", "abc"), ("n-negative", "n_positions", -5),
                             ("name-a-path", "generator", "../../etc")):
        shutil.copytree(root / "sweep", root / name)
        settings = json.loads((root / name / "sweep.json").read_text())
        (root / name / "sweep.json").write_text(json.dumps({**settings, key: value}))
    (root / "a-file").write_text("not a folder")
    for name in ("precious.png", "existing.png", "notes.html", "out.pdf"):  # files of the user's own
        (root / name).write_bytes(f"the user's {name}".encode())
    (root / "mine").mkdir()
    (root / "mine" / "thesis.tex").write_text("a folder of the user's own")
    (root / "link-to-mine").symlink_to(root / "mine")
    shutil.copytree(root / "sweep", root / "half-H")
    np.save(root / "half-H" / "H.npy", np.zeros(np.load(root / "sweep" / "H.npy").shape, dtype=np.float16))
    np.save(root / "huge-code.npy", np.full(8, 1e30))
    np.save(root / "short-code.npy", np.zeros(5))
    return root


NAN_EIGVALS = "eigvals holds NaN or inf at positions [1]"
INF_H = "H holds NaN or inf at positions [2]"

CLI_CASES = {
    # 1. folders know what they hold
    "layers into a sweep": (["layers", *TOY, "--n", "3", "--out", "{root}/sweep"],
                            "{root}/sweep holds a sweep; writing a layer sweep there would overwrite"),
    "sweep into a layer sweep": (["sweep", *TOY, "--n", "1", "--out", "{root}/layers"],
                                 "{root}/layers holds a layer sweep; writing a sweep there"),
    "sweep into a metric": (["sweep", *TOY, "--n", "2", "--out", "{root}/metric"], "holds a metric; writing a sweep"),
    "metric into a sweep": (["metric", *TOY, "--out", "{root}/sweep"], "holds a sweep; writing a metric there"),
    "axes into a metric": (["axes", *TOY, "--family", "sefa", "--k", "3", "--out", "{root}/metric"],
                           "holds a metric; writing an axis set there"),
    "invert into axes": (["invert", *TOY, "--sweep", "{root}/sweep", "--out", "{root}/axes"],
                         "holds an axis set; writing inversion runs there"),
    "sweep with other settings": (["sweep", *TOY, "--n", "3", "--seed", "1", "--out", "{root}/sweep"],
                                  "seed was 0, now 1"),
    "layers with other settings": (["layers", *TOY, "--n", "2", "--seed", "4", "--out", "{root}/layers"],
                                   "seed was 0, now 4"),
    "metric with other settings": (["metric", *TOY, "--seed", "4", "--out", "{root}/metric"],
                                   "holds a metric with other settings (seed differ: seed was 3, now 4)"),
    "axes with other settings": (["axes", *TOY, "--family", "sefa", "--k", "2", "--out", "{root}/axes"],
                                 "holds an axis set with other settings (count, provenance differ: count was 3, now 2"),
    "invert with other settings": (["invert", *TOY, "--sweep", "{root}/sweep", "--steps", "6", "--starts", "2",
                                    "--out", "{root}/inversion"], "holds inversion runs with other settings (steps"),
    "empty --out": (["sweep", *TOY, "--n", "2", "--out", ""], "the output folder is empty"),
    "--out a file": (["metric", *TOY, "--out", "{root}/a-file"], "a-file is a file; results go in a folder"),
    # 2. finite or refused, and damaged sweeps named the same way everywhere
    "stats of NaN eigenvalues": (["stats", "{root}/nan-eigvals"], NAN_EIGVALS),
    "compare with NaN eigenvalues": (["compare", "{root}/sweep", "{root}/nan-eigvals"], NAN_EIGVALS),
    "report of NaN eigenvalues": (["report", "{root}/nan-eigvals", "--html", "{root}/r.html"], NAN_EIGVALS),
    "stats of an inf in H": (["stats", "{root}/inf-H"], INF_H),
    "invert with an inf in H": (["invert", *TOY, "--sweep", "{root}/inf-H", "--out", "{root}/i2"], INF_H),
    "search with an inf in H": (["search", *TOY, "--sweep", "{root}/inf-H", "--out", "{root}/s2"], INF_H),
    "report of an inf in H": (["report", "{root}/inf-H", "--pdf", "{root}/r.pdf"], INF_H),
    "latent_dim abc": (["stats", "{root}/latent-abc"], "latent_dim = 'abc' is not a valid latent dim"),
    "n_positions -5": (["stats", "{root}/n-negative"], "n_positions = -5 is not a valid n positions"),
    "generator a path": (["report", "{root}/name-a-path", "--html", "{root}/r.html"],
                         "generator = '../../etc' is not a valid generator"),
    "search sigma 1e300": (["search", *TOY, "--sweep", "{root}/sweep", "--sigma", "1e300", "--out", "{root}/s3"],
                           "must be in (0, 1000]"),
    "interpolate step 1e300": (["interpolate", *TOY, "--step", "1e300", "--pairs", "1", "--out", "{root}/p"],
                               "--step: must be a number of at most 100"),
    # 5. refused early, in one line
    "sweep into /proc": (["sweep", *TOY, "--n", "2", "--out", "/proc/ggl"], "/proc is not a writable folder"),
    "metric into /proc": (["metric", *TOY, "--out", "/proc/ggl"], "/proc is not a writable folder"),
    "report into /proc": (["report", "{root}/sweep", "--pdf", "/proc/x.pdf"],
                          "/proc/x.pdf cannot be written: /proc is not a writable folder"),
    "boolean option yes": (["metric", "--generator", "stylegan2-ffhq-256", "--option", "random_config=yes"],
                           "random_config"),
    "k beyond the space": (["metric", *TOY, "--method", "topk", "--k", "8"], "whole number with 1 <= k < 8"),
    "wavegan model size 0": (["metric", "--generator", "wavegan-notes", "--distance", "stft", "--option",
                              "random_weights=true", "--option", "model_size=0"], "model_size (d) is a whole number"),
    "wavegan slice length 1000": (["metric", "--generator", "wavegan-notes", "--distance", "stft", "--option",
                                   "random_weights=true", "--option", "slice_len=1000"],
                                  "slice_len is one of 16384, 32768, 65536"),
    "an image distance on sound": (["metric", "--generator", "wavegan-notes"], "these are sounds"),
    # 6. files the user already had are never overwritten; folders judged by where they point
    "traverse onto an existing file": (["traverse", *TOY, "--ranks", "1", "--out", "{root}/precious.png"],
                                       "precious.png already exists; add --force to replace it"),
    "samples onto an existing file": (["samples", "--generator", "linear-toy", "--out", "{root}/existing.png"],
                                      "existing.png already exists; add --force"),
    "report onto an existing HTML": (["report", "{root}/sweep", "--html", "{root}/notes.html"],
                                     "notes.html already exists; add --force"),
    "report onto an existing PDF": (["report", "{root}/sweep", "--pdf", "{root}/out.pdf"],
                                    "out.pdf already exists; add --force"),
    "metric into a folder of the user's": (["metric", *TOY, "--out", "{root}/mine"],
                                           "already holds files that are not results of this tool"),
    "metric through a symlink to it": (["metric", *TOY, "--out", "{root}/link-to-mine"],
                                       "link-to-mine (which is {root}/mine) already holds files"),
    "metric into the root": (["metric", *TOY, "--out", "/"], "is the filesystem root"),
    "traverse into a sweep's folder": (["traverse", *TOY, "--ranks", "1", "--out", "{root}/sweep/m.png"],
                                       "which holds a sweep; write it elsewhere"),
    "samples into a sweep's folder": (["samples", "--generator", "linear-toy", "--out", "{root}/sweep/s.png"],
                                      "which holds a sweep"),
    # 7. absurd values refused before any work, in one line
    "lanczos-forward eps 1e300": (["metric", *TOY, "--method", "lanczos-forward", "--eps", "1e300"],
                                  "eps (the finite-difference step) must be a number in 1e-10..0.1"),
    "lanczos-forward eps 1e-320": (["metric", *TOY, "--method", "lanczos-forward", "--eps", "1e-320"],
                                   "must be a number in 1e-10..0.1"),
    "a toy of 1.9 TB": (["metric", "--generator", "linear-toy", "--distance", "mse", "--option", "latent_dim=20000",
                         "--option", "image_size=512"], "needs about 351.6 GiB to build"),
    "float16 stacks": (["stats", "{root}/half-H"], "H.npy (float16) is not the float64 the sweep wrote"),
    "a code of 1e30": (["metric", *TOY, "--code", "{root}/huge-code.npy"], "far outside what linear-toy draws"),
    "a code of the wrong length": (["traverse", *TOY, "--ranks", "1", "--code", "{root}/short-code.npy", "--out",
                                    "{root}/t.png"], "latent code has shape (5,)"),
    "axes from a code that is no file": (["axes", *TOY, "--family", "sefa", "--k", "3", "--code", "{root}/none.npy",
                                          "--out", "{root}/a2"], "none.npy does not exist"),
    "traverse steps 1e300": (["traverse", *TOY, "--ranks", "1", "--steps", "0", "1e300", "--out", "{root}/t.png"],
                             "far outside what linear-toy draws (about"),
    "1024 workers": (["sweep", *TOY, "--n", "2", "--workers", "1024", "--out", "{root}/w"], "must be a whole number"),
    "an option twice": (["metric", *TOY, "--option", "seed=1", "--option", "seed=2"], "--option seed is given 2"),
    "protocol as an option": (["metric", *TOY, "--option", "protocol=paper"], "chosen with --protocol"),
    "--address without Ray": (["sweep", *TOY, "--n", "2", "--address", "127.0.0.1:6379", "--out", "{root}/r"],
                              "--address apply to --backend ray only"),
    "an address that is no address": (["sweep", *TOY, "--n", "2", "--backend", "ray", "--address", "not a host::::",
                                       "--out", "{root}/r"], "--address must be host:port"),
}


@pytest.mark.parametrize("case", list(CLI_CASES))
def test_a_command_that_would_lose_or_hide_something_stops_in_one_line(case, made):
    argv, message = CLI_CASES[case]
    argv = [a.format(root=made) for a in argv]
    before = snapshot(made)
    done = run(*argv)
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert done.returncode == 2 and len(errors) == 1 and "Traceback" not in done.stderr, done.stderr
    assert message.format(root=made) in errors[0]
    assert "nan" not in done.stdout.lower().split() and snapshot(made) == before  # nothing written, nothing changed


def test_the_same_command_again_resumes_or_redoes_without_harm(made):
    """Only other settings are refused: the same metric into its own folder is redone to the same
    bytes, and a complete sweep rerun leaves every file as it was."""
    before = snapshot(made / "sweep")
    assert run("sweep", *TOY, "--n", "3", "--seed", "0", "--out", f"{made}/sweep").returncode == 0
    assert snapshot(made / "sweep") == {**before, "sweep.json": snapshot(made / "sweep")["sweep.json"]}
    H = np.load(made / "metric" / "metric.npz")["H"]
    assert run("metric", *TOY, "--seed", "3", "--out", f"{made}/metric").returncode == 0
    assert np.array_equal(np.load(made / "metric" / "metric.npz")["H"], H)


def test_statistics_that_need_two_positions_say_so(made):
    stats = run("stats", f"{made}/one")
    assert stats.returncode == 0 and "nan" not in stats.stdout.lower()
    assert stats.stdout.count("needs 2+ positions") >= 6  # C^H, log-Euclidean, cosine and both estimates
    layers = run("layers", *TOY, "--n", "1", "--out", f"{made}/layers-one")
    assert layers.returncode == 0 and "nan" not in layers.stdout.lower() and "needs 2+ positions" in layers.stdout


# ---- the API: the same refusals, the same messages ----------------------------------------------
def toy_models():
    return load_generator("linear-toy"), load_distance("mse")


def run_sweep_again(root, seed):
    from gan_geometry.analysis.sweeps import run_sweep

    return run_sweep(root, *toy_models(), n=3, seed=seed)


def layer_sweep(root):
    from gan_geometry.analysis.layers import run_layer_sweep

    return run_layer_sweep(root, *toy_models(), n=2)


def save_metric(source, target):
    from gan_geometry import MetricResult

    return MetricResult.load(source).save(target)


def save_axes(target):
    from gan_geometry.analysis.axes import AxisSet

    return AxisSet(np.eye(8)[:, :2], "file").save(target)


def stopped_topk():
    from gan_geometry import Pullback
    from gan_geometry.core.methods import topk

    G, D = toy_models()
    return topk.compute(Pullback(G, D, G.sample(1, seed=0)[0]), k=2, tol=1e-30, max_iter=1)


def huge_code():
    from gan_geometry import metric_tensor

    return metric_tensor(*toy_models(), np.full(8, 1e300))


def far_code():
    from gan_geometry import metric_tensor

    return metric_tensor(*toy_models(), np.full(8, 1e30))


def load(root):
    from gan_geometry.analysis.sweeps import load_sweep

    return load_sweep(root)


def collect(root):
    from gan_geometry.reports.builder import collect

    return collect(root)


def nan_shard(root):
    from gan_geometry.analysis.sweeps.shards import write_shard

    return write_shard(root, 0, np.zeros(8), {"eigvals": np.full(8, np.nan)})


def infinite_runs(root):
    from gan_geometry.io.storage import save_runs

    return save_runs(root, "inversion", {"generator": "linear-toy"}, {"d": np.array([np.inf])}, {})


API_CASES = {
    "run_sweep, other seed": (lambda root: run_sweep_again(root / "sweep", 9), "seed was 0, now 9"),
    "run_sweep into layers": (lambda root: run_sweep_again(root / "layers", 0), "holds a layer sweep"),
    "run_layer_sweep into a sweep": (lambda root: layer_sweep(root / "sweep"), "holds a sweep"),
    "MetricResult.save into a sweep": (lambda root: save_metric(root / "metric", root / "sweep"), "holds a sweep"),
    "AxisSet.save into a metric": (lambda root: save_axes(root / "metric"), "holds a metric"),
    "load_sweep of NaN": (lambda root: load(root / "nan-eigvals"), NAN_EIGVALS),
    "report collect of an inf in H": (lambda root: collect(root / "inf-H"), INF_H),
    "a non-finite shard": (lambda root: nan_shard(root / "sweep"), "position 0 gave non-finite values in eigvals"),
    "non-finite application results": (lambda root: infinite_runs(root / "inversion"), "non-finite results (d)"),
    "a code beyond float32": (lambda root: huge_code(), "too large for torch.float32"),
    "a code of 1e30": (lambda root: far_code(), "far outside what linear-toy draws"),
    "topk stopped above tolerance": (lambda root: stopped_topk(), "topk did not converge"),
}


@pytest.mark.parametrize("case", list(API_CASES))
def test_the_api_refuses_the_same_things_with_the_same_messages(case, made):
    call, message = API_CASES[case]
    before = snapshot(made)
    with pytest.raises(GeometryError) as raised:
        call(made)
    assert message in str(raised.value) and "\n" not in str(raised.value)
    assert snapshot(made) == before


def test_the_app_refuses_a_damaged_sweep_with_the_message_stats_gives(made, tmp_path):
    """A sweep in the app's results folder damaged after it was listed: comparing and reporting
    stop with the message `stats` prints, and nothing in the folder changes."""
    from gan_geometry.app import handlers as h
    from gan_geometry.app.settings import Settings
    from gan_geometry.app.state import AppState

    shutil.copytree(made / "inf-H", tmp_path / "damaged")
    state = AppState(Settings(results=tmp_path))
    try:
        assert h.sweeps_available(state) == ["damaged"]  # eigenvalues finite: listed
        before = snapshot(tmp_path)
        stats = run("stats", str(tmp_path / "damaged"))
        for call in (h.compare_spectra, h.make_report):
            with pytest.raises(GeometryError) as raised:
                call(state, ["damaged"])
            assert str(raised.value) in stats.stderr and INF_H in str(raised.value)
        assert snapshot(tmp_path) == before
    finally:
        state.close()
