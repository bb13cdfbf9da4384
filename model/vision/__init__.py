"""Multi-head vision tokenizer (DESIGN §6): conv autoencoder, G heads, one code pool per head."""

from .autoencoder import MultiHeadAutoencoder, VisionTokenizerConfig
from .quantizers import FSQ, QUANTIZERS, VQ
from .tokenizer import VisionTokenizer

__all__ = [
    "FSQ",
    "QUANTIZERS",
    "VQ",
    "MultiHeadAutoencoder",
    "VisionTokenizer",
    "VisionTokenizerConfig",
]
