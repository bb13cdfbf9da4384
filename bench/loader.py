"""Loader throughput: decode + pack + targets against reading the same tar members raw.

    python bench/loader.py                  # builds a synthetic corpus of letter-size pages
    python bench/loader.py --data OUT       # a generated corpus (docsynth generate ...)

Both sides read the same shards in the same run: "raw" iterates each tar with `tarfile`
and reads the bytes of the members the loader uses (meta.json, tokens_{a,b}.npy); "loader"
is `docsynth.model.data.make_loader` for one epoch. Rates are document tokens (rows) per
second; the ratio is loader / raw (1.0: the loader costs nothing beyond reading).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

WORDS = ["page", "text", "line", "column", "figure", "caption", "table", "header", "footer", "margin", "box", "token", "code", "patch", "row", "model", "loader", "shard", "sample", "order", "window", "epoch", "rank", "worker"]  # fmt: skip


def synth_corpus(out: Path, shards: int, per_shard: int, grid: tuple[int, int], G: int, K: int, seed: int) -> None:
    """A corpus in the docsynth layout with real Format A/B rows (pages of `grid` = (w, h) codes)."""
    import webdataset as wds

    from docsynth import text_tokenizer as tt
    from docsynth.formats import SeqElement, serialize
    from docsynth.vocab import VocabSpec

    tok = tt.train_bpe([" ".join(WORDS)] * 50, vocab_size=400, out=out / "tokenizer.json", min_frequency=1)
    vocab = VocabSpec(text_vocab_size=tok.get_vocab_size(), num_sizes=1000, coord_bins=1000, G=G, K=K)
    vocab.save(out / "vocab.json")
    rng, records = np.random.default_rng(seed), []
    (out / "data").mkdir(parents=True, exist_ok=True)
    for s in range(shards):
        name = f"train-{s:05d}-of-{shards:05d}.tar"
        with wds.TarWriter(str(out / "data" / name), mtime=0, encoder=False) as tw:
            for j in range(per_shard):
                direction = ("read", "write")[j % 2]
                sample = {"__key__": f"bench_doc{s}-{j}_0000", "page.png": rng.bytes(40_000)}
                for fmt in "AB":
                    body = [SeqElement("text", text=" ".join(rng.choice(WORDS, rng.integers(40, 120))),
                                       box=(10, 20, 500, 80) if fmt == "A" else None) for _ in range(6)]  # fmt: skip
                    page = SeqElement("image", codes=rng.integers(0, K, (grid[1], grid[0], G)).astype(np.int32))
                    elems = [page, *body] if direction == "read" else [*body, page]
                    sample[f"tokens_{fmt.lower()}.npy"] = _npy(serialize(elems, vocab, tok)[1])
                sample["meta.json"] = json.dumps({"key": sample["__key__"], "direction": direction}).encode()
                tw.write(sample)
        data = (out / "data" / name).read_bytes()
        records.append({"name": name, "index": s, "samples": per_shard, "bytes": len(data),
                        "sha256": hashlib.sha256(data).hexdigest()})  # fmt: skip
    (out / ".docsynth").mkdir(exist_ok=True)
    (out / ".docsynth" / "index.json").write_text(json.dumps({"version": 1, "shards": records}))


def _npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=False)
    return buf.getvalue()


def read_raw(shards: list[Path], members: tuple[str, ...]) -> int:
    """Bytes of the wanted members of every shard, read with plain tarfile streaming."""
    n = 0
    for path in shards:
        with open(path, "rb") as f, tarfile.open(fileobj=f, mode="r|*") as tar:
            for info in tar:
                if info.isreg() and info.name.endswith(members):
                    n += len(tar.extractfile(info).read())
    return n


def run_loader(data: Path, args) -> tuple[int, int]:
    from docsynth.model.data import make_loader

    loader = make_loader(data, seq_len=args.seq_len, batch_size=args.batch_size, format=args.format,
                         strategy=args.mask, num_workers=args.workers, shuffle_buffer=args.shuffle_buffer,
                         epochs=1)  # fmt: skip
    tokens = batches = 0
    for batch in loader:
        tokens += int((batch["doc_ids"] >= 0).sum())
        batches += 1
    return tokens, batches


def best_of_interleaved(repeats: int, *fns):
    """Best time and last result of each fn, the fns run in turn so machine noise hits them alike."""
    times, results = [[] for _ in fns], [None] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            results[i] = fn()
            times[i].append(time.perf_counter() - t0)
    return [(min(t), r) for t, r in zip(times, results)]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=None, help="corpus folder (default: build a synthetic one)")
    p.add_argument("--shards", type=int, default=4, help="synthetic shards (default 4)")
    p.add_argument("--per-shard", type=int, default=32, help="synthetic samples per shard (default 32)")
    p.add_argument("--grid", default="77x99", help="synthetic page code grid WxH (default 77x99: letter, 72 dpi, patch 8)")
    p.add_argument("--format", choices=("A", "B"), default="A")
    p.add_argument("--mask", choices=("causal", "block"), default="causal")
    p.add_argument("--seq-len", type=int, default=8192)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--workers", type=int, default=0, help="DataLoader workers (default 0: in process)")
    p.add_argument("--shuffle-buffer", type=int, default=64)
    p.add_argument("--repeats", type=int, default=3, help="runs of each side; the best time counts")
    args = p.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data
        if data is None:
            data = Path(tmp)
            w, h = (int(v) for v in args.grid.split("x"))
            synth_corpus(data, args.shards, args.per_shard, (w, h), G=8, K=1024, seed=0)
        shards = sorted((data / "data").glob("*.tar"))
        members = ("meta.json", f"tokens_{args.format.lower()}.npy")
        (t_raw, nbytes), (t_loader, (tokens, batches)) = best_of_interleaved(
            args.repeats, lambda: read_raw(shards, members), lambda: run_loader(data, args))
    mb = sum(s.stat().st_size for s in shards) / 2**20 if args.data else None
    print(f"corpus: {len(shards)} shards{f', {mb:.1f} MiB' if mb else ''}, {tokens} document tokens, "
          f"{nbytes / 2**20:.1f} MiB of meta.json + {members[1]}")  # fmt: skip
    print(f"raw tar read  : {tokens / t_raw:12,.0f} tokens/s  ({t_raw:.3f} s)")
    print(f"loader (A/B={args.format}, mask={args.mask}, L={args.seq_len}, B={args.batch_size}, "
          f"workers={args.workers}): {tokens / t_loader:12,.0f} tokens/s  ({t_loader:.3f} s, {batches} batches)")  # fmt: skip
    print(f"ratio loader/raw: {t_raw / t_loader:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
