"""docsynth: a data engine for interleaved document models."""
__version__ = "0.1.0"
