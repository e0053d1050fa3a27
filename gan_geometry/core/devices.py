"""Torch devices named by the user: ``resolve_device("cuda")`` -> ``torch.device`` or a clear error."""

from __future__ import annotations

import torch

from gan_geometry.errors import GeometryError


def resolve_device(name: str | torch.device) -> torch.device:
    """The device ``name`` (cpu, cuda, cuda:1, mps), refused with one message when the name is
    not a device or this machine has no such device."""
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        raise GeometryError(f"device '{name}' is not a torch device; use cpu, cuda or cuda:N") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise GeometryError(f"device '{name}': CUDA is not available on this machine; use --device cpu")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise GeometryError(f"device '{name}': this machine has {torch.cuda.device_count()} CUDA device(s)")
    elif device.type == "mps" and not torch.backends.mps.is_available():
        raise GeometryError(f"device '{name}': MPS is not available on this machine; use --device cpu")
    elif device.type not in ("cpu", "cuda", "mps"):
        raise GeometryError(f"device '{name}' is not supported; use cpu, cuda or cuda:N")
    return device
