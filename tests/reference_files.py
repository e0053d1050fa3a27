"""Checkpoints written exactly as the reference implementations write them, and the reference
forward passes written from the references' semantics (not through the ports), for the tests
that prove each port equal to its reference on the reference's own files.

- PyTorch GAN Zoo (facebookresearch/pytorch_GAN_zoo): ``BaseGAN.save`` writes
  ``{'config': BaseConfig, 'netG', 'netD', 'avgG'}``; ``BaseConfig`` is pickled under its module
  path ``models.utils.config``; ``ConstrainedLayer`` keys are ``<layer>.module.weight``.
- rosinality's stylegan2-pytorch ``train.py`` writes ``{"g", "d", "g_ema", "g_optim", "d_optim",
  "args", "ada_aug_p"}`` with ``args`` an ``argparse.Namespace``.
"""

from __future__ import annotations

import contextlib
import math
import sys
import types
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn


@contextlib.contextmanager
def zoo_modules():
    """The zoo's module path ``models.utils.config`` with its ``BaseConfig`` (an empty class, as in
    the zoo), present only while a checkpoint is written."""

    class BaseConfig:
        def __init__(self, orig=None):
            pass

    BaseConfig.__module__, BaseConfig.__qualname__ = "models.utils.config", "BaseConfig"
    modules = {name: types.ModuleType(name) for name in ("models", "models.utils", "models.utils.config")}
    modules["models.utils.config"].BaseConfig = BaseConfig
    saved = {name: sys.modules.get(name) for name in modules}
    sys.modules.update(modules)
    try:
        yield BaseConfig
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name)
            else:
                sys.modules[name] = module


def save_zoo_checkpoint(path, netG: dict, avgG: dict | None, config: dict) -> None:
    """``BaseGAN.save``: the config object with the zoo's attribute names, netG, netD and avgG."""
    with zoo_modules() as BaseConfig:
        cfg = BaseConfig()
        cfg.__dict__.update(config)
        state = {"config": cfg, "netG": netG, "netD": {"decisionLayer.module.weight": torch.zeros(1, 4)}}
        if avgG is not None:
            state["avgG"] = avgG
        torch.save(state, path)


def zoo_pggan_config(depth0: int, others: list[int], latent: int = 512, **changes) -> dict:
    """The attributes ``ProgressiveGAN.__init__`` and ``BaseGAN.__init__`` set on ``self.config``."""
    config = {"depthScale0": depth0, "initBiasToZero": True, "leakyReluLeak": 0.2, "depthOtherScales": list(others),
              "perChannelNormalization": True, "alpha": 0.0, "miniBatchStdDev": True, "equalizedlR": True,
              "noiseVectorDim": latent, "dimOutput": 3, "learningRate": 0.001, "attribKeysOrder": None,
              "categoryVectorDim": 0, "weightConditionG": 0.0, "weightConditionD": 0.0, "GDPP": False,
              "latentVectorDim": latent, "lossCriterion": "WGANGP", "lambdaGP": 10.0, "epsilonD": 0.001,
              "logisticGradReal": 0.0}
    config.update(changes)
    return config


def zoo_pggan_state(config: dict, seed: int, module_keys: bool = True) -> dict:
    """Random weights with the key names the zoo's ``GNet.state_dict()`` produces (``.module.``
    inside every ``ConstrainedLayer``), or the stripped names."""
    depths = [config["depthScale0"], *config["depthOtherScales"]]
    g = torch.Generator().manual_seed(seed)
    mid = ".module." if module_keys else "."
    state = {}

    def layer(name, out, inp, k=None):
        shape = (out, inp) if k is None else (out, inp, k, k)
        state[f"{name}{mid}weight"] = torch.randn(*shape, generator=g)
        state[f"{name}{mid}bias"] = 0.1 * torch.randn(out, generator=g)

    layer("formatLayer", 16 * depths[0], config["latentVectorDim"])
    layer("groupScale0.0", depths[0], depths[0], 3)
    for i, (d_in, d_out) in enumerate(zip(depths, depths[1:], strict=False)):
        layer(f"scaleLayers.{i}.0", d_out, d_in, 3)
        layer(f"scaleLayers.{i}.1", d_out, d_out, 3)
    for i, d in enumerate(depths):
        layer(f"toRGBLayers.{i}", config["dimOutput"], d, 1)
    return state


def zoo_pggan_forward(state: dict, config: dict, z: torch.Tensor) -> torch.Tensor:
    """The zoo's ``GNet.forward`` at alpha = config["alpha"], from a state dict of either layout."""
    def param(name, kind):
        return state.get(f"{name}.module.{kind}", state.get(f"{name}.{kind}"))

    def apply(name, x):
        w, b = param(name, "weight"), param(name, "bias")
        he = math.sqrt(2.0 / w[0].numel()) if config["equalizedlR"] else 1.0
        y = F.linear(x, w, b) if w.dim() == 2 else F.conv2d(x, w, b, padding=w.shape[-1] // 2)
        return y * he

    def norm(x):
        return x * (((x ** 2).mean(dim=1, keepdim=True) + 1e-8).rsqrt())

    def upscale(x):  # the zoo's Upscale2d: view, expand, view
        s = x.size()
        return x.view(-1, s[1], s[2], 1, s[3], 1).expand(-1, s[1], s[2], 2, s[3], 2).contiguous().view(
            -1, s[1], s[2] * 2, s[3] * 2)

    leak, alpha, n_scales = config["leakyReluLeak"], config["alpha"], len(config["depthOtherScales"])
    x = norm(z).view(z.shape[0], -1)
    x = F.leaky_relu(apply("formatLayer", x), leak).view(z.shape[0], -1, 4, 4)
    x = norm(x)
    x = norm(F.leaky_relu(apply("groupScale0.0", x), leak))
    y = None
    if alpha > 0 and n_scales == 1:
        y = upscale(apply("toRGBLayers.0", x))
    for scale in range(n_scales):
        x = upscale(x)
        for j in (0, 1):
            x = norm(F.leaky_relu(apply(f"scaleLayers.{scale}.{j}", x), leak))
        if alpha > 0 and scale == n_scales - 2:
            y = upscale(apply(f"toRGBLayers.{scale + 1}", x))
    x = apply(f"toRGBLayers.{n_scales}", x)
    if alpha > 0:
        x = alpha * y + (1 - alpha) * x
    return torch.tanh(x) if config["lossCriterion"] in ("MSE", "DCGAN") else x


class ZooDCGANReference(nn.Module):
    """The zoo's ``DCGAN_nets.GNet`` structure with plain torch modules (same attribute and
    ``OrderedDict`` names, so the same ``state_dict()`` keys)."""

    def __init__(self, latent: int, dim_output: int, dim_g: int, depth: int, tanh: bool):
        super().__init__()
        cur = dim_g * 2**depth
        self.formatLayer = nn.ConvTranspose2d(latent, cur, 4, 1, 0, bias=False)
        seq = OrderedDict([("batchNorm0", nn.BatchNorm2d(cur)), ("relu0", nn.ReLU(True))])
        for i in range(depth):
            seq[f"convTranspose{i + 1}"] = nn.ConvTranspose2d(cur, cur // 2, 4, 2, 1, bias=False)
            seq[f"batchNorm{i + 1}"] = nn.BatchNorm2d(cur // 2)
            seq[f"relu{i + 1}"] = nn.ReLU(True)
            cur //= 2
        seq["outlayer"] = nn.ConvTranspose2d(dim_g, dim_output, 4, 2, 1, bias=False)
        self.main = nn.Sequential(seq)
        self.tanh = tanh

    def forward(self, x):
        x = self.main(self.formatLayer(x.view(-1, x.size(1), 1, 1)))
        return torch.tanh(x) if self.tanh else x
