"""Shared fixtures: real models are built once per session (they are read-only)."""

import pytest
import torch

from geometry import load_distance, load_generator


@pytest.fixture(scope="session")
def face():
    return load_generator("dcgan-face64")


@pytest.fixture(scope="session")
def toy():
    return load_generator("linear-toy")


@pytest.fixture(scope="session")
def mse():
    return load_distance("mse")


@pytest.fixture(scope="session")
def lpips_alex():
    return load_distance("lpips-alex")


@pytest.fixture(scope="session")
def face_images(face):
    with torch.no_grad():
        return face(face.sample(6, seed=3))


@pytest.fixture(scope="session")
def ray_session(tmp_path_factory):
    """One local Ray for the whole test run (2 CPUs). Its workers see GGL_SWEEP_FAIL_ONCE, so the
    first attempt of every sweep position fails once and Ray's retry is exercised each time.
    Yields the folder of failure markers."""
    import os

    ray = pytest.importorskip("ray")
    from geometry.analysis.ray_backend import PROJECT_ROOT

    markers = tmp_path_factory.mktemp("ray-failures")
    saved = {key: os.environ.get(key) for key in ("GGL_SWEEP_FAIL_ONCE", "PYTHONPATH")}
    os.environ["GGL_SWEEP_FAIL_ONCE"] = str(markers)
    os.environ["PYTHONPATH"] = str(PROJECT_ROOT)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    for key, value in saved.items():  # the workers keep what they were started with
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    yield markers
    ray.shutdown()
