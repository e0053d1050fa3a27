"""Sweeps: resumable, verified, refusing mixed settings; statistics end to end on the face GAN."""


import re
import zipfile

import numpy as np
import pytest
import torch

from gan_geometry import GeometryError, load_distance
from gan_geometry.analysis import statistics as st
from gan_geometry.analysis.sweeps import LocalWorkers, load_sweep, run_sweep
from gan_geometry.analysis.sweeps.shards import shard_path


class Killed(Exception):
    pass


def kill_after(positions_done):
    """A progress callback that interrupts the sweep once ``positions_done`` shards are saved."""

    def progress(fraction, message):
        if message.startswith(f"position {positions_done}/"):
            raise Killed

    return progress


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, face, mse):
    return run_sweep(tmp_path_factory.mktemp("full"), face, mse, n=4, seed=5)


def assert_same(a, b):
    for name in ("positions", "eigvals", "eigvecs", "H"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


def test_a_killed_sweep_resumes_to_the_same_result_bit_for_bit(tmp_path, face, mse, uninterrupted, monkeypatch):
    with pytest.raises(Killed):
        run_sweep(tmp_path, face, mse, n=4, seed=5, progress=kill_after(2))
    assert shard_path(tmp_path, 1).exists() and not shard_path(tmp_path, 2).exists()
    with pytest.raises(GeometryError, match="incomplete"):
        load_sweep(tmp_path)
    computed = []
    import gan_geometry.analysis.sweeps.task

    original = gan_geometry.analysis.sweeps.task.metric_tensor

    def counting(G, D, z, **kw):
        computed.append(1)
        return original(G, D, z, **kw)

    monkeypatch.setattr(gan_geometry.analysis.sweeps.task, "metric_tensor", counting)
    resumed = run_sweep(tmp_path, face, mse, n=4, seed=5)
    assert len(computed) == 2  # only the two missing positions
    assert_same(resumed, uninterrupted)


def test_corrupt_or_truncated_shards_are_recomputed(tmp_path, face, mse, uninterrupted):
    run_sweep(tmp_path, face, mse, n=4, seed=5)
    truncated = shard_path(tmp_path, 0)
    truncated.write_bytes(truncated.read_bytes()[:1000])
    garbage = shard_path(tmp_path, 3)
    data = bytearray(garbage.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte inside the stored arrays
    garbage.write_bytes(bytes(data))
    (tmp_path / "eigvals.npy").unlink()
    repaired = run_sweep(tmp_path, face, mse, n=4, seed=5)
    assert_same(repaired, uninterrupted)


def test_reusing_a_directory_with_other_settings_is_refused(tmp_path, face, mse):
    run_sweep(tmp_path, face, mse, n=2, seed=0)
    with pytest.raises(GeometryError, match="other settings.*seed was 0, now 1"):
        run_sweep(tmp_path, face, mse, n=2, seed=1)
    with pytest.raises(GeometryError, match="distance was 'mse', now 'ssim'"):
        run_sweep(tmp_path, face, load_distance("ssim"), n=2, seed=0)


def test_given_positions_and_bad_requests(tmp_path, toy, mse):
    positions = toy.sample(3, seed=9).numpy()
    sweep = run_sweep(tmp_path / "given", toy, mse, positions=positions)
    assert np.array_equal(sweep.positions, positions.astype(np.float64)) and sweep.settings["seed"] is None
    with pytest.raises(GeometryError, match=r"shape \(N, 8\)"):
        run_sweep(tmp_path / "bad", toy, mse, positions=np.zeros((3, 7)))
    with pytest.raises(GeometryError, match="number of positions n must be a whole number in 1..1000000"):
        run_sweep(tmp_path / "none", toy, mse, n=0)
    with pytest.raises(GeometryError, match="not a sweep directory"):
        load_sweep(tmp_path / "nowhere")


def test_lanczos_sweeps_store_no_H_and_record_their_pairs(tmp_path, toy, mse):
    sweep = run_sweep(tmp_path, toy, mse, n=3, method="lanczos-backward", k=4)
    assert sweep.H is None and sweep.n_computed == 4
    assert (np.asarray(sweep.eigvals)[:, 4:] == 0).all() and (np.asarray(sweep.eigvals)[:, :4] > 0).all()
    C = st.consistency(sweep.eigvals, sweep.eigvecs, None)  # metrics rebuilt from the top-4 pairs
    assert np.allclose(C.lin, 1)  # a linear generator's metric is the same everywhere


def test_statistics_on_the_face_gan_end_to_end(tmp_path_factory, face, mse):
    sweep = run_sweep(tmp_path_factory.mktemp("face"), face, mse, n=8, seed=0)
    lam = np.asarray(sweep.eigvals)
    table = st.anisotropy_table(lam)
    C = st.consistency(sweep.eigvals, sweep.eigvecs, sweep.H)
    iso = st.isotropy_illusion(sweep.eigvals, sweep.eigvecs)
    avg = st.average_metric(sweep.eigvals, sweep.eigvecs, sweep.H)
    summaries = st.bootstrap_summaries(lam, C, n_boot=200)
    for value in (table.mean, C.lin, C.log, iso.empirical_var, avg.eigvals, [e.value for e in summaries]):
        assert np.isfinite(value).all()
    # the shape the paper reports for DCGANs: strongly anisotropic, homogeneous on the log scale
    assert table.mean[0] < 0.6 * sweep.latent_dim
    assert C.log_mean > 0.8 and C.log_mean > C.lin_mean
    assert (iso.empirical_var < 0.05 * lam.var(1)).all()


def test_sweep_stats_and_compare_commands(tmp_path):
    from tests.commands import run as cli

    common = ["--generator", "linear-toy", "--n", "5", "--seed", "2"]
    for distance in ("mse", "ssim"):
        done = cli("sweep", *common, "--distance", distance, "--out", str(tmp_path / distance))
        assert done.returncode == 0, done.stderr
    stats = cli("stats", str(tmp_path / "mse"), "--n-boot", "100")
    assert stats.returncode == 0, stats.stderr
    from gan_geometry.presentation import sentences, tables

    mse_sweep, ssim_sweep = load_sweep(tmp_path / "mse"), load_sweep(tmp_path / "ssim")
    summary = mse_sweep.summary(n_boot=100)
    row = tables.model_row(tables.sweep_label(mse_sweep.settings), mse_sweep, summary)
    for table in (tables.anisotropy_table([row]), tables.homogeneity_table([row]),
                  tables.isotropy_table(summary.isotropy)):
        assert tables.text_table(table) in stats.stdout  # the numbers the engine computes, as shown
    assert sentences.average_metric_sentence(summary.average) in stats.stdout
    compare = cli("compare", str(tmp_path / "mse"), str(tmp_path / "ssim"))
    assert compare.returncode == 0, compare.stderr
    labels = {f"{tables.sweep_label(s.settings)} [{tmp_path / d}]": s
              for d, s in (("mse", mse_sweep), ("ssim", ssim_sweep))}
    assert tables.text_table(tables.anisotropy_table(tables.model_rows(labels))) in compare.stdout
    result = st.compare_distances((mse_sweep.eigvals, mse_sweep.eigvecs, mse_sweep.H),
                                  (ssim_sweep.eigvals, ssim_sweep.eigvecs, ssim_sweep.H))
    assert tables.text_table(tables.distance_comparison_table(result, ("mse", "ssim"))) in compare.stdout
    mismatch = cli("sweep", "--generator", "linear-toy", "--n", "5", "--seed", "3", "--distance", "mse",
                   "--out", str(tmp_path / "other"))
    assert mismatch.returncode == 0
    models = cli("compare", str(tmp_path / "mse"), str(tmp_path / "other"))  # other positions: Tables 2 and 4 only
    assert models.returncode == 0 and "Table 2" in models.stdout and "Distance comparison" not in models.stdout
    assert cli("compare", str(tmp_path / "mse")).returncode == 2


def test_a_damaged_sweep_is_refused_naming_the_field_or_the_positions(tmp_path, toy, mse):
    """One NaN in eigvals.npy, an inf in H.npy, a latent dimension that is text or a generator name
    that is a path: stats, the report builder and the app all get the same one line."""
    import json
    import shutil

    from tests.commands import run as cli

    run_sweep(tmp_path / "good", toy, mse, n=3, seed=0)
    cases = {}
    for name, damage in (("nan-eigvals", ("eigvals", 1)), ("inf-H", ("H", 2))):
        folder = tmp_path / name
        shutil.copytree(tmp_path / "good", folder)
        stack = np.load(folder / f"{damage[0]}.npy")
        stack[damage[1]].flat[0] = np.nan if damage[0] == "eigvals" else np.inf
        np.save(folder / f"{damage[0]}.npy", stack)
        cases[folder] = f"{damage[0]} holds NaN or inf at positions [{damage[1]}]"
    for key, value in (("latent_dim", "abc"), ("n_positions", -5), ("generator", "../../etc")):
        folder = tmp_path / f"bad-{key}"
        shutil.copytree(tmp_path / "good", folder)
        settings = json.loads((folder / "sweep.json").read_text())
        settings[key] = value
        (folder / "sweep.json").write_text(json.dumps(settings))
        cases[folder] = f"{key} = {value!r} is not a valid"
    from gan_geometry.reports.builder import build_report

    for folder, message in cases.items():
        done = cli("stats", str(folder))
        assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr, done.stderr
        with pytest.raises(GeometryError, match=re.escape(message)):
            build_report(folder, html=tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


@pytest.mark.slow  # starts worker processes
def test_worker_processes_give_the_bits_of_one_process_and_stop_with_the_caller(tmp_path, face, mse):
    """Two workers and one process, one thread per position: the same stacks bit for bit; an
    interrupted pool leaves no worker behind, keeps its shards, and resumes to the same sweep."""
    import os
    import time

    from tests.processes import alive, descendants

    one = run_sweep(tmp_path / "one", face, mse, n=6, seed=7, threads=1, executor=LocalWorkers(1))
    two = run_sweep(tmp_path / "two", face, mse, n=6, seed=7, threads=1, executor=LocalWorkers(2))
    assert_same(one, two)
    before = descendants(os.getpid())
    started = set()

    def interrupt(fraction, message):
        started.update(descendants(os.getpid()) - before)
        if message.startswith("position 2/"):
            raise Killed

    with pytest.raises(Killed):
        run_sweep(tmp_path / "stopped", face, mse, n=6, seed=7, threads=1, executor=LocalWorkers(2),
                  progress=interrupt)
    assert started  # the workers ran, and are gone now
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in started if alive(pid)]
    assert sum(shard_path(tmp_path / "stopped", i).exists() for i in range(6)) >= 2
    assert_same(run_sweep(tmp_path / "stopped", face, mse, n=6, seed=7, threads=1, executor=LocalWorkers(2)), one)


@pytest.mark.slow  # compiles in each worker
def test_a_compiled_sweep_has_the_same_bits_with_any_number_of_workers(tmp_path, toy, mse):
    one = run_sweep(tmp_path / "one", toy, mse, n=4, seed=2, threads=1, executor=LocalWorkers(1), compiled=True)
    two = run_sweep(tmp_path / "two", toy, mse, n=4, seed=2, threads=1, executor=LocalWorkers(2), compiled=True)
    assert one.settings["compiled"] and np.array_equal(one.H, two.H) and np.array_equal(one.eigvecs, two.eigvecs)
    eager = run_sweep(tmp_path / "eager", toy, mse, n=4, seed=2, threads=1, executor=LocalWorkers(1), compiled=False)
    assert np.abs(eager.H - one.H).max() <= 1e-5 * np.abs(eager.H).max()


def test_a_sweep_of_many_positions_runs_in_parallel_by_default(tmp_path, monkeypatch, toy, mse):
    """From PARALLEL_FROM positions of a registered CPU generator whose options are given: local
    workers with one thread per position (recorded); fewer positions, or a generator whose options
    are not known, stay in this process with its threads."""
    import torch

    from gan_geometry.analysis.sweeps import InProcess, LocalWorkers, plan_sweep
    from gan_geometry.analysis.sweeps import plan as plan_module
    from gan_geometry.analysis.sweeps.local import worker_count

    monkeypatch.setattr(plan_module, "kept", lambda *args: False)  # no compiled product on disk
    many = plan_sweep(tmp_path / "many", toy, mse, n=plan_module.PARALLEL_FROM, generator_options={})
    assert isinstance(many.executor, LocalWorkers) and many.settings["threads"] == 1
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1, 2})  # a three-core machine
    assert worker_count(None, 1, 100) == 3 and worker_count(None, 1, 2) == 2  # never more workers than positions
    alone = plan_sweep(tmp_path / "alone", toy, mse, n=plan_module.PARALLEL_FROM)  # how it was built: unknown
    few = plan_sweep(tmp_path / "few", toy, mse, n=3, generator_options={})
    for plan in (alone, few):
        assert isinstance(plan.executor, InProcess) and plan.settings["threads"] == torch.get_num_threads()


def test_a_compiled_sweep_runs_in_this_process_with_every_thread(tmp_path, monkeypatch, toy, mse):
    """From COMPILE_FROM positions a sweep compiles, and then stays in this process with all its
    threads (measured faster than workers that each compile); workers asked for are still used."""
    import torch

    from gan_geometry.analysis.sweeps import InProcess, LocalWorkers, plan_sweep
    from gan_geometry.analysis.sweeps import plan as plan_module

    monkeypatch.setattr(plan_module, "COMPILE_FROM", plan_module.PARALLEL_FROM + 1)
    monkeypatch.setattr(plan_module, "kept", lambda *args: False)  # no compiled product on disk
    n = plan_module.PARALLEL_FROM + 1
    compiled = plan_sweep(tmp_path / "compiled", toy, mse, n=n, generator_options={})
    assert compiled.settings["compiled"] and compiled.settings["threads"] == torch.get_num_threads()
    assert isinstance(compiled.executor, InProcess)
    eager = plan_sweep(tmp_path / "eager", toy, mse, n=n - 1, generator_options={})
    assert not eager.settings["compiled"] and isinstance(eager.executor, LocalWorkers)
    asked = plan_sweep(tmp_path / "asked", toy, mse, n=n, generator_options={}, executor=LocalWorkers(2))
    assert asked.settings["compiled"] and asked.executor.workers == 2 and asked.settings["threads"] == 1


def test_a_compiled_product_kept_on_disk_is_used_from_kept_from_positions_and_a_resume_keeps_its_setting(
        tmp_path, monkeypatch, toy, mse):
    """Loading a kept product costs about a second, so from KEPT_FROM positions a sweep uses it;
    a sweep started eager (none was kept then) stays eager when resumed after one was kept: the
    choice is recorded, and a position's bits never depend on what the cache held."""
    from gan_geometry.analysis.sweeps import plan as plan_module
    from gan_geometry.analysis.sweeps import plan_sweep
    from gan_geometry.core import compiled as compiled_module

    n = plan_module.KEPT_FROM
    z0 = torch.zeros(toy.latent_dim, dtype=toy.dtype)
    monkeypatch.setenv("GGL_CACHE", str(tmp_path / "cache"))  # nothing kept
    assert not compiled_module.kept(toy, mse, z0, toy.latent_dim)
    started = run_sweep(tmp_path / "started", toy, mse, n=n, seed=0)
    assert started.settings["compiled"] is False
    package = compiled_module.package_path(toy, mse, z0, toy.latent_dim)
    package.parent.mkdir(parents=True)
    with zipfile.ZipFile(package, "w") as archive:  # what kept() looks for: a package at the product's key
        archive.writestr("stand-in", b"")
    assert compiled_module.kept(toy, mse, z0, toy.latent_dim)
    assert plan_sweep(tmp_path / "new", toy, mse, n=n).settings["compiled"] is True
    assert plan_sweep(tmp_path / "fewer", toy, mse, n=n - 1).settings["compiled"] is False
    assert plan_sweep(tmp_path / "started", toy, mse, n=n).settings["compiled"] is False  # recorded: resumed eager


def test_more_workers_than_cores_are_refused_before_any_work(tmp_path, toy, mse):
    from gan_geometry.analysis.sweeps import LocalWorkers
    from gan_geometry.analysis.sweeps.local import cores

    with pytest.raises(GeometryError, match=rf"workers \(this machine has {cores()} cores\) must be a whole number"):
        LocalWorkers(cores() + 1)
    assert not (tmp_path / "s").exists()
