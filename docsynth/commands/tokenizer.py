"""`docsynth tokenizer train text|vision`: train the text BPE or the vision tokenizer."""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("tokenizer", help="train the text or the vision tokenizer")
    tsub = p.add_subparsers(dest="tokenizer_command", required=True, metavar="ACTION")
    t = tsub.add_parser("train", help="train a tokenizer")
    kinds = t.add_subparsers(dest="kind", required=True, metavar="KIND")
    text = kinds.add_parser("text", help="byte-level BPE on the Faker source")
    text.add_argument("--out", required=True, help="tokenizer.json to write")
    text.add_argument("--seed", type=int, default=0)
    text.add_argument("--num-docs", type=int, default=3000, help="faker documents to train on")
    text.add_argument("--vocab-size", type=int, default=16384, help="BPE vocabulary size")
    text.set_defaults(func=train_text)
    vision = kinds.add_parser("vision", add_help=False, help="multi-head vision tokenizer (options: `… vision --help`)")
    vision.set_defaults(func=train_vision, passthrough=True)  # every option goes to docsynth.model.vision.train


def train_vision(args) -> int:
    from docsynth.model.vision.train import main

    return main(args.extra)


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
