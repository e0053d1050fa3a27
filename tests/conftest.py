"""Shared fixtures: real models are built once per session (they are read-only)."""

import os

import pytest
import torch

from gan_geometry import load_distance, load_generator


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
    """One local Ray for the whole test run (2 CPUs). Its workers run ``tests.ray_failures``'s
    setup hook, so the first attempt of every sweep position fails once and Ray's retry is
    exercised each time. Yields the folder of failure markers."""
    ray = pytest.importorskip("ray")
    from gan_geometry.analysis.sweeps.ray_cluster import worker_pythonpath

    markers = tmp_path_factory.mktemp("ray-failures")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": worker_pythonpath(), "GGL_TEST_FAILURE_MARKERS": str(markers)},
                          "worker_process_setup_hook": "tests.ray_failures.fail_first_attempts"})
    yield markers
    ray.shutdown()


def pytest_configure(config):
    """Plain metric calls compile nothing in the background during the suite (``GGL_COMPILE=0``),
    unless the caller's environment says otherwise: tests that are about compiled products ask for
    them explicitly, so the suite passes with any GGL_COMPILE value."""
    os.environ.setdefault("GGL_COMPILE", "0")
