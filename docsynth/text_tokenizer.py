"""The text part of the vocabulary: any HF `tokenizers` JSON file.

The default is a byte-level BPE trained by `docsynth tokenizer train text` on the offline
Faker source and shipped in `docsynth/assets/tokenizer.json`, so nothing is downloaded.
Byte-level with no normalizer and no prefix space: `decode(encode(s)) == s` for any string,
which the Format A/B parser relies on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

DEFAULT_NAME = "default"


def resolve(name: str) -> Path:
    if name == DEFAULT_NAME:
        return Path(str(resources.files("docsynth.assets") / "tokenizer.json"))
    p = Path(name)
    if not p.is_file():
        raise FileNotFoundError(f"text tokenizer {name!r}: no such file")
    return p


@lru_cache(maxsize=8)
def load(name: str = DEFAULT_NAME) -> Tokenizer:
    path = resolve(name)
    try:
        return Tokenizer.from_file(str(path))
    except Exception as e:  # tokenizers raises a bare Exception on malformed files
        raise ValueError(f"text tokenizer {path}: cannot be loaded ({e})") from e


def sha256(name: str = DEFAULT_NAME) -> str:
    return hashlib.sha256(resolve(name).read_bytes()).hexdigest()


def encode(tok: Tokenizer, text: str) -> list[int]:
    return tok.encode(text, add_special_tokens=False).ids if text else []


def encode_many(tok: Tokenizer, texts: list[str]) -> list[list[int]]:
    return [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)] if texts else []


def decode(tok: Tokenizer, ids) -> str:
    return tok.decode(list(ids), skip_special_tokens=False)


def train_bpe(texts: Iterable[str], vocab_size: int, out: str | Path, min_frequency: int = 2) -> Tokenizer:
    """Train a byte-level BPE with no special tokens (docsynth adds its own ids after V_text)."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tok.save(str(out))
    return tok
