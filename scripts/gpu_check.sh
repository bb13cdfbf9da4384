#!/usr/bin/env bash
# The CUDA checks of the trainer stack in one command, for any machine with an NVIDIA GPU and a
# CUDA build of PyTorch (with Triton): the CUDA tests (Triton loss kernel, FlexAttention block
# masks, the gpu-small preset), the loss and mask benchmarks on CUDA, and a gpu-small training
# run on a synthetic corpus. Every step runs even when an earlier one fails; the exit status is
# the number of failed steps. Logs go to OUTDIR (default gpu_check/). It also measures the vision
# tokenizer on CUDA: time per page and how many codes differ from the CPU's.
#
#   bash scripts/gpu_check.sh [OUTDIR]
#
# Offline machines: only webdataset and braceexpand are needed beyond PyTorch, Triton,
# tokenizers, numpy, pytest and hypothesis. `make gpu-wheels` downloads them into .whl/ on a
# machine with PyPI; carry .whl/ along and this script installs from it without an index.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-gpu_check}
PY=${PY:-python3}
STEPS=${STEPS:-60}
mkdir -p "$OUT"
failed=0

step() {  # step NAME COMMAND...: run, log to OUT/NAME.txt, count a failure
    local name=$1
    shift
    echo "== $name: $*"
    "$@" >"$OUT/$name.txt" 2>&1
    local rc=$?
    if [ "$rc" -eq 0 ]; then
        tail -n 25 "$OUT/$name.txt"
    else
        failed=$((failed + 1))
        echo "!! $name failed (exit $rc); last lines:"
        tail -n 40 "$OUT/$name.txt"
    fi
    return "$rc"
}

if ! $PY -c "import webdataset" 2>/dev/null; then
    if [ -d .whl ]; then
        $PY -m pip install -q --no-index --find-links .whl webdataset braceexpand
    else
        $PY -m pip install -q webdataset braceexpand
    fi
fi
if ! $PY -c "import docsynth.model.loss" 2>/dev/null; then
    $PY -m pip install -q --no-deps --no-build-isolation -e . # the package mapping of model/ etc.
fi

step env $PY -c "import torch, triton; print('torch', torch.__version__, 'triton', triton.__version__); \
assert torch.cuda.is_available(), 'no CUDA device'; print(torch.cuda.get_device_name(), torch.cuda.get_device_capability())" \
    || { echo "gpu_check: no usable CUDA PyTorch + Triton here; nothing else run"; exit 1; }
step pytest_cuda $PY -m pytest -q -p no:cacheprovider -rs tests/model/test_loss.py tests/model/test_masks.py \
    tests/model/test_transformer.py tests/model/test_train.py tests/model/test_vision_device.py -k "cuda or flex or triton"
step bench_loss $PY bench/loss.py --device cuda
step bench_masks $PY bench/masks.py --device cuda
step bench_vision $PY bench/vision.py --device cuda
step corpus $PY -c "import sys; sys.path.insert(0, 'bench'); from pathlib import Path; import loader; \
loader.synth_corpus(Path('$OUT/corpus'), shards=8, per_shard=64, grid=(77, 99), G=8, K=1024, seed=0)"
rm -rf "$OUT/run"
step train_gpu_small $PY -m docsynth train --data "$OUT/corpus" --preset gpu-small --steps "$STEPS" \
    --out "$OUT/run" --mask block --format A --log-every 10
[ -f "$OUT/run/metrics.jsonl" ] && tail -n 3 "$OUT/run/metrics.jsonl"
echo "gpu_check: $failed failed step(s); logs in $OUT/"
exit "$failed"
