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


# ---- rosinality/stylegan2-pytorch ``Generator`` (model.py), from a g_ema state dict -------------------
def _upfirdn(x: torch.Tensor, kernel: torch.Tensor, up: int, pad: tuple[int, int]) -> torch.Tensor:
    """upfirdn2d_native: insert up - 1 zeros after each pixel, pad, convolve (true convolution)."""
    n, c, h, w = x.shape
    y = x.new_zeros(n, c, h * up, w * up)
    y[:, :, ::up, ::up] = x
    y = F.pad(y, [pad[0], pad[1], pad[0], pad[1]])
    return F.conv2d(y, kernel.flip(0, 1)[None, None].expand(c, 1, *kernel.shape), groups=c)


def _stylegan2_mapping(state: dict, z: torch.Tensor, lr_mlp: float = 0.01) -> torch.Tensor:
    x = z * torch.rsqrt(torch.mean(z**2, dim=1, keepdim=True) + 1e-8)
    i = 1
    while f"style.{i}.weight" in state:  # EqualLinear(lr_mul=lr_mlp, activation="fused_lrelu")
        W, b = state[f"style.{i}.weight"], state[f"style.{i}.bias"]
        x = F.leaky_relu(F.linear(x, W * (lr_mlp / math.sqrt(W.shape[1]))) + b * lr_mlp, 0.2) * math.sqrt(2)
        i += 1
    return x


def _modulated(state: dict, prefix: str, x, style, demodulate=True, upsample=False):
    """ModulatedConv2d in the port's non-fused form: scale the input by the style, convolve,
    multiply by the demodulation coefficients."""
    W = state[f"{prefix}.weight"][0]  # (out, in, k, k)
    k = W.shape[-1]
    mod_W, mod_b = state[f"{prefix}.modulation.weight"], state[f"{prefix}.modulation.bias"]
    s = F.linear(style, mod_W / math.sqrt(mod_W.shape[1]), mod_b)  # (N, in)
    weight = W / math.sqrt(W.shape[1] * k * k)
    x = x * s[:, :, None, None]
    if upsample:
        out = F.conv_transpose2d(x, weight.transpose(0, 1), stride=2)
        out = _upfirdn(out, state[f"{prefix}.blur.kernel"], 1, (1, 1))
    else:
        out = F.conv2d(x, weight, padding=k // 2)
    if demodulate:
        coef = ((weight[None] * s[:, None, :, None, None]) ** 2).sum((2, 3, 4)).add(1e-8).rsqrt()
        out = out * coef[:, :, None, None]
    return out


def rosinality_stylegan2(state: dict, code: torch.Tensor, space: str = "w+", truncation: float = 1.0,
                         mean: torch.Tensor | None = None) -> torch.Tensor:
    """``g_ema([code], input_is_latent=space != "z", randomize_noise=False, truncation=psi,
    truncation_latent=mean)`` for one style per layer (w+) or one for all (z, w)."""
    n_convs = sum(1 for k in state if k.startswith("convs.") and k.endswith(".conv.weight"))
    n_latent = n_convs + 2
    if space == "z":
        code = _stylegan2_mapping(state, code)
    if truncation < 1:
        code = mean + truncation * (code - mean)
    latent = code if code.dim() == 3 else code[:, None].repeat(1, n_latent, 1)

    def styled(prefix, x, style, noise, upsample=False):
        x = _modulated(state, f"{prefix}.conv", x, style, upsample=upsample)
        x = x + state[f"{prefix}.noise.weight"] * noise
        return F.leaky_relu(x + state[f"{prefix}.activate.bias"].view(1, -1, 1, 1), 0.2) * math.sqrt(2)

    def to_rgb(prefix, x, style, skip=None):
        out = _modulated(state, f"{prefix}.conv", x, style, demodulate=False) + state[f"{prefix}.bias"]
        return out if skip is None else out + _upfirdn(skip, state[f"{prefix}.upsample.kernel"], 2, (2, 1))

    out = state["input.input"].repeat(code.shape[0], 1, 1, 1)
    out = styled("conv1", out, latent[:, 0], state["noises.noise_0"])
    skip = to_rgb("to_rgb1", out, latent[:, 1])
    for j in range(n_convs // 2):
        out = styled(f"convs.{2 * j}", out, latent[:, 2 * j + 1], state[f"noises.noise_{2 * j + 1}"], upsample=True)
        out = styled(f"convs.{2 * j + 1}", out, latent[:, 2 * j + 2], state[f"noises.noise_{2 * j + 2}"])
        skip = to_rgb(f"to_rgbs.{j}", out, latent[:, 2 * j + 3], skip)
    return skip


# ---- rosinality/style-based-gan-pytorch ``StyledGenerator`` (model.py), from g_running -------------------
def _equal(weight: torch.Tensor) -> torch.Tensor:
    """EqualLR: weight_orig * sqrt(2 / fan_in), fan_in = size(1) * weight[0][0].numel()."""
    return weight * math.sqrt(2 / (weight.size(1) * weight[0][0].numel()))


def rosinality_stylegan(state: dict, code: torch.Tensor, noise: list[torch.Tensor], step: int, space: str = "z",
                        mean_style: torch.Tensor | None = None, style_weight: float = 0.0) -> torch.Tensor:
    """``StyledGenerator(code, noise, step, alpha=-1, mean_style, style_weight)`` (z) or
    ``.generator([w], noise, step)`` (w)."""
    style = code
    if space == "z":
        style = code / torch.sqrt(torch.mean(code**2, dim=1, keepdim=True) + 1e-8)
        i = 1
        while f"style.{i}.linear.weight_orig" in state:
            style = F.leaky_relu(F.linear(style, _equal(state[f"style.{i}.linear.weight_orig"]),
                                          state[f"style.{i}.linear.bias"]), 0.2)
            i += 2
        if mean_style is not None:
            style = mean_style + style_weight * (style - mean_style)

    def conv(prefix, x):
        return F.conv2d(x, _equal(state[f"{prefix}.conv.weight_orig"]), state[f"{prefix}.conv.bias"], padding=1)

    def blur(prefix, x):
        return F.conv2d(x, state[f"{prefix}.weight"], padding=1, groups=x.shape[1])

    def adain(prefix, x):
        gamma, beta = F.linear(style, _equal(state[f"{prefix}.style.linear.weight_orig"]),
                               state[f"{prefix}.style.linear.bias"]).unsqueeze(2).unsqueeze(3).chunk(2, 1)
        return gamma * F.instance_norm(x) + beta

    out = None
    for i in range(step + 1):
        p = f"generator.progression.{i}"
        if i == 0:
            out = state[f"{p}.conv1.input"].repeat(code.shape[0], 1, 1, 1)
        elif f"{p}.conv1.0.weight" in state:  # FusedUpsample, then Blur
            W = state[f"{p}.conv1.0.weight"]  # (in, out, k, k): fan_in = in * k * k
            w = F.pad(W * math.sqrt(2 / (W.shape[0] * W.shape[2] * W.shape[3])), [1, 1, 1, 1])
            w = (w[:, :, 1:, 1:] + w[:, :, :-1, 1:] + w[:, :, 1:, :-1] + w[:, :, :-1, :-1]) / 4
            out = blur(f"{p}.conv1.1", F.conv_transpose2d(out, w, state[f"{p}.conv1.0.bias"], stride=2, padding=1))
        else:  # nn.Upsample(nearest), EqualConv2d, Blur
            out = blur(f"{p}.conv1.2", conv(f"{p}.conv1.1", F.interpolate(out, scale_factor=2, mode="nearest")))
        out = adain(f"{p}.adain1", F.leaky_relu(out + _equal(state[f"{p}.noise1.weight_orig"]) * noise[i], 0.2))
        out = conv(f"{p}.conv2", out)
        out = adain(f"{p}.adain2", F.leaky_relu(out + _equal(state[f"{p}.noise2.weight_orig"]) * noise[i], 0.2))
    return F.conv2d(out, _equal(state[f"generator.to_rgb.{step}.conv.weight_orig"]),
                    state[f"generator.to_rgb.{step}.conv.bias"])


# ---- BigGAN-PyTorch ``Generator`` with the BigBiGAN translation's config, class 0 -------------------------
def biggan_pytorch_bigbigan(state: dict, z: torch.Tensor, chunk: int = 20, bn_eps: float = 1e-4,
                            sn_eps: float = 1e-4) -> torch.Tensor:
    """``G(z, G.shared(zeros))`` in eval mode: hier=True, shared embedding, SN with one power
    iteration from the stored u0 (not updated), ccbn with BN_eps, the output ``layers.bn`` with
    its own default eps 1e-5, attention where the file has it."""
    def sn_weight(prefix):
        W = state[f"{prefix}.weight"]
        W_mat, u = W.view(W.size(0), -1), state[f"{prefix}.u0"]
        v = F.normalize(torch.matmul(u, W_mat), eps=sn_eps)
        u = F.normalize(torch.matmul(v, W_mat.t()), eps=sn_eps)
        return W / torch.squeeze(torch.matmul(torch.matmul(v, W_mat.t()), u.t()))

    def sn_conv(prefix, x):
        W = sn_weight(prefix)
        return F.conv2d(x, W, state.get(f"{prefix}.bias"), padding=W.shape[-1] // 2)

    def ccbn(prefix, x, y):
        gain = (1 + F.linear(y, sn_weight(f"{prefix}.gain"))).view(y.size(0), -1, 1, 1)
        bias = F.linear(y, sn_weight(f"{prefix}.bias")).view(y.size(0), -1, 1, 1)
        return F.batch_norm(x, state[f"{prefix}.stored_mean"], state[f"{prefix}.stored_var"], None, None, False, 0.1,
                            bn_eps) * gain + bias

    def attention(prefix, x):
        ch, hw = x.shape[1], x.shape[2] * x.shape[3]
        theta = sn_conv(f"{prefix}.theta", x).view(-1, ch // 8, hw)
        phi = F.max_pool2d(sn_conv(f"{prefix}.phi", x), [2, 2]).view(-1, ch // 8, hw // 4)
        g = F.max_pool2d(sn_conv(f"{prefix}.g", x), [2, 2]).view(-1, ch // 2, hw // 4)
        beta = F.softmax(torch.bmm(theta.transpose(1, 2), phi), -1)
        o = sn_conv(f"{prefix}.o", torch.bmm(g, beta.transpose(1, 2)).view(-1, ch // 2, x.shape[2], x.shape[3]))
        return state[f"{prefix}.gamma"] * o + x

    zs = torch.split(z, chunk, 1)
    y = state["shared.weight"][torch.zeros(z.shape[0], dtype=torch.long)]
    h = F.linear(zs[0], sn_weight("linear"), state["linear.bias"]).view(z.shape[0], -1, 4, 4)
    for i, z_i in enumerate(zs[1:]):
        c, p = torch.cat([y, z_i], 1), f"blocks.{i}.0"
        x = h
        h = F.relu(ccbn(f"{p}.bn1", h, c))
        h, x = F.interpolate(h, scale_factor=2), F.interpolate(x, scale_factor=2)
        h = sn_conv(f"{p}.conv2", F.relu(ccbn(f"{p}.bn2", sn_conv(f"{p}.conv1", h), c)))
        h = h + sn_conv(f"{p}.conv_sc", x)
        if f"blocks.{i}.1.gamma" in state:
            h = attention(f"blocks.{i}.1", h)
    h = F.batch_norm(h, state["output_layer.0.stored_mean"], state["output_layer.0.stored_var"],
                     state["output_layer.0.gain"], state["output_layer.0.bias"], False, 0.1, 1e-5)
    return torch.tanh(sn_conv("output_layer.2", F.relu(h)))


# ---- the DeePSim fc6 generator (the paper's upconvGAN ``Sequential``) -------------------------------------
def upconvgan_fc6(state: dict, code: torch.Tensor) -> torch.Tensor:
    """``upconvGAN("fc6").visualize(code)``: BGR Caffe output to RGB, + mean, clamp, / 255."""
    x = code
    for name in ("defc7", "defc6", "defc5"):
        x = F.leaky_relu(F.linear(x, state[f"{name}.weight"], state[f"{name}.bias"]), 0.3)
    x = x.view(-1, 256, 4, 4)
    for name, stride in (("deconv5", 2), ("conv5_1", 1), ("deconv4", 2), ("conv4_1", 1), ("deconv3", 2),
                         ("conv3_1", 1), ("deconv2", 2), ("deconv1", 2), ("deconv0", 2)):
        x = F.conv_transpose2d(x, state[f"{name}.weight"], state[f"{name}.bias"], stride=stride, padding=1)
        if name != "deconv0":
            x = F.leaky_relu(x, 0.3)
    mean = torch.tensor([123.0, 117.0, 104.0]).view(1, 3, 1, 1)
    return torch.clamp(x[:, [2, 1, 0]] + mean, 0, 255.0) / 255.0


# ---- wavegan-pytorch (mostafaelaraby), models.py WaveGANGenerator and train.py -------------------
def wavegan_state(model_size: int, slice_len: int, upsample: bool, use_batch_norm: bool, seed: int) -> dict:
    """A random generator state dict with the port's keys and shapes (its ``__init__``: fc1, bn1,
    and ``deconv_list.<i>.transpose_ops.<j>``: the padding then Conv1d(out, in, 25) when
    upsampling, else ConvTranspose1d(in, out, 25); BatchNorm1d after all but the last layer when
    ``use_batch_norm``), with batch-norm statistics away from 0 and 1."""
    g = torch.Generator().manual_seed(seed)
    dim_mul = 16 if slice_len == 16384 else 32
    width = dim_mul * model_size
    channels = [width, width // 2, width // 4, width // 8, width // 16]
    channels += [1] if slice_len == 16384 else [model_size, 1]
    state = OrderedDict()
    state["fc1.weight"] = torch.randn(16 * width, 100, generator=g) * 0.1
    state["fc1.bias"] = torch.randn(16 * width, generator=g) * 0.1

    def batch_norm(prefix, c):
        state[f"{prefix}.weight"] = 1 + 0.1 * torch.randn(c, generator=g)
        state[f"{prefix}.bias"] = 0.1 * torch.randn(c, generator=g)
        state[f"{prefix}.running_mean"] = 0.1 * torch.randn(c, generator=g)
        state[f"{prefix}.running_var"] = 0.5 + torch.rand(c, generator=g)
        state[f"{prefix}.num_batches_tracked"] = torch.tensor(7)

    batch_norm("bn1", width)
    for i, (c_in, c_out) in enumerate(zip(channels, channels[1:], strict=False)):
        conv = 1 if upsample else 0
        shape = (c_out, c_in, 25) if upsample else (c_in, c_out, 25)
        state[f"deconv_list.{i}.transpose_ops.{conv}.weight"] = torch.randn(*shape, generator=g) * (c_in * 25) ** -0.5
        state[f"deconv_list.{i}.transpose_ops.{conv}.bias"] = 0.05 * torch.randn(c_out, generator=g)
        if use_batch_norm and i < len(channels) - 2:
            batch_norm(f"deconv_list.{i}.transpose_ops.{conv + 1}", c_out)
    return state


def save_wavegan_checkpoint(path, generator: dict, n_iterations: int = 3000) -> None:
    """As the port's ``train.py`` backs up a run (``gan_<prefix>.tar``)."""
    torch.save({"generator": generator, "discriminator": {"fc1.weight": torch.zeros(1, 8)},
                "n_iterations": n_iterations, "optimizer_d": {"state": {}, "param_groups": []},
                "optimizer_g": {"state": {}, "param_groups": []}, "train_d_cost": [0.5, 0.25],
                "train_w_distance": [1.0], "valid_g_cost": [-1], "g_cost": [0.1]}, path)


def wavegan_forward(state: dict, z: torch.Tensor, slice_len: int, upsample: bool, use_batch_norm: bool) -> torch.Tensor:
    """The port's ``WaveGANGenerator.forward`` in eval mode, on the state dict: (N, 100) -> (N, 1, T)."""
    def bn(x, prefix):
        return F.batch_norm(x, state[f"{prefix}.running_mean"], state[f"{prefix}.running_var"],
                            state[f"{prefix}.weight"], state[f"{prefix}.bias"], False, 0.0, 1e-5)

    dim_mul = 16 if slice_len == 16384 else 32
    x = F.linear(z, state["fc1.weight"], state["fc1.bias"]).view(z.shape[0], -1, 16)
    assert x.shape[1] % dim_mul == 0
    if use_batch_norm:
        x = bn(x, "bn1")
    x = F.relu(x)
    layers = len({k.split(".")[1] for k in state if k.startswith("deconv_list.")})
    for i in range(layers):
        last = i == layers - 1
        halves = last and slice_len == 32768  # the port passes stride 2 to its last layer for 32768
        if upsample:
            w, b = state[f"deconv_list.{i}.transpose_ops.1.weight"], state[f"deconv_list.{i}.transpose_ops.1.bias"]
            x = F.interpolate(x, scale_factor=4, mode="nearest")
            x = F.conv1d(F.pad(x, (12, 12)), w, b, stride=2 if halves else 1)
        else:
            w, b = state[f"deconv_list.{i}.transpose_ops.0.weight"], state[f"deconv_list.{i}.transpose_ops.0.bias"]
            x = F.conv_transpose1d(x, w, b, stride=4, padding=11, output_padding=1)
        if use_batch_norm and not last:
            x = bn(x, f"deconv_list.{i}.transpose_ops.{2 if upsample else 1}")
        x = torch.tanh(x) if last else F.relu(x)
    return x
