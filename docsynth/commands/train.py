"""`docsynth train`: the reference transformer on a corpus (one process, or under torchrun)."""

from __future__ import annotations

from docsynth.commands._common import add_storage_option


def register(sub) -> None:
    p = sub.add_parser("train", help="train the reference transformer on a corpus (Strategy A or B)")
    p.add_argument("--data", required=True, action="append",
                   help="corpus folder or URL (vocab.json, .docsynth/index.json, data/*.tar); repeat it with weights for a "
                        "mixture: --data synth_out:0.7 --data arxiv_out:0.3 (one vocabulary; each batch records each row's corpus)")  # fmt: skip
    p.add_argument("--preset", default="cpu-tiny", help="cpu-tiny | gpu-small (default cpu-tiny)")
    p.add_argument("--steps", type=int, default=100, help="optimiser steps in total (default 100)")
    p.add_argument("--out", required=True, help="run folder: metrics.jsonl, ckpt-XXXXX.pt, latest.pt")
    p.add_argument("--mask", choices=("causal", "block"), default="causal", help="Strategy A (causal) or B (block)")
    p.add_argument("--format", choices=("A", "B"), default="A", help="token format to read (default A)")
    p.add_argument("--direction", dest="direction_mix", choices=("keep", "read", "write"), default="keep",
                   help="train on every sample (keep) or only on read / write ones")  # fmt: skip
    p.add_argument("--resume", action="store_true", help="continue from OUT/latest.pt")
    p.add_argument("--seed", type=int, default=0, help="model initialisation and data order (default 0)")
    p.add_argument("--batch-size", type=int, default=None, help="rows per step and rank (default: the preset's)")
    p.add_argument("--seq-len", type=int, default=None, help="positions per packed row (default: the preset's)")
    p.add_argument("--device", default=None, help="cpu | cuda (default: the preset's; cpu without a GPU)")
    p.add_argument("--ckpt-every", type=int, default=None, help="steps between checkpoints (default: the preset's)")
    p.add_argument("--vocab-parallel", action="store_true", help="shard the output head over ranks (torchrun)")
    p.add_argument("--log-every", type=int, default=10, help="steps between progress lines (default 10)")
    p.add_argument("--image-input", choices=("codes", "pixels"), default="codes",
                   help="image positions take their codes, or their raw pixels through a linear projection (targets stay codes)")
    p.add_argument("--pixel-patch", type=int, default=0, help="the corpus tokenizer's patch side in pixels (--image-input pixels; 0: the one its vocab.json records)")
    add_storage_option(p, "--data")
    p.set_defaults(func=run)


def run(args) -> int:
    from docsynth.model.train import TrainConfig, train
    from docsynth.storage import parse_storage_options

    fields = ("data", "out", "preset", "steps", "mask", "format", "direction_mix", "resume", "seed",
              "batch_size", "seq_len", "device", "ckpt_every", "vocab_parallel", "log_every", "image_input", "pixel_patch")  # fmt: skip
    options = parse_storage_options(args.storage_options)
    result = train(TrainConfig(**{k: getattr(args, k) for k in fields}, storage_options=options))
    last = result["last"]
    if result["rank"] != 0:
        return 0
    if last:
        print(f"step {result['step']}: loss {last['loss']:.4f}, {last['tokens_per_s']:.0f} tokens/s; "
              f"corrupt shards {result['loader']['corrupt_shards']}; run in {args.out}")  # fmt: skip
    else:
        print(f"{args.out} is already at step {result['step']} (--steps {args.steps}): nothing to do")
    return 0
