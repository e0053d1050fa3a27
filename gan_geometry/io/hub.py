"""Weights on the Hugging Face Hub, named ``hf://OWNER/REPO/PATH[@REVISION]``: downloaded through
``huggingface_hub`` into its own cache (so a file fetched by any tool is shared), used offline from
there once cached (``HF_HUB_OFFLINE=1``), and recorded with the repository, the commit the
revision resolved to, and the file's SHA-256.

    weights_path="hf://binxu/DeePSim_DosovitskiyBrox2016/upconvGAN_fc6.pt"
    weights_path="hf://me/my-gan/checkpoints/g.pt@v1.0"       # a branch, tag or commit
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from gan_geometry.errors import GeometryError
from gan_geometry.io.storage import sha256_of

PREFIX = "hf://"
ADDRESS = re.compile(r"hf://(?P<repo>[\w.-]+/[\w.-]+)/(?P<path>[^@\s]+?)(?:@(?P<revision>[\w./-]+))?")


@dataclass(frozen=True)
class HubFile:
    """``path`` in the model repository ``repo`` at ``revision`` (None: the default branch)."""

    repo: str
    path: str
    revision: str | None = None

    @classmethod
    def parse(cls, text: str) -> HubFile:
        match = ADDRESS.fullmatch(text)
        if not match:
            raise GeometryError(f"{text!r} is not a Hub address; write hf://OWNER/REPO/PATH or "
                                f"hf://OWNER/REPO/PATH@REVISION")
        return cls(match["repo"], match["path"], match["revision"])

    def fetch(self) -> tuple[Path, dict]:
        """The local file (from the Hub's cache, downloaded there if needed) and its record:
        {"repo", "path", "revision" asked, "commit" it resolved to, "sha256"}."""
        try:
            from huggingface_hub import hf_hub_download
            from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError
        except ImportError:
            raise GeometryError("hf:// weights need huggingface_hub: pip install huggingface_hub") from None
        try:  # the cache first: no network at all when the file is there
            local = Path(hf_hub_download(self.repo, self.path, revision=self.revision, local_files_only=True))
        except LocalEntryNotFoundError:
            local = None
        except (HfHubHTTPError, OSError, ValueError) as err:
            raise GeometryError(f"{self} could not be read from the Hub cache: {str(err).splitlines()[0]}") from None
        if local is None:
            if not hub_reachable():  # huggingface_hub would retry for about half a minute
                raise GeometryError(f"{self} is not in the Hub cache and the Hub cannot be reached (offline: "
                                    f"HF_HUB_OFFLINE or no network); download it once with a connection")
            try:
                local = Path(hf_hub_download(self.repo, self.path, revision=self.revision))
            except (HfHubHTTPError, OSError, ValueError) as err:
                raise GeometryError(f"{self} could not be fetched: {str(err).splitlines()[0]}") from None
        commit = local.parent.name
        for parent in local.parents:  # .../snapshots/<commit>/<path>
            if parent.parent.name == "snapshots":
                commit = parent.name
                break
        return local, {"repo": self.repo, "path": self.path, "revision": self.revision or "main", "commit": commit,
                       "sha256": sha256_of(local)}

    def __str__(self) -> str:
        return f"{PREFIX}{self.repo}/{self.path}" + (f"@{self.revision}" if self.revision else "")


def hub_reachable(timeout: float = 2.0) -> bool:
    """Whether the Hub's endpoint accepts a connection now (never where HF_HUB_OFFLINE is set)."""
    import urllib.parse

    from huggingface_hub import constants

    from gan_geometry.io.network import answers

    if constants.HF_HUB_OFFLINE:
        return False
    return answers(urllib.parse.urlparse(constants.ENDPOINT).hostname or "huggingface.co", timeout=timeout)


def is_hub(path) -> bool:
    return isinstance(path, str) and path.startswith(PREFIX)


def local_weights(weights_path) -> tuple[Path | str, str]:
    """A user's ``weights_path`` as (local path, source): a Hub address fetched, its source naming
    repository, commit and SHA-256; any other path as it is (checked by whoever reads it)."""
    if not is_hub(weights_path):
        return weights_path, str(weights_path)
    hub = HubFile.parse(weights_path)
    local, record = hub.fetch()
    return local, f"{hub} (commit {record['commit']}, SHA-256 {record['sha256']})"
