"""Convolutional autoencoder with a multi-head quantized bottleneck (DESIGN §6).

image (B, C, H, W) -> encoder (stride `patch`) -> latent (B, latent, h, w)
  -> G linear heads (B*h*w, G, D) -> per-head quantizer -> concat (B, G*D, h, w)
  -> decoder -> image (B, C, H, W)
No batch-dependent layers (no BatchNorm), so a page's codes do not depend on its batch.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .quantizers import QUANTIZERS


@dataclass(kw_only=True)
class VisionTokenizerConfig:
    channels: int = 1  # image channels: 1 grey or 3 RGB
    patch: int = 8  # downsampling factor; one code row per patch x patch pixels
    heads: int = 8  # G: number of heads, each quantized in its own pool
    quantizer: str = "fsq"  # key of QUANTIZERS: "fsq" or "vq"
    levels: tuple[int, ...] = (8, 8, 4, 4)  # FSQ levels per head dim; K = prod(levels)
    codebook_size: int = 1024  # VQ entries per head (K for "vq")
    code_dim: int = 8  # VQ code dimension per head
    commitment: float = 0.25  # VQ commitment loss weight
    widths: tuple[int, ...] = (16, 48, 128)  # conv widths, one stride-2 stage each
    latent: int = 128  # width of the latent per patch before the heads
    res_blocks: int = 1  # residual blocks per stage

    def __post_init__(self):
        self.levels, self.widths = tuple(self.levels), tuple(self.widths)
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {self.channels}")
        if self.patch < 2 or self.patch & (self.patch - 1):
            raise ValueError(f"patch must be a power of two >= 2, got {self.patch}")
        if len(self.widths) != int(math.log2(self.patch)) or min(self.widths) < 1:
            raise ValueError(
                f"widths needs log2(patch)={int(math.log2(self.patch))} positive "
                f"entries, got {self.widths}"
            )
        if self.heads < 1:
            raise ValueError(f"heads must be >= 1, got {self.heads}")
        if self.quantizer not in QUANTIZERS:
            raise ValueError(
                f"quantizer must be one of {sorted(QUANTIZERS)}, got {self.quantizer!r}"
            )
        if not self.levels or min(self.levels) < 2:
            raise ValueError(
                f"levels must be a non-empty tuple of ints >= 2, got {self.levels}"
            )
        if self.codebook_size < 2 or self.code_dim < 1:
            raise ValueError(
                f"codebook_size must be >= 2 and code_dim >= 1, got "
                f"{self.codebook_size}, {self.code_dim}"
            )
        if self.latent < 1 or self.res_blocks < 0 or self.commitment < 0:
            raise ValueError("latent must be >= 1, res_blocks >= 0 and commitment >= 0")

    @property
    def K(self) -> int:
        return math.prod(self.levels) if self.quantizer == "fsq" else self.codebook_size

    @property
    def head_dim(self) -> int:
        return len(self.levels) if self.quantizer == "fsq" else self.code_dim

    def to_dict(self) -> dict:
        return asdict(self)


LUMA = (0.299, 0.587, 0.114)  # ITU-R 601 weights: an RGB page's grey


def to_channels(img: np.ndarray, channels: int) -> np.ndarray:
    """uint8 (H, W[, c]) -> float32 (channels, H, W) in [0, 1]: RGB made grey by LUMA, grey repeated to
    RGB, alpha dropped."""
    x = np.asarray(img, dtype=np.float32) / 255.0
    x = x[:, :, None] if x.ndim == 2 else x[:, :, :3]
    if channels == 1 and x.shape[2] == 3:
        x = x @ np.array(LUMA, dtype=np.float32)[:, None]
    elif channels == 3 and x.shape[2] == 1:
        x = np.repeat(x, 3, axis=2)
    return np.ascontiguousarray(x.transpose(2, 0, 1))


def pad_white(x: torch.Tensor, patch: int) -> torch.Tensor:
    """(…, H, W) in [0, 1] padded white at the bottom and right to whole patches."""
    ph, pw = (-x.shape[-2]) % patch, (-x.shape[-1]) % patch
    return F.pad(x, (0, pw, 0, ph), value=1.0) if ph or pw else x


class ResBlock(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.conv1 = nn.Conv2d(width, width, 3, padding=1)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1)

    def forward(self, x):
        return x + self.conv2(F.silu(self.conv1(F.silu(x))))


class Encoder(nn.Module):
    def __init__(self, cfg: VisionTokenizerConfig):
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(cfg.channels, cfg.widths[0], 3, padding=1)]
        prev = cfg.widths[0]
        for w in cfg.widths:
            layers.append(nn.Conv2d(prev, w, 4, stride=2, padding=1))  # halve H and W
            layers += [ResBlock(w) for _ in range(cfg.res_blocks)]
            prev = w
        layers += [nn.SiLU(), nn.Conv2d(prev, cfg.latent, 1)]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)  # (B, latent, H/patch, W/patch)


class Decoder(nn.Module):
    def __init__(self, cfg: VisionTokenizerConfig):
        super().__init__()
        widths = cfg.widths[::-1]
        layers: list[nn.Module] = [nn.Conv2d(cfg.heads * cfg.head_dim, widths[0], 1)]
        layers += [ResBlock(widths[0]) for _ in range(cfg.res_blocks)]
        for i, w in enumerate(widths):
            out = widths[i + 1] if i + 1 < len(widths) else widths[-1]
            # sub-pixel upsampling: conv at low resolution, then shuffle into 2x2 pixels
            layers += [
                nn.SiLU(),
                nn.Conv2d(w, 4 * out, 3, padding=1),
                nn.PixelShuffle(2),
            ]
            layers += [
                ResBlock(out)
                for _ in range(cfg.res_blocks if i + 1 < len(widths) else 0)
            ]
        layers += [nn.SiLU(), nn.Conv2d(widths[-1], cfg.channels, 3, padding=1)]
        self.net = nn.Sequential(*layers)

    def forward(self, zq):
        return self.net(zq)  # (B, C, H, W)


class MultiHeadAutoencoder(nn.Module):
    def __init__(self, cfg: VisionTokenizerConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        # per-patch LayerNorm (local, batch-independent) keeps the head vectors in the quantizer's
        # working range whatever the latent's scale drifts to; FSQ's tanh saturates otherwise
        self.norm = nn.LayerNorm(cfg.latent)
        self.heads = nn.Linear(
            cfg.latent, cfg.heads * cfg.head_dim
        )  # G linear heads at once
        self.quantizer = QUANTIZERS[cfg.quantizer](cfg)
        self.decoder = Decoder(cfg)
        self._init_weights()

    def _init_weights(self) -> None:
        # PyTorch's default conv init shrinks the variance ~3x per layer; without norm layers the
        # signal then vanishes through the ~12 plain convs and training stalls at a flat grey page
        for mod in self.modules():
            if isinstance(mod, nn.Conv2d):
                nn.init.kaiming_normal_(mod.weight, nonlinearity="relu")
                nn.init.zeros_(mod.bias)
            if isinstance(mod, ResBlock):
                mod.conv2.weight.data.mul_(0.2)  # residual branches start small
        nn.init.normal_(
            self.heads.weight, std=self.cfg.latent**-0.5
        )  # head vectors of order 1
        nn.init.zeros_(self.heads.bias)
        last = self.decoder.net[-1]
        last.weight.data.mul_(0.1)
        nn.init.constant_(last.bias, 1.0)  # pages are mostly white: start there

    def pad(self, x: torch.Tensor) -> torch.Tensor:
        return pad_white(x, self.cfg.patch)

    def _head_vectors(self, x: torch.Tensor) -> torch.Tensor:
        lat = self.encoder(self.pad(x) * 2 - 1).permute(
            0, 2, 3, 1
        )  # (B, h, w, latent); input centred
        z = self.heads(self.norm(lat))  # (B, h, w, G*D)
        return z.unflatten(-1, (self.cfg.heads, self.cfg.head_dim))  # (B, h, w, G, D)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        z = self._head_vectors(x)  # (B, h, w, G, D)
        B, h, w, G, D = z.shape
        _, idx, _ = self.quantizer(z.reshape(-1, G, D))
        return idx.view(B, h, w, G)  # (B, h, w, G)

    def decode_vectors(self, zq: torch.Tensor) -> torch.Tensor:
        B, h, w, G, D = zq.shape
        return self.decoder(
            zq.reshape(B, h, w, G * D).permute(0, 3, 1, 2)
        )  # (B, C, h*p, w*p)

    def decode(self, idx: torch.Tensor) -> torch.Tensor:
        return self.decode_vectors(self.quantizer.embed(idx))  # idx (B, h, w, G)

    def forward(self, x: torch.Tensor):
        """Reconstruction cropped to x's size, indices (B, h, w, G) and the quantizer's aux loss."""
        z = self._head_vectors(x)  # (B, h, w, G, D)
        B, h, w, G, D = z.shape
        zq, idx, aux = self.quantizer(z.reshape(-1, G, D))
        recon = self.decode_vectors(zq.view(B, h, w, G, D))
        return recon[..., : x.shape[-2], : x.shape[-1]], idx.view(B, h, w, G), aux
