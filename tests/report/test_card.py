import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from docsynth.card import render_card
from docsynth.corpus import Corpus


@pytest.fixture(scope="module")
def card(corpus) -> str:
    return (Path(corpus) / "README.md").read_text()


def test_front_matter_points_datasets_at_the_shards(corpus, card):
    front = yaml.safe_load(card.split("---\n")[1])
    (cfg,) = front["configs"]
    (files,) = cfg["data_files"]
    assert sorted(p.name for p in Path(corpus).glob(files["path"])) == sorted(Corpus(corpus).shards)


def test_card_states_counts_vocabulary_and_config(corpus, card):
    c = Corpus(corpus)
    t, v = c.index["totals"], c.vocab
    row = [t["docs_in"], t["docs_written"], t["docs_dropped"], c.index["num_samples"], c.index["num_shards"]]
    assert "| " + " | ".join(map(str, row)) + " |" in card
    for reason, n in c.index["dropped_by_reason"].items():
        assert f"`{reason}` {n}" in card
    assert f"`[{v.code_base}, {v.size})`" in card and f"`{v.code_base} + g*{v.K} + c`" in card
    assert f"`[0, {v.text_vocab_size})`" in card
    config = re.search(r"## Config\n\n```json\n(.*?)\n```", card, re.DOTALL).group(1)
    assert json.loads(config) == c.config
    assert "<image_pad>×" in card and "## Statistics" in card


def test_card_is_deterministic(corpus, card):
    c = Corpus(corpus)
    assert render_card(c.store, c.plan, c.index) == card


def test_loading_snippets_run(corpus, card, tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", card, re.DOTALL)
    assert len(blocks) == 2
    checks = ["assert tokens.ndim == 2 and len(meta['elements']) > 0 and len(ds) > 0", "assert tokens.shape[1] > 0"]
    script = "\n".join(b.replace('"OUT', f'"{corpus}') + check for b, check in zip(blocks, checks))
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300, check=False)
    assert run.returncode == 0, run.stderr[-2000:]


def test_card_lists_element_types_and_degradations(corpus, card):
    """Element types and scan degradations are counted from the samples themselves."""
    types, degraded, ops = {}, 0, {}
    for s in Corpus(corpus).samples():
        for el in s.meta["elements"]:
            types[el["type"]] = types.get(el["type"], 0) + 1
        applied = s.layout["degradations"]
        degraded += bool(applied)
        for op in applied:
            ops[op["op"]] = ops.get(op["op"], 0) + 1
    line = next(ln for ln in card.splitlines() if ln.startswith("element types: "))
    assert all(f"{t} " in line for t in types)
    if degraded:
        scans = next(ln for ln in card.splitlines() if ln.startswith("degraded scans: "))
        assert all(f"{op} " in scans for op in ops)
    else:
        assert "degraded scans" not in card
