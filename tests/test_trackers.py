"""Sweeps, metrics, layer sweeps and montages reach TensorBoard and W&B: read back with each
library's own reader (TensorBoard's EventAccumulator; the offline W&B run's records)."""

import json
from pathlib import Path

import numpy as np
import pytest

from tests.commands import run

TOY = ["--generator", "linear-toy", "--distance", "mse"]


def events(directory: Path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(directory), size_guidance={"scalars": 0, "images": 0, "histograms": 0,
                                                                   "tensors": 0})
    accumulator.Reload()
    return accumulator


def test_a_sweep_with_tensorboard_writes_statistics_spectra_and_pictures(tmp_path):
    from gan_geometry.analysis.statistics import effective_rank
    from gan_geometry.analysis.sweeps import load_sweep
    from gan_geometry.presentation.records import summary_record

    done = run("sweep", *TOY, "--n", "3", "--out", str(tmp_path / "s"), "--tensorboard", str(tmp_path / "tb"))
    assert done.returncode == 0, done.stderr
    tags = events(tmp_path / "tb").Tags()
    sweep = load_sweep(tmp_path / "s")
    record = summary_record(sweep, sweep.summary())
    tb = events(tmp_path / "tb")
    top = [event.value for event in tb.Scalars("position/top_eigenvalue")]
    assert np.allclose(top, np.asarray(sweep.eigvals)[:, 0], rtol=1e-6)  # per position, step = position
    ranks = [event.value for event in tb.Scalars("position/effective_rank")]
    assert np.allclose(ranks, effective_rank(np.asarray(sweep.eigvals)), rtol=1e-6)
    paper = record["anisotropy"]["paper"]["0.99"]
    assert tb.Scalars("stats/anisotropy/paper/0.99")[0].value == paper  # the statistics as scalars
    assert {"spectrum", "consistency"} <= set(tags["images"])
    assert "position/log10_eigenvalues" in tags["histograms"] and len(tb.Histograms("position/log10_eigenvalues")) == 3
    assert any("settings" in tag for tag in tags["tensors"])  # text is stored as a tensor summary


def test_metric_layers_and_traverse_log_too(tmp_path):
    for argv in (["metric", *TOY, "--tensorboard", str(tmp_path / "m")],
                 ["layers", *TOY, "--n", "2", "--out", str(tmp_path / "l"), "--tensorboard", str(tmp_path / "lt")],
                 ["traverse", *TOY, "--ranks", "1", "2", "--out", str(tmp_path / "t.png"), "--tensorboard",
                  str(tmp_path / "tt")]):
        done = run(*argv)
        assert done.returncode == 0, done.stderr
    assert "spectrum" in events(tmp_path / "m").Tags()["images"]
    assert "layer_spectra" in events(tmp_path / "lt").Tags()["images"]
    montage = events(tmp_path / "tt")
    assert "montage" in montage.Tags()["images"] and len(montage.Scalars("montage/rank_1/distance")) == 5


def wandb_records(path: Path) -> list[bytes]:
    """The records of an offline run's ``.wandb`` file: a 7-byte header (":W&B", 0xBEE1, version),
    then LevelDB-log chunks in 32 KiB blocks (crc32c 4, length 2, type 1: full, first, middle,
    last), as wandb's own writer lays them out."""
    data = path.read_bytes()
    assert data[:4] == b":W&B"
    records, pending, at, block = [], b"", 7, 32768
    while at + 7 <= len(data):
        if block - at % block < 7:  # a block's tail too short for a header is padding
            at += block - at % block
            continue
        length, kind = int.from_bytes(data[at + 4:at + 6], "little"), data[at + 6]
        chunk, at = data[at + 7:at + 7 + length], at + 7 + length
        if kind == 1:
            records.append(chunk)
        elif kind in (2, 3):
            pending += chunk
        elif kind == 4:
            records.append(pending + chunk)
            pending = b""
    return records


@pytest.mark.slow  # W&B starts its service process
def test_a_sweep_with_wandb_offline_holds_the_same_numbers(tmp_path, monkeypatch):
    from wandb.proto import wandb_internal_pb2

    from gan_geometry.analysis.sweeps import load_sweep

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)  # no key: offline, no prompt
    monkeypatch.delenv("WANDB_MODE", raising=False)
    done = run("sweep", *TOY, "--n", "3", "--out", str(tmp_path / "s"), "--wandb", "ggl-test")
    assert done.returncode == 0, done.stderr
    [record_file] = list((tmp_path / "wandb").glob("offline-run-*/run-*.wandb"))
    import time

    deadline = time.monotonic() + 30  # W&B's own service process writes the file; it may still be flushing
    while time.monotonic() < deadline and len(wandb_records(record_file)) < 50:
        time.sleep(0.5)
    history, config = [], {}
    for data in wandb_records(record_file):
        record = wandb_internal_pb2.Record()
        record.ParseFromString(data)
        if record.WhichOneof("record_type") == "history":
            history.append({item.key or "/".join(item.nested_key): json.loads(item.value_json)
                            for item in record.history.item})
        elif record.WhichOneof("record_type") in ("config", "run"):  # the settings: the run's config
            updates = record.config.update if record.HasField("config") else record.run.config.update
            config.update({item.key: json.loads(item.value_json) for item in updates})
    top = [row["position/top_eigenvalue"] for row in history if "position/top_eigenvalue" in row]
    assert np.allclose(top, np.asarray(load_sweep(tmp_path / "s").eigvals)[:, 0], rtol=1e-6)
    assert any("stats/anisotropy/paper/0.99" in row for row in history)
    keys = set().union(*history)  # images are logged as nested records: spectrum/_type = image-file
    assert {"spectrum/_type", "consistency/_type"} <= keys
    assert config.get("generator") == "linear-toy", config
