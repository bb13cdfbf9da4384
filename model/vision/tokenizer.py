"""The public tokenizer API: load/save a checkpoint, encode pages to [h, w, G] codes, decode back."""

from __future__ import annotations

import importlib.resources
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from .autoencoder import MultiHeadAutoencoder, VisionTokenizerConfig, to_channels

DEFAULT_CHECKPOINT = "vision_tokenizer_pq16.pt"  # inside the docsynth.assets package


def _assets():
    return importlib.resources.files("docsynth.assets")


def shipped_checkpoints() -> list[str]:
    """File names of the checkpoints shipped in docsynth/assets (each loadable by its bare name)."""
    return sorted(p.name for p in _assets().iterdir() if p.name.startswith("vision_tokenizer") and p.name.endswith(".pt"))


def resolve_checkpoint(path: str | os.PathLike) -> Path:
    """"default", a file path, or the bare name of a shipped checkpoint (`vision_tokenizer_p16.pt`)."""
    default = str(path) == "default"
    name = DEFAULT_CHECKPOINT if default else str(path)
    if not default and Path(name).is_file():
        return Path(name)  # a path (a file of that name in the working folder too)
    ref = _assets().joinpath(name) if os.sep not in name and "/" not in name else None
    if ref is not None and ref.is_file():
        return Path(str(ref))
    what = "default vision tokenizer checkpoint is missing" if default else "vision tokenizer checkpoint not found"
    raise FileNotFoundError(f"{what}: {name} (a path, or one of the shipped {', '.join(shipped_checkpoints())})")


def _channels_last(x: torch.Tensor) -> torch.Tensor:
    return x.contiguous(memory_format=torch.channels_last)  # (B, C, H, W) stored NHWC


class VisionTokenizer:
    """Wraps a trained model (a MultiHeadAutoencoder, or a PatchCodebook: `codebook.py`); numpy uint8
    pages in, int32 [h, w, G] codes out."""

    def __init__(self, model: torch.nn.Module, recipe: dict | None = None):
        # eval mode, and channels-last weights: oneDNN's NHWC convolutions encode a page 1.83x
        # faster on one CPU thread than NCHW (bench/vision.py; codes differ from NCHW's in ~3 per
        # million, at FSQ rounding boundaries, and are as reproducible). encode feeds NHWC inputs;
        # decode's input is NHWC already (a permute of the (h, w, G·D) code vectors).
        self.model = model.eval().to(memory_format=torch.channels_last)
        self.cfg: VisionTokenizerConfig = model.cfg
        self.recipe = dict(recipe or {})
        self.G, self.K = self.cfg.heads, self.cfg.K
        self.patch, self.channels = self.cfg.patch, self.cfg.channels
        self.threads = (
            1  # torch threads used by encode/decode; codes are reproducible per value
        )

    @classmethod
    def load(cls, path: str | os.PathLike = "default") -> VisionTokenizer:
        path = resolve_checkpoint(path)
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
        for key in ("config", "state_dict"):
            if key not in ckpt:
                raise ValueError(
                    f"{path} is not a vision tokenizer checkpoint: no {key!r} entry"
                )
        kind = ckpt.get("kind", "autoencoder")
        if kind == "codebook":
            from .codebook import CodebookConfig, PatchCodebook

            model = PatchCodebook(CodebookConfig(**ckpt["config"]))
        elif kind == "autoencoder":
            model = MultiHeadAutoencoder(VisionTokenizerConfig(**ckpt["config"]))
        else:
            raise ValueError(f"{path}: unknown vision tokenizer kind {kind!r} (autoencoder or codebook)")
        state = {
            k: v.float() if v.is_floating_point() else v
            for k, v in ckpt["state_dict"].items()
        }
        model.load_state_dict(state)
        return cls(model, ckpt.get("recipe"))

    def save(self, path: str | os.PathLike, half: bool = False) -> None:
        """Write config + state_dict (+ recipe); `half` stores float weights as float16."""
        state = {
            k: v.half() if half and v.is_floating_point() else v.clone()
            for k, v in self.model.state_dict().items()
        }
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        torch.save(
            {"config": self.cfg.to_dict(), "state_dict": state, "recipe": self.recipe,
             "kind": getattr(self.model, "kind", "autoencoder")},
            tmp,
        )
        os.replace(tmp, path)

    def grid_size(self, H: int, W: int) -> tuple[int, int]:
        if H < 1 or W < 1:
            raise ValueError(f"image size must be positive, got H={H}, W={W}")
        return math.ceil(H / self.patch), math.ceil(W / self.patch)

    def _to_chw(self, img: np.ndarray, i: int) -> np.ndarray:
        img = np.asarray(img)
        if img.dtype != np.uint8:
            raise ValueError(f"image {i}: expected dtype uint8, got {img.dtype}")
        if img.ndim == 2:
            img = img[:, :, None]
        if img.ndim != 3 or img.shape[2] not in (1, 3, 4) or min(img.shape[:2]) < 1:
            raise ValueError(
                f"image {i}: expected (H, W) or (H, W, 1|3|4), got {img.shape}"
            )
        return to_channels(img, self.channels)  # (C, H, W)

    def encode(self, images: np.ndarray | Sequence[np.ndarray]):
        """uint8 (H, W) / (H, W, C) page, or a list of them -> int32 [h, w, G] codes (or a list).

        Codes are bit-identical for the same page whatever else is in the call: oneDNN picks its
        convolution algorithm by input shape (batch size included) and by thread count, and a
        probe saw codes change with both, so every page runs through the network on its own,
        with `self.threads` torch threads (1 by default; the caller's setting is restored).
        """
        single = isinstance(images, np.ndarray)
        pages = [images] if single else list(images)
        arrays = [self._to_chw(p, i) for i, p in enumerate(pages)]
        prev = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            with torch.inference_mode():
                out = [
                    self.model.encode(_channels_last(torch.from_numpy(a)[None]))[0]
                    .to(torch.int32)
                    .numpy()
                    for a in arrays
                ]  # each (h, w, G)
        finally:
            torch.set_num_threads(prev)
        return out[0] if single else out

    def decode(self, codes: np.ndarray) -> np.ndarray:
        """int [h, w, G] codes -> uint8 (h*patch, w*patch) grey or (h*patch, w*patch, 3) RGB."""
        codes = np.asarray(codes)
        if (
            codes.ndim != 3
            or codes.shape[2] != self.G
            or not np.issubdtype(codes.dtype, np.integer)
        ):
            raise ValueError(
                f"codes: expected integer array [h, w, {self.G}], got "
                f"{codes.dtype} {codes.shape}"
            )
        if codes.size and (codes.min() < 0 or codes.max() >= self.K):
            raise ValueError(
                f"codes: values must lie in [0, {self.K}), got "
                f"[{codes.min()}, {codes.max()}]"
            )
        prev = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            with torch.inference_mode():
                idx = torch.from_numpy(codes.astype(np.int64))[None]  # (1, h, w, G)
                img = self.model.decode(idx)[0].clamp(0, 1)  # (C, H, W)
        finally:
            torch.set_num_threads(prev)
        img = (
            (img * 255.0).round().to(torch.uint8).permute(1, 2, 0).numpy()
        )  # (H, W, C)
        return img[:, :, 0] if self.channels == 1 else img

    def reconstruct(self, image: np.ndarray) -> np.ndarray:
        """encode + decode, cropped back to the input's size."""
        H, W = np.asarray(image).shape[:2]
        return self.decode(self.encode(image))[:H, :W]
