"""Sweeps on Ray give the local backend's answer bit for bit, survive failures and resume."""

import sys

import numpy as np
import pytest

from gan_geometry import GeometryError
from gan_geometry.analysis.sweeps import RayCluster, load_sweep, run_sweep
from gan_geometry.analysis.sweeps.shards import shard_path
from tests.processes import alive, descendants

N = 6
pytestmark = pytest.mark.slow  # starts Ray (once per test run)


@pytest.fixture(scope="module")
def local_sweep(tmp_path_factory, face, mse):
    return run_sweep(tmp_path_factory.mktemp("local") / "sweep", face, mse, n=N, seed=5, threads=1)


def same_stacks(a, b) -> bool:
    return all(np.array_equal(getattr(a, name), getattr(b, name)) for name in ("positions", "eigvals", "eigvecs", "H"))


def test_a_ray_sweep_equals_the_local_one_bit_for_bit_despite_failed_tasks(ray_session, tmp_path, face, mse,
                                                                           local_sweep):
    sweep = run_sweep(tmp_path / "ray", face, mse, n=N, seed=5, threads=1, executor=RayCluster())
    assert same_stacks(sweep, local_sweep)
    failed = sorted(p.name for p in ray_session.glob("failed-ray-*"))
    assert failed == [f"failed-ray-{i}" for i in range(N)]  # each task raised once and Ray retried it
    assert sweep.summary(n_boot=10).consistency.log_mean == local_sweep.summary(n_boot=10).consistency.log_mean


def test_an_interrupted_ray_driver_resumes_to_the_same_sweep(ray_session, tmp_path, face, mse, local_sweep):
    def interrupt_after_two(fraction, message):
        if "(Ray)" in message and int(message.split()[1].split("/")[0]) >= 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(tmp_path / "resumed", face, mse, n=N, seed=5, threads=1, executor=RayCluster(),
                  progress=interrupt_after_two)
    assert not (tmp_path / "resumed" / "eigvals.npy").exists()
    assert sum(shard_path(tmp_path / "resumed", i).exists() for i in range(N)) >= 2
    sweep = run_sweep(tmp_path / "resumed", face, mse, n=N, seed=5, threads=1, executor=RayCluster())
    assert same_stacks(sweep, local_sweep)


def test_a_local_sweep_resumes_a_ray_sweep_with_the_same_threads(ray_session, tmp_path, face, mse):
    run_sweep(tmp_path / "mixed", face, mse, n=2, seed=1, threads=1, executor=RayCluster())
    with pytest.raises(GeometryError, match="threads was 1, now 2"):
        run_sweep(tmp_path / "mixed", face, mse, n=2, seed=1, threads=2)


def test_without_ray_the_ray_backend_says_what_to_install(tmp_path, face, mse, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if it were not installed
    with pytest.raises(GeometryError, match="pip install -r requirements-ray.txt"):
        run_sweep(tmp_path / "no-ray", face, mse, n=2, seed=1, executor=RayCluster())
    assert run_sweep(tmp_path / "local", face, mse, n=2, seed=1).n_positions == 2  # local needs nothing more
    from tests.commands import run

    done = run("sweep", "--distance", "mse", "--n", "2", "--backend", "ray", "--out", str(tmp_path / "cli"))
    assert done.returncode == 2 and "requirements-ray.txt" in done.stderr


def test_unregistered_generators_are_refused_by_the_ray_backend(tmp_path, mse):
    import torch

    from gan_geometry import from_module

    G = from_module(torch.nn.Linear(4, 3 * 8 * 8), 4, (3, 8, 8))
    with pytest.raises(GeometryError, match="not registered"):
        run_sweep(tmp_path / "user", G, mse, n=2, seed=1, executor=RayCluster())


@pytest.mark.slow  # a subprocess: this test session's own Ray must not answer for the address
class Silent2Server:
    """A TCP server that answers like gRPC's first frame (an HTTP/2 SETTINGS frame) and then says
    nothing: what some proxies do for any host, and what a gRPC server that is not Ray does."""

    def __init__(self):
        import socket
        import threading

        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.connections = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            connection.sendall(bytes([0, 0, 0, 4, 0, 0, 0, 0, 0]))
            self.connections.append(connection)  # kept open, silent


@pytest.fixture(scope="module")
def not_ray():
    """Addresses where something other than Ray answers, or nothing does, or that are no address."""
    import http.server
    import threading

    web = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    silent = Silent2Server()
    yield {"a web server": (f"127.0.0.1:{web.server_port}", "is not a Ray cluster (it does not speak gRPC)"),
           "a silent gRPC-like server": (f"127.0.0.1:{silent.port}", "no Ray cluster answered at"),
           "a closed port": ("127.0.0.1:1", "cannot reach a Ray cluster at 127.0.0.1:1"),
           "no address": ("not a host::::", "--address must be host:port")}
    web.shutdown()
    silent.socket.close()


@pytest.mark.parametrize("case", ["a web server", "a silent gRPC-like server", "a closed port", "no address"])
def test_an_address_that_is_not_ray_fails_within_seconds_in_one_line_leaving_nothing(not_ray, case, tmp_path,
                                                                                      monkeypatch):
    import time

    from gan_geometry.analysis.sweeps import ray_cluster
    from tests.commands import run

    monkeypatch.setattr(ray_cluster, "PROBE_SECONDS", 4.0)  # the silent server is refused at the limit
    address, message = not_ray[case]
    start = time.monotonic()
    done = run("sweep", "--generator", "linear-toy", "--distance", "mse", "--n", "2", "--backend", "ray",
               "--address", address, "--out", str(tmp_path / "s"))
    assert time.monotonic() - start < 30
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert done.returncode == 2 and len(errors) == 1 and "Traceback" not in done.stderr, done.stderr
    assert message in errors[0] and not (tmp_path / "s").exists()  # no sweep.json, no positions.npy


def test_a_ray_cluster_address_is_accepted_by_the_check(ray_session):
    import ray

    from gan_geometry.analysis.sweeps.ray_cluster import check_reachable

    check_reachable(ray.get_runtime_context().gcs_address)  # the session's Ray: joined by the probe, no error


@pytest.mark.slow  # a driver in a subprocess with its own local Ray
def test_a_sigterm_stops_a_ray_driver_cleanly_and_the_sweep_resumes_bit_for_bit(ray_session, tmp_path, face, mse):
    """SIGTERM to a `sweep --backend ray` command: it stops within seconds with one line and exit
    143, keeps its finished shards, the Ray processes it started end with it, and running the same
    command again finishes a sweep equal bit for bit to an uninterrupted local one."""
    import signal
    import subprocess
    import time

    from tests.commands import run

    out = tmp_path / "terminated"
    command = ["sweep", "--generator", "dcgan-face64", "--distance", "mse", "--n", "12", "--seed", "5", "--threads",
               "1", "--backend", "ray", "--out", str(out)]
    driver = subprocess.Popen([sys.executable, "-m", "gan_geometry", *command], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while sum(shard_path(out, i).exists() for i in range(12)) < 2 and time.monotonic() < deadline:
        assert driver.poll() is None, driver.communicate()
        time.sleep(0.2)
    started = descendants(driver.pid)
    assert started, "the driver started no local Ray"
    driver.send_signal(signal.SIGTERM)
    _, stderr = driver.communicate(timeout=60)
    assert driver.returncode == 143 and "Traceback" not in stderr, stderr
    assert "terminated: finished positions are kept; run the same command again to resume" in stderr
    kept = sum(shard_path(out, i).exists() for i in range(12))
    assert 2 <= kept and not (out / "eigvals.npy").exists()
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not [pid for pid in started if alive(pid)], "processes the driver started outlived it"

    resumed = run(*command)  # joins this session's Ray (already initialised in this process)
    assert resumed.returncode == 0, resumed.stderr
    local = run_sweep(tmp_path / "local", face, mse, n=12, seed=5, threads=1)
    assert same_stacks(load_sweep(out), local)


@pytest.mark.slow  # a driver in a subprocess with its own local Ray, killed
def test_a_killed_ray_driver_takes_its_local_ray_with_it(tmp_path):
    """kill -9 of a `sweep --backend ray` driver that started its own Ray: every process it started
    (GCS, raylet, workers and Ray's agents, which alone would outlive it by over a minute) is gone
    within seconds."""
    import signal
    import subprocess
    import time

    out = tmp_path / "killed"
    driver = subprocess.Popen([sys.executable, "-m", "gan_geometry", "sweep", "--generator", "dcgan-face64",
                               "--distance", "mse", "--n", "200", "--threads", "1", "--no-compile", "--backend", "ray",
                               "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not shard_path(out, 0).exists() and time.monotonic() < deadline:
        assert driver.poll() is None
        time.sleep(0.2)
    started = {pid for pid in descendants(driver.pid) if alive(pid)}
    assert started, "the driver started no local Ray"
    driver.send_signal(signal.SIGKILL)
    driver.wait(timeout=30)
    deadline = time.monotonic() + 15
    while any(alive(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not [pid for pid in started if alive(pid)], "processes the killed driver started outlived it"
