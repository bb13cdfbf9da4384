"""Cost of the attention masks: building them and attending with them.

    python bench/masks.py                   # CPU: dense mask + SDPA vs SDPA is_causal
    python bench/masks.py --device cuda     # also FlexAttention (compiled) with the block mask

Rows are packed with documents of random length and image blocks of 16-256 positions, as
the loader would hand them over. The baseline is SDPA with ``is_causal=True`` (no document
boundaries, no blocks), measured in the same run.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import torch
import torch.nn.functional as F
from docsynth.model import masks


def packed_layout(B, L, seed=0):
    """doc_ids and block_ids [B, L] int32 of random documents with image blocks."""
    rng = random.Random(seed)
    doc = torch.full((B, L), -1, dtype=torch.int32)
    blk = torch.full((B, L), -1, dtype=torch.int32)
    for b in range(B):
        p, d, nb = 0, 0, 0
        while p < L - 8:
            n = min(L - 8 - p, rng.randint(64, L // 2))
            doc[b, p : p + n] = d
            s = p + rng.randint(0, n // 2)
            k = min(rng.randint(16, 256), p + n - s)
            blk[b, s : s + k] = nb
            p, d, nb = p + n, d + 1, nb + 1
    return doc, blk


def timed(fn, repeats, sync=lambda: None):
    fn()
    sync()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_device(args, device):
    torch.manual_seed(0)
    doc, blk = (t.to(device) for t in packed_layout(args.batch, args.seq))
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    q, k, v = torch.randn(3, args.batch, args.heads, args.seq, 64, device=device, dtype=dtype).unbind(0)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    sdpa = F.scaled_dot_product_attention
    cases = [("sdpa is_causal (baseline)", lambda: sdpa(q, k, v, is_causal=True))]
    for strat in ("causal", "block"):
        m = masks.dense_mask(strat, doc, blk)
        cases += [
            (f"dense_mask {strat}", lambda s=strat: masks.dense_mask(s, doc, blk)),
            (f"sdpa + dense {strat}", lambda m=m: sdpa(q, k, v, attn_mask=m)),
        ]
        if device == "cuda":
            from torch.nn.attention.flex_attention import flex_attention

            flex, bm = torch.compile(flex_attention), masks.flex_block_mask(strat, doc, blk)
            cases += [
                (f"flex_block_mask {strat}", lambda s=strat: masks.flex_block_mask(s, doc, blk)),
                (f"flex_attention {strat}", lambda f=flex, bm=bm: f(q, k, v, block_mask=bm)),
            ]
    rows = [(name, timed(fn, args.repeats, sync)) for name, fn in cases]
    print(f"{device}: B={args.batch} H={args.heads} L={args.seq} D=64 {dtype}")
    for name, t in rows:
        print(f"  {name:28s} {t * 1e3:9.2f} ms {t / rows[0][1]:7.2f}x")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--seq", type=int, default=1024)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    bench_device(args, "cpu")
    if args.device == "cuda":
        bench_device(args, "cuda")


if __name__ == "__main__":
    main()
