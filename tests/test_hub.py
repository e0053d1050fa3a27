"""Weights named hf://OWNER/REPO/PATH[@REVISION] load from a cache laid out as the Hugging Face
Hub lays out its own, offline, with repository, commit and SHA-256 in the provenance."""

import hashlib
import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # command lines in subprocesses (the Hub reads its settings at import)

MAIN, TAG = "a" * 40, "b" * 40


@pytest.fixture(scope="module")
def hub_cache(tmp_path_factory):
    """models--me--tiny-wavegan/{refs/main, refs/v1, snapshots/<commit>/g.pt}: two commits of a
    WaveGAN checkpoint of the port (random weights, different seeds)."""
    import torch

    from gan_geometry import load_generator

    root = tmp_path_factory.mktemp("hub")
    repo = root / "models--me--tiny-wavegan"
    digests = {}
    for ref, commit, seed in (("main", MAIN, 0), ("v1", TAG, 1)):
        state = load_generator("wavegan-notes", random_weights=True).module.state_dict()
        state["fc1.bias"] = state["fc1.bias"] + seed  # two commits, two files
        (repo / "snapshots" / commit).mkdir(parents=True)
        torch.save(state, repo / "snapshots" / commit / "g.pt")
        (repo / "refs").mkdir(exist_ok=True)
        (repo / "refs" / ref).write_text(commit)
        digests[ref] = hashlib.sha256((repo / "snapshots" / commit / "g.pt").read_bytes()).hexdigest()
    return root, digests


def gan_geometry(cache, *args):
    env = {**os.environ, "HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "gan_geometry", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def test_a_hub_address_loads_offline_with_its_commit_and_digest(hub_cache, tmp_path):
    cache, digests = hub_cache
    done = gan_geometry(cache, "metric", "--generator", "wavegan-notes", "--distance", "stft", "--option",
                        "weights_path=hf://me/tiny-wavegan/g.pt@v1", "--out", str(tmp_path / "m"))
    assert done.returncode == 0, done.stderr
    source = json.loads((tmp_path / "m" / "provenance.json").read_text())["source"]
    assert source == f"hf://me/tiny-wavegan/g.pt@v1 (commit {TAG}, SHA-256 {digests['v1']})"
    done = gan_geometry(cache, "check-weights", "wavegan-notes", "hf://me/tiny-wavegan/g.pt")
    assert done.returncode == 0 and f"commit {MAIN}, SHA-256 {digests['main']}" in done.stdout, done.stderr


def test_a_hub_file_missing_offline_is_one_line(hub_cache):
    cache, _ = hub_cache
    done = gan_geometry(cache, "check-weights", "wavegan-notes", "hf://me/tiny-wavegan/other.pt")
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert done.returncode == 2 and len(errors) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "not in the Hub cache and the Hub cannot be reached" in errors[0]
    done = gan_geometry(cache, "check-weights", "wavegan-notes", "hf://no-repo-path")
    assert done.returncode == 2 and "is not a Hub address" in done.stderr
