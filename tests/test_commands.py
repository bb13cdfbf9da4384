"""The command line's own plumbing: passthrough options, unknown options, exit codes."""

import subprocess
import sys


def run(*args):
    return subprocess.run([sys.executable, "-m", "docsynth", *args], capture_output=True, text=True)


def test_unknown_option_is_an_error_naming_it(tmp_path):
    r = run("generate", "--out", str(tmp_path / "x"), "--bogus")
    assert r.returncode == 2 and "--bogus" in r.stderr


def test_vision_tokenizer_training_takes_its_own_options(tmp_path):
    assert "--quantizer" in run("tokenizer", "train", "vision", "--help").stdout
    out = tmp_path / "v.pt"
    r = run("tokenizer", "train", "vision", "--out", str(out), "--steps", "2", "--crop", "32", "--batch-size", "2",
            "--pool-size", "2", "--eval-pages", "1", "--data", "render")  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    assert out.is_file() and "held-out" in r.stdout


def test_text_tokenizer_training(tmp_path):
    out = tmp_path / "tok.json"
    r = run("tokenizer", "train", "text", "--out", str(out), "--num-docs", "20", "--vocab-size", "300")
    assert r.returncode == 0, r.stderr[-2000:]
    from docsynth import text_tokenizer as tt

    tok = tt.load(str(out))
    assert tt.decode(tok, tt.encode(tok, "Привет, world")) == "Привет, world"


def test_validate_of_a_missing_corpus_fails_naming_it(tmp_path):
    r = run("validate", str(tmp_path / "nope"))
    assert r.returncode == 1 and "nope" in r.stdout


def test_gpu_check_script_stops_cleanly_without_cuda(tmp_path):
    import os
    from pathlib import Path

    import pytest
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA machine runs the whole script (make gpu-check)")
    script = Path(__file__).resolve().parents[1] / "scripts" / "gpu_check.sh"
    env = {**os.environ, "PY": sys.executable}
    done = subprocess.run(["bash", str(script), str(tmp_path / "out")], capture_output=True, text=True, env=env)
    assert done.returncode == 1
    assert "no usable CUDA PyTorch + Triton here; nothing else run" in done.stdout
    assert (tmp_path / "out" / "env.txt").exists() and not (tmp_path / "out" / "pytest_cuda.txt").exists()
