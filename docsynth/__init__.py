"""docsynth: a data engine for interleaved document models."""

import sys

__version__ = "0.1.0"


def _import_pymupdf_without_layout() -> None:
    """PyMuPDF 2.0 imports `pymupdf.layout` (an ONNX layout model, ~1.5 s CPU) at import time.

    docsynth never uses it, and every worker process would pay for it. Block that one
    submodule while PyMuPDF initializes (its import is guarded by `except ImportError`),
    then unblock it so user code can still `import pymupdf.layout` explicitly.
    """
    if "pymupdf" in sys.modules or "pymupdf.layout" in sys.modules:
        return
    sys.modules["pymupdf.layout"] = None  # type: ignore[assignment]
    try:
        import pymupdf  # noqa: F401
    except ImportError:
        pass
    finally:
        if sys.modules.get("pymupdf.layout", 0) is None:
            del sys.modules["pymupdf.layout"]


_import_pymupdf_without_layout()
