"""`docsynth train`: cpu-tiny lowers the loss, checkpoint/resume continues exactly, the
vocab-parallel head equals one process, and the GPU preset runs where CUDA exists."""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

import pytest
import torch
from docsynth.model.data import make_loader
from docsynth.model.parallel import Dist, VocabParallelHead
from docsynth.model.train import row_losses
from docsynth.model.transformer import ModelConfig, Transformer, attention_mask

from docsynth.commands import train as train_command

try:
    from test_data import write_corpus
except ImportError:  # tests collected as a package
    from tests.model.test_data import write_corpus

torch.set_num_threads(1)


def docsynth_train(*argv: str) -> int:
    """`docsynth train ARGV` through the command's own parser, as the CLI registers it."""
    parser = argparse.ArgumentParser(prog="docsynth")
    train_command.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["train", *argv])
    return args.func(args)


def metrics(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("train-corpus")
    write_corpus(root, shards=4, per_shard=8, seed=11, page_hw=((4, 9), (4, 9)))
    return root


SMALL = ("--preset", "cpu-tiny", "--seq-len", "128", "--batch-size", "4", "--log-every", "100")


def test_cpu_tiny_lowers_the_loss(corpus, tmp_path, capsys):
    assert docsynth_train("--data", str(corpus), "--out", str(tmp_path), "--steps", "24", *SMALL) == 0
    rows = metrics(tmp_path)
    assert [r["step"] for r in rows] == list(range(24))
    for r in rows:
        assert set(r) >= {"step", "loss", "text_loss", "image_loss_minus_logG", "tokens_per_s", "lr"}
    first = sum(r["loss"] for r in rows[:4]) / 4
    last = sum(r["loss"] for r in rows[-4:]) / 4
    assert last < first - 0.5, (first, last)
    assert (tmp_path / "latest.pt").is_file() and (tmp_path / "ckpt-00024.pt").is_file()
    assert "step 24: loss" in capsys.readouterr().out


def test_block_strategy_on_format_b_trains(corpus, tmp_path):
    docsynth_train("--data", str(corpus), "--out", str(tmp_path), "--steps", "6", "--mask", "block",
                   "--format", "B", *SMALL)  # fmt: skip
    rows = metrics(tmp_path)
    assert len(rows) == 6 and all(torch.isfinite(torch.tensor(r["loss"])) for r in rows)
    assert any(r["image_loss_minus_logG"] is not None for r in rows)  # target blocks of write samples


def test_resume_continues_the_step_count_and_the_data(corpus, tmp_path):
    whole, part = tmp_path / "whole", tmp_path / "part"
    docsynth_train("--data", str(corpus), "--out", str(whole), "--steps", "8", "--ckpt-every", "4", *SMALL)
    part.mkdir()
    shutil.copy(whole / "ckpt-00004.pt", part / "latest.pt")  # as if the run had stopped after step 4
    (part / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in metrics(whole)))  # incl. lost steps
    docsynth_train("--data", str(corpus), "--out", str(part), "--steps", "8", "--resume", *SMALL)
    resumed, reference = metrics(part), metrics(whole)
    assert [r["step"] for r in resumed] == list(range(8))  # lines after the checkpoint were replaced
    for a, b in zip(resumed[4:], reference[4:]):
        for key in ("loss", "text_loss", "image_loss_minus_logG", "lr", "grad_norm"):
            assert a[key] == pytest.approx(b[key], rel=1e-6, abs=1e-9), (a["step"], key)
    ckpt = torch.load(part / "latest.pt", weights_only=True)
    assert ckpt["step"] == 8 and ckpt["loader"][0]["batches"] == 8
    assert docsynth_train("--data", str(corpus), "--out", str(part), "--steps", "8", "--resume", *SMALL) == 0
    with pytest.raises(ValueError, match="--resume"):  # a fresh run never overwrites a checkpoint
        docsynth_train("--data", str(corpus), "--out", str(part), "--steps", "8", *SMALL)


# --------------------------------------------------------------------------- vocab parallel


def _vp_worker(rank: int, world: int, init: str, corpus: str, out: str) -> None:
    import torch.distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init}", rank=rank, world_size=world)
    batch, model = _vp_setup(corpus, rank, world)
    head = VocabParallelHead(model, Dist(rank=rank, world_size=world, local_rank=rank))
    hidden = model(batch["inputs"], attention_mask("causal", batch["doc_ids"], batch["block_ids"]))
    rows, targets, weights = row_losses(model, head, hidden, batch)
    assert torch.equal(weights > 0, (targets != -100).any(1))  # gathered with the rows; padding rows weigh 0
    loss = (rows * weights).sum() / weights.sum()
    loss.backward()
    grads = {}
    for name, p in model.named_parameters():
        if name == head.param_name:
            grads[name] = head.full(p.grad)
        else:  # what DDP does to the trunk: average over ranks
            dist.all_reduce(p.grad)
            grads[name] = p.grad / world
    if rank == 0:
        torch.save({"loss": loss.detach(), "grads": grads}, out)
    dist.destroy_process_group()


def _vp_setup(corpus: str, rank: int, world: int):
    loader = make_loader(corpus, seq_len=48, batch_size=2, rank=rank, world_size=world, epochs=1, shuffle_buffer=1)
    batch = next(iter(loader))
    gen = torch.Generator().manual_seed(rank)  # uneven loss weights: they must travel with their rows
    batch["loss_weights"] = batch["loss_weights"] * torch.rand(batch["loss_weights"].shape, generator=gen).add(0.5)
    torch.manual_seed(0)
    cfg = ModelConfig.from_vocab(loader.vocab, dim=32, n_layers=1, n_heads=2, code_dim=16)
    return batch, Transformer(cfg)


def test_vocab_parallel_head_equals_one_process(tmp_path):
    corpus, world, out = tmp_path / "corpus", 2, tmp_path / "vp.pt"
    write_corpus(corpus, shards=2, per_shard=4, seed=5, G=3, K=15)  # V = 389: the last rank holds a padding id
    ctx = torch.multiprocessing.get_context("spawn")  # a fork would copy whatever threads earlier tests left running
    procs = [ctx.Process(target=_vp_worker, args=(r, world, str(tmp_path / "init"), str(corpus), str(out)))
             for r in range(world)]  # fmt: skip
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert all(p.exitcode == 0 for p in procs), [p.exitcode for p in procs]
    got = torch.load(out, weights_only=True)

    batches, model = zip(*(_vp_setup(str(corpus), r, world) for r in range(world)))
    model = model[0]
    rows_all, weights_all = [], []
    for b in batches:  # one process over both ranks' rows: the global weighted mean
        hidden = model(b["inputs"], attention_mask("causal", b["doc_ids"], b["block_ids"]))
        rows, _, weights = row_losses(model, None, hidden, b)
        rows_all.append(rows)
        weights_all.append(weights)
    rows, weights = torch.cat(rows_all), torch.cat(weights_all)
    loss = (rows * weights).sum() / weights.sum()
    loss.backward()
    torch.testing.assert_close(got["loss"], loss.detach(), rtol=1e-5, atol=1e-6)
    for name, p in model.named_parameters():
        torch.testing.assert_close(got["grads"][name], p.grad, rtol=1e-4, atol=1e-6, msg=name)


def _ddp_worker(rank: int, world: int, port: int, argv: tuple) -> None:
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world), MASTER_ADDR="127.0.0.1",
                      MASTER_PORT=str(port))  # what torchrun sets  # fmt: skip
    torch.set_num_threads(1)
    docsynth_train(*argv)


def _torchrun(world: int, *argv: str) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ctx = torch.multiprocessing.get_context("spawn")  # a fork would copy whatever threads earlier tests left running
    procs = [ctx.Process(target=_ddp_worker, args=(r, world, port, argv)) for r in range(world)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
    for p in procs:  # a rank still running after the wait is hung: end it, or the test process never exits
        if p.is_alive():
            p.kill()
            p.join(10)
    assert [p.exitcode for p in procs] == [0] * world


@pytest.mark.slow
def test_ddp_with_vocab_parallel_head_checkpoints_and_resumes(corpus, tmp_path):
    whole, part = tmp_path / "whole", tmp_path / "part"
    args = ("--data", str(corpus), "--steps", "4", "--ckpt-every", "2", "--vocab-parallel", *SMALL)
    _torchrun(2, "--out", str(whole), *args)
    ckpt = torch.load(whole / "ckpt-00002.pt", weights_only=True)
    assert ckpt["model"]["head.weight"].shape[0] == ckpt["model_config"]["vocab_size"]  # gathered, unpadded
    assert len(ckpt["loader"]) == 2  # one loader state per rank
    part.mkdir()
    shutil.copy(whole / "ckpt-00002.pt", part / "latest.pt")
    _torchrun(2, "--out", str(part), "--resume", *args)
    for a, b in zip(metrics(part), metrics(whole)[2:]):
        assert a["step"] == b["step"] and a["loss"] == pytest.approx(b["loss"], rel=1e-5)


# --------------------------------------------------------------------------- real corpus and GPU


@pytest.mark.slow
def test_trains_on_a_generated_corpus(tmp_path):
    from docsynth import cli

    code = cli.main(["generate", "--source", "faker", "--num-docs", "4", "--out", str(tmp_path / "c"), "--seed", "0"])
    assert code == 0 and (tmp_path / "c" / ".docsynth" / "index.json").exists()
    run = tmp_path / "run"
    docsynth_train("--data", str(tmp_path / "c"), "--out", str(run), "--steps", "16", "--preset", "cpu-tiny",
                   "--seq-len", "256", "--batch-size", "2", "--log-every", "100")  # fmt: skip
    rows = metrics(run)
    assert sum(r["loss"] for r in rows[-3:]) < sum(r["loss"] for r in rows[:3])


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA (bf16, torch.compile, FlexAttention)")
def test_gpu_small_runs_on_cuda(corpus, tmp_path):
    docsynth_train("--data", str(corpus), "--out", str(tmp_path), "--steps", "4", "--preset", "gpu-small",
                   "--seq-len", "256", "--batch-size", "2", "--device", "cuda")  # fmt: skip
    rows = metrics(tmp_path)
    assert len(rows) == 4 and all(torch.isfinite(torch.tensor(r["loss"])) for r in rows)


def test_bad_arguments_name_the_option(corpus, tmp_path):
    with pytest.raises(ValueError, match="--preset"):
        docsynth_train("--data", str(corpus), "--out", str(tmp_path), "--preset", "tpu-huge")
    with pytest.raises(ValueError, match="vocab-parallel"):
        docsynth_train("--data", str(corpus), "--out", str(tmp_path), "--vocab-parallel", "--steps", "1", *SMALL)
    assert os.environ.get("WORLD_SIZE", "1") == "1"


def generated_with(ckpt, out: Path, num_docs: int, G: int):
    """A faker corpus generated into `out` with the vision checkpoint `ckpt` and validated; returns its first
    sample, after checking that its token rows and codes are G wide."""
    from docsynth import cli
    from docsynth.corpus import Corpus

    assert cli.main(["generate", "--source", "faker", "--num-docs", str(num_docs), "--out", str(out), "--seed", "0",
                     "--set", f"vision.checkpoint={ckpt}"]) == 0  # fmt: skip
    assert cli.main(["validate", str(out)]) == 0
    corpus = Corpus(str(out))
    assert corpus.vocab.G == G
    sample = next(iter(corpus.samples(1)))
    assert sample.tokens("a").shape[1] == G and sample.codes().shape[2] == G
    return sample


@pytest.mark.slow
def test_one_code_per_patch_end_to_end(tmp_path):
    """G = 1: a one-head tokenizer the test trains, a corpus generated with it, validated, trained on."""
    from docsynth import cli

    ckpt = tmp_path / "g1.pt"
    assert cli.main(["tokenizer", "train", "vision", "--out", str(ckpt), "--heads", "1", "--steps", "20", "--crop", "32",
                     "--batch-size", "4", "--pool-size", "4", "--eval-pages", "0"]) == 0  # fmt: skip
    out = tmp_path / "c"
    generated_with(ckpt, out, num_docs=3, G=1)
    run = tmp_path / "run"
    docsynth_train("--data", str(out), "--out", str(run), "--steps", "16", "--preset", "cpu-tiny",
                   "--seq-len", "256", "--batch-size", "2", "--log-every", "100")  # fmt: skip
    rows = metrics(run)
    assert sum(r["loss"] for r in rows[-3:]) < sum(r["loss"] for r in rows[:3])


def test_trains_on_a_mixture_and_resumes(tmp_path):
    """`--data A:0.7 --data B:0.3`: rows from both corpora; a resumed run continues the mixture."""
    a, b = tmp_path / "a", tmp_path / "b"
    write_corpus(a, shards=2, per_shard=6, seed=1, page_hw=((4, 9), (4, 9)))
    write_corpus(b, shards=2, per_shard=6, seed=2, page_hw=((4, 9), (4, 9)))
    run = tmp_path / "run"
    mix = ("--data", f"{a}:0.7", "--data", f"{b}:0.3")
    assert docsynth_train(*mix, "--out", str(run), "--steps", "6", "--ckpt-every", "3", *SMALL) == 0
    assert docsynth_train(*mix, "--out", str(run), "--steps", "10", "--resume", *SMALL) == 0
    assert [r["step"] for r in metrics(run)] == list(range(10))
    (state,) = torch.load(run / "latest.pt", weights_only=False)["loader"]  # one rank
    assert state["mixture"] == [f"{a}", f"{b}"] and state["rows"] == 10 * 4


@pytest.mark.slow
def test_trains_on_pixels(tmp_path):
    """`--image-input pixels`: image positions take raw patches from the stored pages; the loss falls."""
    from docsynth import cli

    assert cli.main(["generate", "--source", "faker", "--num-docs", "3", "--out", str(tmp_path / "c"), "--seed", "0"]) == 0
    run = tmp_path / "run"
    docsynth_train("--data", str(tmp_path / "c"), "--out", str(run), "--steps", "16", "--preset", "cpu-tiny", "--image-input",
                   "pixels", "--seq-len", "256", "--batch-size", "2", "--log-every", "100")  # fmt: skip
    rows = metrics(run)
    assert sum(r["loss"] for r in rows[-3:]) < sum(r["loss"] for r in rows[:3])
    assert torch.load(run / "latest.pt", weights_only=False)["model_config"]["pixel_dim"] == 16 * 16  # the default's patch, from vocab.json
