"""Compiled forward-mode products: the same metric as the paper's BP and the eager products (to
1e-5), compiled once per model and weights, falling back to eager when compiling fails."""

import logging

import numpy as np
import pytest
import torch

from gan_geometry import from_module, metric_tensor
from gan_geometry.core import compiled as compiled_module


def relative(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / np.abs(b).max())


@pytest.mark.slow  # compiles the face GAN's product (seconds; tens on a cold inductor cache)
def test_compiled_exact_equals_bp_and_eager_on_the_face_gan(face, mse):
    z = face.sample(1, seed=4)[0]
    fast = metric_tensor(face, mse, z, compiled=True)
    assert fast.provenance["compiled"] is True
    assert relative(fast.H, metric_tensor(face, mse, z, method="bp").H) < 1e-5
    assert relative(fast.H, metric_tensor(face, mse, z).H) < 1e-5
    other = face.sample(1, seed=5)[0]  # the compiled product is reused at another code, and still right there
    assert relative(metric_tensor(face, mse, other, compiled=True).H, metric_tensor(face, mse, other, method="bp").H) \
        < 1e-5


def small_generator(seed: int = 0):
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(6, 48), torch.nn.Tanh(), torch.nn.Linear(48, 3 * 4 * 4))
    return from_module(net, 6, (3, 4, 4), output_range=(-1, 1), name="small")


def test_a_compiled_product_is_kept_per_model_and_redone_when_its_weights_change(mse):
    G = small_generator()
    z = G.sample(1, seed=0)[0]
    first = metric_tensor(G, mse, z, compiled=True)
    kept = dict(compiled_module._cache[G][mse])
    assert len(kept) == 1 and next(iter(kept.values())) is not None
    metric_tensor(G, mse, G.sample(1, seed=1)[0], compiled=True)
    assert compiled_module._cache[G][mse] == kept  # reused, not compiled again
    with torch.no_grad():
        G.module[0].weight.mul_(2)  # the weights change in place
    changed = metric_tensor(G, mse, z, compiled=True)
    assert compiled_module._cache[G][mse].keys() != kept.keys() and len(compiled_module._cache[G][mse]) == 1
    assert relative(changed.H, metric_tensor(G, mse, z, method="bp").H) < 1e-5
    assert relative(changed.H, first.H) > 0.1  # the new weights are used, not the frozen old ones


def test_a_model_that_cannot_be_compiled_runs_eager_with_one_log_line(mse, monkeypatch, caplog, tmp_path):
    import torch._inductor

    def fails(*args, **kwargs):
        raise RuntimeError("no C++ compiler here\nsecond line")

    monkeypatch.setattr(compiled_module, "USER_INDUCTOR_CACHE", compiled_module.cache_folder())
    monkeypatch.setenv("GGL_CACHE", str(tmp_path))  # no kept product to load
    monkeypatch.setattr(torch._inductor, "aoti_compile_and_package", fails)
    G = small_generator(1)
    z = G.sample(1, seed=0)[0]
    with caplog.at_level(logging.WARNING, logger="gan_geometry.core.compiled"):
        result = metric_tensor(G, mse, z, compiled=True)
    assert [r.getMessage() for r in caplog.records] == [
        "forward-mode products run uncompiled (compiling failed: no C++ compiler here)"]
    assert np.array_equal(result.H, metric_tensor(G, mse, z).H)  # exactly the eager product


SCRIPT = """
import os, time, numpy as np
from gan_geometry import load_distance, load_generator, metric_tensor
G, D = load_generator("dcgan-face64"), load_distance("mse")
z = G.sample(1, seed=0)[0]
calls = int(os.environ["CALLS"])
results = [metric_tensor(G, D, z) for _ in range(calls)]
for _ in range(600 if calls > 1 else 0):  # until the background build has switched the calls to it
    if results[-1].provenance["compiled"]:
        break
    time.sleep(0.1)
    results.append(metric_tensor(G, D, z))
eager = metric_tensor(G, D, z, compiled=False)
print(sum(r.provenance["compiled"] for r in results), len(results),
      max(float(np.abs(r.H - eager.H).max() / np.abs(eager.H).max()) for r in results))
"""


@pytest.mark.slow  # fresh processes with background compilation on
@pytest.mark.parametrize("calls", [1, 2])
def test_plain_calls_switch_to_the_compiled_product_and_the_process_exits_cleanly(calls, tmp_path):
    """One plain call never starts a build (and the process exits with 0, no abort); repeated calls
    switch to the compiled product once it is built, within 1e-5 of eager, and inductor keeps the
    generated code in the project's cache (it had been writing to its /tmp default)."""
    import os
    import subprocess
    import sys

    from gan_geometry.io.weights import cache_dir

    env = {key: value for key, value in os.environ.items() if key != "TORCHINDUCTOR_CACHE_DIR"}
    env.update(GGL_COMPILE="1", CALLS=str(calls))
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0 and "terminate called" not in done.stderr, done.stderr[-2000:]
    compiled, total, difference = done.stdout.split()
    assert (int(compiled) == 0) if calls == 1 else (int(compiled) >= 1)
    assert float(difference) <= 1e-5
    if calls > 1:  # the build's code is kept in the project's cache, not inductor's /tmp default
        assert any((cache_dir() / "inductor").rglob("*.py"))


def test_a_compiled_product_is_kept_between_processes_and_a_damaged_one_is_not_used(mse, monkeypatch, tmp_path,
                                                                                    caplog):
    """The product is written to the cache as a package keyed by the models' weights; a later
    process (here: fresh models with the same weights, and a cache holding only that package) loads
    it without compiling; a damaged package is not loaded (here compiling is made to fail: the
    eager product runs, with one line)."""
    import shutil

    import torch._inductor

    G = small_generator(0)
    z = G.sample(1, seed=0)[0]
    first = metric_tensor(G, mse, z, compiled=True)  # compiled, or loaded where an earlier run kept it
    written = compiled_module.package_path(G, mse, z, G.latent_dim)
    assert first.provenance["compiled"] is True and written.is_file()
    monkeypatch.setattr(compiled_module, "USER_INDUCTOR_CACHE", compiled_module.cache_folder())  # its code cache
    monkeypatch.setenv("GGL_CACHE", str(tmp_path))  # a cache holding that package alone
    package = compiled_module.package_path(G, mse, z, G.latent_dim)
    package.parent.mkdir(parents=True)
    shutil.copy(written, package)

    def fails(*args, **kwargs):
        raise RuntimeError("compiled again")

    monkeypatch.setattr(torch._inductor, "aoti_compile_and_package", fails)
    again = metric_tensor(small_generator(0), mse, z, compiled=True)  # loaded, never compiled
    assert again.provenance["compiled"] is True and relative(again.H, first.H) < 1e-6
    package.write_bytes(b"not a package")
    with caplog.at_level(logging.WARNING, logger="gan_geometry.core.compiled"):
        damaged = metric_tensor(small_generator(0), mse, z, compiled=True)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        "forward-mode products run uncompiled (compiling failed: compiled again)"]  # nothing about the damaged file
    assert np.array_equal(damaged.H, metric_tensor(G, mse, z, compiled=False).H)
