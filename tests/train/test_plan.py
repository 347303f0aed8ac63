from __future__ import annotations

import json
import subprocess
import sys

import pytest

from dataforge.train.plan import GiB, Shape, estimate, lora_params, model_config, trainable_params
from dataforge.train.recipes import load_recipe

# Llama-2-7B's config.json figures (the shape behind the seed's "7B QLoRA: 6 GB" table)
LLAMA2_7B = {"hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32, "num_attention_heads": 32,
             "num_key_value_heads": 32, "vocab_size": 32000, "tie_word_embeddings": False}


def test_lora_r16_on_a_4096_square_matrix_is_131072_parameters():
    assert lora_params(4096, 4096, 16) == 131_072  # the seed's "LoRA: 131K" (vs 16.7M for the matrix itself)


def test_7b_qlora_lands_near_6_gb(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(LLAMA2_7B))
    recipe, _ = load_recipe("qlora", [f"model.name={tmp_path}", "train.batch_size=1", "train.max_length=2048",
                                      "lora.target_modules=[q_proj,k_proj,v_proj,o_proj]"])
    plan = estimate(recipe, model_config(recipe))
    assert plan.trainable == 32 * 4 * 131_072
    rows = {name: nbytes for name, nbytes, _ in plan.rows}
    # 6.48e9 block weights at 4.127 bits plus bf16 embeddings and head: ~3.9 GB
    assert 3.7e9 < rows["weights"] < 4.0e9
    assert 5.0e9 < plan.total < 7.0e9


def test_double_quant_saves_about_0_37_bits_per_weight(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(LLAMA2_7B))
    with_dq, _ = load_recipe("qlora", [f"model.name={tmp_path}"])
    without, _ = load_recipe("qlora", [f"model.name={tmp_path}", "quant.double_quant=false"])
    saved = estimate(without, LLAMA2_7B).rows[0][1] - estimate(with_dq, LLAMA2_7B).rows[0][1]
    bits = saved * 8 / Shape.from_config(LLAMA2_7B).block_linear_params()
    assert bits == pytest.approx(0.373, abs=0.002)


def test_checkpointing_shrinks_activations():
    on, _ = load_recipe("qlora", ["train.gradient_checkpointing=true"])
    off, _ = load_recipe("qlora", ["train.gradient_checkpointing=false"])
    act = {n: b for n, b, _ in estimate(on, LLAMA2_7B).rows}["activations"]
    act_off = {n: b for n, b, _ in estimate(off, LLAMA2_7B).rows}["activations"]
    assert act_off > 8 * act


def test_paged_8bit_optimizer_is_a_quarter_of_fp32_adam():
    a, _ = load_recipe("qlora", ["train.optim=paged_adamw_8bit"])
    b, _ = load_recipe("qlora", ["train.optim=adamw_torch"])
    opt = [{n: x for n, x, _ in estimate(r, LLAMA2_7B).rows}["optimizer"] for r in (a, b)]
    assert opt[0] * 4 == opt[1]


@pytest.mark.parametrize("overrides", [
    ["method=lora"],
    ["method=dora"],
    ["method=lora", "lora.r=4", "lora.target_modules=[q_proj,down_proj]"],
    ["method=ia3"],
    ["method=prompt-tuning"],
    ["method=p-tuning", "prompt.encoder_hidden_size=32"],
    ["method=prefix-tuning", "prompt.num_virtual_tokens=5"],
])
def test_trainable_count_matches_peft(tiny_model, overrides):
    from peft import get_peft_model
    from transformers import AutoModelForCausalLM

    from dataforge.train.model import peft_config

    recipe, _ = load_recipe("tiny-cpu", [f"model.name={tiny_model}", *overrides])
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_model), peft_config(recipe, str(tiny_model)))
    peft_count, _ = model.get_nb_trainable_parameters()
    assert trainable_params(recipe, Shape.from_config(model_config(recipe))) == peft_count


def test_plan_imports_no_torch(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(LLAMA2_7B))
    code = ("import sys; from dataforge.cli import main; rc = main(['plan', 'qlora', 'model.name=" + str(tmp_path)
            + "']); assert 'torch' not in sys.modules, 'torch imported'; sys.exit(rc)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "trainable parameters: 39,976,960" in out.stdout
    assert f"{GiB}" not in out.stdout  # figures are printed in GiB, not raw bytes


@pytest.mark.parametrize("name", ["qlora", "lora", "dora", "ia3", "prompt-tuning", "prefix-tuning", "p-tuning",
                                  "tiny-cpu"])
def test_plan_and_train_count_the_same_parameters(name, tiny_model):
    """plan's arithmetic against PEFT's own count on the model train builds (what train reports)."""
    import peft
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from dataforge.train.model import peft_config
    from dataforge.train.plan import estimate, model_config
    from dataforge.train.recipe import count_params
    from dataforge.train.recipes import load_recipe

    recipe, _ = load_recipe(name, [f"model.name={tiny_model}"])
    plan = estimate(recipe, model_config(recipe))
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(tiny_model))
    trainable, total = count_params(peft.get_peft_model(model, peft_config(recipe, str(tiny_model))))
    assert (plan.trainable, plan.total_params) == (trainable, total)


def test_plan_counts_the_real_tokens_of_the_data(tiny_model, tmp_path, monkeypatch, run_cli):
    """Rows, tokens and truncation from the data as train encodes it; padding per packing mode; the cache is
    warmed for the run."""
    from pathlib import Path

    from transformers import AutoTokenizer

    from dataforge.train.data import load_records
    from dataforge.train.recipe import chat_format

    monkeypatch.setenv("DATAFORGE_TOKEN_CACHE", str(tmp_path / "cache"))
    chat = str(Path(__file__).resolve().parents[2] / "sample_data" / "chat_tr.jsonl")
    args = ["plan", "tiny-cpu", f"model.name={tiny_model}", f"data.train={chat}", "data.val_fraction=0",
            "train.max_length=128", "train.batch_size=4", "train.grad_accum=2", "--json"]
    code, out, _ = run_cli(*args)
    assert code == 0
    data = json.loads(out)["data"]
    recipe, _ = load_recipe("tiny-cpu", [f"model.name={tiny_model}", "train.max_length=128"])
    fmt = chat_format(recipe, AutoTokenizer.from_pretrained(tiny_model))
    lengths = [len(fmt.encode(r)[0]) for r in load_records([chat])]
    assert data["rows"] == 74 and data["tokens"] == sum(min(n, 128) for n in lengths)
    assert data["truncated"] == sum(n > 128 for n in lengths) > 0 and data["longest"] == max(lengths)
    assert data["per_step"] == 8 and data["steps"]["none"] == data["steps"]["padding_free"] == 10  # ceil(74 / 8)
    assert data["steps"]["bfd"] == -(-data["bfd_sequences"] // 8) and data["bfd_sequences"] < 74
    assert 0 < data["pad_share"]["none"] < 0.6 and data["pad_share"]["bfd"] == data["pad_share"]["padding_free"] == 0
    assert data["bfd_fill"] == pytest.approx(data["tokens"] / (data["bfd_sequences"] * 128))
    assert data["cache_hit"] is False
    code, out, _ = run_cli(*args)
    assert json.loads(out)["data"]["cache_hit"] is True
    code, out, _ = run_cli(*args[:-1])
    assert "74 rows" in out and "bfd" in out and "padding_free" in out and "from the tokenized cache" in out


def test_plan_without_a_tokenizer_says_why_there_are_no_token_counts(tmp_path, run_cli):
    (tmp_path / "config.json").write_text(json.dumps(LLAMA2_7B))
    code, out, _ = run_cli("plan", "qlora", f"model.name={tmp_path}", "data.train=missing.jsonl")
    assert code == 0 and "data: no token counts (data file not found: missing.jsonl)" in out
