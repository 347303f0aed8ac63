"""QLoRA training throughput and memory: dataforge's recipe against a plain TRL SFTTrainer, on one GPU.

Model: a random-init Llama-3-8B-shaped model (nothing downloaded), saved once to --work and loaded in 4-bit NF4
like any checkpoint. Data: the sample chats repeated, tokenised by a BPE tokenizer trained on them.
dataforge runs: QLoRA r=16 on all linear layers, gradient checkpointing, max_length 2048, each train.packing mode
of --packing (none, bfd, padding_free), batch 1 and 2. Baseline: the usual tutorial path (BitsAndBytesConfig,
peft.prepare_model_for_kbit_training, the same LoRA) handed to SFTTrainer with TRL's default settings, at the same
batch sizes and max_length.

    python bench/train_gpu.py                # on an H200: tokens/s, MFU, peak memory, plan estimate
    python bench/train_gpu.py --smoke        # CPU, tiny shapes, two steps: proves the script runs
    python bench/train_gpu.py --packing padding_free --batches 2   # one mode, one batch size

Targets (the issue): >= 1.5x the baseline's tokens/s, peak <= 7.4 GiB at batch 2, plan within +-15% of the peak.
MFU counts 4N+attention FLOPs per token (forward plus backward through activations; the frozen base has no weight
gradients), against the H200's 989 TFLOPS dense bf16.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LLAMA3_8B = dict(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
                 num_key_value_heads=8, vocab_size=128256, max_position_embeddings=8192, rope_theta=500000.0,
                 tie_word_embeddings=False)
SMOKE = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
             vocab_size=1024, max_position_embeddings=512, tie_word_embeddings=False)
H200_BF16_FLOPS = 989e12


def build_assets(work: Path, shape: dict, seed: int = 0) -> Path:
    """Tokenizer + random-init bf16 model saved to work/model (reused when present)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from dataforge.train.tiny import build_tokenizer, texts_of

    out = work / "model"
    if (out / "config.json").is_file():
        return out
    samples = [str(ROOT / "sample_data" / f) for f in ("chat_tr.jsonl", "instructions_tr.jsonl")]
    tok = build_tokenizer(texts_of(samples), out)
    # the tokenizer's 8192 ids must fit the embedding (the smoke shape's 1024 did not: index out of range)
    shape = {**shape, "vocab_size": max(shape["vocab_size"], len(tok))}
    config = LlamaConfig(eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, bos_token_id=None, **shape)
    torch.manual_seed(seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    with torch.device(device):  # initialising 8B on the GPU takes seconds, on CPU minutes
        model = LlamaForCausalLM(config).to(torch.bfloat16)
    model.save_pretrained(out)
    del model
    return out


def examples(repeat: int):
    from dataforge.train.data import load_records

    return load_records([str(ROOT / "sample_data" / f) for f in ("chat_tr.jsonl", "instructions_tr.jsonl")]) * repeat


class Clock:
    """Wall time and tokens per optimizer step (TRL logs the running token count as num_tokens)."""

    def __new__(cls):
        from transformers import TrainerCallback

        class _Clock(TrainerCallback):
            def __init__(self):
                self.marks = []

            def on_step_end(self, args, state, control, **kwargs):
                import torch

                if torch.cuda.is_available():
                    torch.cuda.synchronize()
                self.marks.append(time.perf_counter())

            def on_log(self, args, state, control, logs=None, **kwargs):
                if logs and "num_tokens" in logs:
                    self.tokens = getattr(self, "tokens", []) + [float(logs["num_tokens"])]

        return _Clock()


def free_memory() -> int:
    """Drop what earlier runs left behind; return the bytes still allocated (subtracted from this run's peak)."""
    import gc

    import torch

    gc.collect()
    if not torch.cuda.is_available():
        return 0
    torch.cuda.empty_cache()
    return torch.cuda.memory_allocated()


def measure(trainer, clock, warmup: int, leftover: int) -> dict:
    import torch

    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    trainer.train()
    steps = len(clock.marks) - warmup
    seconds = clock.marks[-1] - clock.marks[warmup - 1] if warmup else clock.marks[-1] - clock.marks[0]
    tokens = clock.tokens[-1] - clock.tokens[warmup - 1] if warmup else clock.tokens[-1]
    peak = (torch.cuda.max_memory_allocated() - leftover) / 2**30 if torch.cuda.is_available() else None
    return {"steps": steps, "tokens": tokens, "seconds": seconds, "tokens_per_s": tokens / seconds,
            "peak_gib": peak}


def dataforge_run(model_dir: Path, work: Path, data, batch: int, packing: str, args) -> dict:
    """dataforge's recipe as `train` builds it: the rows its encoding gives (cut at max_length), the attention
    backend `auto` picks, the packing probe, and its trainer."""
    from datasets import Dataset

    from dataforge.run.loading import load_tokenizer
    from dataforge.run.run_dir import RunDir
    from dataforge.train.chat_template import choose_template
    from dataforge.train.model import load_model, packing_isolation, peft_config, resolve_attention
    from dataforge.train.plan import GiB, estimate
    from dataforge.train.recipe import chat_format
    from dataforge.train.recipes import load_recipe
    from dataforge.train.trainer import build_trainer

    recipe, _ = load_recipe("qlora", [f"model.name={model_dir}", f"output_dir={work / 'df'}",
                                      f"train.batch_size={batch}", "train.grad_accum=1", f"train.packing={packing}",
                                      f"train.max_length={args.seq}", f"train.max_steps={args.steps}",
                                      "train.report_to=none", "train.save_steps=100000", "train.logging_steps=1",
                                      "train.precision=auto"])
    leftover = free_memory()
    tok = load_tokenizer(str(model_dir))
    choose_template(tok, None, False)
    fmt = chat_format(recipe, tok)
    encoded = [fmt.encode(r) for r in data]
    rows = Dataset.from_dict({"input_ids": [i[: args.seq] for i, _ in encoded],
                              "assistant_masks": [m[: args.seq] for _, m in encoded]})
    attn = resolve_attention(recipe, str(model_dir))
    model = load_model(recipe, str(model_dir), attn)
    isolated = packing_isolation(recipe, model, attn, print)
    trainer = build_trainer(recipe, RunDir(work / "df"), model, tok, peft_config(recipe, str(model_dir)), rows, None,
                            [clock := Clock()], True)
    result = measure(trainer, clock, args.warmup, leftover)
    cfg = json.loads((model_dir / "config.json").read_text())
    result["plan_gib"] = estimate(recipe, cfg).total / GiB
    result["attn"], result["records_isolated"] = attn, isolated
    return result


def baseline_run(model_dir: Path, work: Path, data, batch: int, args) -> dict:
    import torch
    from datasets import Dataset
    from peft import LoraConfig, prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig
    from trl import SFTConfig, SFTTrainer

    from dataforge.train.data import chat

    leftover = free_memory()
    bnb = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                             bnb_4bit_compute_dtype=torch.bfloat16)
    device = {"": 0} if torch.cuda.is_available() else {"": "cpu"}
    model = prepare_model_for_kbit_training(
        AutoModelForCausalLM.from_pretrained(model_dir, quantization_config=bnb, device_map=device))
    lora = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear", task_type="CAUSAL_LM")
    config = SFTConfig(output_dir=str(work / "baseline"), per_device_train_batch_size=batch, max_steps=args.steps,
                       max_length=args.seq, bf16=True, use_cpu=not torch.cuda.is_available(), logging_steps=1,
                       save_strategy="no", report_to="none", disable_tqdm=True)
    messages = Dataset.from_list([{"messages": chat(r)} for r in data])
    trainer = SFTTrainer(model=model, args=config, train_dataset=messages,
                         processing_class=AutoTokenizer.from_pretrained(model_dir), peft_config=lora,
                         callbacks=[clock := Clock()])
    return measure(trainer, clock, args.warmup, leftover)


def mfu(result: dict, shape: dict, seq: int) -> float | None:
    import torch

    if not torch.cuda.is_available():
        return None
    from dataforge.train.plan import Shape

    s = Shape.from_config(shape)
    n = s.block_linear_params() + s.vocab * s.hidden  # the LM head multiplies too; the embedding is a lookup
    flops = 4 * n + 6 * s.layers * s.hidden * seq  # causal attention, forward + backward w.r.t. activations
    return result["tokens_per_s"] * flops / H200_BF16_FLOPS


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="CPU, tiny shapes, two steps")
    ap.add_argument("--work", default="/tmp/dataforge-bench", help="where the random model is saved")
    ap.add_argument("--steps", type=int, default=None, help="measured steps + warm-up (default 20, smoke 3)")
    ap.add_argument("--warmup", type=int, default=None, help="steps left out of the timing (default 3, smoke 1)")
    ap.add_argument("--seq", type=int, default=None, help="max_length (default 2048, smoke 128)")
    ap.add_argument("--batches", default="1,2", help="batch sizes to run, e.g. 2 (to split the work over calls)")
    ap.add_argument("--packing", default="none,bfd,padding_free", help="train.packing modes to run, e.g. bfd")
    ap.add_argument("--no-baseline", action="store_true", help="skip the plain TRL runs (ratios need them)")
    ap.add_argument("--json", help="write the results here as JSON")
    args = ap.parse_args()
    shape = SMOKE if args.smoke else LLAMA3_8B
    args.steps = args.steps or (3 if args.smoke else 20)
    args.warmup = args.warmup if args.warmup is not None else (1 if args.smoke else 3)
    args.seq = args.seq or (128 if args.smoke else 2048)
    work = Path(args.work) / ("smoke" if args.smoke else "llama3-8b")
    model_dir = build_assets(work, shape)
    data = examples(2 if args.smoke else 40)

    rows = []
    for batch in [int(b) for b in args.batches.split(",")]:
        for packing in args.packing.split(","):
            r = dataforge_run(model_dir, work, data, batch, packing, args)
            rows.append({"run": f"dataforge packing={packing}", "batch": batch, **r})
        if not args.no_baseline:
            base = baseline_run(model_dir, work, data, batch, args)
            rows.append({"run": "baseline: TRL defaults", "batch": batch, **base})
    for r in rows:
        r["mfu"] = mfu(r, shape, args.seq)
    report(rows, args)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


def report(rows: list[dict], args) -> None:
    print(f"{'run':<32} {'batch':>5} {'tokens/s':>10} {'vs base':>8} {'MFU':>6} {'peak GiB':>9} {'plan GiB':>9} "
          f"{'plan/peak':>9}")
    base = {r["batch"]: r["tokens_per_s"] for r in rows if r["run"].startswith("baseline")}
    for r in rows:
        ratio = r["tokens_per_s"] / base[r["batch"]] if r["batch"] in base else float("nan")
        peak, plan = r.get("peak_gib"), r.get("plan_gib")
        fmt = lambda v, spec: "n/a" if v is None else format(v, spec)  # noqa: E731
        print(f"{r['run']:<32} {r['batch']:>5} {r['tokens_per_s']:>10.0f} {ratio:>7.2f}x {fmt(r['mfu'], '6.1%'):>6} "
              f"{fmt(peak, '9.2f'):>9} {fmt(plan, '9.2f'):>9} "
              f"{fmt(plan / peak if plan and peak else None, '9.2f'):>9}")
    print(f"steps {args.steps} (first {args.warmup} not timed), max_length {args.seq}; targets: >= 1.50x baseline, "
          "peak <= 7.4 GiB at batch 2, plan/peak within 0.85-1.15")


if __name__ == "__main__":
    raise SystemExit(main())
