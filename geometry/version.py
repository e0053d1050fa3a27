"""The package version, and the versions of what a result depends on (for provenance)."""

from __future__ import annotations

import functools
import importlib.metadata
import platform

__version__ = "0.1.0"
_VERSIONED = ("torch", "numpy", "scipy", "lpips")


def package_versions() -> dict[str, str]:
    """{name: version} of Python, this package and the libraries a result depends on."""
    return dict(_versions())


@functools.cache  # versions do not change while a process runs; reading them costs milliseconds
def _versions() -> tuple[tuple[str, str], ...]:
    versions = {"python": platform.python_version(), "geometry": __version__}
    for name in _VERSIONED:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return tuple(versions.items())
