"""The package version (from the installed distribution's metadata), and the versions of what a
result depends on (for provenance)."""

from __future__ import annotations

import functools
import importlib.metadata
import platform

DISTRIBUTION = "gan-geometry-lab"
_VERSIONED = ("torch", "numpy", "scipy", "lpips")


def _own_version() -> str:
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "0+unknown"


__version__ = _own_version()


def package_versions() -> dict[str, str]:
    """{name: version} of Python, this package and the libraries a result depends on."""
    return dict(_versions())


@functools.cache  # versions do not change while a process runs; reading them costs milliseconds
def _versions() -> tuple[tuple[str, str], ...]:
    versions = {"python": platform.python_version(), "gan-geometry-lab": __version__}
    for name in _VERSIONED:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return tuple(versions.items())
