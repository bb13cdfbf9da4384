"""Attention masks and targets for packed rows: Strategy A ("causal") and B ("block").

The layout a loader hands over for each packed row (DESIGN §4, §8):
- ``tokens [B, L, G]`` int64: one row of G ids per position.
- ``doc_ids [B, L]`` int32: index of the packed document within the row, -1 for padding.
- ``block_ids [B, L]`` int32: -1 at text positions; at the positions of an image block an id
  unique within the row. A block is one contiguous run of positions inside one document.
- ``target_block [B, L]`` bool: True at the positions of an image block whose codes are to be
  predicted (the ``write`` direction), False where the image is context (``read``) and at text.
  ``positions_from_block_flags`` turns per-block flags ``[B, nblocks]`` into this form.

Strategy A ("causal"): query q attends key kv iff both are in the same document and kv <= q.
Position p targets the row p + 1 of its document; the last position of a document and
padding get -100 rows. Inputs are the tokens unchanged; ``target_block`` is not used.

Strategy B ("block"): text is causal as in A. Every query of an image block occupying
[s, s+n) of a document attends all keys of its document before s and the whole block
[s, s+n) (bidirectional inside); queries after the block attend causally, so they see it.
Targets shift by the whole block: a text position p targets the next *text* row of its
document, except the position s-1 just before a block (``</size>``): it has no target (-100),
the design's NULL (DESIGN §8): what follows it is the block, which is predicted (target block)
or given (context block), never one row. ``</image>`` at s+n targets the row after it.
- Target block: its input rows are replaced by ``[image_pad_id] * G`` and each position p in
  [s, s+n) targets its own true row p; it only sees masked inputs of its block, so it never
  sees its own target.
- Context block: inputs stay real, its positions get no target (-100).
The last block position therefore never targets ``</image>`` in B.

Both strategies: no attention across documents or into padding; a padding query attends only
to itself, so no row of the mask is all False (SDPA would return NaN for it).

One function is the source of truth: ``mask_mod`` returns a FlexAttention ``mask_mod``
closure; ``dense_mask`` evaluates exactly that closure on index grids (SDPA, CPU) and
``flex_block_mask`` hands it to ``create_block_mask`` (FlexAttention, CUDA).
"""

from __future__ import annotations

import functools

import torch

IGNORE_INDEX = -100
STRATEGIES = {"causal": "causal", "a": "causal", "block": "block", "b": "block"}


def normalize_strategy(strategy: str) -> str:
    """'causal'/'A' -> 'causal', 'block'/'B' -> 'block'."""
    key = str(strategy).lower()
    if key not in STRATEGIES:
        raise ValueError(f"strategy must be one of 'causal' (A) or 'block' (B), got {strategy!r}")
    return STRATEGIES[key]


def mask_mod(strategy: str, doc_ids: torch.Tensor, block_ids: torch.Tensor):
    """FlexAttention-style ``mask_mod(b, h, q_idx, kv_idx) -> bool`` over the layout tensors."""
    strategy = normalize_strategy(strategy)

    def causal_mod(b, h, q_idx, kv_idx):
        dq, dk = doc_ids[b, q_idx], doc_ids[b, kv_idx]
        pad_q = dq < 0
        same_doc = (dq == dk) & ~pad_q
        return (same_doc & (kv_idx <= q_idx)) | (pad_q & (kv_idx == q_idx))

    def block_mod(b, h, q_idx, kv_idx):
        dq, dk = doc_ids[b, q_idx], doc_ids[b, kv_idx]
        bq, bk = block_ids[b, q_idx], block_ids[b, kv_idx]
        pad_q = dq < 0
        same_doc = (dq == dk) & ~pad_q
        same_block = (bq >= 0) & (bq == bk)
        return (same_doc & ((kv_idx <= q_idx) | same_block)) | (pad_q & (kv_idx == q_idx))

    return causal_mod if strategy == "causal" else block_mod


def dense_mask(strategy: str, doc_ids: torch.Tensor, block_ids: torch.Tensor) -> torch.Tensor:
    """Boolean mask ``[B, 1, L, L]`` (True = attend) for SDPA, from ``mask_mod`` on grids."""
    check_layout(doc_ids, block_ids)
    B, L = doc_ids.shape
    dev = doc_ids.device
    b = torch.arange(B, device=dev).view(B, 1, 1, 1)  # (B, 1, 1, 1)
    h = torch.zeros(1, 1, 1, 1, dtype=torch.long, device=dev)
    q = torch.arange(L, device=dev).view(1, 1, L, 1)  # (1, 1, L, 1)
    kv = torch.arange(L, device=dev).view(1, 1, 1, L)  # (1, 1, 1, L)
    return mask_mod(strategy, doc_ids, block_ids)(b, h, q, kv).expand(B, 1, L, L)


def flex_block_mask(strategy: str, doc_ids: torch.Tensor, block_ids: torch.Tensor, *, compiled: bool = False):
    """FlexAttention ``BlockMask`` built from the same ``mask_mod`` (H broadcast).

    ``compiled`` builds it with ``torch.compile(create_block_mask)``, which never materializes
    the L×L mask (what long rows need); torch deprecated the older ``_compile=True`` flag for it.
    """
    from torch.nn.attention.flex_attention import create_block_mask

    check_layout(doc_ids, block_ids)
    B, L = doc_ids.shape
    create = _compiled_create_block_mask() if compiled else create_block_mask
    return create(mask_mod(strategy, doc_ids, block_ids), B, None, L, L, device=doc_ids.device)


@functools.cache
def _compiled_create_block_mask():
    from torch.nn.attention.flex_attention import create_block_mask

    return torch.compile(create_block_mask)


def make_targets(
    strategy: str,
    tokens: torch.Tensor,
    doc_ids: torch.Tensor,
    block_ids: torch.Tensor,
    target_block: torch.Tensor | None,
    image_pad_id: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs ``[B, L, G]``, targets ``[B, L, G]`` with -100 rows) under the strategy's rules."""
    strategy = normalize_strategy(strategy)
    check_layout(doc_ids, block_ids)
    if tokens.dim() != 3 or tuple(tokens.shape[:2]) != tuple(doc_ids.shape):
        raise ValueError(
            f"tokens must be [B, L, G] with [B, L] = {tuple(doc_ids.shape)}, got {tuple(tokens.shape)}"
        )
    if strategy == "causal":
        return tokens.clone(), _gather_rows(tokens, _next_position(doc_ids))
    target_block = _checked_target_block(target_block, block_ids)
    text_pos = _next_text_position(doc_ids, block_ids)  # (B, L) -1 where none
    pos = torch.arange(doc_ids.shape[1], device=doc_ids.device).expand_as(doc_ids)
    in_block = block_ids >= 0
    tgt_pos = torch.where(in_block, torch.where(target_block, pos, -1), text_pos)  # (B, L)
    before = torch.zeros_like(in_block)  # text positions whose next row (same document) opens a block
    before[:, :-1] = in_block[:, 1:] & ~in_block[:, :-1] & (doc_ids[:, 1:] == doc_ids[:, :-1])
    tgt_pos = tgt_pos.masked_fill(before, -1)  # the design's NULL
    inputs = tokens.masked_fill(target_block[..., None], image_pad_id)  # (B, L, G)
    return inputs, _gather_rows(tokens, tgt_pos)


def positions_from_block_flags(block_ids: torch.Tensor, block_is_target: torch.Tensor) -> torch.Tensor:
    """Per-block flags ``[B, nblocks]`` (indexed by block id) -> per-position ``[B, L]`` bool."""
    if block_is_target.dim() != 2 or block_is_target.shape[0] != block_ids.shape[0]:
        raise ValueError(
            f"block_is_target must be [B, nblocks] with B = {block_ids.shape[0]}, "
            f"got {tuple(block_is_target.shape)}"
        )
    nblocks = block_is_target.shape[1]
    if bool((block_ids >= nblocks).any()):
        raise ValueError(f"block_ids holds ids >= nblocks = {nblocks} of block_is_target")
    idx = block_ids.long().clamp_min(0)  # (B, L)
    flags = torch.gather(block_is_target.bool(), 1, idx) if nblocks else torch.zeros_like(idx, dtype=torch.bool)
    return flags & (block_ids >= 0)


def check_layout(doc_ids: torch.Tensor, block_ids: torch.Tensor) -> None:
    """Raise ValueError unless the layout is [B, L] integers with contiguous in-document blocks."""
    for name, t in (("doc_ids", doc_ids), ("block_ids", block_ids)):
        if not isinstance(t, torch.Tensor) or t.dim() != 2:
            raise ValueError(f"{name} must be a [B, L] tensor, got {getattr(t, 'shape', type(t))}")
        if t.dtype.is_floating_point or t.dtype == torch.bool:
            raise ValueError(f"{name} must hold integers, got dtype {t.dtype}")
    if doc_ids.shape != block_ids.shape:
        raise ValueError(f"doc_ids {tuple(doc_ids.shape)} and block_ids {tuple(block_ids.shape)} differ")
    if bool(((block_ids >= 0) & (doc_ids < 0)).any()):
        raise ValueError("block_ids marks padding positions (doc_ids -1) as part of an image block")
    cont = (block_ids[:, 1:] == block_ids[:, :-1]) & (block_ids[:, 1:] >= 0)  # (B, L-1)
    if bool((cont & (doc_ids[:, 1:] != doc_ids[:, :-1])).any()):
        raise ValueError("an image block in block_ids spans two documents of doc_ids")
    _check_blocks_contiguous(block_ids)


def _check_blocks_contiguous(block_ids):
    prev = torch.cat([torch.full_like(block_ids[:, :1], -1), block_ids[:, :-1]], dim=1)
    starts = (block_ids >= 0) & (block_ids != prev)  # (B, L) first position of each run
    rows, cols = starts.nonzero(as_tuple=True)
    keys = torch.stack([rows.long(), block_ids[rows, cols].long()], dim=1)  # (runs, 2)
    if keys.shape[0] != torch.unique(keys, dim=0).shape[0]:
        raise ValueError("block_ids holds an image block that is not one contiguous run")


def _checked_target_block(target_block, block_ids):
    if target_block is None:
        return torch.zeros_like(block_ids, dtype=torch.bool)
    if tuple(target_block.shape) != tuple(block_ids.shape) or target_block.dtype != torch.bool:
        raise ValueError(
            f"target_block must be a bool [B, L] = {tuple(block_ids.shape)} tensor, got "
            f"{tuple(target_block.shape)} {target_block.dtype} (see positions_from_block_flags)"
        )
    if bool((target_block & (block_ids < 0)).any()):
        raise ValueError("target_block is True at a text or padding position (block_ids -1)")
    same = (block_ids[:, 1:] == block_ids[:, :-1]) & (block_ids[:, 1:] >= 0)  # (B, L-1)
    if bool((same & (target_block[:, 1:] != target_block[:, :-1])).any()):
        raise ValueError("target_block differs between positions of one image block")
    return target_block


def _next_position(doc_ids):
    """p + 1 where it is in p's document, else -1 (B, L)."""
    B, L = doc_ids.shape
    nxt = torch.full((B, L), -1, dtype=torch.long, device=doc_ids.device)
    ok = (doc_ids[:, 1:] == doc_ids[:, :-1]) & (doc_ids[:, :-1] >= 0)  # (B, L-1)
    pos = torch.arange(1, L, device=doc_ids.device).expand(B, L - 1)
    nxt[:, :-1] = torch.where(ok, pos, -1)
    return nxt


def _next_text_position(doc_ids, block_ids):
    """For text positions: the first later text position of the same document, else -1 (B, L)."""
    B, L = doc_ids.shape
    pos = torch.arange(L, device=doc_ids.device).expand(B, L)
    text_idx = torch.where(block_ids < 0, pos, L)  # (B, L) L marks "no text here"
    suffix_min = text_idx.flip(1).cummin(1).values.flip(1)  # (B, L) first text at >= p
    nxt = torch.cat([suffix_min[:, 1:], torch.full_like(pos[:, :1], L)], dim=1)  # first text > p
    nxt_doc = torch.gather(doc_ids, 1, nxt.clamp_max(L - 1))  # (B, L)
    ok = (nxt < L) & (nxt_doc == doc_ids) & (doc_ids >= 0) & (block_ids < 0)
    return torch.where(ok, nxt, -1)


def _gather_rows(tokens, tgt_pos):
    """targets[b, p] = tokens[b, tgt_pos[b, p]], a -100 row where tgt_pos is -1.

    Whole G-id rows move at once (index_select over B·L rows, then one row write per ignored
    position): about twice as fast on CPU as an element-wise gather over an expanded index.
    """
    B, L, G = tokens.shape
    base = (torch.arange(B, device=tokens.device) * L)[:, None]  # (B, 1) first row of each batch row
    flat = (tgt_pos.clamp_min(0) + base).reshape(-1)  # (B·L,)
    rows = tokens.reshape(B * L, G).long().index_select(0, flat).view(B, L, G)
    rows[tgt_pos < 0] = IGNORE_INDEX
    return rows
