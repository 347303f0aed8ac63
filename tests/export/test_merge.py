"""Merged safetensors give the same logits as base + PEFT adapter (float32 tiny model)."""

import json

import pytest

from dataforge.evaluate.run_dir import open_run
from dataforge.export.merge import merge_adapter

pytestmark = pytest.mark.slow  # needs a trained tiny run (session fixture, ~15 s once)


def test_merged_logits_equal_peft_logits(overfit_run, tmp_path):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    run = open_run(overfit_run)
    out = merge_adapter(run, tmp_path / "merged")
    assert (out / "model.safetensors").exists() and (out / "tokenizer.json").exists()
    assert not (out / "adapter_config.json").exists()
    assert json.loads((out / "dataforge_merge.json").read_text())["dtype"] == "float32"

    tok = AutoTokenizer.from_pretrained(out)
    ids = tok.apply_chat_template([{"role": "user", "content": "Kahve telvesi ne işe yarar?"}],
                                  add_generation_prompt=True, return_tensors="pt", return_dict=True)["input_ids"]
    base = AutoModelForCausalLM.from_pretrained(run.base_model(), dtype=torch.float32)
    peft_model = PeftModel.from_pretrained(base, str(run.adapter_dir())).eval()
    merged = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).eval()
    with torch.no_grad():
        want = peft_model(ids).logits
        got = merged(ids).logits
        with peft_model.disable_adapter():
            base_logits = peft_model(ids).logits
    assert torch.allclose(got, want, atol=1e-4, rtol=1e-4)
    assert (want - base_logits).abs().max() > 1e-2  # the adapter really changes the model
