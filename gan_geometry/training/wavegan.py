"""Train ``wavegan-notes``: the port's WaveGAN generator (``models.wavegan``) against a WaveGAN
critic with the WGAN-GP objective, on the synthesised note set (``notes``).

    python -m gan_geometry.training --steps 6000 --out results/wavegan-training     (``make wavegan``)

The critic is the port's ``WaveGANDiscriminator`` layout (five Conv1d of kernel 25, stride 4,
LeakyReLU 0.2, then a linear layer) with working phase shuffle (shift 2; the port's flag is
inverted, so it never shuffles). Losses as the port's ``train.py``: critic
E[D(G(z))] - E[D(x)] + 10 (||grad D(x_hat)|| - 1)^2 on random interpolates, generator -E[D(G(z))];
Adam (lr 1e-4 for G, 3e-4 for D: the port's two time-scale rule, one critic step per generator
step, betas 0.5, 0.9). Everything is seeded; a checkpoint (``checkpoint.pt``: both networks,
optimisers, RNG states, losses) is written atomically every ``--every`` steps, and running the
same command again resumes from it. The generator is written as ``wavegan-notes.safetensors`` in
the port's parameter names, with ``training.json`` (settings, loss curves, seconds) and WAV
samples of fixed codes.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gan_geometry.io.storage import atomic_path
from gan_geometry.models.wavegan import LATENT_DIM, WaveGANGenerator
from gan_geometry.training.notes import LENGTH, SAMPLE_RATE, note_set


class PhaseShuffle(nn.Module):
    """Shift each clip's features by a random integer in [-n, n], reflect-padding the edge."""

    def __init__(self, shift: int):
        super().__init__()
        self.shift = shift

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.shift == 0:
            return x
        shifts = torch.randint(-self.shift, self.shift + 1, (x.shape[0], 1, 1))
        padded = F.pad(x, (self.shift, self.shift), mode="reflect")
        index = torch.arange(x.shape[-1]) + self.shift - shifts  # (B, 1, L): clip i read from shift - s_i on
        return padded.gather(-1, index.expand(-1, x.shape[1], -1))


class Critic(nn.Module):
    """WaveGAN's discriminator for 16,384-sample clips at model size d."""

    def __init__(self, model_size: int):
        super().__init__()
        widths = [1] + [model_size * 2**i for i in range(5)]
        self.convs = nn.ModuleList(nn.Conv1d(a, b, 25, stride=4, padding=11) for a, b in zip(widths, widths[1:],
                                                                                            strict=False))
        self.shuffle = PhaseShuffle(2)
        self.fc1 = nn.Linear(256 * model_size, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, conv in enumerate(self.convs):
            x = F.leaky_relu(conv(x), 0.2)
            if i < len(self.convs) - 1:
                x = self.shuffle(x)
        return self.fc1(x.flatten(1))


def gradient_penalty(critic: Critic, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    alpha = torch.rand(real.shape[0], 1, 1)
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    return 10 * ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


def train(out: Path, steps: int, clips: int, batch: int, model_size: int, every: int, seed: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    settings = {"steps": steps, "clips": clips, "batch": batch, "model_size": model_size, "seed": seed,
                "lr_g": 1e-4, "lr_d": 3e-4, "betas": [0.5, 0.9], "gp": 10, "slice_len": LENGTH,
                "sample_rate": SAMPLE_RATE, "threads": torch.get_num_threads(), "upsample": False}
    torch.manual_seed(seed)
    data = torch.from_numpy(note_set(clips, seed))[:, None]  # (clips, 1, T)
    G = WaveGANGenerator(model_size=model_size, upsample=False, slice_len=LENGTH)
    D = Critic(model_size)
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-4, betas=(0.5, 0.9))
    opt_d = torch.optim.Adam(D.parameters(), lr=3e-4, betas=(0.5, 0.9))
    history = {"step": [], "critic": [], "wasserstein": [], "generator": [], "seconds": []}
    start_step, elapsed = 0, 0.0
    checkpoint = out / "checkpoint.pt"
    if checkpoint.exists():
        saved = torch.load(checkpoint, weights_only=True)
        if saved["settings"] != settings:
            raise SystemExit(f"{out} holds a training run with other settings; use another --out")
        G.load_state_dict(saved["generator"])
        D.load_state_dict(saved["critic"])
        opt_g.load_state_dict(saved["opt_g"])
        opt_d.load_state_dict(saved["opt_d"])
        torch.set_rng_state(saved["rng"])
        history, start_step, elapsed = saved["history"], saved["step"], saved["seconds"]
        print(f"resuming at step {start_step}")
    order = torch.Generator().manual_seed(seed)
    began = time.perf_counter() - elapsed
    for step in range(start_step, steps):
        real = data[torch.randint(0, clips, (batch,), generator=order)]
        fake = G(torch.randn(batch, LATENT_DIM)).detach()
        wasserstein = D(fake).mean() - D(real).mean()
        loss_d = wasserstein + gradient_penalty(D, real, fake)
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = -D(G(torch.randn(batch, LATENT_DIM))).mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        if step % 25 == 0 or step == steps - 1:
            for key, value in (("step", step), ("critic", loss_d.item()), ("wasserstein", -wasserstein.item()),
                               ("generator", loss_g.item()), ("seconds", time.perf_counter() - began)):
                history[key].append(value)
            print(f"step {step}: critic {loss_d.item():.3f}, W {-wasserstein.item():.3f}, "
                  f"G {loss_g.item():.3f}, {time.perf_counter() - began:.0f} s", flush=True)
        if (step + 1) % every == 0 or step == steps - 1:
            state = {"settings": settings, "generator": G.state_dict(), "critic": D.state_dict(),
                     "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(), "rng": torch.get_rng_state(),
                     "history": history, "step": step + 1, "seconds": time.perf_counter() - began}
            with atomic_path(checkpoint) as tmp:
                torch.save(state, tmp)
            export(out, G, settings, history, step + 1, time.perf_counter() - began)


def export(out: Path, G: WaveGANGenerator, settings: dict, history: dict, step: int, seconds: float) -> None:
    """The generator (safetensors, the port's names), ``training.json`` and WAV samples of fixed codes."""
    import hashlib

    from safetensors.torch import save_file
    from scipy.io import wavfile

    target = out / "wavegan-notes.safetensors"
    with atomic_path(target) as tmp:
        save_file({k: v.contiguous() for k, v in G.state_dict().items()}, str(tmp))
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    G.eval()
    with torch.no_grad():
        samples = G(torch.randn(8, LATENT_DIM, generator=torch.Generator().manual_seed(1234)))[:, 0].numpy()
    G.train()
    (out / "samples").mkdir(exist_ok=True)
    for i, clip in enumerate(samples):
        with atomic_path(out / "samples" / f"step{step:06d}-{i}.wav") as tmp:
            wavfile.write(tmp, SAMPLE_RATE, (clip * 32767).astype(np.int16))
    record = {"settings": settings, "steps_done": step, "seconds": seconds, "sha256": digest, "history": history,
              "data": "synthesised struck-string notes (gan_geometry.training.notes), MIDI 40-76, 16 kHz, 1.02 s"}
    with atomic_path(out / "training.json") as tmp:
        tmp.write_text(json.dumps(record, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m gan_geometry.training", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/wavegan-training"))
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--clips", type=int, default=4000, help="synthesised notes in the training set")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--model-size", type=int, default=8, help="WaveGAN d (the port trains 32 or 64)")
    parser.add_argument("--every", type=int, default=250, help="steps between checkpoints and samples")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    train(args.out, args.steps, args.clips, args.batch, args.model_size, args.every, args.seed)
