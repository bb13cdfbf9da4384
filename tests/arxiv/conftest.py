"""Session fixtures for the arXiv tests: the PDFs the project builds (with truth), a tiny vision tokenizer."""

from __future__ import annotations

from pathlib import Path

import pytest

from docsynth.arxiv.samples import write_fixtures


@pytest.fixture(scope="session")
def fx(tmp_path_factory) -> dict[str, Path]:
    """name -> path of every fixture PDF (good ones have <name>.truth.json beside them)."""
    return write_fixtures(tmp_path_factory.mktemp("arxiv_fixtures"))


@pytest.fixture(scope="session")
def tiny_vision(tmp_path_factory) -> Path:
    """An untrained, very small vision tokenizer checkpoint (the corpus test must not need the shipped one)."""
    import torch

    from docsynth.model.vision.autoencoder import MultiHeadAutoencoder, VisionTokenizerConfig
    from docsynth.model.vision.tokenizer import VisionTokenizer

    torch.manual_seed(0)
    cfg = VisionTokenizerConfig(channels=1, widths=(4, 4, 8), latent=8, heads=2, levels=(4, 4))
    path = tmp_path_factory.mktemp("vision") / "tiny.pt"
    VisionTokenizer(MultiHeadAutoencoder(cfg)).save(path)
    return path
