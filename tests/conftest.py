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
