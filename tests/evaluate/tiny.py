"""Tiny real assets for evaluate/export tests: a BPE tokenizer trained here, a random-init Llama, and run
directories trained for a few steps with TRL SFTTrainer + LoRA. Nothing is downloaded (HF_HUB_OFFLINE=1 safe).

Builders cache into a directory so that tests/evaluate and tests/export share one trained run per session.
"""

from __future__ import annotations

import json
from pathlib import Path

from dataforge.train.chat_template import CHATML

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "chat_tr.jsonl"
INSTRUCTIONS = SAMPLE.with_name("instructions_tr.jsonl")

# the training recipe's ChatML (with {% generation %}, so TRL's assistant_only_loss works)
CHAT_TEMPLATE = CHATML


def chats(clip: int | None = None) -> list[dict]:
    """The chat sample; `clip` cuts every message to its first `clip` characters (short sequences train fast)."""
    rows = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    if clip:
        rows = [{"messages": [{**m, "content": m["content"][:clip]} for m in r["messages"]]} for r in rows]
    return rows


def general(limit: int | None = None) -> list[dict]:
    """The alpaca sample as chats: the tiny base's "general" pre-training data and forgetting probe."""
    rows = []
    for line in INSTRUCTIONS.read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            prompt = r["instruction"] + ("\n\n" + r["input"] if r.get("input") else "")
            rows.append({"messages": [{"role": "user", "content": prompt},
                                      {"role": "assistant", "content": r["output"]}]})
    return rows[:limit] if limit else rows


def build_tokenizer(out: Path, vocab_size: int = 400):
    """The package's tiny byte-level BPE, trained on the Turkish sample chats and instructions."""
    from transformers import PreTrainedTokenizerFast

    from dataforge.train.tiny import build_tokenizer as train_tokenizer

    if (out / "tokenizer.json").exists():
        return PreTrainedTokenizerFast.from_pretrained(out)
    texts = [m["content"] for row in chats() + general() for m in row["messages"]]
    return train_tokenizer(texts, out, vocab_size)


def build_base(out: Path, seed: int = 0, pretrain_steps: int = 40) -> Path:
    """Random-init Llama: hidden 64, 2 layers, 2 heads (1 KV head, to exercise GQA in the GGUF export)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    if (out / "config.json").exists():
        return out
    tok = build_tokenizer(out)
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=512,
                         tie_word_embeddings=False, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                         bos_token_id=None)
    model = LlamaForCausalLM(config)
    _pretrain(model, tok, steps=pretrain_steps, seed=seed)
    model.save_pretrained(out)
    return out


def _pretrain(model, tok, *, steps: int, seed: int) -> None:
    """A short full-parameter warm-up on all sample chats, so the base "knows" some Turkish before LoRA.

    LoRA on a purely random model barely moves the loss (near-uniform logits); a pre-trained base is also what
    the forgetting probe needs to measure anything.
    """
    import torch

    torch.manual_seed(seed)
    texts = [tok.apply_chat_template(row["messages"], tokenize=False) for row in general()]
    batch = tok(texts, return_tensors="pt", padding=True, truncation=True, max_length=96)
    labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    model.train()
    for _ in range(steps):
        idx = torch.randint(0, len(texts), (8,))
        loss = model(input_ids=batch["input_ids"][idx], attention_mask=batch["attention_mask"][idx],
                     labels=labels[idx]).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
    model.eval()


def train_run(run_dir: Path, base: Path, train_rows: list[dict], val_rows: list[dict], *, steps: int, lr: float,
              eval_every: int, seed: int = 0, callbacks: list | None = None, max_length: int = 128) -> Path:
    """Train LoRA into run_dir with `dataforge train` itself (the library call the CLI makes), so evaluate and
    export tests read exactly what train writes. The gate is skipped (recorded): tests/quality tests it."""
    if (run_dir / "adapter" / "adapter_config.json").exists():
        return run_dir
    import yaml

    from dataforge.train.recipe import train
    from dataforge.train.recipes import load_recipe

    data_dir = run_dir.parent / f"{run_dir.name}-data"  # never inside the run: train refuses that
    data_dir.mkdir(parents=True, exist_ok=True)
    files = {}
    for split, rows in (("train", train_rows), ("val", val_rows)):
        files[split] = data_dir / f"{split}.jsonl"
        files[split].write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    recipe = {
        "name": run_dir.name, "output_dir": str(run_dir), "method": "lora", "seed": seed,
        "model": {"name": str(base), "dtype": "float32"},
        "lora": {"r": 16, "alpha": 64, "dropout": 0.0,
                 "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]},
        "data": {"train": [str(files["train"])], "val": [str(files["val"])]},
        "train": {"max_steps": steps, "learning_rate": lr, "batch_size": 4, "max_length": max_length,
                  "lr_scheduler": "constant", "warmup_ratio": 0.0, "eval_steps": eval_every,
                  "save_steps": eval_every, "logging_steps": 1, "precision": "fp32",
                  "gradient_checkpointing": False, "report_to": ["none"], "save_total_limit": None,
                  "early_stopping_patience": None, "optim": "adamw_torch"},
    }
    path = data_dir / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe, allow_unicode=True), encoding="utf-8")
    train(load_recipe(str(path))[0], path, skip_gate=True, callbacks=callbacks, quiet=True)
    return run_dir


OVERFIT_CLIP, OVERFIT_STEPS, OVERFIT_LR = 80, 30, 1e-2
# long enough to be real chats; with max_length=384 no answer is cut off (the label check refuses records whose
# assistant tokens are all truncated away: the tiny 400-token vocabulary makes 100 characters about 60 tokens)
HEALTHY_CLIP, HEALTHY_MAX_LENGTH = 100, 384


def overfit_run(root: Path) -> Path:
    """Few records, many steps, high learning rate: memorises 4 chats while val loss turns up."""
    rows = chats(clip=OVERFIT_CLIP)
    return train_run(root / "overfit", build_base(root / "base"), rows[:4], rows[60:66], steps=OVERFIT_STEPS,
                     lr=OVERFIT_LR, eval_every=3)


def healthy_run(root: Path) -> Path:
    """Many records, modest learning rate, few steps: val loss follows train loss down."""
    rows = chats(clip=HEALTHY_CLIP)
    return train_run(root / "healthy", build_base(root / "base"), rows[:56], rows[60:68], steps=16, lr=3e-3,
                     eval_every=4, max_length=HEALTHY_MAX_LENGTH)
