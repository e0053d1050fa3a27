"""The package version, and the versions of what a result depends on (for provenance)."""

from __future__ import annotations

import importlib.metadata
import platform

__version__ = "0.1.0"
_VERSIONED = ("torch", "numpy", "scipy", "lpips")


def package_versions() -> dict[str, str]:
    """{name: version} of Python, this package and the libraries a result depends on."""
    versions = {"python": platform.python_version(), "geometry": __version__}
    for name in _VERSIONED:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
