#!/usr/bin/env bash
# Install everything docsynth needs on a fresh Debian/Ubuntu machine; safe to run again.
#   system: fonts (DejaVu, Liberation, Noto CJK), Tesseract, poppler-utils, Chromium
#   python: torch (CPU wheel first, so pip does not pull a CUDA build), then docsynth[dev]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0}

APT_PACKAGES=(fonts-dejavu-core fonts-liberation2 fonts-noto-cjk tesseract-ocr tesseract-ocr-eng poppler-utils chromium)
if command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "bootstrap: installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
else
  echo "bootstrap: no apt-get; install fonts, tesseract, poppler-utils and chromium yourself" >&2
fi

export PIP_DISABLE_PIP_VERSION_CHECK=1
if ! $PY -c "import torch" >/dev/null 2>&1; then
  echo "bootstrap: installing $TORCH_SPEC (CPU)"
  $PY -m pip install -q "$TORCH_SPEC" || $PY -m pip install -q "$TORCH_SPEC" --index-url https://download.pytorch.org/whl/cpu
fi
$PY -m pip install -q -e ".[dev]"
# Triton runs the loss kernels in its interpreter on CPU (tests/model/test_loss.py); optional, large.
if ! $PY -c "import triton" >/dev/null 2>&1; then
  $PY -m pip install -q "triton>=3.0" || echo "bootstrap: triton unavailable here; its interpreter test will skip" >&2
fi
$PY -m ipykernel install --user --name python3 >/dev/null 2>&1 || true
echo "bootstrap: ok ($($PY -c 'import torch, fitz; print("torch", torch.__version__, "| pymupdf", fitz.VersionBind)'))"
