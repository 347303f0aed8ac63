"""`dataforge plan`'s data figures from the real token counts: the rows training would get (through the tokenized
cache, so a plan warms the cache for the run and a run's cache answers the plan), steps and tokens per epoch, the
truncated share, and the share of pad tokens for each train.packing mode.

Padding, as TRL 1.16 batches the rows: none pads each batch to its longest row (batches drawn at random, so the
figure is the mean over a seeded shuffle); bfd packs rows into max_length sequences with TRL's own pack_dataset and
feeds a batch of them padding-free (no pad tokens; the fill says how full the packed sequences are); padding_free
concatenates each batch's rows (no pad tokens).
"""

from __future__ import annotations

import math
import random
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from dataforge.progress import Say, silent
from dataforge.run.config import Recipe
from dataforge.run.run_dir import RunDir


@dataclass
class DataPlan:
    rows: int
    tokens: int  # per epoch, after truncation
    truncated: int
    longest: int
    max_length: int
    per_step: int  # rows (none, padding_free) or packed sequences (bfd) per optimizer step on one device
    steps: dict[str, int]  # packing mode -> optimizer steps per epoch
    pad_share: dict[str, float]  # packing mode -> pad tokens / all tokens in the batches
    bfd_sequences: int
    bfd_fill: float  # tokens / (packed sequences x max_length)
    cache_hit: bool

    def as_json(self) -> dict:
        return asdict(self)


def lengths_of(ds) -> list[int]:
    from datasets import Dataset

    return [int(n) for n in (ds["length"] if isinstance(ds, Dataset) else (row["length"] for row in ds))]


def pad_share_none(lengths: list[int], batch: int, seed: int) -> float:
    """Pad tokens / batch tokens when each random batch is padded to its longest row."""
    order = list(lengths)
    random.Random(seed).shuffle(order)
    padded = real = 0
    for i in range(0, len(order), batch):
        group = order[i:i + batch]
        padded += len(group) * max(group)
        real += sum(group)
    return (padded - real) / padded if padded else 0.0


def bfd_sequences(ds, max_length: int) -> list[int]:
    """Lengths of the packed sequences TRL's BFD makes of these rows (its own pack_dataset, in row order)."""
    from datasets import Dataset
    from trl.data_utils import pack_dataset

    if not isinstance(ds, Dataset):  # a stream: materialise only the ids of the rows (plan is not training)
        ds = Dataset.from_dict({"input_ids": [row["input_ids"] for row in ds]})
    packed = pack_dataset(ds.select_columns(["input_ids"]), max_length, "bfd")
    return [sum(s) for s in packed["seq_lengths"]]


def unavailable(recipe: Recipe) -> str | None:
    """Why the data figures cannot be computed (no tokenizer, no data), or None."""
    name = recipe.model.tokenizer or recipe.model.name
    if name is None:
        return "no model.name (the tiny demo model's tokenizer is trained by `train`)"
    missing = [p for p in [*recipe.data.train_paths, *recipe.data.val] if not Path(p).is_file()]
    if missing:
        return f"data file not found: {missing[0]}"
    folder = Path(name)
    if folder.is_dir() and not (folder / "tokenizer_config.json").is_file() and \
            not (folder / "tokenizer.json").is_file():
        return f"no tokenizer in {name}"
    return None


def data_plan(recipe: Recipe, say: Say = silent) -> DataPlan:
    """Tokenize the data as `train` would (or read the cache) and count."""
    name = recipe.model.tokenizer or recipe.model.name
    from dataforge.run.loading import resolve_model_source
    from dataforge.train.prepare import prepare
    from dataforge.train.recipe import chat_format, trained_tokenizer

    tokenizer, template, _ = trained_tokenizer(recipe, resolve_model_source(name, "model.tokenizer"
                                                                             if recipe.model.tokenizer else
                                                                             "model.name"))
    fmt = chat_format(recipe, tokenizer)
    with tempfile.TemporaryDirectory(prefix="dataforge-plan-") as tmp:
        data = prepare(recipe, RunDir(Path(tmp)), fmt, template, say)
    t = recipe.train
    lengths = lengths_of(data.train)
    cut = [min(n, t.max_length) for n in lengths]
    per_step = t.batch_size * t.grad_accum
    packed = bfd_sequences(data.train, t.max_length)
    rows_steps = math.ceil(len(cut) / per_step)
    return DataPlan(rows=len(cut), tokens=sum(cut), truncated=sum(n > t.max_length for n in lengths),
                    longest=max(lengths, default=0), max_length=t.max_length, per_step=per_step,
                    steps={"none": rows_steps, "bfd": math.ceil(len(packed) / per_step), "padding_free": rows_steps},
                    pad_share={"none": pad_share_none(cut, t.batch_size, recipe.seed), "bfd": 0.0,
                               "padding_free": 0.0},
                    bfd_sequences=len(packed), bfd_fill=sum(packed) / (len(packed) * t.max_length) if packed else 0,
                    cache_hit=bool(data.cache and data.cache.hit))


def render(plan: DataPlan, recipe: Recipe) -> str:
    t = recipe.train
    lines = [f"data (real token counts{', from the tokenized cache' if plan.cache_hit else ''}): {plan.rows:,} rows, "
             f"{plan.tokens:,} tokens per epoch, {plan.truncated:,} truncated at train.max_length={plan.max_length} "
             f"({100 * plan.truncated / max(plan.rows, 1):.1f}%, longest {plan.longest:,} tokens)",
             f"{'packing':<13} {'steps/epoch':>11} {'pad share':>9}  per step (batch_size x grad_accum = "
             f"{plan.per_step})"]
    notes = {"none": "rows, each batch padded to its longest",
             "bfd": f"packed sequences of <= {plan.max_length} tokens ({plan.bfd_sequences:,}, "
                    f"{100 * plan.bfd_fill:.1f}% full), no padding",
             "padding_free": "rows concatenated, no padding"}
    for mode in ("none", "bfd", "padding_free"):
        mark = "  <- train.packing" if mode == t.packing else ""
        lines.append(f"{mode:<13} {plan.steps[mode]:>11,} {100 * plan.pad_share[mode]:>8.1f}%  {notes[mode]}{mark}")
    return "\n".join(lines)
