"""Per-head quantizers: each of the G heads has its own pool of K codes.

Both quantizers take head vectors `z` of shape (N, G, D) and return
`(zq, idx, aux_loss)`: the quantized vectors (N, G, D) with a straight-through gradient,
int64 indices (N, G) in [0, K), and a scalar auxiliary loss (zero for FSQ).
`embed(idx)` maps indices back to quantized vectors for decoding.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class FSQ(nn.Module):
    """Finite scalar quantization (Mentzer et al. 2023), applied independently per head."""

    def __init__(self, heads: int, levels: tuple[int, ...]):
        super().__init__()
        self.heads, self.dim = heads, len(levels)
        self.K = math.prod(levels)
        basis = [math.prod(levels[:i]) for i in range(len(levels))]
        self.register_buffer(
            "levels", torch.tensor(levels, dtype=torch.int64), persistent=False
        )
        self.register_buffer(
            "basis", torch.tensor(basis, dtype=torch.int64), persistent=False
        )

    def _bound(self, z: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
        # squash each dim into (-L/2, L/2) so rounding gives exactly L integer values
        L = self.levels.to(z.dtype)
        half_l = (L - 1) * (1 - eps) / 2
        offset = torch.where(self.levels % 2 == 0, 0.5, 0.0).to(z.dtype)
        shift = torch.atanh(offset / half_l)
        return torch.tanh(z + shift) * half_l - offset

    def codes_to_indices(self, q: torch.Tensor) -> torch.Tensor:
        # q: integer-valued levels in [-L//2, L - L//2) -> (…,) int64 index
        shifted = q.round().to(torch.int64) + self.levels // 2  # (…, D) in [0, L)
        return (shifted * self.basis).sum(-1)

    def indices_to_codes(self, idx: torch.Tensor) -> torch.Tensor:
        digits = (idx.unsqueeze(-1) // self.basis) % self.levels  # (…, D)
        return (digits - self.levels // 2).to(torch.float32)

    def _normalize(self, q: torch.Tensor) -> torch.Tensor:
        return q / (self.levels // 2).to(q.dtype)  # integer levels -> roughly [-1, 1]

    def forward(self, z: torch.Tensor):
        bounded = self._bound(z)  # (N, G, D)
        q = bounded + (bounded.round() - bounded).detach()  # straight-through rounding
        idx = self.codes_to_indices(q.detach())  # (N, G)
        return self._normalize(q), idx, z.new_zeros(())

    def embed(self, idx: torch.Tensor) -> torch.Tensor:
        return self._normalize(self.indices_to_codes(idx))  # (N, G, D)


class VQ(nn.Module):
    """A learned, l2-normalized codebook per head with k-means init and dead-code replacement."""

    def __init__(
        self,
        heads: int,
        codebook_size: int,
        dim: int,
        commitment: float = 0.25,
        dead_threshold: float = 0.03,
        decay: float = 0.99,
        kmeans_iters: int = 10,
    ):
        super().__init__()
        self.heads, self.dim, self.K = heads, dim, codebook_size
        self.commitment, self.dead_threshold, self.decay = (
            commitment,
            dead_threshold,
            decay,
        )
        self.kmeans_iters = kmeans_iters
        self.codebook = nn.Parameter(
            F.normalize(torch.randn(heads, codebook_size, dim), dim=-1)
        )
        self.register_buffer(
            "usage", torch.ones(heads, codebook_size)
        )  # EMA of code counts
        self.register_buffer("initialized", torch.tensor(False))

    def _codes(self) -> torch.Tensor:
        return F.normalize(self.codebook, dim=-1)  # (G, K, D)

    def _nearest(self, zn: torch.Tensor) -> torch.Tensor:
        sim = torch.einsum("ngd,gkd->ngk", zn, self._codes())  # (N, G, K)
        return sim.argmax(-1)  # (N, G)

    @torch.no_grad()
    def kmeans_init(
        self, zn: torch.Tensor, generator: torch.Generator | None = None
    ) -> None:
        # spherical k-means per head on a batch of normalized head vectors zn (N, G, D)
        n = zn.shape[0]
        pick = torch.randint(0, n, (self.heads, self.K), generator=generator)  # (G, K)
        centres = torch.stack([zn[pick[g], g] for g in range(self.heads)])  # (G, K, D)
        for _ in range(self.kmeans_iters):
            assign = torch.einsum("ngd,gkd->ngk", zn, centres).argmax(-1)  # (N, G)
            sums = torch.zeros_like(centres).scatter_add_(
                1, assign.t().unsqueeze(-1).expand(-1, -1, self.dim), zn.transpose(0, 1)
            )
            counts = torch.bincount(
                (assign + torch.arange(self.heads, device=assign.device) * self.K).flatten(),
                minlength=self.heads * self.K,
            ).view(self.heads, self.K)
            centres = torch.where(
                counts.unsqueeze(-1) > 0, F.normalize(sums, dim=-1), centres
            )
        self.codebook.data.copy_(centres)
        self.initialized.fill_(True)

    @torch.no_grad()
    def replace_dead(
        self, zn: torch.Tensor, generator: torch.Generator | None = None
    ) -> int:
        """Move codes whose usage EMA fell below the threshold onto random batch vectors."""
        dead = self.usage < self.dead_threshold  # (G, K)
        n_dead = int(dead.sum())
        if n_dead:
            pick = torch.randint(
                0, zn.shape[0], (self.heads, self.K), generator=generator
            )
            fresh = torch.stack(
                [zn[pick[g], g] for g in range(self.heads)]
            )  # (G, K, D)
            self.codebook.data[dead] = fresh[dead]
            self.usage[dead] = 1.0
        return n_dead

    def forward(self, z: torch.Tensor):
        zn = F.normalize(z, dim=-1)  # (N, G, D)
        if self.training and not bool(self.initialized):
            self.kmeans_init(zn.detach())
        idx = self._nearest(zn)  # (N, G)
        q = self.embed(idx)  # (N, G, D)
        aux = F.mse_loss(q, zn.detach()) + self.commitment * F.mse_loss(zn, q.detach())
        if self.training:
            with torch.no_grad():
                flat = (
                    idx + torch.arange(self.heads, device=idx.device) * self.K
                ).flatten()
                counts = torch.bincount(flat, minlength=self.heads * self.K).view(
                    self.heads, self.K
                )
                self.usage.mul_(self.decay).add_(
                    counts.to(self.usage.dtype), alpha=1 - self.decay
                )
        return zn + (q - zn).detach(), idx, aux

    def embed(self, idx: torch.Tensor) -> torch.Tensor:
        codes = self._codes()  # (G, K, D)
        return codes[torch.arange(self.heads, device=idx.device), idx]  # (N, G, D)


def _build_fsq(cfg) -> FSQ:
    return FSQ(cfg.heads, tuple(cfg.levels))


def _build_vq(cfg) -> VQ:
    return VQ(cfg.heads, cfg.codebook_size, cfg.code_dim, commitment=cfg.commitment)


QUANTIZERS = {"fsq": _build_fsq, "vq": _build_vq}
