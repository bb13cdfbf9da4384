"""The driver: plan a corpus, run its shard tasks on an executor, write records and the index.

Layout (DESIGN §7)::

    OUT/README.md  OUT/vocab.json  OUT/data/*.tar
    OUT/.docsynth/plan.json  done/NNNNN.json  errors.jsonl  index.json (written last)

Resuming skips shards whose record and checksum hold, removes leftovers (temporary files,
tars without a record), and refuses to continue when the config hash changed.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterator

from docsynth import config as C
from docsynth.corpus import META
from docsynth.pipeline import build_pipeline
from docsynth.storage import TMP_PREFIX, Storage

log = logging.getLogger("docsynth")
PLAN_VERSION = 1
TOTALS = ("docs_in", "docs_written", "docs_dropped", "pages_written", "pages_dropped")  # summed over shard records


class ResumeError(RuntimeError):
    pass


def make_plan(cfg: C.PipelineConfig) -> dict:
    from docsynth.shard import shard_name

    pipe = build_pipeline(cfg)
    specs = pipe.plan()
    if not specs:
        raise ValueError(f"{cfg.name}: the source planned no documents (source.kind={cfg.source.kind!r}); nothing to write")
    n = len(specs)
    return {
        "version": PLAN_VERSION,
        "pipeline": cfg.name,
        "config_hash": C.config_hash(cfg),
        "config": C.to_dict(cfg),
        "shards": [
            {"index": i, "name": shard_name(cfg.shards.split, i, n), "seed": cfg.seed, "inputs": spec}
            for i, spec in enumerate(specs)
        ],
    }


def _load_or_write_plan(store: Storage, cfg: C.PipelineConfig, resume: bool) -> dict:
    path = f"{META}/plan.json"
    if store.exists(path):
        old = json.loads(store.read_text(path))
        if not resume:
            raise ResumeError(f"{store.url} already holds a corpus; pass --resume to continue it or choose another --out")
        if old["config_hash"] != C.config_hash(cfg):
            raise ResumeError(
                f"{store.url}: config hash {C.config_hash(cfg)} differs from the planned {old['config_hash']}; "
                "refusing to resume a corpus under another config"
            )
        return old
    plan = make_plan(cfg)
    store.write_text(path, json.dumps(plan, indent=1, sort_keys=True) + "\n")
    return plan


def _check_vocab(store: Storage, new: dict, done: dict[int, dict]) -> None:
    """Refuse to add shards whose ids mean something else than the done shards' ids.

    The plan's config names its tokenizers by path or as "default"; a resume under another
    docsynth whose shipped default changed would otherwise mix two id spaces in one corpus."""
    if not done or not store.exists("vocab.json"):
        return
    old = json.loads(store.read_text("vocab.json"))
    # a key the corpus's vocab.json lacks was not recorded by the docsynth that started it (older ones
    # wrote no patch or vision_tokenizer): nothing to compare there; G, K and the sizes still are
    diff = sorted(k for k in old.keys() & new.keys() if old[k] != new[k])
    if diff:
        raise ResumeError(
            f"{store.url}/vocab.json differs from the vocabulary this run would write ({', '.join(diff)}: "
            f"{', '.join(f'{k}={old.get(k)!r}' for k in diff)} in the corpus, "
            f"{', '.join(f'{k}={new.get(k)!r}' for k in diff)} now); its {len(done)} done shards were made "
            "with other tokenizers: a shipped default changed since. Refusing to mix two id spaces; finish it "
            "with the docsynth release that started it, or choose another --out"
        )


def _valid_record(store: Storage, shard: dict) -> dict | None:
    rec_path = f"{META}/done/{shard['index']:05d}.json"
    if not store.exists(rec_path):
        return None
    try:
        rec = json.loads(store.read_text(rec_path))
    except json.JSONDecodeError:
        return None
    tar = f"data/{shard['name']}"
    if store.exists(tar) and store.size(tar) == rec["bytes"] and store.sha256(tar) == rec["sha256"]:
        return rec
    return None


def _clean_leftovers(store: Storage, plan: dict, done: dict[int, dict]) -> int:
    """Remove temporary files and tars that have no valid record; returns how many."""
    removed = 0
    finished = {s["name"] for s in plan["shards"] if s["index"] in done}
    for name in store.ls("data"):
        if name.startswith(TMP_PREFIX) or (name.endswith(".tar") and name not in finished):
            store.remove(f"data/{name}")
            removed += 1
    for name in store.ls(f"{META}/done"):
        if name.startswith(TMP_PREFIX):
            store.remove(f"{META}/done/{name}")
    for name in ("index.json", "errors.jsonl"):
        store.remove(f"{META}/{name}")  # rewritten at the end
    return removed


Executor = Callable[[list], Iterator[dict]]  # list[ShardTask] -> shard records, in any order


def generate(
    cfg: C.PipelineConfig,
    out: str,
    executor: Executor,
    *,
    resume: bool = False,
    storage_options: dict | None = None,
    progress=None,
) -> dict:
    """Plan (or resume) a corpus at `out` and run its missing shards; returns the index.

    `progress`, if given, has `start(todo, total)` and is called with each shard record.
    """
    from docsynth.shard import ShardTask, record_json  # imports webdataset (and torch): not needed to read a corpus

    store = Storage(out, **(storage_options or {}))
    plan = _load_or_write_plan(store, cfg, resume)
    cfg = C.from_dict(C.PipelineConfig, plan["config"])
    pipe = build_pipeline(cfg)
    done = {s["index"]: r for s in plan["shards"] if (r := _valid_record(store, s))}
    removed = _clean_leftovers(store, plan, done)
    if done or removed:
        log.info("resume: %d/%d shards done, %d leftovers removed", len(done), len(plan["shards"]), removed)
    vocab = json.loads(json.dumps(pipe.vocab().to_json()))  # as vocab.json holds it (lists, not tuples)
    _check_vocab(store, vocab, done)
    store.write_text("vocab.json", json.dumps(vocab, indent=2) + "\n")
    tasks = [
        ShardTask(s["index"], s["name"], s["inputs"], plan["config"], out, storage_options)
        for s in plan["shards"] if s["index"] not in done
    ]  # fmt: skip
    if progress is not None:
        progress.start(len(tasks), len(plan["shards"]))
    for rec in executor(tasks):
        store.write_text(f"{META}/done/{rec['index']:05d}.json", record_json(rec))
        done[rec["index"]] = rec
        if progress is not None:
            progress(rec)
    store.clean_temporaries("data")  # left by killed attempts that a retry redid (Ray), or open uploads
    return finalize(store, plan, done)


def finalize(store: Storage, plan: dict, done: dict[int, dict]) -> dict:
    records = [done[s["index"]] for s in plan["shards"]]
    errors = [d for r in records for d in r["dropped"]]
    store.write_text(f"{META}/errors.jsonl", "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in errors))
    totals = Counter(dict.fromkeys(TOTALS, 0))  # zeros too: an index of no shards still has every total
    for r in records:
        for k in TOTALS:
            totals[k] += r["stats"][k]
    index = {
        "version": PLAN_VERSION,
        "pipeline": plan["pipeline"],
        "config_hash": plan["config_hash"],
        "num_shards": len(records),
        "num_samples": sum(r["samples"] for r in records),
        "totals": dict(sorted(totals.items())),
        "dropped_by_reason": dict(sorted(Counter(e["reason"] for e in errors).items())),
        "shards": [
            {"name": r["name"], "index": r["index"], "samples": r["samples"], "bytes": r["bytes"], "sha256": r["sha256"]}
            for r in records
        ],
    }
    from docsynth.card import write_card

    write_card(store, plan, index)
    store.write_text(f"{META}/index.json", json.dumps(index, indent=1, sort_keys=True) + "\n")
    return index
