"""`docsynth tokenizer train text|vision`: train the text BPE or the vision tokenizer."""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("tokenizer", help="train the text or the vision tokenizer")
    tsub = p.add_subparsers(dest="tokenizer_command", required=True, metavar="ACTION")
    t = tsub.add_parser("train", help="train a tokenizer")
    t.add_argument("kind", choices=("text", "vision"), help="text: byte-level BPE; vision: multi-head autoencoder")
    t.add_argument("--out", required=True, help="output file (tokenizer.json or a .pt checkpoint)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--num-docs", type=int, default=4000, help="faker documents (text) / rendered documents (vision)")
    t.add_argument("--vocab-size", type=int, default=16384, help="text: BPE vocabulary size")
    t.add_argument("--steps", type=int, default=3000, help="vision: optimisation steps")
    t.add_argument("--quantizer", choices=("fsq", "vq"), default="fsq", help="vision: quantizer per head")
    t.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="vision: tokenizer config fields, e.g. --set channels=1")  # fmt: skip
    t.set_defaults(func=run)


def run(args) -> int:
    if args.kind == "text":
        return train_text(args)
    from docsynth.model.vision.train import main_from_cli

    return main_from_cli(args)


def faker_texts(num_docs: int, seed: int):
    """Documents of the default Faker source, the same text the synth pipeline renders."""
    from docsynth import config as C
    from docsynth.sources import get_source
    from docsynth.steps import ShardContext

    cfg = C.PipelineConfig(num_docs=num_docs, seed=seed)
    src, ctx = get_source(cfg), ShardContext(shard=0, seed=seed)
    for spec in src.plan(cfg):
        for doc in src.read(spec, ctx):
            yield doc.text


def train_text(args) -> int:
    from docsynth import text_tokenizer as tt

    tok = tt.train_bpe(faker_texts(args.num_docs, args.seed), args.vocab_size, args.out)
    print(f"wrote {Path(args.out)}: byte-level BPE, {tok.get_vocab_size()} ids, from {args.num_docs} faker documents")
    return 0
