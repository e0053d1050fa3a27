"""Compiled forward-mode products: the batched JVP of a pullback's features, traced once and
compiled ahead of time by inductor, kept on disk and reused across codes and processes.

    push(z0, V) = vmap(v -> jvp(psi o G, (z0,), (v,))[1])(V)        V (c, n) -> (c, F)

Inductor cannot trace ``torch.func.jvp`` itself, so the product is first traced to a functional
aten graph with ``make_fx`` (the vmap and jvp become plain batched operations; the weights become
constants), rewritten by ``core.graph_passes`` (the generator's batch of one folded away so
tangents stay channels-last, zero-tangent convolutions dropped, 1 x 1 transposed convolutions as
matrix products), then exported (``torch.export``) and compiled by AOTInductor with ``freezing``
(layouts chosen by inductor, the batch-norm / ReLU-mask / normalisation arithmetic of each layer
fused into one loop) into a package, ``package_path``: keyed by the models' classes and weights,
the block, the latent dimension, dtype, device and the torch and package versions. A later process
loads the package in well under a second (measured on dcgan-face64 with LPIPS, 2 cores: a build
20 s, a load 1 s, where ``torch.compile`` took 37 s cold and 6-10 s warm); a package that does not
load or agree is compiled again. Measured by ``python -m bench.metric_methods --side-by-side``:
below the no-grad batched forward.

A compiled product is kept per process for each (generator, distance, block, latent dimension,
dtype, device), while both models live and their weights are unchanged (tensor version counters
are part of the key: a loaded state dict recompiles). Each build or load is checked against the
eager product on a block of coordinate vectors (relative difference <= ``TOLERANCE``); a model
that cannot be traced or compiled, or whose compiled product differs, stays eager for that key
with one log line.

Two ways to get one: ``compiled_push`` builds it now and waits (sweeps that run compiled, an
explicit ``compiled=True``); ``ready_push`` returns it only when already built and otherwise, from
the second eager call of the same key on (a script that computes one metric never pays for a
build), starts building it in a background thread (at low priority, tracing under the
forward-mode lock, compiling outside it) so the caller can run eager meanwhile and switch once it
is ready (what a plain ``metric_tensor`` does). A process waits for a running build at exit.
Inductor keeps the code it generates in ``cache_folder()`` (``TORCHINDUCTOR_CACHE_DIR`` unless
set). Tracing runs the model on real tensors: Python control flow that depends on tensor values
(rare in generators; ReLU masks are tensor operations and stay exact) would be fixed at the
traced code.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import logging
import os
import threading
import weakref
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch.func import functionalize, jvp, vmap

from gan_geometry.core.forward_mode import FORWARD_MODE_LOCK, quiet_transforms
from gan_geometry.core.graph_passes import drop_zero_products, fold_singleton_batch, point_convolutions_as_products

log = logging.getLogger(__name__)
TOLERANCE = 1e-5
_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # generator -> distance -> key -> Build
_asked: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # generator -> distance -> key -> eager calls
_lock = threading.Lock()
START_AFTER = 2  # eager calls of one key before its background build starts: a one-call script never pays one
_threads: list[threading.Thread] = []
USER_INDUCTOR_CACHE = os.environ.get("TORCHINDUCTOR_CACHE_DIR")  # before inductor fills in its default


@atexit.register
def _finish_builds() -> None:
    """Wait for background builds still running: a process that exits while inductor compiles in a
    thread is aborted by the C++ runtime ("terminate called without an active exception")."""
    for thread in _threads:
        thread.join()


@dataclass
class Build:
    """One compiled product: ``done`` once built; ``push`` None where it stayed eager."""

    done: threading.Event = field(default_factory=threading.Event)
    push: Callable | None = None


def weights_version(*modules: torch.nn.Module) -> tuple[int, ...]:
    """Version counters of every parameter and buffer: they change when weights are modified in
    place (``load_state_dict``, an optimiser step)."""
    return tuple(t._version for m in modules for t in (*m.parameters(), *m.buffers()))


def eager_push(features: Callable[[torch.Tensor], torch.Tensor]) -> Callable:
    """push(z0, V) (c, n) -> (c, F) by ``vmap`` over ``jvp``, uncompiled."""
    return lambda z0, V: vmap(lambda v: jvp(features, (z0,), (v,))[1])(V)


def _key(G: torch.nn.Module, D: torch.nn.Module, z0: torch.Tensor, block: int) -> tuple:
    return block, z0.shape[0], z0.dtype, str(z0.device), weights_version(G, D)


def _builds(G: torch.nn.Module, D: torch.nn.Module) -> dict:
    return _cache.setdefault(G, weakref.WeakKeyDictionary()).setdefault(D, {})


def _build_for(G: torch.nn.Module, D: torch.nn.Module, z0: torch.Tensor, block: int) -> tuple[Build, bool]:
    """The build of this key, and whether it is new (the caller must then run it)."""
    key = _key(G, D, z0, block)
    with _lock:
        builds = _builds(G, D)
        if key in builds:
            return builds[key], False
        for old in [k for k in builds if k[:4] == key[:4]]:  # the weights changed since
            del builds[old]
        builds[key] = Build()
        return builds[key], True


def _run(build: Build, G: torch.nn.Module, D: torch.nn.Module, features: Callable, z0: torch.Tensor,
         block: int) -> None:
    try:
        build.push = _compile(features, z0, block, package_path(G, D, z0, block))
    finally:
        build.done.set()


def compiled_push(G: torch.nn.Module, D: torch.nn.Module, features: Callable[[torch.Tensor], torch.Tensor],
                  z0: torch.Tensor, block: int) -> Callable:
    """The compiled push for (G, D) at blocks of ``block`` tangents (the graph is specialised to
    its shapes), built now if it was not (or waited for, if it is being built), else the eager push
    where compiling failed."""
    build, new = _build_for(G, D, z0, block)
    if new:
        _run(build, G, D, features, z0, block)
    build.done.wait()
    return build.push if build.push is not None else eager_push(features)


def ready_push(G: torch.nn.Module, D: torch.nn.Module, features: Callable[[torch.Tensor], torch.Tensor],
               z0: torch.Tensor, block: int, start: bool = True) -> Callable | None:
    """The compiled push if it is built (None where it stayed eager); otherwise None, and with
    ``start`` (an eager call of this key just ran) its build begins in a background thread once
    ``START_AFTER`` eager calls of the key have run (once per key)."""
    key = _key(G, D, z0, block)
    with _lock:
        found = _builds(G, D).get(key)
        if found is None and start:
            asked = _asked.setdefault(G, weakref.WeakKeyDictionary()).setdefault(D, {})
            asked[key] = asked.get(key, 0) + 1
            start = asked[key] >= START_AFTER
    if found is not None:
        return found.push if found.done.is_set() else None
    if start:
        build, new = _build_for(G, D, z0, block)
        if new:
            thread = threading.Thread(target=_background, args=(build, G, D, features, z0.detach().clone(), block),
                                      daemon=True, name="gan-geometry-compile")
            _threads.append(thread)
            thread.start()
    return None


def _background(build: Build, G: torch.nn.Module, D: torch.nn.Module, features: Callable, z0: torch.Tensor,
                block: int) -> None:
    """A build in its own thread at the lowest priority, so the caller's eager work keeps the cores."""
    with contextlib.suppress(OSError, AttributeError):  # per-thread niceness: Linux
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    _run(build, G, D, features, z0, block)


def traced_push(features: Callable, z0: torch.Tensor, V: torch.Tensor, rewritten: bool = True) -> torch.fx.GraphModule:
    """The forward-mode product traced to an aten graph (functional: no in-place operations) at
    the shapes of (z0, V); ``rewritten``: by ``graph_passes`` (zero-tangent convolutions removed,
    the generator's batch of one folded away, 1 x 1 transposed convolutions as matrix products:
    about 1e-6 relative from the plain graph, 19-23 % faster compiled on dcgan-face64)."""
    from torch.fx.experimental.proxy_tensor import make_fx

    graph = make_fx(functionalize(eager_push(features), remove="mutations"))(z0, V)
    if not rewritten:
        return graph
    return point_convolutions_as_products(fold_singleton_batch(drop_zero_products(graph), V.shape[0]))


def cache_folder() -> str:
    """Where inductor keeps its generated code: ``$TORCHINDUCTOR_CACHE_DIR`` as set before this
    module was imported, else the project's cache (``io.weights.cache_dir()/inductor``), which
    outlives /tmp."""
    from gan_geometry.io.weights import cache_dir

    return USER_INDUCTOR_CACHE or str(cache_dir() / "inductor")


def package_path(G: torch.nn.Module, D: torch.nn.Module, z0: torch.Tensor, block: int) -> Path:
    """Where the compiled product of (G, D) at blocks of ``block`` is kept between processes:
    ``products/<key>.pt2`` in the project's cache, the key a SHA-256 of what determines the
    product: torch and package versions, the models' classes and weights (every parameter and
    buffer), the block, the latent dimension, dtype and device, and the graph rewrites' source."""
    from gan_geometry.core import graph_passes
    from gan_geometry.core.distances import tensor_checksum
    from gan_geometry.io.weights import cache_dir
    from gan_geometry.version import __version__

    parts = [torch.__version__, __version__, block, z0.shape[0], z0.dtype, z0.device,
             Path(graph_passes.__file__).read_text()]
    for model in (G, D):
        parts += [type(model).__qualname__, getattr(model, "name", ""), getattr(model, "space", ""),
                  sorted(type(m).__qualname__ for m in model.modules()), tensor_checksum(model.state_dict())]
    key = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return cache_dir() / "products" / f"{key}.pt2"


def kept(G: torch.nn.Module, D: torch.nn.Module, z0: torch.Tensor, block: int) -> bool:
    """Whether a compiled product of (G, D) at blocks of ``block`` is on disk (``package_path``):
    loading it costs about a second where compiling costs tens."""
    return zipfile.is_zipfile(package_path(G, D, z0, block))


def _packaged(graph: torch.fx.GraphModule, z0: torch.Tensor, V: torch.Tensor, path: Path) -> Callable:
    """The traced product compiled ahead of time by inductor (``torch.export`` + AOTInductor,
    frozen weights), written to ``path`` atomically and loaded from it."""
    from torch._inductor import aoti_compile_and_package, aoti_load_package

    graph.graph.set_codegen(torch.fx.graph.CodeGen())  # plain arguments for export
    graph.recompile()
    exported = torch.export.export(graph, (z0, V), strict=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.stem}.{os.getpid()}.{threading.get_ident()}.pt2")  # AOTInductor wants .pt2
    try:
        aoti_compile_and_package(exported, package_path=str(partial),
                                 inductor_configs={"freezing": True, "compile_threads": 1})
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return aoti_load_package(str(path))


def _compile(features: Callable, z0: torch.Tensor, block: int, path: Path) -> Callable | None:
    """The compiled product kept at ``path`` where it loads and agrees with the eager product;
    else that of the rewritten graph, else of the plain traced graph (should a rewrite fail to
    compile or differ), compiled and kept at ``path``; else None, with one log line. Tracing and
    the eager reference hold the forward-mode lock; inductor's compilation does not."""
    from torch._inductor import aoti_load_package

    os.environ["TORCHINDUCTOR_CACHE_DIR"] = cache_folder()  # inductor writes its /tmp default here once it looks
    V = torch.eye(z0.shape[0], dtype=z0.dtype, device=z0.device)[:block]
    with FORWARD_MODE_LOCK, quiet_transforms():
        reference = eager_push(features)(z0, V)

    def difference(push: Callable) -> float:
        return ((push(z0, V) - reference).abs().max() / reference.abs().max().clamp_min(1e-30)).item()

    if zipfile.is_zipfile(path):  # a package (a damaged file is compiled again, without torch's warnings about it)
        with contextlib.suppress(Exception), quiet_compiler_logs():  # another torch's package: compiled again below
            loaded = aoti_load_package(str(path))
            if difference(loaded) <= TOLERANCE:
                return loaded
    problem = ""
    for rewritten in (True, False):
        try:
            with FORWARD_MODE_LOCK, quiet_transforms():
                graph = traced_push(features, z0, V, rewritten)
            with quiet_compiler_logs():
                push = _packaged(graph, z0, V, path)
                error = difference(push)
        except Exception as err:  # any failure to trace or compile: the eager product is always correct
            problem = f"compiling failed: {str(err).splitlines()[0][:200]}"
            continue
        if error <= TOLERANCE:
            return push
        path.unlink(missing_ok=True)
        problem = f"the compiled product differs by {error:.1e}"
    log.warning("forward-mode products run uncompiled (%s)", problem)
    return None


@contextlib.contextmanager
def quiet_compiler_logs():
    """While compiling or loading a package: torch's C++ extension logger says "no CUDA runtime"
    on CPU machines; its level is restored afterwards."""
    logger = logging.getLogger("torch.utils.cpp_extension")
    previous = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(previous)
