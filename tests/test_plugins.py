"""A generator from another distribution, found through its entry points (group
``gan_geometry.generators``) with no change to this project: listed, measured, swept by workers;
a broken plugin is named in one line and hides nothing."""

import sys

import pytest

from tests.commands import run

PLUGIN = '''
import functools

from gan_geometry.models import toy
from gan_geometry.registry import GeneratorEntry


def entry():
    return GeneratorEntry(
        "plugin-toy", "a linear generator from a plugin distribution", {"default": 6}, {"default": "standard normal"},
        8, "MIT", functools.partial(toy.build_linear_toy, latent_dim=6, seed=3),
    )
'''


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """A distribution the test writes: the module, and a .dist-info whose entry_points.txt names a
    working entry and a broken one."""
    import importlib

    from gan_geometry.registry import REGISTRY

    (tmp_path / "myplugin.py").write_text(PLUGIN)
    info = tmp_path / "myplugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: myplugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[gan_geometry.generators]\nplugin-toy = myplugin:entry\n"
                                           "broken = myplugin:no_such_thing\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", f"{tmp_path}:{__import__('os').environ.get('PYTHONPATH', '')}")
    importlib.invalidate_caches()
    REGISTRY.forget_plugins()
    yield tmp_path
    sys.modules.pop("myplugin", None)
    REGISTRY.forget_plugins()


def test_a_plugin_generator_is_listed_measured_and_swept_by_workers(plugin, tmp_path, capsys):
    import numpy as np

    from gan_geometry import load_distance, load_generator, metric_tensor
    from gan_geometry.analysis.sweeps import load_sweep

    listing = run("generators")
    assert listing.returncode == 0 and "plugin-toy" in listing.stdout and "linear-toy" in listing.stdout
    done = run("metric", "--generator", "plugin-toy", "--distance", "mse", "--out", str(tmp_path / "m"))
    assert done.returncode == 0, done.stderr
    G = load_generator("plugin-toy")
    assert G.latent_dim == 6
    expected = metric_tensor(G, load_distance("mse"), G.sample(1, seed=0)[0])
    from gan_geometry import MetricResult

    assert np.allclose(MetricResult.load(tmp_path / "m").eigvals, expected.eigvals, rtol=1e-6)
    done = run("sweep", "--generator", "plugin-toy", "--distance", "mse", "--n", "2", "--workers", "2", "--out",
               str(tmp_path / "s"))
    assert done.returncode == 0, done.stderr
    assert np.allclose(load_sweep(tmp_path / "s").eigvals[0], expected.eigvals, rtol=1e-6)  # workers found it too


def test_a_broken_plugin_is_named_in_one_line_and_the_others_load(plugin, capsys):
    from gan_geometry.registry import REGISTRY

    assert "plugin-toy" in REGISTRY and "dcgan-face64" in REGISTRY
    warning = [line for line in capsys.readouterr().err.splitlines() if "broken" in line]
    assert len(warning) == 1 and warning[0].startswith("warning: generator plugin broken (myplugin:no_such_thing)")
    assert "AttributeError" in warning[0]
