"""A wheel maps model/, pipelines/ and schemas/ under `docsynth` and ships the assets (DESIGN §1)."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_layout(tmp_path):
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q",
                        "-w", str(tmp_path)], capture_output=True, text=True)  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    names = zipfile.ZipFile(next(tmp_path.glob("docsynth-*.whl"))).namelist()
    assert {n.split("/")[0] for n in names} == {"docsynth", next(n.split("/")[0] for n in names if ".dist-info" in n)}
    for want in ("docsynth/model/loss.py", "docsynth/model/vision/tokenizer.py", "docsynth/pipelines/synth.py",
                 "docsynth/schemas/sample.schema.json", "docsynth/assets/tokenizer.json", "docsynth/assets/vision_tokenizer.pt"):  # fmt: skip
        assert want in names, want
