"""The reference trainer, top to bottom (after nanoGPT's train.py).

    setup: processes, run folder, loader, model, optimiser  ->  resume from RUN/latest.pt
    loop:  lr -> batch -> mask -> forward -> mixed-target loss -> backward -> step
           -> RUN/metrics.jsonl -> RUN/ckpt-XXXXX.pt + RUN/latest.pt

One process: `docsynth train ...`. Several GPUs: `torchrun --nproc-per-node N -m docsynth train
...` (DDP; `--vocab-parallel` shards the output head). All distribution is in `parallel.py`.
The logged image loss is `loss - log G` over image positions: 0 is a perfect prediction.
The learning rate warms up, then follows a cosine to `min_lr` at `--steps`; resuming with a
larger `--steps` stretches the rest of the schedule.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch
from docsynth.model import parallel
from docsynth.model.data import make_loader, parse_mixture
from docsynth.model.loss import image_loss_floor, mixed_target_cross_entropy
from docsynth.model.presets import OptimConfig, Preset, get_preset
from docsynth.model.transformer import ModelConfig, Transformer, attention_mask

log = logging.getLogger("docsynth.train")


@dataclass(kw_only=True)
class TrainConfig:
    data: str | list[str]  # corpus folder (vocab.json, .docsynth/index.json, data/*.tar) or its URL; several "corpus:weight": a mixture
    out: str  # run folder: metrics.jsonl, ckpt-XXXXX.pt, latest.pt
    preset: str = "cpu-tiny"  # a name in presets.PRESETS
    steps: int = 100  # optimiser steps in total (a resumed run counts the steps before it)
    mask: str = "causal"  # attention strategy: causal (A) or block (B)
    format: str = "A"  # token format read from the corpus: A or B
    direction_mix: str = "keep"  # keep every sample, or only "read" / "write" ones
    resume: bool = False  # continue from OUT/latest.pt
    seed: int = 0  # model initialisation and data order
    batch_size: int | None = None  # rows per step and rank (default: the preset's)
    seq_len: int | None = None  # positions per row (default: the preset's)
    device: str | None = None  # cpu or cuda (default: the preset's, cpu when no GPU is present)
    ckpt_every: int | None = None  # steps between checkpoints (default: the preset's)
    keep_checkpoints: int = 3  # ckpt-XXXXX.pt files kept besides latest.pt
    vocab_parallel: bool = False  # shard the output head over the vocabulary (needs torchrun)
    log_every: int = 10  # steps between progress lines (metrics.jsonl gets every step)
    image_input: str = "codes"  # what image positions take in: their codes, or their raw pixels (patch·patch grey)
    pixel_patch: int = 0  # pixels per patch side of the corpus's tokenizer (image_input "pixels"; 0: its vocab.json's)
    storage_options: dict = field(default_factory=dict)  # fsspec options for a `data` URL (not saved in checkpoints)

    def __post_init__(self):
        if self.steps < 1 or self.keep_checkpoints < 1 or self.log_every < 1:
            raise ValueError("train.steps, train.keep_checkpoints and train.log_every must be >= 1")
        if self.mask not in ("causal", "block"):
            raise ValueError(f"--mask: {self.mask!r} is not causal or block")
        if self.image_input not in ("codes", "pixels"):
            raise ValueError(f"--image-input: {self.image_input!r} is not codes or pixels")
        if self.format not in ("A", "B"):
            raise ValueError(f"--format: {self.format!r} is not A or B")
        if self.device not in (None, "cpu", "cuda") and not str(self.device).startswith("cuda:"):
            raise ValueError(f"--device: {self.device!r} is not cpu or cuda")


def train(cfg: TrainConfig) -> dict:
    # ------------------------------------------------------------------ setup
    preset = resolve_preset(cfg)
    d = parallel.init_distributed(preset.device)
    run = Path(cfg.out)
    ckpt = load_checkpoint(run, d) if cfg.resume else None
    if ckpt is None and (run / "latest.pt").exists():
        raise ValueError(f"--out {run}: holds a checkpoint already; pass --resume or choose another folder")
    run.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    if d.device.type == "cuda":
        torch.set_float32_matmul_precision("high")

    data = cfg.data
    if isinstance(data, (list, tuple)):  # --data given once: one corpus (a weight means nothing); more: a mixture
        data = parse_mixture(list(data))
        data = data[0][0] if len(data) == 1 else data
    loader = make_loader(data, seq_len=preset.seq_len, batch_size=preset.batch_size, format=cfg.format,
                         direction_mix=cfg.direction_mix, strategy=cfg.mask, seed=cfg.seed, rank=d.rank,
                         world_size=d.world_size, num_workers=preset.num_workers,
                         shuffle_buffer=preset.shuffle_buffer, storage_options=cfg.storage_options,
                         pixels=cfg.image_input == "pixels", patch=cfg.pixel_patch)  # fmt: skip
    vocab = loader.vocab
    pixel_dim = (cfg.pixel_patch or vocab.patch) ** 2 if cfg.image_input == "pixels" else 0
    model_cfg = ModelConfig.from_vocab(vocab, **asdict(preset.model), attention=preset.attention, pixel_dim=pixel_dim)
    model = Transformer(model_cfg).to(d.device)
    head = parallel.VocabParallelHead(model, d) if cfg.vocab_parallel else None
    optimizer = make_optimizer(model, preset.optim, d.device)
    step = restore(ckpt, model, optimizer, loader, head, d) if ckpt else 0
    if preset.compile:
        for block in model.blocks:
            block.compile()
    ddp = parallel.wrap_ddp(model, d, ignore=(head.param_name,) if head else ())
    amp = torch.autocast(d.device.type, dtype=torch.bfloat16, enabled=preset.dtype == "bfloat16")
    if d.is_main:
        log.info("%s on %s x%d: %.2fM parameters (%.2fM without embeddings), step %d of %d", preset.name,
                 d.device, d.world_size, model.num_params() / 1e6, model.num_params(False) / 1e6, step, cfg.steps)  # fmt: skip
        trim_metrics(run / "metrics.jsonl", step)

    # ------------------------------------------------------------------ loop
    batches, floor, last = iter(loader), image_loss_floor(vocab.G), {}
    try:
        while step < cfg.steps:
            lr = lr_at(step, preset.optim, cfg.steps)
            for group in optimizer.param_groups:
                group["lr"] = lr
            t0 = time.perf_counter()
            batch = {k: v.to(d.device, non_blocking=True) for k, v in next(batches).items() if torch.is_tensor(v)}
            mask = attention_mask(cfg.mask, batch["doc_ids"], batch["block_ids"], preset.attention)
            with amp:
                hidden = ddp(batch["inputs"], mask, batch.get("pixels"))  # (B, L, D)
                rows, targets, weights = row_losses(model, head, hidden, batch)  # (N,), (N, G), (N,)
            valid = (targets != -100).any(1)  # (N,) padding rows of a vocab-parallel gather are ignored
            loss = (rows * weights).sum() / weights.sum().clamp_min(1e-6)  # the loader's loss weights
            loss.backward()
            clip = preset.optim.grad_clip or float("inf")
            grad_norm = head.clip_grad_norm_(clip) if head else torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            if d.device.type == "cuda":
                torch.cuda.synchronize()
            dt = time.perf_counter() - t0
            last = step_metrics(step, rows.detach(), targets, valid, batch, lr, grad_norm, dt, vocab, floor, d)
            step += 1
            if d.is_main:
                write_metrics(run, last, cfg, echo=step % cfg.log_every == 0 or step == cfg.steps)
            if step % preset.ckpt_every == 0 or step == cfg.steps:
                save_checkpoint(run, step, model, optimizer, loader, head, cfg, preset, vocab, d)
        parallel.barrier(d)  # every rank done before any tears down gloo: a rank that exited first aborted another
    finally:
        stats = dict(loader.stats)
        parallel.shutdown(d)
    return {"step": step, "last": last, "loader": stats, "rank": d.rank}


# ---------------------------------------------------------------------- pieces of the loop


def row_losses(model, head, hidden, batch):
    """Per-row mixed-target loss of the positions that have a target (N,), their targets (N, G)
    and their loss weights (N,) from the loader."""
    keep = batch["loss_mask"]  # (B, L)
    h, targets, weights = hidden[keep], batch["targets"][keep], batch["loss_weights"][keep]  # (N, D), (N, G), (N,)
    if head is None:
        logits = model.logits(h)  # (N, V); nothing else reads it: backward may reuse its storage
        rows = mixed_target_cross_entropy(logits, targets, reduction="none", inplace_backward=True)
        return rows, targets, weights
    logits, targets, weights = head(h, targets, weights)  # (N_all, V/world) this rank's vocabulary slice
    rows = mixed_target_cross_entropy(logits, targets, reduction="none", process_group=head.group)
    return rows, targets, weights


def step_metrics(step, rows, targets, valid, batch, lr, grad_norm, dt, vocab, floor, d) -> dict:
    """The metrics.jsonl record: losses over every rank's rows, tokens/s over every rank."""
    image = (targets[:, 0] >= vocab.code_base) & valid  # (N,)
    text = ~image & valid
    tokens = float((batch["doc_ids"] >= 0).sum())
    sums = torch.stack([rows[valid].sum(), valid.sum(), rows[text].sum(), text.sum(), rows[image].sum(),
                        image.sum()]).double().tolist()  # fmt: skip
    loss, n, t_sum, t_n, i_sum, i_n, tokens = parallel.all_sum([*sums, tokens], d)
    return {
        "step": step,
        "loss": loss / max(n, 1),
        "text_loss": t_sum / t_n if t_n else None,
        "image_loss_minus_logG": i_sum / i_n - floor if i_n else None,
        "tokens_per_s": tokens / max(dt, 1e-9),
        "lr": lr,
        "grad_norm": float(grad_norm),
    }


def write_metrics(run: Path, m: dict, cfg: TrainConfig, echo: bool) -> None:
    with open(run / "metrics.jsonl", "a") as f:
        f.write(json.dumps(m) + "\n")
    if echo:
        log.info("step %d/%d loss %.4f text %s image-logG %s %.0f tok/s", m["step"] + 1, cfg.steps, m["loss"],
                 _fmt(m["text_loss"]), _fmt(m["image_loss_minus_logG"]), m["tokens_per_s"])  # fmt: skip


def lr_at(step: int, o: OptimConfig, total: int) -> float:
    """Linear warmup to o.lr, then a cosine to o.min_lr at the last step."""
    if step < o.warmup_steps:
        return o.lr * (step + 1) / o.warmup_steps
    progress = min(1.0, (step - o.warmup_steps) / max(1, total - o.warmup_steps))
    return o.min_lr + 0.5 * (o.lr - o.min_lr) * (1 + math.cos(math.pi * progress))


def make_optimizer(model: Transformer, o: OptimConfig, device: torch.device) -> torch.optim.AdamW:
    """AdamW; weight decay on the matrices of the blocks and the head, not on norms or embeddings."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (decay if p.dim() >= 2 and "emb" not in name else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": o.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=o.lr, betas=o.betas, fused=device.type == "cuda")


def resolve_preset(cfg: TrainConfig) -> Preset:
    """The preset with the command line's overrides; on CPU: SDPA, float32, eager."""
    preset = get_preset(cfg.preset, batch_size=cfg.batch_size, seq_len=cfg.seq_len, ckpt_every=cfg.ckpt_every,
                        device=cfg.device)  # fmt: skip
    if preset.device.startswith("cuda") and not torch.cuda.is_available() and cfg.device is None:
        log.warning("preset %s wants CUDA and none is present: training on cpu", preset.name)
        preset = replace(preset, device="cpu")
    if preset.device == "cpu":  # FlexAttention has no CPU backward; bf16 and compile do not pay on CPU
        preset = replace(preset, attention="sdpa", dtype="float32", compile=False)
    return preset


def _fmt(x) -> str:
    return "-" if x is None else f"{x:.4f}"


# ---------------------------------------------------------------------- checkpoints


def _head_index(optimizer, model) -> int:
    params = [p for g in optimizer.param_groups for p in g["params"]]
    return next(i for i, p in enumerate(params) if p is model.head.weight)


def _saved_config(cfg: TrainConfig) -> dict:
    """The run's config for a checkpoint: storage option values (credentials, endpoints) stay out."""
    return {**asdict(cfg), "storage_options": sorted(cfg.storage_options)}


def save_checkpoint(run: Path, step, model, optimizer, loader, head, cfg, preset, vocab, d) -> None:
    """RUN/ckpt-{step:05d}.pt and RUN/latest.pt, written atomically by rank 0 (a collective call)."""
    loader_states = parallel.gather_objects(loader.state_dict(), d)
    model_state, optim_state = model.state_dict(), optimizer.state_dict()
    if head is not None:
        model_state, optim_state = head.full_state(model_state, optim_state, _head_index(optimizer, model))
    if d.is_main:
        obj = {"step": step, "model": model_state, "optimizer": optim_state, "loader": loader_states,
               "config": _saved_config(cfg), "preset": asdict(preset), "model_config": asdict(model.cfg),
               "vocab": vocab.to_json()}  # fmt: skip
        path = run / f"ckpt-{step:05d}.pt"
        tmp = run / f".tmp-{path.name}"
        torch.save(obj, tmp)
        os.replace(tmp, path)
        link = run / ".tmp-latest.pt"
        link.unlink(missing_ok=True)
        os.link(path, link)  # latest.pt: a second name for the same bytes, swapped in atomically
        os.replace(link, run / "latest.pt")
        for old in sorted(run.glob("ckpt-*.pt"))[: -cfg.keep_checkpoints]:
            old.unlink()
    parallel.barrier(d)


def load_checkpoint(run: Path, d) -> dict:
    path = run / "latest.pt"
    if not path.is_file():
        raise FileNotFoundError(f"--resume: {path} does not exist")
    return torch.load(path, map_location=d.device, weights_only=True)


def restore(ckpt: dict, model, optimizer, loader, head, d) -> int:
    """Load model, optimiser and this rank's loader state; returns the step to continue from."""
    model_state, optim_state = ckpt["model"], ckpt["optimizer"]
    if head is not None:
        model_state, optim_state = head.shard_state(model_state, optim_state, _head_index(optimizer, model))
    model.load_state_dict(model_state)
    optimizer.load_state_dict(optim_state)
    if len(ckpt["loader"]) != d.world_size:
        raise ValueError(f"--resume: the checkpoint was written by {len(ckpt['loader'])} ranks, this run has {d.world_size}")
    loader.load_state_dict(ckpt["loader"][d.rank])
    return int(ckpt["step"])


def trim_metrics(path: Path, step: int) -> None:
    """Drop metrics.jsonl lines at or after `step` (written after the checkpoint a resume starts from)."""
    if not path.exists():
        return
    lines = [ln for ln in path.read_text().splitlines() if ln.strip() and json.loads(ln)["step"] < step]
    path.write_text("".join(ln + "\n" for ln in lines))
