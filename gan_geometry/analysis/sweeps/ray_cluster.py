"""Sweep positions as Ray tasks: the ``RayCluster`` executor (Ray is the optional extra ``[ray]``).

The driver has already recorded the settings and positions; each missing position becomes one
task that writes the same atomic shard as the local backend (``sweep_task.write_position``) into the
same directory: on a cluster that directory must be on a filesystem every node sees. Tasks rebuild
the registered generator and the distance by name, once per worker process
(``sweep_task.models``), and check the rebuilt generator's weights against the driver's by
checksum, so a position's metric never depends on which worker computed it. A task that fails (an
exception, or its worker killed) is retried by Ray; the driver streams progress as shards land
and, interrupted, stops what is left (``stop``; rerun the same sweep to resume).

Without ``address`` a local Ray is started with this machine's cores (the project root on the
workers' ``PYTHONPATH`` through Ray's runtime environment; this process's environment is not
changed); with one, the driver joins that cluster.
"""

from __future__ import annotations

import os
import re
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

from gan_geometry.analysis.sweeps.executors import Executor, SweepPlan
from gan_geometry.analysis.sweeps.task import position_task, recipe
from gan_geometry.core.distances import Distance
from gan_geometry.core.generators import Generator
from gan_geometry.errors import GeometryError
from gan_geometry.progress import Progress, report

RETRIES = 3
PROJECT_ROOT = Path(__file__).resolve().parents[3]  # the folder holding the gan_geometry package


def _ray():
    try:
        import ray
    except ImportError:
        raise GeometryError("the Ray backend needs Ray: pip install -r requirements-ray.txt "
                            "(or pip install '.[ray]'); the local backend needs nothing more") from None
    return ray


_started_here = False  # whether this process started the local Ray it is connected to


def connect(address: str | None) -> None:
    """Join the cluster at ``address``, or start a local Ray with this machine's cores; nothing
    when Ray is already initialised in this process. A SIGTERM handler the caller installed (the
    command line's) is kept: Ray's own would exit without the one-line message."""
    global _started_here
    ray = _ray()
    if address:  # checked even where this process already joined a Ray: a bad address is never ignored
        check_reachable(address)
    if ray.is_initialized():
        return
    handler = signal.getsignal(signal.SIGTERM)
    if address:
        ray.init(address=address, log_to_driver=False)
    else:
        ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False,
                 runtime_env={"env_vars": {"PYTHONPATH": worker_pythonpath()}})
        _started_here = True
        guard_local_ray()
    if callable(handler) and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handler)  # ray.init replaces it with sys.exit; the caller's (the CLI's) stays


ADDRESS = re.compile(r"(ray://)?(?P<host>[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]):(?P<port>[0-9]{1,5})")
HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])  # + empty SETTINGS


WATCHER = """
import os, signal, sys, time
driver, pids = int(sys.argv[1]), [int(p) for p in sys.argv[2:]]
while True:
    try:
        os.kill(driver, 0)
    except ProcessLookupError:
        break
    time.sleep(1)
for pid in pids:
    try:
        with open(f"/proc/{pid}/comm") as comm:
            if not comm.read().startswith(("ray", "gcs", "raylet")):
                continue
        os.kill(pid, signal.SIGKILL)
    except (OSError, ValueError):
        pass
"""


def guard_local_ray() -> None:
    """A watcher process that ends the local Ray this driver started when the driver dies without
    shutting it down (kill -9): Ray's own DashboardAgent and RuntimeEnvAgent outlive their raylet
    by over a minute. It polls the driver once a second and kills the Ray processes it was given
    (GCS, raylet and the raylet's children at start-up) that still carry a Ray name. Linux only."""
    import subprocess
    import sys

    if not os.path.isdir("/proc"):
        return
    try:
        node = _ray()._private.worker._global_node
        pids = {info.process.pid for infos in node.all_processes.values() for info in infos}
    except AttributeError:  # another Ray version's internals: no watcher
        return
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if parent in pids:
                pids.add(int(entry))
    subprocess.Popen([sys.executable, "-c", WATCHER, str(os.getpid()), *map(str, sorted(pids))],
                     start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL)


def check_reachable(address: str, seconds: float = 5.0) -> None:
    """Refuse at once, in one line, an ``address`` that is not ``auto``, ``host:port`` or
    ``ray://host:port``, one that nothing answers on, and one where something other than a gRPC
    server answers (Ray's GCS and client server speak gRPC over HTTP/2; a web server, a database
    or a closed port would leave Ray retrying for minutes). Takes at most 2 x ``seconds``."""
    import socket

    if address == "auto":
        return
    match = ADDRESS.fullmatch(address)
    if not match or not 0 < int(match["port"]) < 65536:
        raise GeometryError(f"--address must be host:port (e.g. 127.0.0.1:6379), ray://host:port or auto; got "
                            f"{address!r}")
    host, port = match["host"].strip("[]"), int(match["port"])
    hint = "start one with 'ray start --head' or leave out --address to run a local Ray"
    try:
        with socket.create_connection((host, port), timeout=seconds) as connection:
            connection.settimeout(seconds)
            connection.sendall(HTTP2_PREFACE)
            reply = connection.recv(9)
    except OSError as err:
        reason = "no answer" if isinstance(err, TimeoutError) else err.strerror or str(err)
        raise GeometryError(f"cannot reach a Ray cluster at {address} ({reason}); {hint}") from None
    if len(reply) < 4 or reply[3] != 4:  # an HTTP/2 server opens with a SETTINGS frame (type 4)
        raise GeometryError(f"what answers at {address} is not a Ray cluster (it does not speak gRPC); {hint}")
    probe(address, hint)


PROBE = "import ray, sys; ray.init(address=sys.argv[1], log_to_driver=False, logging_level='ERROR'); ray.shutdown()"


PROBE_SECONDS = 10.0  # how long a child process may take to join a cluster before the address is refused


def probe(address: str, hint: str, seconds: float | None = None) -> None:
    """Join ``address`` in a child process that is killed after ``seconds``: a gRPC server that is
    not Ray (or a proxy that answers for any host) would keep ``ray.init`` retrying for minutes in
    this process, and Ray cannot be stopped halfway through joining."""
    import subprocess
    import sys

    seconds = PROBE_SECONDS if seconds is None else seconds
    try:
        done = subprocess.run([sys.executable, "-c", PROBE, address], capture_output=True, text=True,
                              timeout=seconds, start_new_session=True)
    except subprocess.TimeoutExpired:
        raise GeometryError(f"no Ray cluster answered at {address} within {seconds:g} s; {hint}") from None
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        reason = lines[-1][:200] if lines else f"exit code {done.returncode}"
        raise GeometryError(f"cannot join a Ray cluster at {address} ({reason}); {hint}")


def worker_pythonpath() -> str:
    """The project root first, then this process's PYTHONPATH: what local workers import from."""
    paths = [str(PROJECT_ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return os.pathsep.join(dict.fromkeys(paths))


def run_positions(plan: SweepPlan, G: Generator, D: Distance, progress: Progress | None, address: str | None,
                  cpus_per_task: float, gpus_per_task: float) -> None:
    """Compute the positions ``plan.todo`` as Ray tasks writing their shards into ``plan.directory``."""
    directory, positions, todo, settings = plan.directory, plan.positions, plan.todo, plan.settings
    models = recipe(G, D, settings["generator_options"], "Ray")
    connect(address)
    ray = _ray()
    task = ray.remote(num_cpus=cpus_per_task, num_gpus=gpus_per_task, max_retries=RETRIES,
                      retry_exceptions=True)(position_task)
    N = positions.shape[0]
    pending = [task.remote(str(directory), i, positions[i], models, settings) for i in todo]
    done = N - len(todo)
    try:
        while pending:
            finished, pending = ray.wait(pending, num_returns=1)
            ray.get(finished)  # raises once Ray has given up on a task
            done += 1
            report(progress, done / N, f"position {done}/{N} (Ray)")
    except ray.exceptions.RayError as err:
        stop(pending)
        raise GeometryError(f"a sweep task failed after {RETRIES} retries: {err}; rerun the sweep to resume") from err
    except BaseException:  # interrupted (Ctrl-C, SIGTERM through the command line)
        stop(pending)
        raise


def stop(pending: list) -> None:
    """Stop the tasks not yet finished: a local Ray this process started is shut down with its
    workers (cancelling tasks one by one can race with their completion and crash Ray's core
    worker, seen once as "Tried to complete task that was not pending"); on a cluster it joined,
    or a Ray its caller started, the tasks are cancelled and the cluster is left running."""
    global _started_here
    ray = _ray()
    if _started_here:
        ray.shutdown()
        _started_here = False
        return
    for ref in pending:
        ray.cancel(ref)


@dataclass(frozen=True)
class RayCluster(Executor):
    """One Ray task per position: on the cluster at ``address``, else a local Ray with this
    machine's cores; ``cpus_per_task`` defaults to the threads per position."""

    address: str | None = None
    cpus_per_task: float | None = None
    gpus_per_task: float = 0
    name = "Ray"

    def prepare(self, plan: SweepPlan, G: Generator, D: Distance) -> None:
        """Ray is installed, the generator can be rebuilt by name, and the cluster answers (a local
        Ray started otherwise): all before the sweep's folder is written."""
        recipe(G, D, plan.settings["generator_options"], "Ray")
        connect(self.address)

    def run(self, plan: SweepPlan, G: Generator, D: Distance, progress: Progress | None) -> None:
        cpus = self.cpus_per_task if self.cpus_per_task is not None else plan.settings["threads"]
        run_positions(plan, G, D, progress, self.address, cpus, self.gpus_per_task)
