"""Forward-mode automatic differentiation shared safely between threads.

PyTorch keeps forward-mode AD levels in process-global state, so two threads running ``jvp`` at
once corrupt each other ("invalid forward AD level"). Every ``torch.func`` transform in the
engine runs under ``FORWARD_MODE_LOCK`` (a server answering several clients stays correct; on a
CPU they would share the cores anyway), inside ``quiet_transforms``.
"""

from __future__ import annotations

import contextlib
import threading
import warnings

FORWARD_MODE_LOCK = threading.Lock()


@contextlib.contextmanager
def quiet_transforms():
    """Silence what torch's transforms say of themselves, not of the user's model: its forward-AD
    decompositions call the deprecated torch.jit.script on first use, and vmap falls back to a loop
    where an operation has no batching rule (unfold's backward, in the STFT's frames)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*torch.jit.script.*is deprecated", category=FutureWarning)
        warnings.filterwarnings("ignore", message=".*not yet implemented the batching rule", category=UserWarning)
        yield
