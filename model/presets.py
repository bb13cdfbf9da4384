"""Training presets: a model shape, an optimiser schedule and the run settings, by name.

`cpu-tiny` trains in CI on a small generated corpus within a minute on two CPU cores;
`gpu-small` is the one-GPU (or `torchrun`) reference: bf16 autocast, compiled blocks and
FlexAttention block masks.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

DTYPES = ("float32", "bfloat16")


@dataclass(kw_only=True)
class ModelShape:
    dim: int = 128  # model width
    n_layers: int = 3  # transformer blocks
    n_heads: int = 4  # attention heads
    mlp_hidden: int = 0  # SwiGLU hidden width (0: 8/3 · dim)
    code_dim: int = 64  # width of one code embedding before its projection

    def __post_init__(self):
        for name in ("dim", "n_layers", "n_heads", "code_dim"):
            if getattr(self, name) < 1:
                raise ValueError(f"model.{name}: must be >= 1, got {getattr(self, name)}")


@dataclass(kw_only=True)
class OptimConfig:
    lr: float = 3e-3  # peak learning rate (AdamW)
    min_lr: float = 3e-4  # floor of the cosine decay
    warmup_steps: int = 10  # linear warmup from 0
    weight_decay: float = 0.1  # on matrices only (not norms, not embeddings)
    betas: tuple[float, float] = (0.9, 0.95)  # AdamW betas
    grad_clip: float = 1.0  # max global grad norm (0: no clipping)

    def __post_init__(self):
        if not 0 <= self.min_lr <= self.lr:
            raise ValueError(f"optim.min_lr: {self.min_lr} must be in [0, lr={self.lr}]")
        if self.warmup_steps < 0 or self.weight_decay < 0 or self.grad_clip < 0:
            raise ValueError("optim.warmup_steps, optim.weight_decay and optim.grad_clip must be >= 0")


@dataclass(kw_only=True)
class Preset:
    name: str  # preset name
    model: ModelShape = field(default_factory=ModelShape)  # transformer shape
    optim: OptimConfig = field(default_factory=OptimConfig)  # optimiser and schedule
    seq_len: int = 512  # positions per packed row
    batch_size: int = 2  # rows per step and rank
    device: str = "cpu"  # default device ("cuda" falls back to cpu when none is present)
    dtype: str = "float32"  # autocast dtype: float32 (off) or bfloat16
    compile: bool = False  # torch.compile each transformer block
    attention: str = "sdpa"  # sdpa (dense mask), flex (FlexAttention block mask) or auto
    num_workers: int = 0  # DataLoader workers per rank
    shuffle_buffer: int = 64  # loader shuffle window (samples)
    ckpt_every: int = 100  # steps between checkpoints (the last step always saves)

    def __post_init__(self):
        if self.seq_len < 2 or self.batch_size < 1 or self.ckpt_every < 1:
            raise ValueError(f"preset {self.name}: seq_len must be >= 2, batch_size and ckpt_every >= 1")
        if self.dtype not in DTYPES:
            raise ValueError(f"preset {self.name}: dtype {self.dtype!r} is not one of {DTYPES}")


PRESETS = {
    "cpu-tiny": Preset(name="cpu-tiny"),
    "gpu-small": Preset(
        name="gpu-small",
        model=ModelShape(dim=512, n_layers=8, n_heads=8, code_dim=256),
        optim=OptimConfig(lr=1e-3, min_lr=1e-4, warmup_steps=200),
        seq_len=8192,
        batch_size=8,
        device="cuda",
        dtype="bfloat16",
        compile=True,
        attention="flex",
        num_workers=4,
        shuffle_buffer=512,
        ckpt_every=1000,
    ),
}


def get_preset(name: str, **overrides) -> Preset:
    """The named preset with top-level fields replaced (None values are ignored)."""
    if name not in PRESETS:
        raise ValueError(f"--preset: unknown preset {name!r}; known: {sorted(PRESETS)}")
    return replace(PRESETS[name], **{k: v for k, v in overrides.items() if v is not None})
