"""A compact decoder-only transformer over rows of G ids (DESIGN §4, §6, §8).

Input: ``[B, L, G]`` ids. A text or special position (``[t] * G``) takes ``tok_emb[t]``; an
image position merges the embeddings of its G codes (the mean over a table of G*K code
vectors) and projects them to the model width. Blocks: RMSNorm, RoPE attention, SwiGLU.
One output head over the whole vocabulary. Attention takes the mask that
``attention_mask`` builds from the layout: a dense boolean mask for SDPA (CPU, any device) or a
FlexAttention ``BlockMask`` (CUDA), both from the one ``docsynth.model.masks.mask_mod``.
Build the mask outside a compiled forward; nothing here knows about distribution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from docsynth.model import masks
from torch import nn

ATTENTION = ("auto", "sdpa", "flex")


@dataclass(kw_only=True)
class ModelConfig:
    vocab_size: int  # V: text ids, specials and G*K codes
    code_base: int  # B: ids >= B are image codes, ids below use the text table
    G: int  # code pools (ids per position)
    K: int  # codes per pool
    dim: int = 256  # model width
    n_layers: int = 4  # transformer blocks
    n_heads: int = 4  # attention heads (dim must divide evenly)
    mlp_hidden: int = 0  # SwiGLU hidden width; 0: 8/3 · dim rounded up to a multiple of 32
    code_dim: int = 0  # width of one code embedding before the projection; 0: dim
    rope_theta: float = 10_000.0  # RoPE base
    norm_eps: float = 1e-5  # RMSNorm epsilon
    attention: str = "auto"  # "sdpa" (dense mask), "flex" (block mask), "auto": flex on CUDA, else sdpa
    init_std: float = 0.02  # std of the normal initialisation
    pixel_dim: int = 0  # > 0: image positions may take raw pixels (patch·patch·C floats) through a linear projection

    def __post_init__(self):
        for name in ("vocab_size", "code_base", "G", "K", "dim", "n_layers", "n_heads"):
            if getattr(self, name) < 1:
                raise ValueError(f"model.{name}: must be >= 1, got {getattr(self, name)}")
        if self.code_base + self.G * self.K != self.vocab_size:
            raise ValueError(f"model.vocab_size: {self.vocab_size} != code_base + G*K = {self.code_base + self.G * self.K}")
        if self.dim % self.n_heads or (self.dim // self.n_heads) % 2:
            raise ValueError(f"model.n_heads: dim {self.dim} must split into {self.n_heads} heads of even width")
        if self.attention not in ATTENTION:
            raise ValueError(f"model.attention: {self.attention!r} is not one of {ATTENTION}")
        self.mlp_hidden = self.mlp_hidden or 32 * math.ceil(8 * self.dim / 3 / 32)
        self.code_dim = self.code_dim or self.dim

    @classmethod
    def from_vocab(cls, vocab, **kw) -> ModelConfig:
        return cls(vocab_size=vocab.size, code_base=vocab.code_base, G=vocab.G, K=vocab.K, **kw)


def attention_mask(strategy: str, doc_ids: torch.Tensor, block_ids: torch.Tensor, impl: str = "auto"):
    """The mask for `Transformer.forward`: a FlexAttention BlockMask (flex) or a dense [B, 1, L, L] bool."""
    if impl == "flex" or (impl == "auto" and doc_ids.is_cuda):
        return masks.flex_block_mask(strategy, doc_ids, block_ids, compiled=True)  # no L×L tensor
    return masks.dense_mask(strategy, doc_ids, block_ids)


class Rotary(nn.Module):
    def __init__(self, head_dim: int, theta: float):
        super().__init__()
        inv = 1.0 / theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)  # (hd/2,)
        self.register_buffer("inv_freq", inv, persistent=False)

    def forward(self, L: int, device) -> tuple[torch.Tensor, torch.Tensor]:
        t = torch.arange(L, device=device, dtype=torch.float32)
        freqs = torch.outer(t, self.inv_freq)  # (L, hd/2)
        return freqs.cos()[None, None], freqs.sin()[None, None]  # (1, 1, L, hd/2) each


def apply_rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    x1, x2 = x.float().chunk(2, dim=-1)  # (B, H, L, hd/2) each
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1).type_as(x)


class Attention(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.n_heads, self.head_dim = cfg.n_heads, cfg.dim // cfg.n_heads
        self.qkv = nn.Linear(cfg.dim, 3 * cfg.dim, bias=False)
        self.out = nn.Linear(cfg.dim, cfg.dim, bias=False)

    def forward(self, x, mask, cos, sin):
        B, L, D = x.shape
        q, k, v = self.qkv(x).view(B, L, 3, self.n_heads, self.head_dim).permute(2, 0, 3, 1, 4)  # 3 × (B, H, L, hd)
        q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)  # contiguous (B, H, L, hd)
        v = v.contiguous()  # compiled FlexAttention on CPU (torch 2.13) is wrong when v's layout differs from q/k's
        if isinstance(mask, torch.Tensor):
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)  # mask (B, 1, L, L) bool
        else:
            y = _flex_attention()(q, k, v, block_mask=mask)
        return self.out(y.transpose(1, 2).reshape(B, L, D))  # (B, L, D)


def _flex_attention():
    """FlexAttention, compiled once when called outside a compiled graph (eager flex is slow)."""
    from torch.nn.attention.flex_attention import flex_attention

    global _FLEX
    if torch.compiler.is_compiling():
        return flex_attention
    if _FLEX is None:
        _FLEX = torch.compile(flex_attention, dynamic=False)
    return _FLEX


_FLEX = None


class SwiGLU(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.w1, self.w3 = nn.Linear(dim, hidden, bias=False), nn.Linear(dim, hidden, bias=False)
        self.w2 = nn.Linear(hidden, dim, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))  # (B, L, D)


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.attn_norm, self.mlp_norm = nn.RMSNorm(cfg.dim, eps=cfg.norm_eps), nn.RMSNorm(cfg.dim, eps=cfg.norm_eps)
        self.attn, self.mlp = Attention(cfg), SwiGLU(cfg.dim, cfg.mlp_hidden)

    def forward(self, x, mask, cos, sin):
        x = x + self.attn(self.attn_norm(x), mask, cos, sin)
        return x + self.mlp(self.mlp_norm(x))


class Transformer(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.code_base, cfg.dim)  # text ids and specials
        self.code_emb = nn.Embedding(cfg.G * cfg.K, cfg.code_dim)  # pool g, code c at row g*K + c
        self.code_proj = nn.Linear(cfg.code_dim, cfg.dim, bias=False)
        self.pix_proj = nn.Linear(cfg.pixel_dim, cfg.dim) if cfg.pixel_dim else None  # raw patches in
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.norm = nn.RMSNorm(cfg.dim, eps=cfg.norm_eps)
        self.head = nn.Linear(cfg.dim, cfg.vocab_size, bias=False)
        self.rotary = Rotary(cfg.dim // cfg.n_heads, cfg.rope_theta)
        self.apply(self._init)
        for name, p in self.named_parameters():  # residual projections: GPT-2's 1/sqrt(2·layers)
            if name.endswith(("attn.out.weight", "mlp.w2.weight")):
                nn.init.normal_(p, std=cfg.init_std / math.sqrt(2 * cfg.n_layers))

    def _init(self, m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=self.cfg.init_std)

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        """(B, L, G) ids -> (B, L, D): text rows from tok_emb, image rows the projected mean of G codes."""
        B, L, G = ids.shape
        first = ids[..., 0]  # (B, L)
        is_code = first >= self.cfg.code_base  # (B, L)
        text = self.tok_emb(first.clamp(0, self.cfg.code_base - 1))  # (B, L, D)
        codes = (ids - self.cfg.code_base).clamp(0, G * self.cfg.K - 1).reshape(B * L, G)  # (B*L, G) bags
        merged = F.embedding_bag(codes, self.code_emb.weight, mode="mean")  # (B*L, code_dim)
        image = self.code_proj(merged).view(B, L, -1)  # (B, L, D)
        return torch.where(is_code[..., None], image, text)

    def forward(self, ids: torch.Tensor, mask, pixels: torch.Tensor | None = None) -> torch.Tensor:
        """(B, L, G) ids and a mask from `attention_mask` -> final hidden states (B, L, D). With `pixels`
        (B, L, pixel_dim) the positions whose input is a code row take their patch's pixels instead
        (continuous image input; targets stay codes); written blocks' inputs are `<image_pad>`, no code."""
        x = self.embed(ids)
        if pixels is not None:
            if self.pix_proj is None:
                raise ValueError("pixels given to a model built without pixel_dim")
            is_code = ids[..., 0] >= self.cfg.code_base  # (B, L)
            x = torch.where(is_code[..., None], self.pix_proj(pixels.to(x.dtype)), x)
        cos, sin = self.rotary(ids.shape[1], ids.device)
        for block in self.blocks:
            x = block(x, mask, cos, sin)
        return self.norm(x)

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.head(hidden)  # (..., V)

    def num_params(self, embeddings: bool = True) -> int:
        n = sum(p.numel() for p in self.parameters())
        if not embeddings:
            n -= self.tok_emb.weight.numel() + self.code_emb.weight.numel() + self.head.weight.numel()
        return n


# --------------------------------------------------------------------------- sampling


def pick_rows(logits: torch.Tensor, image: torch.Tensor, cfg: ModelConfig, temperature: float = 0.0,
              generator: torch.Generator | None = None) -> torch.Tensor:  # fmt: skip
    """logits (N, V), image (N,) bool -> rows (N, G): the best code of each pool at image positions;
    at text positions a text/special id (argmax, or sampled at `temperature` > 0) repeated G times."""
    N, B, G, K = logits.shape[0], cfg.code_base, cfg.G, cfg.K
    text_logits = logits[:, :B].float()  # (N, B)
    if temperature > 0:
        probs = torch.softmax(text_logits / temperature, dim=-1)
        text = torch.multinomial(probs, 1, generator=generator).squeeze(1)  # (N,)
    else:
        text = text_logits.argmax(-1)  # (N,)
    codes = logits[:, B:].reshape(N, G, K).argmax(-1)  # (N, G) best code of each pool
    code_rows = B + torch.arange(G, device=logits.device) * K + codes  # (N, G)
    return torch.where(image[:, None], code_rows, text[:, None].expand(N, G))


@torch.no_grad()
def generate(model: Transformer, prompt: torch.Tensor, vocab, *, max_new: int, strategy: str = "causal",
             temperature: float = 0.0, generator: torch.Generator | None = None) -> torch.Tensor:  # fmt: skip
    """Continue a (L0, G) prompt up to `<eos>` or `max_new` rows (greedy unless temperature > 0).

    After `<size><size{w}><size{h}></size>` the next w·h rows are an image block: causal (A)
    fills it row by row, block (B) predicts the whole block at once from `<image_pad>` inputs.
    `</image>` closes a block (the grammar fixes it). Recomputes the prefix each step: a reference.
    """
    strategy = masks.normalize_strategy(strategy)
    cfg, dev = model.cfg, prompt.device
    tokens, inputs = prompt.clone().long(), prompt.clone().long()  # (L, G) each; inputs differ in B blocks
    is_block = (tokens[:, 0] >= cfg.code_base).tolist()
    eos, close, pad = vocab.special("<eos>"), vocab.special("</image>"), vocab.special("<image_pad>")
    todo = 0  # image rows still to produce in the current block
    while len(tokens) - len(prompt) < max_new and int(tokens[-1, 0]) != eos:
        todo = todo or _image_rows_after(tokens, vocab)
        if todo and strategy == "block":
            n = min(todo, max_new - (len(tokens) - len(prompt)))
            inputs = torch.cat([inputs, torch.full((n, cfg.G), pad, device=dev)])
            is_block += [True] * n
            hidden = _run(model, inputs, is_block, strategy)[-n:]  # (n, D) each predicts its own row
            new = pick_rows(model.logits(hidden), torch.ones(n, dtype=torch.bool, device=dev), cfg)
            tokens, todo = torch.cat([tokens, new]), todo - n
        else:
            hidden = _run(model, inputs, is_block, strategy)[-1:]  # (1, D)
            image = torch.tensor([todo > 0], device=dev)
            new = pick_rows(model.logits(hidden), image, cfg, temperature, generator)  # (1, G)
            tokens, inputs, todo = torch.cat([tokens, new]), torch.cat([inputs, new]), max(todo - 1, 0)
            is_block.append(bool(image))
        if todo == 0 and is_block[-1] and len(tokens) - len(prompt) < max_new:  # a block just ended
            row = torch.full((1, cfg.G), close, device=dev)
            tokens, inputs = torch.cat([tokens, row]), torch.cat([inputs, row])
            is_block.append(False)
    return tokens


def _image_rows_after(tokens: torch.Tensor, vocab) -> int:
    """w*h when the rows end with `<size><size{w}><size{h}></size>`, else 0."""
    if len(tokens) < 4:
        return 0
    t = tokens[-4:, 0].tolist()
    if t[0] != vocab.special("<size>") or t[3] != vocab.special("</size>"):
        return 0
    w, h = t[1] - vocab.size_id(0), t[2] - vocab.size_id(0)
    return w * h if 0 <= w < vocab.num_sizes and 0 <= h < vocab.num_sizes else 0


def _run(model: Transformer, inputs: torch.Tensor, is_block: list[bool], strategy: str) -> torch.Tensor:
    flags = torch.tensor(is_block, device=inputs.device)
    starts = flags & ~torch.cat([flags.new_zeros(1), flags[:-1]])  # (L,) first row of each block
    block_ids = torch.where(flags, starts.cumsum(0) - 1, -1).int()[None]  # (1, L)
    doc_ids = torch.zeros_like(block_ids)
    mask = attention_mask(strategy, doc_ids, block_ids, "sdpa")  # the length grows: no recompiles
    return model(inputs[None], mask)[0]  # (L, D)
