"""The vocabulary spec (DESIGN §4): one id space for text, specials and G pools of K codes.

```
[0, V_text)                  text tokenizer ids
[V_text, V_text + S)         specials, in SPECIALS order, then <size0> … <size{M-1}>
[B, B + G*K), B = V_text+S   image codes: pool g holds code c at B + g*K + c
```
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

SPECIALS = (
    "<bos>", "<eos>", "<pad>",
    "<para>", "</para>", "<box>", "</box>",
    "<image>", "</image>", "<size>", "</size>", "<image_pad>",
    "<page>", "</page>", "<look>", "</look>",
)  # fmt: skip
# Version 1 corpora list the first 12 (no page or look tags); they stay readable with their own layout.
VOCAB_VERSION = 2
# Any special token spelled in serialized text (independent of the vocabulary's sizes).
SPECIAL_PATTERN = re.compile("|".join(re.escape(s) for s in sorted(SPECIALS, key=len, reverse=True)) + r"|<size\d+>")


@dataclass(frozen=True)
class VocabSpec:
    text_vocab_size: int  # V_text
    num_sizes: int  # M = max(coord_bins, largest grid side)
    coord_bins: int  # N of DESIGN §3
    G: int  # code heads (pools)
    K: int  # codes per pool
    tokenizer: str = "default"  # which text tokenizer produced ids [0, V_text)
    tokenizer_sha256: str = ""  # checksum of the tokenizer file
    vision_tokenizer: str = ""  # file name of the vision tokenizer checkpoint that made the codes ("": not recorded)
    patch: int = 0  # pixels per side of its image patch, one code row each (0: not recorded, by older docsynth)
    specials: tuple[str, ...] = SPECIALS  # the named specials, in id order (a prefix of SPECIALS)

    def __post_init__(self):
        if self.num_sizes < self.coord_bins:
            raise ValueError(f"num_sizes ({self.num_sizes}) must be >= coord_bins ({self.coord_bins})")
        if tuple(self.specials) != SPECIALS[: len(self.specials)] or len(self.specials) < 12:
            raise ValueError(f"vocab.specials: {list(self.specials)} is not a prefix of {list(SPECIALS)}")
        for name in ("text_vocab_size", "G", "K", "coord_bins"):
            if getattr(self, name) < 1:
                raise ValueError(f"vocab.{name}: must be positive")
        if self.patch < 0:
            raise ValueError(f"vocab.patch: must be >= 0 (0: not recorded), got {self.patch}")

    # ------------------------------------------------------------------ layout
    @cached_property
    def special_names(self) -> tuple[str, ...]:
        return tuple(self.specials) + tuple(f"<size{k}>" for k in range(self.num_sizes))

    @property
    def num_specials(self) -> int:  # S
        return len(self.specials) + self.num_sizes

    @property
    def code_base(self) -> int:  # B
        return self.text_vocab_size + self.num_specials

    @property
    def size(self) -> int:  # total V
        return self.code_base + self.G * self.K

    @cached_property
    def _special_ids(self) -> dict[str, int]:
        return {name: self.text_vocab_size + i for i, name in enumerate(self.special_names)}

    def special(self, name: str) -> int:
        try:
            return self._special_ids[name]
        except KeyError:
            raise KeyError(f"{name!r} is not a special token of this vocabulary") from None

    def size_id(self, k: int) -> int:
        if not 0 <= k < self.num_sizes:
            raise ValueError(f"<size{k}> is outside this vocabulary (M = {self.num_sizes})")
        return self.text_vocab_size + len(self.specials) + k

    def code_row(self, codes: np.ndarray) -> np.ndarray:
        """(..., G) codes in [0, K) -> (..., G) global ids B + g*K + c."""
        offsets = self.code_base + np.arange(self.G, dtype=np.int64) * self.K
        return (codes.astype(np.int64) + offsets).astype(np.int32)

    def codes_from_rows(self, rows: np.ndarray) -> np.ndarray:
        offsets = self.code_base + np.arange(self.G, dtype=np.int64) * self.K
        return (rows.astype(np.int64) - offsets).astype(np.int32)

    def id_name(self, i: int) -> str:
        """Readable name of one id (for inspection)."""
        if i < self.text_vocab_size:
            return f"t{i}"
        if i < self.code_base:
            return self.special_names[i - self.text_vocab_size]
        g, c = divmod(i - self.code_base, self.K)
        return f"c{g}:{c}"

    @property
    def special_pattern(self) -> re.Pattern:
        """Matches any special token spelled in serialized text."""
        return SPECIAL_PATTERN

    # ------------------------------------------------------------------ io
    def to_json(self) -> dict:
        return {
            "version": VOCAB_VERSION if len(self.specials) > 12 else 1,
            "text_vocab_size": self.text_vocab_size,
            "tokenizer": self.tokenizer,
            "tokenizer_sha256": self.tokenizer_sha256,
            "coord_bins": self.coord_bins,
            "num_sizes": self.num_sizes,
            "G": self.G,
            "K": self.K,
            "vision_tokenizer": self.vision_tokenizer,
            "patch": self.patch,
            "specials": list(self.specials),
            "special_base": self.text_vocab_size,
            "num_specials": self.num_specials,
            "code_base": self.code_base,
            "vocab_size": self.size,
        }

    @classmethod
    def from_json(cls, d: dict) -> "VocabSpec":
        specials = tuple(d.get("specials", ()))
        if specials != SPECIALS[: len(specials)] or len(specials) < 12:
            raise ValueError(f"vocab.json: its specials {list(specials)} are not this docsynth's {list(SPECIALS)} (or their first 12)")
        spec = cls(
            text_vocab_size=d["text_vocab_size"], num_sizes=d["num_sizes"], coord_bins=d["coord_bins"],
            G=d["G"], K=d["K"], tokenizer=d.get("tokenizer", ""), tokenizer_sha256=d.get("tokenizer_sha256", ""),
            vision_tokenizer=d.get("vision_tokenizer", ""), patch=d.get("patch", 0),
            specials=specials,
        )  # fmt: skip
        if spec.size != d["vocab_size"] or spec.code_base != d["code_base"]:
            raise ValueError("vocab.json: vocab_size/code_base disagree with the listed sizes")
        return spec

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=2) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> "VocabSpec":
        p = Path(path)
        if p.is_dir():
            p = p / "vocab.json"
        try:
            return cls.from_json(json.loads(p.read_text()))
        except (OSError, json.JSONDecodeError, KeyError) as e:
            raise ValueError(f"{p}: not a readable docsynth vocab.json ({e})") from e
